"""Recording one input file (ROM, GBS, VGM or native recording) into .events files."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from synthic import events
from synthic.collection import kind_of, read_input
from synthic.errors import SynthicError
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ
from synthic.record.explore import ExploreConfig, rom_seed, schedule

log = logging.getLogger("synthic.record")
# A game that writes nothing to the sound hardware for this long is taken as stuck.
SILENCE_STOP_SECONDS = 180.0
STEP_SECONDS = 10.0  # the emulator runs in steps this long between checks and progress lines


def _emulator():
    try:
        from synthic.gb import Emulator
    except ImportError:
        Emulator = None
    if Emulator is None:
        raise SynthicError("the emulator is not available in this build (synthic.gb.Emulator)")
    return Emulator


def _run_watching(emu, until_cycles: int, now: int, state: dict) -> int:
    """Run to `until_cycles` in steps; stop early on lock-up or long silence. Returns now."""
    step = int(STEP_SECONDS * CLOCK_HZ)
    while now < until_cycles and state.get("stop") is None:
        n = min(step, until_cycles - now)
        emu.run_cycles(n)
        now += n
        writes = emu.write_count
        if writes != state["writes"]:
            state["writes"], state["last_sound"] = writes, now
        elif now - state["last_sound"] > SILENCE_STOP_SECONDS * CLOCK_HZ:
            state["stop"] = f"no sound for {SILENCE_STOP_SECONDS:.0f} s (the game seems stuck)"
        if emu.lockup:
            state["stop"] = f"lock-up: {emu.lockup}"
        if now % (60 * CLOCK_HZ) < n:
            log.info("%.0f s emulated, %d writes", now / CLOCK_HZ, writes)
    return now


def record_rom(
    data: bytes, *, seconds: float, seed: int, explore: ExploreConfig, meta: dict
) -> Recording:
    """Run a ROM for `seconds` of game time with random button windows; stop on a lock-up."""
    Emulator = _emulator()
    emu = Emulator(data)
    windows, taps = schedule(seconds, rom_seed(seed, meta["sha1"]), explore)
    actions = sorted(
        [(tap.start_cycles, 0, "press", tap.buttons) for tap in taps]
        + [(tap.end_cycles, 1, "release", tap.buttons) for tap in taps]
    )
    state = {"writes": 0, "last_sound": 0, "stop": None}
    now = 0
    for when, _, action, buttons in actions:
        now = _run_watching(emu, when, now, state)
        if state["stop"]:
            break
        getattr(emu, action)(list(buttons))
    now = _run_watching(emu, int(seconds * CLOCK_HZ), now, state)
    rec = emu.recording()
    for w in windows:
        if w.start_cycles < rec.length_cycles:
            rec.add_marker(w.start_cycles, min(w.end_cycles, rec.length_cycles), w.label)
    rec.meta.update(meta)
    rec.meta["seed"] = seed
    if state["stop"]:
        rec.meta["stopped"] = state["stop"]
        log.warning("stopped early after %.1f s: %s", now / CLOCK_HZ, state["stop"])
    return rec


def record_gbs(data: bytes, *, seconds: float, meta: dict, path: str) -> list[Recording]:
    """Play every song of a GBS file for `seconds` each (no buttons: clean music)."""
    from synthic.gb.gbs import parse_gbs

    gbs = parse_gbs(data, path)
    Emulator = _emulator()
    out = []
    for song in range(gbs.song_count):
        emu = Emulator.from_gbs(data, song)
        emu.run_cycles(int(seconds * CLOCK_HZ))
        rec = emu.recording()
        rec.meta.update(meta)
        rec.meta.update(title=gbs.title, author=gbs.author, copyright=gbs.copyright, song=song + 1)
        if emu.lockup:
            rec.meta["stopped"] = f"lock-up: {emu.lockup}"
        log.info("song %d/%d: %d writes", song + 1, gbs.song_count, len(rec))
        out.append(rec)
    return out


def _import(path: str, member: str | None, data: bytes) -> Recording:
    """A VGM or native recording, read from disk or (a zip member) from a temporary copy."""
    if member is None:
        return events.read(path)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(member).name
        copy.write_bytes(data)
        rec = events.read(copy)
    rec.meta["source"] = os.path.basename(member)
    return rec


def record_file(
    path: str | os.PathLike,
    outdir: str | os.PathLike,
    *,
    member: str | None = None,
    name: str | None = None,
    seconds: float = 600.0,
    seed: int = 0,
    explore: ExploreConfig | None = None,
    on_written: Callable[[Path, Recording], None] | None = None,
) -> list[Path]:
    """Record one input into `outdir`; returns the files written (each atomically)."""
    path = os.fspath(path)
    kind = kind_of(member or path)
    if kind is None:
        raise SynthicError(f"{path}: not a ROM, GBS, VGM or recording (by its extension)")
    label = f"{path}::{member}" if member else path
    name = name or Path(member or path).name.split(".")[0]
    data = read_input(path, member)
    meta = {"source": os.path.basename(member or path), "sha1": hashlib.sha1(data).hexdigest()}
    if kind == "rom":
        from synthic.gb.header import parse_header

        header = parse_header(data, label)
        for w in header.warnings:
            log.warning("%s: %s", label, w)
        meta["title"] = header.title
        recs = [
            record_rom(
                data, seconds=seconds, seed=seed, explore=explore or ExploreConfig(), meta=meta
            )
        ]
        names = [name]
    elif kind == "gbs":
        recs = record_gbs(data, seconds=seconds, meta=meta, path=label)
        names = [f"{name}.song{i + 1:02d}" for i in range(len(recs))]
    else:
        recs, names = [_import(path, member, data)], [name]
    outdir = Path(outdir)
    written = []
    for rec, n in zip(recs, names, strict=True):
        out = outdir / f"{n}.events"
        events.write(rec, out)
        written.append(out)
        if on_written:
            on_written(out, rec)
    return written
