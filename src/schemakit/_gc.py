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


outlive: list[object] | None = None
"""Set (to a list) by the command line's entry point, which then exits without freeing what
it holds: a one-shot ``lint --sql`` puts the files it read here, parse trees and all, rather
than have them freed one dict at a time just before the process ends (a tenth of its run
time on a large folder). ``None`` (in-process callers, tests): nothing is kept."""
