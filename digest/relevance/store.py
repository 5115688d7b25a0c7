"""The relevance model for the database: built from the examples `gathering` reads (the list's papers, the
maintainers' decisions), cached in memory and on disk, and trained in a child process where the service asks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session

from digest.config import Settings
from digest.relevance import scoring
from digest.relevance.cache_files import keeping_files, read_sealed, write_sealed
from digest.relevance.gathering import feedback_examples, list_papers
from digest.relevance.kept_rules import usable_rules
from digest.relevance.rules import RULES_FILE
from digest.relevance.scoring import RelevanceModel
from digest.relevance.shipped_cache import build_with_kept_encoding, inputs_digest
from digest.relevance.training_place import BuildEndedError, building, trains_in_child
from digest.relevance.training_place import train_in_child_process as train_in_child_process  # its users' name
from digest.relevance.types import Budget, Feedback, LabeledPaper
from digest.sizes import counted

log = logging.getLogger(__name__)
SAVED_MODEL = "relevance-model.pickle"
_CHILD_TIMEOUT = 900.0


def budget_of(settings: Settings) -> Budget:
    return scoring.budget_of(settings.relevance)


# The last model built, with everything it was built from: building costs a fraction of a second, gathering the
# inputs a few milliseconds. Keyed on the inputs themselves, so any change (the rules file, a list import, an
# approval, a rejection, an imported verdict, the budget) rebuilds.
_ModelKey = tuple[bytes, tuple["LabeledPaper", ...], tuple["Feedback", ...], "Budget"]
_cache_lock = threading.Lock()
_cached: tuple[_ModelKey, str, RelevanceModel] | None = None
# One build at a time: Discord's /add asked while the service builds the model after a decision waits for that build
# and takes its model, instead of paying a second build of the same inputs beside it.
_build_lock = threading.Lock()
# How this thread last came by a model that was not in memory ("built", or "loaded" from the saved file), until asked:
# the service says once in its log when its model is ready, and how.
_came_by = threading.local()


def clear_model_cache() -> None:
    """Forgets the cached model (the bench measures a pass that builds it)."""
    global _cached
    with _cache_lock:
        _cached = None


def came_by_since_asked() -> str | None:
    """How this thread came by its model since it last asked: "built" or "loaded" (from the saved file); None when
    every model it asked for was in memory already."""
    how: str | None = getattr(_came_by, "how", None)
    _came_by.how = None
    return how


def _model_inputs(session: Session, settings: Settings) -> _ModelKey:
    return (
        usable_rules(settings),
        tuple(list_papers(session)),
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
    key = _model_inputs(session, settings)
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1], _cached[2]
    with _build_lock:  # built meanwhile by the caller that held it: taken from the cache
        return _built_for(settings, key)


def _built_for(settings: Settings, key: _ModelKey) -> tuple[str, RelevanceModel]:
    global _cached
    data = key[0]
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1], _cached[2]
    # The code that encodes and learns is part of the key: a model pickled by older code is data for that code.
    model_key = hashlib.sha256(repr((scoring.MODEL_FORMAT, inputs_digest(), key)).encode("utf-8")).hexdigest()
    model = _load_saved(settings, model_key)
    _came_by.how = "built" if model is None else "loaded"
    if model is None:
        _sweep_leftovers(_cache_folder(settings))
        model = _train_in_child(settings, key) if trains_in_child() else None
        if model is None:
            model = build_with_kept_encoding(
                _cache_folder(settings), data, str(settings.feeds_dir / RULES_FILE), key[1], key[2], key[3]
            )
        model.key = model_key
        _save(settings, model)
    with _cache_lock:
        _cached = (key, model_key, model)
    return model_key, model


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
            command = [sys.executable, "-m", "digest.relevance.build", "--while-stdin-open", str(inputs), str(output)]
            returncode, stderr = _child_build(command)
            if returncode < 0:
                raise _ended(-returncode)
            if returncode != 0:
                last = (stderr.strip().splitlines() or ["no message"])[-1]
                log.warning("relevance: training in a child process failed (%s); training in place", last[:300])
                return None
            with output.open("rb") as handle:
                model = pickle.load(handle)  # noqa: S301  (written by our own child, in our data folder)
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as exc:
        log.warning("relevance: training in a child process failed (%s); training in place", exc)
        return None
    return model if isinstance(model, RelevanceModel) else None


def _child_build(command: list[str]) -> tuple[int, str]:
    """The child's exit status and what it wrote to stderr; a stop of the service ends it (training_place), and so
    does this process ending any other way: its stdin is a pipe whose only writing end this process holds (not
    inherited by other children), closed by the system when it ends, however it ends."""
    reading, writing = os.pipe()
    try:
        try:
            child = subprocess.Popen(command, stdin=reading, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        finally:
            os.close(reading)  # the child's copy is its stdin
        with child, building(child):
            try:
                _output, stderr = child.communicate(timeout=_CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                raise
    finally:
        os.close(writing)  # the child has ended: nothing reads it
    return child.returncode, stderr


def _ended(signum: int) -> BuildEndedError:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    stopped = signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    why = "" if stopped else " (the out-of-memory killer?)"
    return BuildEndedError(
        f"the child process building the relevance model was ended by {name}{why}; the next poll builds it",
        stopped=stopped,
    )


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
        log.info("relevance: removed %s of interrupted builds from %s", counted(removed, "leftover"), folder)


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
