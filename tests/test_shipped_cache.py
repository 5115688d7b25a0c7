"""A model built in a new process (the service's child after decisions, `digest score` or `digest poll` after a
decision from the shell) takes the shipped papers' encoding kept in the data folder instead of working it out again;
the model is the same either way, and an unreadable kept file is worked out again and replaced, with one warning; a
cache that cannot be written costs time, never the answer."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest import resources
from digest.cli import main
from digest.relevance import store
from digest.relevance.rules import rules_bytes
from digest.relevance.shipped_cache import CACHE_FILE, cache_key
from digest.service.wiring import open_service_database
from tests.conftest import DATA_DIR, make_settings
from tests.kept_model import with_kept_model

PAPERS = DATA_DIR / "review_papers.jsonl"


def score_in_a_new_process(data: Path) -> tuple[str, str]:
    """`digest score --json` as a maintainer runs it: its JSON lines and what it wrote to standard error."""
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data), "score", str(PAPERS), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def fingerprint(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_process_builds_the_same_model_from_the_kept_encoding(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    open_service_database(settings).dispose()
    cache = settings.data_dir / "cache"
    kept, saved = cache / CACHE_FILE, cache / store.SAVED_MODEL

    worked_out, _ = score_in_a_new_process(settings.data_dir)
    assert kept.exists() and saved.exists()
    with kept.open("rb") as handle:
        key, _ = pickle.load(handle)
    assert key == cache_key(rules_bytes(settings.feeds_dir))
    before = fingerprint(kept)

    saved.unlink()  # as after a decision: the model is built again
    from_kept, _ = score_in_a_new_process(settings.data_dir)
    assert from_kept == worked_out
    assert fingerprint(kept) == before  # read, not worked out and written again

    kept.write_bytes(b"not a pickle")
    saved.unlink()
    mended, errors = score_in_a_new_process(settings.data_dir)
    assert mended == worked_out
    warnings = [line for line in errors.splitlines() if "kept encoding" in line]
    assert len(warnings) == 1 and "cannot be read" in warnings[0] and "working it out again" in warnings[0]
    with kept.open("rb") as handle:
        assert pickle.load(handle)[0] == key  # replaced by a good one


def damaged_on_disk(path: Path, data: bytes) -> None:
    """These bytes of the kept file overwritten, as a failing disk or a bad copy of the data folder leaves it: the file
    still reads as a pickle, its numbers are others."""
    content = path.read_bytes()
    at = content.find(data)
    assert at >= 0 and content.find(data, at + 1) < 0
    path.write_bytes(content[:at] + bytes(byte ^ 0x5A for byte in data) + content[at + len(data) :])


def test_a_kept_file_damaged_on_disk_is_built_again_not_used(tmp_path: Path, kept_model: Path) -> None:
    """The saved model's weights or the kept encoding's word indices changed on disk: read as they were, the first
    scored every paper otherwise (silently), and the second crashed every command that builds the model with a
    segmentation fault, the service's polls with it. Each is noticed, said in one line, and worked out again."""
    from digest.relevance.encoding import shipped_encoding

    settings = make_settings(with_kept_model(tmp_path / "data", kept_model))  # good files, as a first build leaves
    database = open_service_database(settings)
    worked_out, _ = score_in_a_new_process(settings.data_dir)
    store.clear_model_cache()
    try:
        with database.reading() as session:
            model = store.base_model(session, settings)[1]  # the saved one, read back
        indices = shipped_encoding(model.rules).train.words.indices
    finally:
        store.clear_model_cache()
        database.dispose()
    cache = settings.data_dir / "cache"
    kept, saved = cache / CACHE_FILE, cache / store.SAVED_MODEL

    damaged_on_disk(saved, model.learned.coefficients.tobytes())
    mended, errors = score_in_a_new_process(settings.data_dir)
    assert mended == worked_out
    warnings = [line for line in errors.splitlines() if "saved model" in line]
    assert len(warnings) == 1 and "damaged" in warnings[0] and "building it again" in warnings[0]

    damaged_on_disk(kept, indices.tobytes())
    saved.unlink()  # as after a decision: the model is built again, from the kept encoding
    mended, errors = score_in_a_new_process(settings.data_dir)
    assert mended == worked_out
    warnings = [line for line in errors.splitlines() if "kept encoding" in line]
    assert len(warnings) == 1 and "damaged" in warnings[0] and "working it out again" in warnings[0]
    assert score_in_a_new_process(settings.data_dir)[1] == ""  # replaced by good files: read without a word


def test_an_encoding_kept_by_a_version_whose_classes_have_moved_is_replaced_without_a_warning(
    tmp_path: Path, kept_model: Path
) -> None:
    """An upgrade moved the encoding's classes to another module: the file the older version kept names a class that
    is no longer there. That is no damage to report, only another version's cache: it is worked out again, quietly."""
    settings = make_settings(with_kept_model(tmp_path / "data", kept_model))  # good files, as a first build leaves
    open_service_database(settings).dispose()
    worked_out, _ = score_in_a_new_process(settings.data_dir)
    cache = settings.data_dir / "cache"
    kept, saved = cache / CACHE_FILE, cache / store.SAVED_MODEL
    kept.write_bytes(b"cdigest.relevance.scoring\nShippedEncoding\n.")  # stop 27 kept it under that name
    saved.unlink()
    after_upgrade, errors = score_in_a_new_process(settings.data_dir)
    assert after_upgrade == worked_out
    assert "kept encoding" not in errors
    with kept.open("rb") as handle:
        assert pickle.load(handle)[0] == cache_key(rules_bytes(settings.feeds_dir))  # replaced by this version's


def test_a_cache_folder_that_cannot_be_written_costs_time_not_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """As on a full disk: the model and the encoding cannot be kept, each says so in one line, and the papers are
    scored all the same."""
    settings = make_settings(tmp_path / "data")
    open_service_database(settings).dispose()
    (settings.data_dir / "cache").write_text("a file where the cache folder goes\n", encoding="utf-8")
    store.clear_model_cache()
    try:
        status = main(["--data-dir", str(settings.data_dir), "score", str(PAPERS), "--json"])
    finally:
        store.clear_model_cache()
    out, _ = capsys.readouterr()
    assert status == 0
    assert len(out.splitlines()) == len(PAPERS.read_text(encoding="utf-8").splitlines())
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("cannot save the model" in line for line in warnings)
    assert any("cannot keep the encoding" in line for line in warnings)
    assert all("\n" not in line for line in warnings)


def test_an_upgrade_that_changes_the_encoding_code_does_not_meet_the_older_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key covers the rules, the shipped files and the modules that encode: a changed tokeniser (say) after an
    upgrade gives another key, so the encoding the older code kept is never read as this code's."""
    from digest.relevance import shipped_cache

    module = tmp_path / "tokeniser.py"
    module.write_text("PATTERN = 'old'\n", encoding="utf-8")
    real = shipped_cache.encoding_inputs()
    shipped_and_code = {"relevance_background.jsonl.gz", "features.py", "rules.py", "tokeniser.py", "encoding.py"}
    assert {path.name for path in real} >= shipped_and_code
    monkeypatch.setattr(shipped_cache, "encoding_inputs", lambda: [*real, module])
    rules = rules_bytes(resources.feeds_dir())
    try:
        shipped_cache.inputs_digest.cache_clear()
        before = cache_key(rules)
        module.write_text("PATTERN = 'new'\n", encoding="utf-8")
        shipped_cache.inputs_digest.cache_clear()
        after = cache_key(rules)
        assert cache_key(rules + b"\n# a comment\n") not in (before, after)
    finally:
        shipped_cache.inputs_digest.cache_clear()
    assert before is not None and after is not None and before != after


def test_an_upgrade_that_changes_the_model_code_builds_the_model_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The saved model's key covers the same code: a model pickled by older code is its data (weights for features
    the older code made), so after an upgrade that changes that code it is built again, not loaded."""
    from digest.relevance import shipped_cache

    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    module = tmp_path / "learned.py"
    module.write_text("WEIGHT = 1\n", encoding="utf-8")
    real = shipped_cache.encoding_inputs()
    monkeypatch.setattr(shipped_cache, "encoding_inputs", lambda: [*real, module])
    keys = []
    try:
        for version in ("WEIGHT = 1\n", "WEIGHT = 2\n"):
            module.write_text(version, encoding="utf-8")
            shipped_cache.inputs_digest.cache_clear()
            store.clear_model_cache()  # a new process
            with database.reading() as session:
                keys.append(store.base_model(session, settings)[0])
    finally:
        shipped_cache.inputs_digest.cache_clear()
        store.clear_model_cache()
        database.dispose()
    with (settings.data_dir / "cache" / store.SAVED_MODEL).open("rb") as handle:
        saved_key, _ = pickle.load(handle)
    assert keys[0] != keys[1] and saved_key == keys[1]


def test_a_build_sweeps_away_what_interrupted_builds_left_in_the_cache(tmp_path: Path) -> None:
    """A process killed while it saved (the service stopped during a build) leaves a temporary file or a child's
    folder behind, megabytes each; the next build removes those an hour old, and nothing else."""
    settings = make_settings(tmp_path / "data")
    open_service_database(settings).dispose()
    cache = settings.data_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    two_hours_ago = time.time() - 7200
    old_file = cache / ".relevance-model.pickle.k3j2.tmp"
    old_file.write_bytes(b"half a pickle")
    old_folder = cache / "tmp8c1x"
    old_folder.mkdir()
    (old_folder / "inputs.pickle").write_bytes(b"inputs")
    unrelated = cache / "notes.txt"
    unrelated.write_text("the maintainer's\n", encoding="utf-8")
    for path in (old_file, old_folder / "inputs.pickle", old_folder, unrelated):
        os.utime(path, (two_hours_ago, two_hours_ago))
    in_flight = cache / ".shipped-encoded.pickle.q9z1.tmp"  # another process writing it now
    in_flight.write_bytes(b"being written")
    (cache / store.SAVED_MODEL).unlink(missing_ok=True)
    store.clear_model_cache()
    try:
        assert main(["--data-dir", str(settings.data_dir), "score", str(PAPERS), "--json"]) == 0
    finally:
        store.clear_model_cache()
    assert not old_file.exists() and not old_folder.exists()
    assert in_flight.exists() and unrelated.exists()
    assert (cache / store.SAVED_MODEL).exists()


@pytest.mark.parametrize("name", [store.SAVED_MODEL, CACHE_FILE])
def test_a_kept_file_whose_head_is_damaged_is_built_again_not_a_memory_error(
    tmp_path: Path, kept_model: Path, name: str
) -> None:
    """A byte of the small head before the checksum changed on disk (the length of its first frame): reading it asked
    for a terabyte, and every command that uses the model, the service's polls with it, ended in a MemoryError
    traceback until the file was deleted by hand. It is damage like any other: said in one line, worked out again."""
    settings = make_settings(with_kept_model(tmp_path / "data", kept_model))  # good files, as a first build leaves
    open_service_database(settings).dispose()
    worked_out, _ = score_in_a_new_process(settings.data_dir)
    cache = settings.data_dir / "cache"
    path = cache / name
    content = path.read_bytes()
    assert content[:3] == b"\x80\x05\x95"  # protocol 5, then a frame whose length is the next 8 bytes
    path.write_bytes(content[:3] + (2**40).to_bytes(8, "little") + content[11:])
    if name == CACHE_FILE:
        (cache / store.SAVED_MODEL).unlink()  # as after a decision: the model is built again, from the kept encoding
    mended, errors = score_in_a_new_process(settings.data_dir)
    assert mended == worked_out
    warnings = [line for line in errors.splitlines() if "damaged" in line]
    assert len(warnings) == 1 and str(path) in warnings[0], errors
    assert score_in_a_new_process(settings.data_dir)[1] == ""  # replaced by a good file: read without a word


def test_every_module_the_model_is_made_by_is_part_of_its_key() -> None:
    """The saved model and the stored thresholds are read back under a key of the code that made them. It left out
    examples.py (which papers are learnt as belonging or rejected) and types.py (the budget's shares, a paper's text):
    an upgrade that changed only those went on with the model and thresholds the older code made, until the list or a
    decision changed. Every module of digest.relevance that scoring.py imports, directly or not, is in the key."""
    import ast

    from digest.relevance import shipped_cache

    package = resources.PACKAGE_DIR / "relevance"
    found: set[str] = set()
    todo = ["scoring"]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("digest.relevance."):
                todo.append((node.module or "").removeprefix("digest.relevance."))
            elif isinstance(node, ast.ImportFrom) and node.module == "digest.relevance":
                todo.extend(alias.name for alias in node.names)
    keyed = {path.resolve() for path in shipped_cache.encoding_inputs()}
    assert sorted(name for name in found if (package / f"{name}.py").resolve() not in keyed) == []
