"""Driving Debian's `gbsplay`: register dumps and PCM of a GBS song."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

from synthic.errors import SynthicError
from synthic.events.recording import Recording

EXAMPLE_GBS = "/usr/share/doc/gbsplay/examples/nightmode.gbs"  # public domain, shipped with it
_DUMP_LINE = re.compile(rb"^([0-9a-f]{8}) ([0-9a-f]{4})=([0-9a-f]{2})$")


def available() -> bool:
    return shutil.which("gbsplay") is not None


def example_gbs() -> str | None:
    """gbsplay's example nightmode.gbs where this system has it (Debian may gzip it), else None."""
    for path in (EXAMPLE_GBS, EXAMPLE_GBS + ".gz"):
        if os.path.isfile(path):
            return path
    return None


def read_example_gbs() -> bytes:
    """The bytes of gbsplay's example nightmode.gbs, gunzipped when stored as .gz."""
    path = example_gbs()
    if path is None:
        raise SynthicError(f"gbsplay's example is not installed ({EXAMPLE_GBS}[.gz])")
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def _run(args: list[str], path: str | os.PathLike, songs: list[str], timeout: float) -> bytes:
    """gbsplay ARGS PATH SONGS; a .gz PATH is gunzipped to a temporary file first (Debian's
    gbsplay is built without zlib: it says "Could not open" and exits with status 0)."""
    if not available():
        raise SynthicError("gbsplay is not installed (apt-get install gbsplay)")
    path = os.fspath(path)
    with tempfile.TemporaryDirectory(prefix="synthic-gbsplay-") as tmp:
        if path.endswith(".gz"):
            plain = os.path.join(tmp, os.path.basename(path)[:-3])
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            path = plain
        out = subprocess.run(["gbsplay", *args, path, *songs], capture_output=True, timeout=timeout)
    err = out.stderr.decode(errors="replace").strip().splitlines()
    if out.returncode != 0 or any(line.startswith("Could not") for line in err):
        raise SynthicError(f"gbsplay failed ({out.returncode}): {err[-1] if err else ''}")
    return out.stdout


def iodump(path: str | os.PathLike, song: int = 1, seconds: int = 60) -> Recording:
    """Every write gbsplay's emulated CPU made to FF10-FF3F while playing `song` (1-based).

    gbsplay first writes its power-on register values (at time 0), then prints "subsong N"
    and runs the song from its `init` routine (time 0 = init's first cycle). Each line is
    `DDDDDDDD AAAA=VV`: DDDDDDDD the T-cycles (hex) since the previous line, whichever I/O
    register that line wrote (FF06, FF07 and FFFF lines count too). `meta["power_on_writes"]`
    counts the power-on writes at the start of the recording (its FF10-FF3F part), so
    `rec.t_cycles[n:]` etc. are the song's own writes.
    """
    raw = _run(
        ["-q", "-o", "iodumper", "-t", str(seconds), "-f", "0", "-g", "0", "-T", "0",
         "-H", "dmg"], path, [str(song), str(song)], timeout=60 + seconds,
    )  # fmt: skip
    t, times, addresses, values = 0, [], [], []
    power_on = None
    for line in raw.splitlines():
        m = _DUMP_LINE.match(line.strip())
        if not m:
            if power_on is None and line.startswith(b"subsong"):
                power_on = len(times)
            continue
        t += int(m[1], 16)
        address = int(m[2], 16)
        if 0xFF10 <= address <= 0xFF3F:
            times.append(t)
            addresses.append(address)
            values.append(int(m[3], 16))
    meta = {"source": os.path.basename(os.fspath(path)), "song": song, "player": "gbsplay",
            "power_on_writes": power_on or 0}  # fmt: skip
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
    raw = _run(args, path, [str(song), str(song)], timeout=60 + seconds)
    data = np.frombuffer(raw[: len(raw) // 4 * 4], "<i2").reshape(-1, 2)
    return data.astype(np.float32) / 32768.0
