"""The decorator every APU function uses, and the guard that keeps its disk cache honest.

`apu_jit` is `synthic.numba_cache.jit` (numba's njit with the disk cache, no GIL and no
reference counting: see there why, and the SYNTHIC_NRT switch) that also registers the function
for the cache guard.

numba's cache checks only the file that defines a function, but the APU's functions inline one
another across files. `flush_stale_cache` (run when synthic.apu is imported, before anything
compiles) hashes every source file of the package and, when the hash differs from the one
stamped in the cache folder, empties the cache of every APU function.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

from synthic.numba_cache import NRT, flush_when_changed, jit

_DISPATCHERS: list = []
STAMP_NAME = "synthic.apu.sources.sha256"


def apu_jit(func=None, **options):
    """`@apu_jit` or `@apu_jit(inline="always")`: `synthic.numba_cache.jit`, registered."""

    def wrap(f):
        dispatcher = jit(f, **options)
        _DISPATCHERS.append(dispatcher)
        return dispatcher

    return wrap(func) if func is not None else wrap


def source_fingerprint() -> str:
    """SHA-256 of the package's source files, numba's version and the reference-count switch."""
    digest = hashlib.sha256(f"{numba.__version__} nrt={NRT}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def flush_stale_cache() -> int:
    """Empty the APU functions' disk cache if any source file changed; returns how many."""
    cached = [d for d in _DISPATCHERS if getattr(getattr(d, "_cache", None), "cache_path", None)]
    if not cached:
        return 0
    stamp = os.path.join(cached[0]._cache.cache_path, STAMP_NAME)
    return flush_when_changed(cached, stamp, source_fingerprint())
