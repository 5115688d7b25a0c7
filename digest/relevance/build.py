"""Builds the relevance model in a child process: `python -m digest.relevance.build [--while-stdin-open] INPUTS OUTPUT`.

The service trains here so that scikit-learn and the training data never stay in its memory: it writes the
model's inputs to INPUTS (a pickle it made: the rules, where they and the data folder's cache are, the examples, the
decisions and the budget), and reads the model back from OUTPUT. All three are the service's own.
`--while-stdin-open`: the build ends at once when its standard input closes, which is the parent's end of a pipe: a
parent killed hard (SIGKILL, the out-of-memory killer, a crash) leaves no build running for nobody.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from pathlib import Path

PARENT_GONE = 3  # the exit status of a build ended because its parent ended (nobody reads it)


def _end_when_stdin_closes() -> None:
    """Reads standard input to its end (the parent writes nothing), then ends the process: the main thread may be in
    NumPy's C code, which no exception reaches. Its output is in a folder of the parent's that nobody reads now.
    The descriptor, not sys.stdin: a daemon thread blocked in a buffered read aborts the interpreter's exit (SIGABRT)
    when the build ends normally."""
    while os.read(sys.stdin.fileno(), 4096):
        pass
    os._exit(PARENT_GONE)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--while-stdin-open"]:
        argv = argv[1:]
        threading.Thread(target=_end_when_stdin_closes, name="parent-watch", daemon=True).start()
    if len(argv) != 2:
        print("usage: python -m digest.relevance.build [--while-stdin-open] INPUTS OUTPUT", file=sys.stderr)
        return 2
    # Imported once the parent is watched: NumPy, SciPy and scikit-learn take a second to import.
    from digest.relevance.rules import RULES_FILE
    from digest.relevance.shipped_cache import build_with_kept_encoding

    with Path(argv[0]).open("rb") as handle:
        rules_data, feeds_dir, cache, examples, feedback, budget = pickle.load(handle)  # noqa: S301  (the parent's)
    source = str(Path(feeds_dir) / RULES_FILE)
    model = build_with_kept_encoding(Path(cache), rules_data, source, examples, feedback, budget)
    with Path(argv[1]).open("wb") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
