"""The stamp that keeps a numba disk cache honest, shared by the APU and the emulator.

numba (`cache=True`) checks only the file that defines a function, while our functions inline
others from other files. Each caller hashes the sources its compiled code depends on and calls
`flush_when_changed`, which compares that fingerprint with the one stamped in the cache folder
and, when they differ, empties the functions' caches (numba's `Cache.flush`) and stamps anew.
"""

from __future__ import annotations

import os


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
