"""The keyword rules in use: the bytes of feeds/rules.toml, or while a maintainer's edit leaves them unusable, the
last rules of that same file that worked, kept in the data folder (one copy for each feeds folder, naming it).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from digest import health
from digest.config import Settings
from digest.relevance.cache_files import keeping_files
from digest.relevance.rules import RULES_FILE, RulesError, parse_rules, rules_bytes
from digest.storage.files import write_atomic_bytes
from digest.text import shown_name

log = logging.getLogger(__name__)

LAST_GOOD_RULES = "rules.last-good.{key}.toml"
EARLIER_LAST_GOOD_RULES = "rules.last-good.toml"  # the release before kept one copy, of the service's feeds folder
_rules_problem: str | None = None
_unwritable: set[str] = set()
_said_adopted: set[str] = set()


def last_good_rules(settings: Settings) -> tuple[Path, bytes]:
    """Where the data folder keeps the last good rules of the settings' feeds folder, and the comment line the copy
    opens with, naming the file it was taken from. A command run with another config (`digest score --config
    other.toml`) keeps its folder's rules beside them, never over them: the service falls back to its own rules only."""
    folder = settings.feeds_dir.resolve()
    key = hashlib.sha256(str(folder).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    origin = shown_name(folder / RULES_FILE).encode("utf-8", "backslashreplace")
    header = b"# The last rules that worked of " + origin + b", kept by digest while that file cannot be used.\n"
    return settings.data_dir / LAST_GOOD_RULES.format(key=key), header


def _kept_rules(path: Path, header: bytes) -> bytes:
    """The rules kept in the file, when its first line names the same rules file; raises OSError when it is not there
    and RulesError when it holds another file's rules (or none)."""
    kept = path.read_bytes()
    if not kept.startswith(header):
        raise RulesError(f"{path} holds no rules of this feeds folder")
    return kept[len(header) :]


def _adopted(settings: Settings, kept: Path, header: bytes, source: str) -> bytes:
    """The last good rules the release before kept (data/rules.last-good.toml, one file, of the feeds folder the
    service ran with), taken once as those of the settings' feeds folder: while the data folder keeps no copy of any
    folder's rules yet, that is the service's own, and without it a rules.toml broken before the first poll with good
    rules since the upgrade had nothing to fall back on. Raises OSError or RulesError when there is nothing to adopt."""
    earlier = settings.data_dir / EARLIER_LAST_GOOD_RULES
    if any(settings.data_dir.glob(LAST_GOOD_RULES.format(key="*"))):
        raise RulesError(f"{earlier} is not read: the data folder keeps its rules by feeds folder now")
    good = earlier.read_bytes()
    parse_rules(good, source)
    try:
        if keeping_files():
            write_atomic_bytes(kept, header, good)  # from now on the copy of this folder; the old file is left as is
    except OSError:
        pass  # used all the same; a data folder that cannot be written is said when good rules are to be kept
    if str(kept) not in _said_adopted:
        log.warning("relevance: took %s, kept by the release before, as the last good rules of %s", earlier, source)
    _said_adopted.add(str(kept))
    return good


def usable_rules(settings: Settings) -> bytes:
    """The rules file's bytes; when they cannot be used (a maintainer's typo), the last rules that could, kept in the
    data folder, with one log line and /healthz naming the file and the line: a poll that failed instead would leave
    its day's papers unjudged for good. Without rules that ever worked, the error."""
    global _rules_problem
    kept, header = last_good_rules(settings)
    source = str(settings.feeds_dir / RULES_FILE)
    try:
        data = rules_bytes(settings.feeds_dir)
        parse_rules(data, source)  # cached by the bytes: the same rules cost nothing the next time
    except RulesError as exc:
        try:
            good = _kept_rules(kept, header) if kept.exists() else _adopted(settings, kept, header, source)
            parse_rules(good, source)
        except (OSError, RulesError):
            raise exc from None
        problem = f"{exc}; the model keeps the last good rules of that file ({kept}) until it is mended"
        if problem != _rules_problem:
            log.error("relevance: %s", problem)
        _rules_problem = problem
        health.report("relevance", False, problem)
        return good
    if _rules_problem is not None:
        log.info("relevance: %s is read again", source)
        health.report("relevance", True, f"{source} is read")
        _rules_problem = None
    try:
        if keeping_files() and (not kept.is_file() or kept.read_bytes() != header + data):
            write_atomic_bytes(kept, header, data)
    except OSError as exc:  # said once: the model is used several times a command, and every minute by a service
        if str(kept) not in _unwritable:
            log.warning("relevance: cannot keep the rules in %s (%s)", kept, exc)
        _unwritable.add(str(kept))
    return data
