"""Driving Debian's `gbsplay`: register dumps and PCM of a GBS song."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np

from synthic.errors import SynthicError
from synthic.events.recording import Recording

EXAMPLE_GBS = "/usr/share/doc/gbsplay/examples/nightmode.gbs"  # public domain, shipped with it
_DUMP_LINE = re.compile(rb"^([0-9a-f]{8}) ([0-9a-f]{4})=([0-9a-f]{2})$")


def available() -> bool:
    return shutil.which("gbsplay") is not None


def _run(args: list[str], timeout: float) -> bytes:
    if not available():
        raise SynthicError("gbsplay is not installed (apt-get install gbsplay)")
    out = subprocess.run(["gbsplay", *args], capture_output=True, timeout=timeout)
    if out.returncode != 0:
        err = out.stderr.decode(errors="replace").strip().splitlines()
        raise SynthicError(f"gbsplay failed ({out.returncode}): {err[-1] if err else ''}")
    return out.stdout


def iodump(path: str | os.PathLike, song: int = 1, seconds: int = 60) -> Recording:
    """Every write gbsplay's emulated CPU made to FF10-FF3F while playing `song` (1-based).

    gbsplay first writes its power-on register values (at time 0), then runs the song; each
    line carries the T-cycles since the previous line, whatever register it wrote.
    """
    raw = _run(
        ["-q", "-o", "iodumper", "-t", str(seconds), "-f", "0", "-g", "0", "-T", "0",
         "-H", "dmg", os.fspath(path), str(song), str(song)],
        timeout=60 + seconds,
    )  # fmt: skip
    t, times, addresses, values = 0, [], [], []
    for line in raw.splitlines():
        m = _DUMP_LINE.match(line.strip())
        if not m:
            continue
        t += int(m[1], 16)
        address = int(m[2], 16)
        if 0xFF10 <= address <= 0xFF3F:
            times.append(t)
            addresses.append(address)
            values.append(int(m[3], 16))
    meta = {"source": os.path.basename(os.fspath(path)), "song": song, "player": "gbsplay"}
    return Recording(times, addresses, values, length_cycles=max(t, 0), meta=meta)


def pcm(
    path: str | os.PathLike,
    song: int = 1,
    seconds: int = 60,
    rate_hz: int = 44100,
    mute: tuple[int, ...] = (),
) -> np.ndarray:
    """gbsplay's stereo output as float32 in [-1, 1], shape (samples, 2)."""
    args = ["-q", "-o", "stdout", "-E", "l", "-r", str(rate_hz), "-t", str(seconds), "-f", "0",
            "-g", "0", "-T", "0", "-H", "dmg"]  # fmt: skip
    args += [f"-{ch}" for ch in mute]
    raw = _run([*args, os.fspath(path), str(song), str(song)], timeout=60 + seconds)
    data = np.frombuffer(raw[: len(raw) // 4 * 4], "<i2").reshape(-1, 2)
    return data.astype(np.float32) / 32768.0
