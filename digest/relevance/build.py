"""Builds the relevance model in a child process: `python -m digest.relevance.build INPUTS OUTPUT`.

The service trains here so that scikit-learn and the training data never stay in its memory: it writes the
model's inputs to INPUTS (a pickle it made: the rules, where they and the data folder's cache are, the examples, the
decisions and the budget), and reads the model back from OUTPUT. All three are the service's own.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from digest.relevance.rules import RULES_FILE
from digest.relevance.shipped_cache import build_with_kept_encoding


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m digest.relevance.build INPUTS OUTPUT", file=sys.stderr)
        return 2
    with Path(argv[0]).open("rb") as handle:
        rules_data, feeds_dir, cache, examples, feedback, budget = pickle.load(handle)  # noqa: S301  (the parent's)
    source = str(Path(feeds_dir) / RULES_FILE)
    model = build_with_kept_encoding(Path(cache), rules_data, source, examples, feedback, budget)
    with Path(argv[1]).open("wb") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
