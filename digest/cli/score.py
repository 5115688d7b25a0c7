"""`digest score PATH.jsonl`: the poller's relevance decision for each paper in a JSON-lines file."""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from digest.cli.context import CommandError, Context, input_argument, refuse_non_file, shown_source, unreadable
from digest.cli.lines import BAD_LINES_SHOWN
from digest.cli.options import json_option
from digest.cli.score_input import BadLine, read_lines
from digest.sizes import counted, few_named
from digest.text import one_line

if TYPE_CHECKING:  # the model (NumPy, SciPy, SQLAlchemy) is imported when a file is scored, not by every command
    import gzip
    from pathlib import Path

    from digest.relevance.scoring import PaperText, RelevanceModel


def register(subparsers: Any) -> None:
    score = subparsers.add_parser(
        "score",
        help="score papers from a JSON-lines file against the current list",
        description=(
            "Reads one paper per line (arxiv_id, title, abstract, optional categories) and prints one JSON line "
            "per paper: arxiv_id, relevant, tier (review, second or null), score (1.0 at the review threshold, 0.25 "
            "per unit of the model's log-odds, 0 for a paper 4 or more units under it: why says what pushed it down), "
            "section, the top three sections, matched terms, why (also for a paper under the threshold that names a "
            "term of the topic: what a poll would not say; every part of the score, up and down, and the baseline "
            "they start from, the model's constant less the review threshold: together, the units from the "
            "threshold; for a paper naming none of the topic's strong terms, that the model skipped it unread), "
            "learnt_from (the model learnt from this paper: "
            "it is in the list or was decided, so its score flatters it) and held_out_score (then the score it "
            "would have had as a new paper, else null). The decision is the one a poll with these settings makes now: "
            "the model learnt from the list and the decisions in the data folder, and the review threshold fitted "
            "for these [relevance] settings on the papers the polls kept (fitted and stored first when none is, and "
            "kept nowhere when the data folder cannot be written), whatever else the file holds. A service started "
            "before [relevance] was edited decides with its own until it is restarted: a note says so."
        ),
    )
    score.add_argument(
        "path", type=input_argument, metavar="PATH.jsonl", help="papers to score ('-' for standard input)"
    )
    json_option(score, help="JSON lines only (no summary on standard error)")
    score.set_defaults(handler=handle_score)


_BATCH = 500


def score_lines(
    model: RelevanceModel, lines: Iterable[str | bytes | None], title_only: list[Any] | None = None
) -> Iterator[dict[str, Any] | BadLine]:
    """One result per non-blank line, in order: the judgement as a JSON-ready dict, or what was wrong with the line
    (None: one too long to be read). Papers are judged in batches for speed; each against the stored thresholds
    alone, never against the file. A paper under both tiers that names a term of the topic is explained too (its
    sections and why, as `digest add` gives them): it is the paper a maintainer trying a change asks about. Lines
    read as bytes are UTF-8 (a byte order mark before the first is not part of it). `title_only` gathers the IDs of
    the papers given no abstract (none, or another key's: "summary"), scored on their title alone."""
    batch: list[tuple[Any, PaperText]] = []
    try:
        for item in read_lines(lines):
            if isinstance(item, BadLine):
                yield from _judged(model, batch)
                batch = []
                yield item
                continue
            batch.append(item)
            if title_only is not None and not item[1].abstract.strip():
                title_only.append(item[0])
            if len(batch) >= _BATCH:
                yield from _judged(model, batch)
                batch = []
    except Exception:  # the file cannot be read on (a line of gigabytes, a read error): the lines before it still are
        yield from _judged(model, batch)
        raise
    yield from _judged(model, batch)


def held_out_score(model: RelevanceModel, arxiv_id: Any) -> float | None:
    """The score, on the shown scale, the model keeps for a paper it learnt from (a list paper, an approval or a
    rejection): the one its parts that never saw the paper give, as the paper would have scored as news. None for a
    paper it did not learn from. Its full score is of a model that has seen it, and flatters it."""
    from digest.arxiv_references import parse_arxiv_reference

    if not isinstance(arxiv_id, str):
        return None
    raw = model.learned.held_out.get(parse_arxiv_reference(arxiv_id) or arxiv_id)
    if raw is None:
        return None
    return model.shown_score(raw)


def _judged(model: RelevanceModel, batch: list[tuple[Any, PaperText]]) -> Iterator[dict[str, Any]]:
    judgements = model.judge_many([paper for _, paper in batch], explain_all=True)
    for (arxiv_id, _), judgement in zip(batch, judgements, strict=True):
        held_out = held_out_score(model, arxiv_id)
        yield {
            "arxiv_id": arxiv_id,
            "relevant": judgement.relevant,
            "tier": judgement.tier.value if judgement.tier else None,
            "score": judgement.score,
            # The list's headings keep what the maintainer wrote: shown here without a U+202E reversing the line.
            "section": one_line(judgement.section) if judgement.section else None,
            "sections": [one_line(section) for section in judgement.sections],
            "matched": judgement.matched,
            "why": judgement.why.lines(against=True),
            "learnt_from": held_out is not None,
            "held_out_score": held_out,
        }


def _open_lines(path: Path) -> IO[Any] | gzip.GzipFile:
    """The file's lines as bytes (decoded line by line, so that one line that is not UTF-8 is named, not altered)."""
    refuse_non_file(path, "JSON-lines file")  # a folder or a named pipe: one line, not a wait for a writer
    if str(path) == "-":
        return getattr(sys.stdin, "buffer", sys.stdin)  # text already, when a caller replaced standard input
    if path.suffix == ".gz":
        import gzip

        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def handle_score(args: argparse.Namespace, context: Context) -> int:
    from digest.cli.lines import JSON_ARRAY, JsonArrayError, LongLineError, lines_past_long, split_at_breaks

    try:
        source = _open_lines(args.path)
    except OSError as exc:
        raise unreadable(args.path, exc) from None
    model, settings_note = _model_for(context, source)
    import json

    scored = relevant = bad = learnt = 0
    title_only: list[Any] = []
    try:
        for result in score_lines(model, split_at_breaks(lines_past_long(source)), title_only):
            if isinstance(result, BadLine):
                bad += 1
                _report_bad_line(args.path, result, bad)
                continue
            scored += 1
            relevant += bool(result["relevant"])
            learnt += bool(result["learnt_from"])
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    except BrokenPipeError:
        raise  # the reader of the output went away (`| head`): main() ends quietly, the input is not at fault
    except LongLineError as exc:
        raise CommandError(
            f"{shown_source(args.path)}:{exc.line_number}: a line longer than {exc.shown}, which no paper is (is it a "
            "JSON-lines file?); nothing after it was scored"
        ) from None
    except JsonArrayError:
        raise CommandError(f"{shown_source(args.path)}: {JSON_ARRAY}; nothing was scored") from None
    except (zlib.error, OSError, EOFError, UnicodeDecodeError) as exc:  # a .gz file damaged or cut off, a read error
        raise unreadable(args.path, exc) from None
    finally:
        if str(args.path) != "-":
            source.close()
    if not scored and not bad:  # "scored 0 papers", exit 0, read as papers none of which was relevant
        raise CommandError(f"{shown_source(args.path)}: no papers in the file (empty or blank); nothing was scored")
    _print_summary(args, model, scored, relevant, (bad, learnt))
    if title_only and not args.json:
        print(f"note: {_no_abstract(title_only)}", file=sys.stderr)
    if settings_note:  # even with --json: these scores may not be the running service's
        print(f"note: {settings_note}", file=sys.stderr)
    return 1 if bad else 0


def _model_for(context: Context, source: IO[Any] | gzip.GzipFile) -> tuple[RelevanceModel, str | None]:
    """The model that scores as the next poll would, its thresholds stored for these settings, and a note when the
    stored thresholds were another settings'; `source` is closed if that fails."""
    from contextlib import nullcontext

    from digest.relevance.cache_files import keeping_no_files
    from digest.relevance.scoring import RulesError
    from digest.relevance.stream import ensure_thresholds
    from digest.relevance.thresholds_store import other_settings_note

    context.reading_only = True  # a data folder it cannot write is scored as it stands, with one warning
    try:
        database = context.database
        with database.reading() as session:  # read before this command stores thresholds for its own settings
            settings_note = other_settings_note(session, context.settings)
        with keeping_no_files() if context.opened_read_only else nullcontext():
            model = ensure_thresholds(database, context.settings, store=not context.opened_read_only)
    except BaseException as exc:  # the file is closed whatever stops the command here (a seed list that is no list)
        if source is not sys.stdin:
            source.close()
        if isinstance(exc, RulesError):
            raise CommandError(str(exc)) from exc
        raise
    return model, settings_note


def _no_abstract(ids: list[Any]) -> str:
    """Papers given no abstract score on their title alone, far lower than a poll reading the abstract scores them."""
    named = few_named([str(arxiv_id) for arxiv_id in ids])
    return (
        f"{counted(len(ids), 'paper')} had no abstract ({named}): scored on the title alone, lower than a poll "
        'reading the abstract; give each its "abstract"'
    )


def _report_bad_line(path: Path, bad_line: BadLine, count: int) -> None:
    """The first BAD_LINES_SHOWN bad lines, each in a line; the others are counted at the end."""
    if count <= BAD_LINES_SHOWN:
        print(f"{shown_source(path)}:{bad_line.line_number}: skipped: {bad_line.message}", file=sys.stderr)


def _print_summary(
    args: argparse.Namespace, model: RelevanceModel, scored: int, relevant: int, bad_learnt: tuple[int, int]
) -> None:
    """How many bad lines were not shown (even with --json), then, without --json, the counts and notes."""
    bad, learnt = bad_learnt
    if bad > BAD_LINES_SHOWN:
        print(
            f"{shown_source(args.path)}: and {counted(bad - BAD_LINES_SHOWN, 'more bad line')} skipped, not shown",
            file=sys.stderr,
        )
    if args.json:
        return
    print(f"scored {counted(scored, 'paper')}: {relevant} relevant, {counted(bad, 'bad line')}", file=sys.stderr)
    if learnt:
        print(
            f"note: {learnt} of these papers the model learnt from (the list's, or decided): their score is of a "
            "model that has seen them; held_out_score is what it gives them as new papers",
            file=sys.stderr,
        )
    if model.note:
        print(f"note: {model.note}", file=sys.stderr)
