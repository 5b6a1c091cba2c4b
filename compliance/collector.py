"""The cyclic garbage collector, paused while a run builds what it keeps."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Loading allocates millions of dicts, lists and strings and frees almost none: the
    cyclic collector would scan them again and again (~20% of loading a large tree) to
    find nothing. Reference counting still frees everything; the collector resumes after.

    ``freeze``: what was built lives until the process ends (``compliance evaluate``, the
    modules a command imports): move it out of the collector's sight (``gc.freeze``)
    before it resumes, so that no later collection walks it either. The caller unfreezes
    (``gc.unfreeze``) if it goes on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
