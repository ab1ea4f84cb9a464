"""What the APU and the emulator share about numba: the decorator and the cache stamp.

`jit` is numba's `njit(cache=True, nogil=True)` plus `_nrt=False`: it compiles without the
runtime's reference counting. Every call between numba functions that passes arrays (the Bus
and ApuState tuples hold 16 and 7) otherwise costs an atomic increment and decrement per array
on entry and exit, and numba cannot prune them in branching code (numba issues #1204 and
#2350): with them an emulated I/O register read cost about 620 ns and a sound register write
about 770 ns (three call levels of the Bus each), without them about 105 and 165 ns; an APU
register write 110 ns instead of 40. The price: these functions must not allocate arrays (numba
refuses to compile one that does; every buffer lives in the state arrays), and `_nrt` is a
private numba option. Set SYNTHIC_NRT=1 to compile with reference counting instead (slower, same
results), e.g. to rule it out when chasing a crash; the switch is part of both cache stamps.

The stamp. numba (`cache=True`) checks only the file that defines a function, while our
functions inline others from other files. Each caller hashes the sources its compiled code
depends on and calls `flush_when_changed`, which compares that fingerprint with the one stamped
in the cache folder and, when they differ, empties the functions' caches (numba's
`Cache.flush`) and stamps anew.
"""

from __future__ import annotations

import os

from numba import njit

NRT = os.environ.get("SYNTHIC_NRT", "") not in ("", "0")


def jit(func=None, **options):
    """`@jit` or `@jit(inline="always")`: njit(cache, nogil), no reference counting."""
    opts = {"cache": True, "nogil": True, **options}
    if not NRT:
        opts["_nrt"] = False
    return njit(**opts)(func) if func is not None else njit(**opts)


def flush_when_changed(dispatchers: list, stamp: str, fingerprint: str) -> int:
    """Flush the caches of `dispatchers` unless the file `stamp` holds `fingerprint`; returns
    how many were flushed. A read-only cache folder is left alone (numba does not write there
    either)."""
    try:
        with open(stamp) as fh:
            if fh.read().strip() == fingerprint:
                return 0
    except OSError:
        pass  # no stamp yet: treat the cache as stale
    try:
        for dispatcher in dispatchers:
            dispatcher._cache.flush()
        os.makedirs(os.path.dirname(stamp), exist_ok=True)
        with open(stamp, "w") as fh:
            fh.write(fingerprint + "\n")
    except OSError:
        return 0
    return len(dispatchers)
