"""The shipped papers encoded for the current rules, kept in the data folder's cache between processes.

A model is built again after every batch of decisions, in a process of its own: the service's child, or `digest poll`
and `digest score` after a decision made from the shell. Most of that build used to be matching the rules against the
5,000 shipped papers and encoding their words (about 1.5 s), the same work for the same rules every time. It is kept
here, under a key of the rules' bytes, the shipped files, the code that encodes and the model's format, and read back
in milliseconds; any change to one of them works it out again. The file is the service's own, in its own data
folder, as the saved model.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from functools import lru_cache
from pathlib import Path

from digest import resources
from digest.relevance import (
    encoding,
    examples,
    features,
    gate,
    learned,
    scoring,
    section_keys,
    sections,
    terms,
    tokeniser,
    types,
    why,
)
from digest.relevance import rules as rules_module
from digest.relevance.cache_files import keeping_files, read_sealed, write_sealed
from digest.relevance.encoding import ShippedEncoding, reuse_shipped_encoding, shipped_encoded_already, shipped_encoding
from digest.relevance.features import BACKGROUND_FILE, WORD_VECTORS_FILE
from digest.relevance.rules import Rules, parse_rules
from digest.relevance.scoring import RelevanceModel, build_model
from digest.relevance.types import Budget, Feedback, LabeledPaper

log = logging.getLogger(__name__)
CACHE_FILE = "shipped-encoded.pickle"


def encoding_inputs() -> list[Path]:
    """What an encoding and a model are made from besides the rules and the examples: the shipped files, and the code
    that encodes and learns (an upgrade that changes how papers are matched, tokenised or weighed, which of them are
    learnt from, or the budget's shares, must not meet an encoding, a model or thresholds the older code made): every
    module of the package that scoring imports."""
    modules = (
        features,
        rules_module,
        terms,
        gate,
        tokeniser,
        encoding,
        scoring,
        learned,
        sections,
        section_keys,
        examples,
    )
    code = [Path(module.__file__) for module in (*modules, types, why) if module.__file__]
    return [resources.PACKAGE_DIR / "data" / name for name in (BACKGROUND_FILE, WORD_VECTORS_FILE)] + code


@lru_cache(maxsize=1)
def inputs_digest() -> bytes | None:
    """A digest of encoding_inputs(), worked out once per process (a few milliseconds); None when one is unreadable."""
    digest = hashlib.sha256()
    try:
        for path in encoding_inputs():
            digest.update(path.read_bytes())
    except OSError as exc:  # an install without its sources: nothing is kept, every build works it out
        log.warning("relevance: cannot read %s (%s); the shipped papers' encoding is not kept", exc.filename, exc)
        return None
    return digest.digest()


def cache_key(rules_data: bytes) -> str | None:
    """The key a kept encoding must carry for these rules; None when there is nothing to key it on."""
    inputs = inputs_digest()
    if inputs is None:
        return None
    digest = hashlib.sha256(f"format {scoring.MODEL_FORMAT}\n".encode())
    digest.update(inputs)
    digest.update(rules_data)
    return digest.hexdigest()


def _reuse(folder: Path, key: str, rules: Rules) -> bool:
    path = folder / CACHE_FILE
    try:
        kept = read_sealed(path, key)
    except FileNotFoundError:
        return False
    except (AttributeError, ImportError):  # kept by an older version whose classes have moved since: not ours to read
        return False
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        log.warning("relevance: the kept encoding %s cannot be read (%s); working it out again", path, exc)
        return False
    if not isinstance(kept, ShippedEncoding):
        return False  # kept for other rules, files or code
    reuse_shipped_encoding(rules, kept)
    return True


def _keep(folder: Path, key: str, rules: Rules) -> None:
    """Whole or not at all, through a temporary file of its own: two processes may build at once."""
    path = folder / CACHE_FILE
    if not keeping_files():
        return
    try:
        write_sealed(path, key, shipped_encoding(rules))
    except OSError as exc:  # a full disk: the next build works it out again, nothing is lost
        log.warning("relevance: cannot keep the encoding in %s (%s)", path, exc)


def build_with_kept_encoding(
    folder: Path,
    rules_data: bytes,
    rules_source: str,
    examples: tuple[LabeledPaper, ...],
    feedback: tuple[Feedback, ...],
    budget: Budget,
) -> RelevanceModel:
    """build_model, taking the shipped papers' encoding from `folder` when it was kept for these rules, and keeping
    it there when this process had to work it out (or had it in memory, and the folder none).

    BLAS (NumPy's and SciPy's OpenBLAS) is held to one thread meanwhile: the build's products are small (thousands of
    rows), so its worker threads cost more in hand-offs and spinning than they save, and they took the core the
    poll's feed parse runs on beside the build (a build alone went 1.2-1.9 s -> 0.7-0.8 s on a loaded machine). The
    model is the same: every judgement and score of 2,000 papers is bit for bit equal either way."""
    from threadpoolctl import threadpool_limits  # here: scoring runs without scikit-learn, which brings it

    rules = parse_rules(rules_data, rules_source)
    key = cache_key(rules_data)
    with threadpool_limits(limits=1, user_api="blas"):
        if key is None:
            return build_model(rules, examples, feedback, budget=budget)
        # In memory already (a long-lived process): kept when the folder has it; else taken from the folder if it can.
        kept = (folder / CACHE_FILE).exists() if shipped_encoded_already(rules) else _reuse(folder, key, rules)
        model = build_model(rules, examples, feedback, budget=budget)
        if not kept:
            _keep(folder, key, rules)
        return model
