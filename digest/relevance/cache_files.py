"""The files of the data folder's cache (the saved model, the shipped papers' encoding): a key and a pickle sealed
with its SHA-256, so that bytes changed on disk are noticed before they are read, never scored with (or crash the
process: damaged array indices are read out of bounds by SciPy's C code).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from digest.storage.files import write_atomic_bytes

_DIGEST_SIZE = hashlib.sha256().digest_size
_keeping = True


@contextmanager
def keeping_no_files() -> Iterator[None]:
    """For reading a data folder it cannot write (`digest score` on a read-only copy): within the block the saved
    model, the shipped papers' encoding and the last good rules are worked out and kept nowhere, without a warning
    for each file (the command said once that it cannot write). After it, files are kept again: a process that goes
    on (a test run, a service) is not left keeping nothing."""
    global _keeping
    before = _keeping
    _keeping = False
    try:
        yield
    finally:
        _keeping = before


def keeping_files() -> bool:
    return _keeping


class DamagedFileError(ValueError):
    """The file's content does not match its checksum: changed on disk since it was written."""


def write_sealed(path: Path, key: str, value: object) -> None:
    """`value` under `key`, whole or not at all (raises OSError when it cannot be written). The file is a small pickle
    of the key and the checksum, then the value's pickle: written as they are, no copy of the value's bytes is made
    (the shipped papers' encoding is 8 MB, and each copy would stay in the service's heap)."""
    inner = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    head = pickle.dumps((key, hashlib.sha256(inner).digest()), protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic_bytes(path, head, inner)


def read_sealed(path: Path, key: str) -> Any | None:
    """The value kept under `key`; None when the file was kept for another key or by a version that did not seal it.
    Raises FileNotFoundError, DamagedFileError, or what reading a pickle raises when the file is no such pickle."""
    with path.open("rb") as handle:
        # The head alone: a key and a checksum (an older version's file is one pickle, read whole here, and not ours).
        try:
            head: Any = pickle.load(handle)  # noqa: S301  (this service's own file, in its own data folder)
        except (MemoryError, OverflowError) as exc:
            # A length in the head changed on disk: pickle asks for that many bytes before it finds the file shorter.
            reason = str(exc) or "out of memory"
            raise DamagedFileError(f"damaged: its head names a length it cannot have ({reason})") from None
        sealed = isinstance(head, tuple) and len(head) == 2 and isinstance(head[1], bytes)
        if not sealed or len(head[1]) != _DIGEST_SIZE or head[0] != key:
            return None
        inner = handle.read()
    if hashlib.sha256(inner).digest() != head[1]:
        raise DamagedFileError("damaged: its content does not match its checksum")
    return pickle.loads(inner)  # noqa: S301  (written by this service into its own data folder, and checked)
