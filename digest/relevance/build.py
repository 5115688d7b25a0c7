"""Builds the relevance model in a child process: `python -m digest.relevance.build INPUTS OUTPUT`.

The service trains here so that scikit-learn and the training data never stay in its memory: it writes the
model's inputs to INPUTS (a pickle it made), and reads the model back from OUTPUT. Both files are the service's own.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from digest.relevance.rules import RULES_FILE, parse_rules
from digest.relevance.scoring import build_model


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m digest.relevance.build INPUTS OUTPUT", file=sys.stderr)
        return 2
    with Path(argv[0]).open("rb") as handle:
        rules_data, feeds_dir, examples, feedback, budget = pickle.load(handle)  # noqa: S301  (the parent's file)
    model = build_model(parse_rules(rules_data, str(Path(feeds_dir) / RULES_FILE)), examples, feedback, budget=budget)
    with Path(argv[1]).open("wb") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
