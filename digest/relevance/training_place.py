"""Where the relevance model is trained: in a child process for the service, in place for a command. A leaf, so that
`digest run` can choose before it loads the model's code (NumPy and SciPy wait for the first poll or build)."""

from __future__ import annotations

_in_child = False


def train_in_child_process(enabled: bool = True) -> None:
    """The service trains the model in a child process (digest/relevance/build.py), so that scikit-learn and the
    training data never stay in its memory; a command that exits after one job trains in place."""
    global _in_child
    _in_child = enabled


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
