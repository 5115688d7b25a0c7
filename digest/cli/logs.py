"""Logging for people (one line per event) or for machines (one JSON object per line)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from digest.text import blank_invisible
from digest.vocab import OUTCOME_LINE

_QUIET = {
    "discord": logging.WARNING,
    "apscheduler": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "alembic": logging.WARNING,
}


_INSTALLED = "digest.cli"  # the name of the handlers this module puts on the root logger, and so may take off again


class _DropVoiceNotices(logging.Filter):
    """discord.py warns at every start that voice support is missing; this service never uses voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


class OnlyOutcome(logging.Filter):
    """`digest run --once` and `digest poll` are the polls for cron, whose mail carries what a run writes: a quiet
    poll's start-up lines (what is on and off, where the secrets are) and each feed's line came every weekday. It keeps
    warnings, errors and the outcome line (`digest poll` prints its report itself); not on a terminal, where a person
    watches each feed and each wait as they come."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or bool(getattr(record, OUTCOME_LINE, False))


class _OutcomePrinted(logging.Filter):
    """A command that prints its outcome on stdout (`digest publish`): the outcome's log line said it again, two lines
    in each cron mail. Warnings and errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not getattr(record, OUTCOME_LINE, False)


def shown_message(record: logging.LogRecord) -> str:
    """A record's message as the log shows it. Messages carry text from outside (titles, headings, feed and remote
    errors): a line break there would forge a record of its own, a U+202E reverse the rest of the line, an ESC
    sequence rewrite the terminal. Each invisible character is blanked here, for every record, whoever logged it."""
    return blank_invisible(record.getMessage())


def shown_traceback(text: str) -> str:
    """A traceback keeps its lines; the exception's text in it loses its other invisible characters."""
    return blank_invisible(text, keep_line_breaks=True)


class TextFormatter(logging.Formatter):
    """One line per record, then its traceback if it has one; the same blanking as `shown_message`."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return blank_invisible(super().formatMessage(record))  # the time, level and logger name are the service's

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return shown_traceback(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return shown_traceback(super().formatStack(stack_info))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": shown_message(record),
        }
        if record.exc_info:
            payload["error"] = shown_traceback(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, so a replaced or closed stream never breaks logging."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _on_terminal(stream: TextIO | None) -> bool:
    """Whether the log goes to a terminal (a person at it), not to cron's mail or a file."""
    try:
        return (stream or sys.stderr).isatty()
    except (AttributeError, ValueError):  # closed, or a stream that is no file
        return False


def person_watching() -> bool:
    """Whether a person runs the command (its output or its log on a terminal), not cron or a script."""
    return _on_terminal(sys.stdout) or _on_terminal(sys.stderr)


def line_formatter(fmt: str) -> logging.Formatter:
    """How a record is written: one JSON object (`log_format = "json"`) or one line with its time, level and logger."""
    if fmt == "json":
        return JsonFormatter()
    return TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")


class CommandLog(_StderrHandler):
    """A one-shot command's log on stderr: warnings and errors only, whatever `log_level` says (from cron a command
    writes nothing else there: its report is on stdout). Added beside the handlers already there (pytest's capture
    keeps its records); `main` takes it off again. Until `start` it holds what it is given: the settings being read
    may warn (secrets.json readable by others) before they say how the log is written."""

    def __init__(self) -> None:
        super().__init__()
        self._held: list[logging.LogRecord] | None = []

    def emit(self, record: logging.LogRecord) -> None:
        if self._held is None:
            super().emit(record)
        else:
            self._held.append(record)

    def start(self, level: str = "INFO", fmt: str = "text") -> None:
        """Writes from now on, as the settings say (the defaults when they could not be read), what was held first."""
        self.setFormatter(line_formatter(fmt))
        self.setLevel(max(logging.WARNING, logging.getLevelName(level)))
        held, self._held = self._held or [], None
        for record in held:
            if record.levelno >= self.level:
                self.handle(record)


def command_log() -> CommandLog:
    """A CommandLog on the root logger, holding records until it is started."""
    handler = CommandLog()
    handler.set_name(_INSTALLED)
    handler.addFilter(_DropVoiceNotices())
    logging.getLogger().addHandler(handler)
    return handler


def setup_logging(
    level: str = "INFO",
    fmt: str = "text",
    stream: TextIO | None = None,
    *,
    outcome_only: bool = False,
    outcome_printed: bool = False,
) -> None:
    handler: logging.StreamHandler = logging.StreamHandler(stream) if stream else _StderrHandler()  # type: ignore[type-arg]
    handler.addFilter(_DropVoiceNotices())
    if logging.getLevelName(level) >= logging.INFO:  # log_level = "DEBUG" still shows everything
        if outcome_only and not _on_terminal(stream):  # a person watching sees the waits and each feed as they come
            handler.addFilter(OnlyOutcome())
        if outcome_printed:
            handler.addFilter(_OutcomePrinted())
    handler.setFormatter(line_formatter(fmt))
    handler.set_name(_INSTALLED)
    root = logging.getLogger()
    for existing in list(root.handlers):  # only this package's: an embedding program's (or pytest's) stay
        if existing.get_name() == _INSTALLED:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet_level in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet_level, logging.getLevelName(level)))
