"""The service's long-lived objects, kept out of the garbage collector's way. A leaf: the standard library only.

A running service holds some 200,000 objects that live as long as it does: the libraries' modules and classes, the
word vocabulary, the relevance model. The cyclic collector walks all of them in each of its full collections, and
such a collection, about 0.15 s on a 2-core machine, falls wherever a poll pass happens to allocate enough
(bench/bench_poll.py). Frozen (`gc.freeze`), they are left out of every collection until the next settle.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collects what is garbage, then freezes what is left; the number of objects frozen.

    Called when the service has started and after each poll, off a pass's path. Everything is thawed and collected
    first, so a cycle that died since the last settle (a model replaced after a decision) is still freed: freezing
    never keeps garbage for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
