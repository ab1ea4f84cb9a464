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

Where the cache goes. numba keeps it in `__pycache__` beside the code, else in the user's cache
folder (~/.cache/numba), or in NUMBA_CACHE_DIR when that is set; where none of them is writable
(the package installed by another user, a read-only home) it refuses to decorate a cached
function at all ("no locator available"). `use_writable_cache` (run when this module is
imported, before anything is decorated) checks for that and then points numba at a private
folder, $TMPDIR/synthic-numba-UID (made 0700 and checked to be ours: numba's cache index is a
pickle), with a warning; if even that fails, `jit` compiles without a cache.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numba
from numba import njit

NRT = os.environ.get("SYNTHIC_NRT", "") not in ("", "0")

log = logging.getLogger("synthic")

# One source file of each folder whose functions numba caches.
_PACKAGE = Path(__file__).resolve().parent
PROBES = (_PACKAGE / "apu" / "apu.py", _PACKAGE / "gb" / "bus.py")


def _no_locator(error: Exception) -> bool:
    return "no locator available" in str(error)


def cache_locatable(py_file: str | os.PathLike) -> bool:
    """Whether numba can cache the functions of the source file py_file somewhere: decorates
    (without compiling) a function that claims to come from that file, as numba checks."""
    namespace: dict = {}
    exec(compile("def probe():\n    pass\n", os.fspath(py_file), "exec"), namespace)
    try:
        njit(cache=True)(namespace["probe"])
    except RuntimeError as e:
        if _no_locator(e):
            return False
        raise
    return True


def _private_folder() -> str:
    """$TMPDIR/synthic-numba-UID, made if need be, used only when it is a real folder of ours
    that nobody else can write to; otherwise a fresh temporary folder, removed at exit."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = os.path.join(tempfile.gettempdir(), f"synthic-numba-{uid}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        path = ""
    if path:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o022:
            return path
    fresh = tempfile.mkdtemp(prefix="synthic-numba-")
    atexit.register(shutil.rmtree, fresh, ignore_errors=True)
    return fresh


def _point_numba_at(folder: str) -> None:
    os.environ["NUMBA_CACHE_DIR"] = folder  # child processes (parallel renders) inherit it
    numba.config.CACHE_DIR = folder


def use_writable_cache(probes=PROBES) -> str | None:
    """Make sure numba has somewhere to cache our functions: if no locator accepts one of the
    `probes` files, point numba's cache at a private temporary folder (with a warning) and
    return it; None when nothing had to change (or nothing could be done)."""
    if all(cache_locatable(p) for p in probes):
        return None
    try:
        folder = _private_folder()
    except OSError as e:
        log.warning(
            "synthic: warning: numba cannot cache compiled code anywhere (%s); compiling"
            " afresh in every process",
            e,
        )
        return None
    _point_numba_at(folder)
    log.warning(
        "synthic: warning: numba cannot write its cache beside the package or in the user's"
        " cache folder; caching in %s (set NUMBA_CACHE_DIR to choose)",
        folder,
    )
    return folder


def _njit(func, opts):
    try:
        return njit(**opts)(func)
    except RuntimeError as e:  # no writable cache folder after all: compile, uncached
        if not (opts.get("cache") and _no_locator(e)):
            raise
        log.warning("synthic: warning: %s; compiling it without a cache", e)
        return njit(**{**opts, "cache": False})(func)


def jit(func=None, **options):
    """`@jit` or `@jit(inline="always")`: njit(cache, nogil), no reference counting."""
    opts = {"cache": True, "nogil": True, **options}
    if not NRT:
        opts["_nrt"] = False
    if func is not None:
        return _njit(func, opts)
    return lambda f: _njit(f, opts)


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
        from synthic.events.atomic import atomic_output

        with atomic_output(stamp, "w", encoding="ascii") as fh:  # parallel jobs may stamp at once
            fh.write(fingerprint + "\n")
    except OSError:
        return 0
    return len(dispatchers)


use_writable_cache()  # before any module decorates a cached function
