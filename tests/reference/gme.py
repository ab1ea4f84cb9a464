"""libgme (Game_Music_Emu, Debian package libgme0) through ctypes: a reference GB APU.

Debian's libgme 0.6.3 carries blargg's Gb_Snd_Emu 0.1.5 for the Game Boy: no zombie mode (an NRx2
write never changes a playing channel's volume, and one with volume nibble 0 turns the channel
off even when it keeps the DAC on), envelopes that read NRx2 live and rise no higher than 14, and
no DMG/CGB mode. tests/test_apu_reference.py probes and relies on exactly that.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache

import numpy as np

from synthic.errors import SynthicError


@cache
def _lib() -> ctypes.CDLL | None:
    for name in (ctypes.util.find_library("gme"), "libgme.so.0", "libgme.so"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.gme_open_file.argtypes = [
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_int,
        ]
        lib.gme_open_file.restype = ctypes.c_char_p
        lib.gme_start_track.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.gme_start_track.restype = ctypes.c_char_p
        lib.gme_play.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_short)]
        lib.gme_play.restype = ctypes.c_char_p
        lib.gme_track_count.argtypes = [ctypes.c_void_p]
        lib.gme_track_count.restype = ctypes.c_int
        lib.gme_mute_voices.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.gme_ignore_silence.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.gme_delete.argtypes = [ctypes.c_void_p]
        return lib
    return None


def available() -> bool:
    return _lib() is not None


class Player:
    """One open GBS file in libgme. `render(seconds)` gives float32 stereo (samples, 2)."""

    def __init__(self, path: str | os.PathLike, rate_hz: int = 44100) -> None:
        lib = _lib()
        if lib is None:
            raise SynthicError("libgme is not installed (apt-get install libgme0)")
        self._lib = lib
        self.rate_hz = rate_hz
        self._emu = ctypes.c_void_p()
        self._check(lib.gme_open_file(os.fsencode(path), ctypes.byref(self._emu), rate_hz), path)
        lib.gme_ignore_silence(self._emu, 1)
        self.path = os.fspath(path)

    def _check(self, err: bytes | None, what) -> None:
        if err:
            raise SynthicError(f"libgme: {os.fspath(what)}: {err.decode(errors='replace')}")

    @property
    def track_count(self) -> int:
        return self._lib.gme_track_count(self._emu)

    def start(self, track: int = 0, *, mute_mask: int = 0) -> None:
        """Start `track` (0-based); bit n of `mute_mask` silences channel n + 1."""
        self._check(self._lib.gme_start_track(self._emu, track), self.path)
        self._lib.gme_mute_voices(self._emu, mute_mask)

    def render(self, seconds: float) -> np.ndarray:
        n = int(seconds * self.rate_hz)
        buf = np.zeros(2 * n, np.int16)
        step = 1 << 16
        for lo in range(0, 2 * n, step):
            count = min(step, 2 * n - lo)
            ptr = buf[lo:].ctypes.data_as(ctypes.POINTER(ctypes.c_short))
            self._check(self._lib.gme_play(self._emu, count, ptr), self.path)
        return buf.reshape(-1, 2).astype(np.float32) / 32768.0

    def close(self) -> None:
        if self._emu:
            self._lib.gme_delete(self._emu)
            self._emu = ctypes.c_void_p()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
