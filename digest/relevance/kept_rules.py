"""The keyword rules in use: the bytes of feeds/rules.toml, or while a maintainer's edit leaves them unusable, the
last rules that worked, kept in the data folder.
"""

from __future__ import annotations

import logging

from digest import health
from digest.config import Settings
from digest.relevance.cache_files import keeping_files
from digest.relevance.rules import RULES_FILE, RulesError, parse_rules, rules_bytes
from digest.storage.files import write_atomic_bytes

log = logging.getLogger(__name__)

LAST_GOOD_RULES = "rules.last-good.toml"
_rules_problem: str | None = None
_unwritable: set[str] = set()


def usable_rules(settings: Settings) -> bytes:
    """The rules file's bytes; when they cannot be used (a maintainer's typo), the last rules that could, kept in the
    data folder, with one log line and /healthz naming the file and the line: a poll that failed instead would leave
    its day's papers unjudged for good. Without rules that ever worked, the error."""
    global _rules_problem
    kept = settings.data_dir / LAST_GOOD_RULES
    source = str(settings.feeds_dir / RULES_FILE)
    try:
        data = rules_bytes(settings.feeds_dir)
        parse_rules(data, source)  # cached by the bytes: the same rules cost nothing the next time
    except RulesError as exc:
        try:
            good = kept.read_bytes()
            parse_rules(good, source)
        except (OSError, RulesError):
            raise exc from None
        problem = f"{exc}; the model keeps the last good rules ({kept}) until the file is mended"
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
        if keeping_files() and (not kept.is_file() or kept.read_bytes() != data):
            write_atomic_bytes(kept, data)
    except OSError as exc:  # said once: the model is used several times a command, and every minute by a service
        if str(kept) not in _unwritable:
            log.warning("relevance: cannot keep the rules in %s (%s)", kept, exc)
        _unwritable.add(str(kept))
    return data
