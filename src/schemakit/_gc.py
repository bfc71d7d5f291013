"""Pausing Python's cyclic garbage collector around work that allocates a great many objects
that hold no reference cycles (catalog rows, parse trees, revision modules): otherwise a full
collection runs every few thousand allocations and rescans all of them."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block; as it was before, after it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
