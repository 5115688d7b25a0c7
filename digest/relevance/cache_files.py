"""The files of the data folder's cache (the saved model, the shipped papers' encoding): a key and a pickle sealed
with its SHA-256, so that bytes changed on disk are noticed before they are read, never scored with (or crash the
process: damaged array indices are read out of bounds by SciPy's C code).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

from digest.storage.files import write_atomic_bytes

_DIGEST_SIZE = hashlib.sha256().digest_size


class DamagedFileError(ValueError):
    """The file's content does not match its checksum: changed on disk since it was written."""


def write_sealed(path: Path, key: str, value: object) -> None:
    """`value` under `key`, whole or not at all (raises OSError when it cannot be written)."""
    inner = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    sealed = (key, hashlib.sha256(inner).digest() + inner)
    write_atomic_bytes(path, pickle.dumps(sealed, protocol=pickle.HIGHEST_PROTOCOL))


def read_sealed(path: Path, key: str) -> Any | None:
    """The value kept under `key`; None when the file was kept for another key or by a version that did not seal it.
    Raises FileNotFoundError, DamagedFileError, or what reading a pickle raises when the file is no such pickle."""
    with path.open("rb") as handle:
        kept: Any = pickle.load(handle)  # noqa: S301  (a str and bytes: nothing is built from the file's data yet)
    if not (isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[1], bytes)):
        return None
    if kept[0] != key:
        return None
    digest, inner = kept[1][:_DIGEST_SIZE], kept[1][_DIGEST_SIZE:]
    if hashlib.sha256(inner).digest() != digest:
        raise DamagedFileError("damaged: its content does not match its checksum")
    return pickle.loads(inner)  # noqa: S301  (written by this service into its own data folder, and checked)
