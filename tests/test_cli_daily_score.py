"""`digest score` as a maintainer uses it every day: files saved by other tools (a byte order mark, old Mac line ends,
gzip, a JSON array, standard input), lines it skips, output piped to `head`, and what it says about the model."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from tests.cli_daily import paper_lines, papers_file, scored_ids
from tests.cli_runs import digest_command
from tests.conftest import ROOT
from tests.factories import real_papers
from tests.kept_model import with_kept_model
from tests.processes import Spawned


def test_score_reads_a_file_saved_with_a_byte_order_mark(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notepad saves UTF-8 with a byte order mark: the first paper was skipped as "not valid JSON (Unexpected UTF-8
    BOM)". It is scored like the others, from a file and from standard input."""
    lines = paper_lines(2)
    expected = [json.loads(line)["arxiv_id"] for line in lines]
    path = papers_file(tmp_path / "papers.jsonl", lines, prefix=b"\xef\xbb\xbf")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert scored_ids(out.out) == expected and "skipped" not in out.err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes()), encoding="utf-8"))
    assert main(["--data-dir", str(data_dir), "score", "-", "--json"]) == 0
    out = capsys.readouterr()
    assert scored_ids(out.out) == expected and "skipped" not in out.err


def test_score_names_a_line_that_is_not_utf8_instead_of_scoring_altered_text(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line saved as Latin-1 was scored with its accented letters replaced by '\ufffd', unsaid; `decisions import`
    names such a line. It is now skipped with its number and the reason, the others scored, exit 1."""
    good = paper_lines(2)
    latin = json.dumps({"arxiv_id": "2501.00001", "title": "Café probing", "abstract": "naïve"}, ensure_ascii=False)
    path = papers_file(tmp_path / "papers.jsonl", [good[0], latin.encode("latin-1"), good[1]])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [json.loads(line)["arxiv_id"] for line in good]
    assert f"{path}:2: skipped: not UTF-8 text" in out.err


def test_score_names_a_damaged_gzip_file_instead_of_a_traceback(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .gz file of papers damaged inside (a bad copy, a download cut and resumed) ended `digest score` in a zlib.error
    traceback, where `digest decisions import` names the file. It now says in one line that it cannot read the file."""
    import gzip

    damaged = bytearray(gzip.compress(b"\n".join(paper_lines(2)) + b"\n"))
    damaged[10] = 0x07  # the first deflate block's type: 3, which no block has
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(bytes(damaged))
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    reason = f"{path}: not a readable gzip file (Error -3 while decompressing data: invalid block type)"
    assert json.loads(out.out) == {"error": reason, "exit_status": 1}  # no paper scored: only the reason, as JSON
    assert out.err == f"digest: {reason}\n"


def test_score_words_a_file_it_cannot_read_as_the_other_commands_do(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score` said "cannot read X: ..." where `digest decisions import` and the others say "X: cannot read:
    ..." (and "X: not a readable gzip file (...)"): one wording now, whichever command was given the file."""
    import gzip

    missing = tmp_path / "missing.jsonl"
    cut = tmp_path / "papers.jsonl.gz"
    cut.write_bytes(gzip.compress(b"\n".join(paper_lines(2)) + b"\n")[:-12])  # its end, and the check, cut off
    for command in ("score", "decisions import"):
        assert main(["--data-dir", str(data_dir), *command.split(), str(missing)]) == 1
        assert capsys.readouterr().err == f"digest: {missing}: cannot read: No such file or directory\n", command
    assert main(["--data-dir", str(data_dir), "score", str(cut), "--json"]) == 1
    assert capsys.readouterr().err == (
        f"digest: {cut}: not a readable gzip file (Compressed file ended before the end-of-stream marker was reached)\n"
    )


def test_score_names_the_field_that_is_wrong_on_a_skipped_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exporter that writes `"abstract": null` for a paper without one, or the categories as one string, had the
    line skipped with "abstract must be a string and categories a list" either way: the maintainer was left to guess
    which of the two was wrong. Each skipped line now names its field, as `digest decisions import` does."""
    good = paper_lines(1)
    row = json.loads(good[0])
    no_abstract = json.dumps({**row, "abstract": None}).encode()
    one_string = json.dumps({**row, "categories": "cs.CV cs.LG"}).encode()
    path = papers_file(tmp_path / "papers.jsonl", [no_abstract, one_string, good[0]])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [row["arxiv_id"]]
    assert out.err.splitlines() == [
        f"{path}:1: skipped: abstract must be a string (it may be empty)",
        f'{path}:2: skipped: categories must be a list of strings, such as ["cs.CV", "cs.LG"]',
    ]


def test_score_names_a_line_whose_categories_are_not_strings(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A category written as null (an exporter's missing value) or as a nested list was scored as the text "None"
    or "['cs.CV']": an off-topic category, which lowered the paper's score and decision with no word of why. The line
    is now skipped and named, as a list that is no list is."""
    good = paper_lines(1)
    row = json.loads(good[0])
    with_null = json.dumps({**row, "categories": ["cs.CV", None]}).encode()
    nested = json.dumps({**row, "categories": [["cs.CV"]]}).encode()
    path = papers_file(tmp_path / "papers.jsonl", [with_null, nested, good[0]])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [row["arxiv_id"]]
    assert out.err.splitlines() == [
        f'{path}:1: skipped: categories must be a list of strings, such as ["cs.CV", "cs.LG"]',
        f'{path}:2: skipped: categories must be a list of strings, such as ["cs.CV", "cs.LG"]',
    ]


def test_score_piped_to_head_ends_quietly(tmp_path: Path, kept_model: Path, spawned: Spawned) -> None:
    """`digest score papers.jsonl | head -1` said "digest: cannot read papers.jsonl: [Errno 32] Broken pipe" and
    exited 1, blaming the input file. It now ends as the other commands do when the reader goes away: 141, silent."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    path = papers_file(tmp_path / "papers.jsonl", paper_lines(3) * 3000)  # far more than a pipe holds
    with_kept_model(tmp_path / "data", kept_model)  # the model's build is not what this is about
    command = digest_command(tmp_path)
    reader_gone = spawned.add(
        subprocess.Popen(
            [*command, "score", str(path)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.readline()
    reader_gone.stdout.close()
    with reader_gone.stderr:
        err = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=120) == 141 and err == ""


def test_score_says_which_papers_the_model_learnt_from_and_their_held_out_score(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer checking the model scored a paper of the list: `digest score` gave it a high score and said
    nothing of the model having learnt from that very paper, so it looked like proof the model finds such papers.
    Expected: the paper is marked as learnt from, with the score the model keeps for it from the parts that never saw
    it (the one it would have had as news); a new paper is marked as not learnt from; the summary says it in words."""
    from digest.resources import curated_papers_path

    listed = json.loads(curated_papers_path().read_text(encoding="utf-8").splitlines()[0])
    new = real_papers()[0]
    lines = [json.dumps({key: row[key] for key in ("arxiv_id", "title", "abstract")}).encode() for row in (listed, new)]
    path = papers_file(tmp_path / "papers.jsonl", lines)
    assert main(["--data-dir", str(data_dir), "score", str(path)]) == 0
    out = capsys.readouterr()
    seen, fresh = (json.loads(line) for line in out.out.splitlines())
    assert seen["arxiv_id"] == listed["arxiv_id"] and seen["learnt_from"] is True
    assert isinstance(seen["held_out_score"], float) and seen["held_out_score"] != seen["score"]
    assert fresh["learnt_from"] is False and fresh["held_out_score"] is None
    assert "1 of these papers the model learnt from" in out.err


def test_score_reads_a_file_with_old_mac_line_endings_line_by_line_as_decisions_import_does(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file whose lines end in a carriage return alone was one line of bad JSON to `digest score` (nothing scored),
    while `digest decisions import` read it line by line: each paper is scored, and a bad line named by its number."""
    good = paper_lines(2)
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"\r".join([good[0], b'{"title": ""}', good[1]]) + b"\r")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [json.loads(line)["arxiv_id"] for line in good]
    assert out.err == f"{path}:2: skipped: no title\n"
    path.write_bytes(b"\r".join(good) + b"\r")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    assert len(scored_ids(capsys.readouterr().out)) == 2


def test_score_says_once_that_a_json_array_is_not_json_lines(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON array (as `json.dump` writes a list) had each of its lines skipped, none saying why: it is named once."""
    papers = [json.loads(line) for line in paper_lines(2)]
    for written in (json.dumps(papers, indent=2), json.dumps(papers)):
        path = tmp_path / "papers.json"
        path.write_text(written + "\n", encoding="utf-8")
        assert main(["--data-dir", str(data_dir), "score", str(path)]) == 1
        out = capsys.readouterr()
        assert out.out == ""
        assert out.err.splitlines() == [
            f"digest: {path}: looks like a JSON array (it starts with '['): one JSON object a line is wanted; "
            "`jq -c '.[]' FILE` writes it so; nothing was scored"
        ]


def test_score_of_standard_input_names_it_as_decisions_import_does(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest score -` named a bad line '-:2: skipped: ...' where `decisions import -` and `list import -` say
    '<stdin>:2'; it says <stdin> too."""
    lines = paper_lines(1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines[0] + b"\nnot json\n"), encoding="utf-8"))
    assert main(["--data-dir", str(data_dir), "score", "-", "--json"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert errors[0].startswith("<stdin>:2: skipped: not valid JSON"), errors


def test_score_says_why_a_paper_on_the_topic_was_not_flagged(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README promises `digest score` prints per paper the top three sections and why: a paper on the topic
    scored under the threshold (the one a maintainer trying a change of the rules asks about) came back with
    "sections": [] and "why": [], so nothing said what it matched near. Its sections and why are now given, the
    decision, tier and score unchanged."""
    haystack = ROOT / "tests" / "data" / "relevance_haystack_sample.jsonl"
    line = next(line for line in haystack.read_text(encoding="utf-8").splitlines() if '"2404.16085"' in line)
    path = papers_file(tmp_path / "papers.jsonl", [line.encode("utf-8")])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["relevant"], result["tier"], result["matched"]) == (False, None, ["interpretab*", "internal*"])
    assert len(result["sections"]) == 3 and result["section"] == result["sections"][0]
    assert result["why"][0] == "matched: interpretab*, internal*"
    assert any(reason.startswith("nearest in the list: ") for reason in result["why"]), result["why"]


def test_score_says_which_papers_it_scored_without_an_abstract(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer trying a change scored a file whose abstracts stood under "summary" (the arXiv API's name): every
    paper was scored on its title alone, far under the score a poll gives it, and the summary said nothing. The papers
    given no abstract are named in a note; the ones with one are not."""
    paper, other = real_papers()[:2]
    with_summary = json.dumps({"arxiv_id": paper["arxiv_id"], "title": paper["title"], "summary": paper["abstract"]})
    lines = [with_summary.encode(), *paper_lines(2)[1:]]
    path = papers_file(tmp_path / "papers.jsonl", lines)
    assert main(["--data-dir", str(data_dir), "score", str(path)]) == 0
    out = capsys.readouterr()
    untold, told = (json.loads(line) for line in out.out.splitlines())
    assert (untold["arxiv_id"], told["arxiv_id"]) == (paper["arxiv_id"], other["arxiv_id"])
    note = (
        f"note: 1 paper had no abstract ({paper['arxiv_id']}): scored on the title alone, lower than a poll "
        'reading the abstract; give each its "abstract"'
    )
    assert note in out.err.splitlines()


@pytest.mark.parametrize("content", [b"", b"\n  \n\t\n\n"], ids=["empty", "blank lines"])
def test_score_says_a_file_without_papers_held_none(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    """An empty file (a redirect that wrote before the tool ran, the wrong export) said "scored 0 papers: 0 relevant"
    and exited 0, as if its papers had been read and none was relevant. It says the file held none, exit 1, as
    `digest decisions import` does for such a file."""
    path = tmp_path / "papers.jsonl"
    path.write_bytes(content)
    for json_option in ([], ["--json"]):
        assert main(["--data-dir", str(data_dir), "score", str(path), *json_option]) == 1
        out = capsys.readouterr()
        assert out.err == f"digest: {path}: no papers in the file (empty or blank); nothing was scored\n"
        if json_option:  # the error as JSON, for a script; no paper line
            assert json.loads(out.out)["exit_status"] == 1
        else:
            assert out.out == ""


def test_score_of_a_paper_far_under_the_threshold_says_what_pushed_it_down(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score` on a paper far off the topic printed "score": 0.0 beside "pushed up by: keyword rules +0.97"
    and nothing else of its score: the 0 is the scale's floor (4 or more of the model's units under the threshold),
    and what pulled it there went unsaid. The why now names what pushed it down too, outweighing what pushed it up,
    and --help says what a score of 0 is."""
    papers = ROOT / "tests" / "data" / "poll_papers.jsonl"
    line = next(line for line in papers.read_text(encoding="utf-8").splitlines() if '"2601.05114"' in line)
    path = papers_file(tmp_path / "papers.jsonl", [line.encode("utf-8")])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["relevant"], result["tier"], result["score"]) == (False, None, 0.0)
    why = {reason.split(": ", 1)[0]: reason.split(": ", 1)[1] for reason in result["why"]}
    assert why["pushed up by"].startswith("keyword rules +")
    assert "word model of the list and the decisions -" in why["pushed down by"], result["why"]
    up, down = (
        [float(part.rsplit(" ", 1)[1]) for part in why[side].split("; ")] for side in ("pushed up by", "pushed down by")
    )
    assert all(value > 0 for value in up) and all(value < 0 for value in down)
    assert sum(up) + sum(down) < -1  # what pulled it down is what the floor hides
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    assert "0 for a paper 4 or more units under it" in " ".join(capsys.readouterr().out.split())
