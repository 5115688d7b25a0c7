"""The service's long-lived objects, kept out of the garbage collector's way. A leaf: the standard library only.

A running service holds some 200,000 objects that live as long as it does: the libraries' modules and classes, the
word vocabulary, the relevance model. The cyclic collector walks all of them in each of its full collections, and
such a collection, about 0.15 s on a 2-core machine, falls wherever a poll pass happens to allocate enough
(bench/bench_poll.py). Frozen (`gc.freeze`), they are left out of every collection until the next settle. What a
settle frees is then given back to the system, not kept by the C allocator for a peak that comes once a poll.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from functools import cache
from typing import cast


def settle() -> int:
    """Collects what is garbage, then freezes what is left; the number of objects frozen.

    Called when the service has started and after each poll, off a pass's path. Everything is thawed and collected
    first, so a cycle that died since the last settle (a model replaced after a decision) is still freed: freezing
    never keeps garbage for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    give_back_free_memory()
    return gc.get_freeze_count()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, looked up in the running process (no library search, which starts processes); None where
    the C library has none (musl)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return cast("Callable[[int], int]", trim)


def give_back_free_memory() -> None:
    """Returns the C heap's free pages to the system. glibc keeps what a poll's parsing and scoring freed (some 3 MB
    after the first) in its heap for reuse, where it counts in the service's resident memory until the next poll."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
