"""Where the relevance model is trained: in a child process for the service, in place for a command, and the children
building now (a stop ends them). A leaf, so that `digest run` can choose before it loads the model's code (NumPy and
SciPy wait for the first poll or build)."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_in_child = False
_children: set[subprocess.Popen[str]] = set()  # the builds running now, in the poll's or the refresher's thread
_children_lock = threading.Lock()
_ending = False  # the service is stopping: a build that starts now is ended at once


def train_in_child_process(enabled: bool = True) -> None:
    """The service trains the model in a child process (digest/relevance/build.py), so that scikit-learn and the
    training data never stay in its memory; a command that exits after one job trains in place."""
    global _in_child, _ending
    _in_child = enabled
    _ending = False


def trains_in_child() -> bool:
    return _in_child


class BuildEndedError(Exception):
    """The child process building the model was ended by a signal: the service's process group told to stop (systemd
    stops a unit so, and Ctrl-C reaches a terminal's whole group), or the out-of-memory killer. The model is not built
    again in place, where it would hold the stop up for seconds (or meet the same end); the next poll builds it.
    `stopped`: the signal asked for a stop (SIGTERM, SIGINT, SIGHUP), not a kill."""

    def __init__(self, line: str, *, stopped: bool) -> None:
        super().__init__(line)
        self.stopped = stopped


@contextmanager
def building(child: subprocess.Popen[str]) -> Iterator[None]:
    """While `child` builds the model: a stop (`end_builds`) ends it, as when it comes before."""
    with _children_lock:
        _children.add(child)
        if _ending:
            child.send_signal(signal.SIGTERM)
    try:
        yield
    finally:
        with _children_lock:
            _children.discard(child)


def end_builds() -> None:
    """The service stops: the children building the model are told to end (SIGTERM: `docker stop` signals the service
    alone, which waited seconds, up to the build's time-out, for a build nobody would use), and so is a build that
    starts after. Their half-built model is thrown away; the next poll builds it."""
    global _ending
    with _children_lock:
        _ending = True
        for child in _children:
            child.send_signal(signal.SIGTERM)


def ending() -> bool:
    """Whether the service is stopping (`end_builds`): a build it ended is no failure to look into."""
    with _children_lock:
        return _ending
