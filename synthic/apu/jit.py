"""The one decorator every APU function uses, and the guard that keeps its disk cache honest.

`apu_jit` is numba's `njit(cache=True, nogil=True)` plus `_nrt=False`: it compiles without the
runtime's reference counting. Each helper call that passes an array (or the ApuState tuple of
arrays) otherwise costs an atomic increment and decrement per array, 10-50 ns per call, and
numba cannot prune them in branching code (numba issues #1204 and #2350); without them, writing a
register costs ~40 ns instead of ~110 ns. The price: these functions must not allocate arrays
(numba refuses to compile one that does; every buffer lives in the ApuState), and `_nrt` is a
private numba option. Set SYNTHIC_APU_NRT=1 to compile with reference counting instead (slower,
same results), e.g. to rule it out when chasing a crash.

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
from numba import njit

from synthic.numba_cache import flush_when_changed

_NRT = os.environ.get("SYNTHIC_APU_NRT", "") not in ("", "0")
_DISPATCHERS: list = []
STAMP_NAME = "synthic.apu.sources.sha256"


def apu_jit(func=None, **options):
    """`@apu_jit` or `@apu_jit(inline="always")`: njit(cache, nogil, no reference counting)."""
    opts = {"cache": True, "nogil": True, **options}
    if not _NRT:
        opts["_nrt"] = False

    def wrap(f):
        dispatcher = njit(**opts)(f)
        _DISPATCHERS.append(dispatcher)
        return dispatcher

    return wrap(func) if func is not None else wrap


def source_fingerprint() -> str:
    """SHA-256 of the package's source files, numba's version and the reference-count switch."""
    digest = hashlib.sha256(f"{numba.__version__} nrt={_NRT}".encode())
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
