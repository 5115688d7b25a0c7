"""Gathers the relevance model's examples from the database: the list's papers with their sections and abstracts
(bundled copy, fetched examples, the paper row), and the maintainers' approvals and rejections.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import resources
from digest.config import Settings
from digest.relevance import scoring
from digest.relevance.cache_files import keeping_files, read_sealed, write_sealed
from digest.relevance.kept_rules import usable_rules
from digest.relevance.rules import RULES_FILE
from digest.relevance.scoring import RelevanceModel, section_key
from digest.relevance.shipped_cache import build_with_kept_encoding, inputs_digest
from digest.relevance.types import Budget, Feedback, LabeledPaper
from digest.storage.models import APPROVED, REJECTED, Candidate, Entry, Paper, Section
from digest.storage.state import RelevanceExample, TrainingDecision
from digest.titles import same_title, title_key

log = logging.getLogger(__name__)
SAVED_MODEL = "relevance-model.pickle"
_CHILD_TIMEOUT = 900.0

# Sections whose entries are papers about the topic (not blog posts, not prose).
EXAMPLE_KINDS = ("papers", "surveys", "tool")


@lru_cache(maxsize=1)
def bundled_abstracts() -> Mapping[str, tuple[str, str]]:
    """(title, abstract) of the bundled list papers, by arXiv ID and by normalised title. Read once: the file ships
    with the package."""
    found: dict[str, tuple[str, str]] = {}
    with resources.curated_papers_path().open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            value = (str(row["title"]), str(row.get("abstract") or ""))
            found[str(row["arxiv_id"])] = value
            titles = row.get("curated_list_title") or []
            for title in [row["title"], *(titles if isinstance(titles, list) else [titles])]:
                if title:
                    found[title_key(str(title))] = value
    return MappingProxyType(found)


def list_examples(session: Session) -> list[LabeledPaper]:
    sections: dict[int, list[str]] = {}
    rows = session.execute(
        select(Entry.paper_id, Section.name)
        .join(Section, Entry.section_id == Section.id)
        .where(Section.kind.in_(EXAMPLE_KINDS))
        .order_by(Section.position, Entry.position)
    )
    for paper_id, name in rows:
        names = sections.setdefault(paper_id, [])
        if name not in names:
            names.append(name)
    fetched = {row.arxiv_id: row for row in session.scalars(select(RelevanceExample))}
    bundled = bundled_abstracts()
    examples: list[LabeledPaper] = []
    for paper in session.scalars(select(Paper).where(Paper.id.in_(sections))):
        abstract = paper.abstract or ""
        # A hand-kept list sometimes links the wrong arXiv ID from a title: an abstract found by the ID is another
        # paper's unless its title is the entry's, and the model would learn the entry's topic from it.
        found = fetched.get(paper.arxiv_id or "")
        if not abstract and found is not None and same_title(paper.title_key, title_key(found.title)):
            abstract = found.abstract
        if not abstract:
            by_id = bundled.get(paper.arxiv_id or "")
            bundled_row = bundled.get(paper.title_key) or (
                by_id if by_id is not None and same_title(paper.title_key, title_key(by_id[0])) else None
            )
            abstract = bundled_row[1] if bundled_row else ""
        if abstract:
            examples.append(LabeledPaper(paper.arxiv_id, paper.title, abstract, tuple(sections[paper.id])))
    return examples


def feedback_examples(session: Session) -> list[Feedback]:
    """Every decision the model learns from, oldest first: verdicts brought in with `digest decisions import`, then
    the decisions on candidates (which stand over an imported verdict on the same paper)."""
    # Only the five columns a verdict needs: whole rows (their JSON columns, `why` above all) made gathering the
    # inputs, done before every use of the model, grow to a quarter of a second after two years of decisions.
    decided = session.execute(
        select(Candidate.arxiv_id, Candidate.title, Candidate.abstract, Candidate.status, Candidate.decided_section)
        .where(Candidate.status.in_((APPROVED, REJECTED)))
        .order_by(Candidate.id)
    ).all()
    on_candidates = {row.arxiv_id for row in decided}
    imported = session.scalars(select(TrainingDecision).order_by(TrainingDecision.arxiv_id))
    current = _current_sections(session)
    found = [
        Feedback(row.arxiv_id, row.title, row.abstract, row.approved, current.get(section_key(row.section or "")))
        for row in imported
        if row.arxiv_id not in on_candidates
    ]
    found += [
        Feedback(
            row.arxiv_id,
            row.title,
            row.abstract,
            row.status == APPROVED,
            current.get(section_key(row.decided_section or "")),
        )
        for row in decided
    ]
    return found


def _current_sections(session: Session) -> dict[str, str]:
    """The list's sections by their key (no case, emoji or punctuation). A decision keeps the name its section had
    then: one renamed or taken out by hand since is no section to suggest, so its approvals teach what belongs only."""
    names = session.scalars(select(Section.name).where(Section.kind != "text").order_by(Section.position.desc()))
    return {section_key(name): name for name in names if section_key(name)}


def budget_of(settings: Settings) -> Budget:
    return scoring.budget_of(settings.relevance)


# The last model built, with everything it was built from: building costs a fraction of a second, gathering the
# inputs a few milliseconds. Keyed on the inputs themselves, so any change (the rules file, a list import, an
# approval, a rejection, an imported verdict, the budget) rebuilds.
_ModelKey = tuple[bytes, tuple["LabeledPaper", ...], tuple["Feedback", ...], "Budget"]
_cache_lock = threading.Lock()
_cached: tuple[_ModelKey, str, RelevanceModel] | None = None


def clear_model_cache() -> None:
    """Forgets the cached model (the bench measures a pass that builds it)."""
    global _cached
    with _cache_lock:
        _cached = None


def _model_inputs(session: Session, settings: Settings) -> _ModelKey:
    return (
        usable_rules(settings),
        tuple(list_examples(session)),
        tuple(feedback_examples(session)),
        budget_of(settings),
    )


def built_model(session: Session, settings: Settings) -> tuple[str, RelevanceModel] | None:
    """`base_model` when it is built for the current inputs already; None when it would have to be built (seconds):
    for a block that holds the write lock, which every decision would wait for meanwhile."""
    key = _model_inputs(session, settings)
    with _cache_lock:
        return (_cached[1], _cached[2]) if _cached is not None and _cached[0] == key else None


def base_model(session: Session, settings: Settings) -> tuple[str, RelevanceModel]:
    """The model for the current inputs with thresholds fitted on the shipped sample, and its key."""
    global _cached
    key = _model_inputs(session, settings)
    data = key[0]
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1], _cached[2]
    # The code that encodes and learns is part of the key: a model pickled by older code is data for that code.
    model_key = hashlib.sha256(repr((scoring.MODEL_FORMAT, inputs_digest(), key)).encode("utf-8")).hexdigest()
    model = _load_saved(settings, model_key)
    if model is None:
        _sweep_leftovers(_cache_folder(settings))
        model = _train_in_child(settings, key) if _in_child else None
        if model is None:
            model = build_with_kept_encoding(
                _cache_folder(settings), data, str(settings.feeds_dir / RULES_FILE), key[1], key[2], key[3]
            )
        model.key = model_key
        _save(settings, model)
    with _cache_lock:
        _cached = (key, model_key, model)
    return model_key, model


_in_child = False


def train_in_child_process(enabled: bool = True) -> None:
    """The service trains the model in a child process (digest/relevance/build.py), so that scikit-learn and the
    training data never stay in its memory; a command that exits after one job trains in place."""
    global _in_child
    _in_child = enabled


def _train_in_child(settings: Settings, key: _ModelKey) -> RelevanceModel | None:
    """The model built by `python -m digest.relevance.build`; None (and one log line) when that failed."""
    folder = _cache_folder(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as temporary:
            inputs, output = Path(temporary) / "inputs.pickle", Path(temporary) / "model.pickle"
            with inputs.open("wb") as handle:
                arguments = (key[0], str(settings.feeds_dir), str(folder), *key[1:])
                pickle.dump(arguments, handle, protocol=pickle.HIGHEST_PROTOCOL)
            command = [sys.executable, "-m", "digest.relevance.build", str(inputs), str(output)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=_CHILD_TIMEOUT, check=False)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                log.warning("relevance: training in a child process failed (%s); training in place", last[:300])
                return None
            with output.open("rb") as handle:
                model = pickle.load(handle)  # noqa: S301  (written by our own child, in our data folder)
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as exc:
        log.warning("relevance: training in a child process failed (%s); training in place", exc)
        return None
    return model if isinstance(model, RelevanceModel) else None


def _cache_folder(settings: Settings) -> Path:
    return settings.data_dir / "cache"


_LEFTOVER_AGE_SECONDS = 3600.0  # far longer than any write or child build (_CHILD_TIMEOUT) in progress


def _sweep_leftovers(folder: Path) -> None:
    """Removes what a process killed mid-write left in the cache (a temporary file of a save, a child build's
    folder: megabytes each) once it is an hour old. A service that runs for years is stopped during a build now
    and then."""
    removed = 0
    now = time.time()
    try:
        candidates = [path for path in folder.iterdir() if path.name.endswith(".tmp") or path.name.startswith("tmp")]
    except OSError:  # no cache folder yet, or none to read: nothing to sweep
        return
    for path in candidates:
        try:
            if now - path.lstat().st_mtime < _LEFTOVER_AGE_SECONDS:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            log.warning("relevance: cannot remove the leftover %s (%s)", path, exc)
            continue
        removed += 1
    if removed:
        log.info("relevance: removed %d leftover(s) of interrupted builds from %s", removed, folder)


def _saved_path(settings: Settings) -> Path:
    return _cache_folder(settings) / SAVED_MODEL


def _load_saved(settings: Settings, model_key: str) -> RelevanceModel | None:
    """The model saved by the last process that built it for the same inputs: building takes seconds (the shipped
    background is read and encoded), loading milliseconds. The file is the service's own, in its data folder."""
    path = _saved_path(settings)
    try:
        model = read_sealed(path, model_key)
    except FileNotFoundError:
        return None
    # ImportError: a model saved before the modules moved into packages names classes that are gone.
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError) as exc:
        log.warning("relevance: the saved model %s cannot be read (%s); building it again", path, exc)
        return None
    return model if isinstance(model, RelevanceModel) else None


def _save(settings: Settings, model: RelevanceModel) -> None:
    """Whole or not at all, through a temporary file of its own: the service's child and a command may save at once."""
    path = _saved_path(settings)
    if not keeping_files():
        return
    try:
        write_sealed(path, model.key, model)
    except OSError as exc:
        log.warning("relevance: cannot save the model to %s (%s); the next process builds it again", path, exc)


def model_key_and_model(session: Session, settings: Settings) -> tuple[str, RelevanceModel]:
    return base_model(session, settings)
