"""Recording one input file (ROM, GBS, VGM or native recording) into .events files.

An emulated recording is bounded whatever the program does: the emulator runs in steps of
STEP_SECONDS of game time, and in each it may make at most STEP_WRITES sound writes
(`synthic.limits.MAX_WRITES_PER_SECOND` on average), and the recording holds at most
`synthic.limits.MAX_RECORDING_WRITES` in all. The emulator is told to stop past either (it
stops within one write buffer, `synthic.gb.bus.LOG_CAPACITY` writes, of it, and its recording
ends at the first write past MAX_RECORDING_WRITES), so memory stays bounded, and the recording
ends there with the reason in its metadata (`stopped`), like a lock-up or a long silence.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from synthic import events, limits
from synthic.collection import kind_of, label_of, read_input, safe_name, strip_extension
from synthic.errors import FormatError, SynthicError, display_name
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ
from synthic.record.explore import ExploreConfig, rom_seed, schedule

log = logging.getLogger("synthic.record")
# A game that writes nothing to the sound hardware for this long is taken as stuck.
SILENCE_STOP_SECONDS = 180.0
STEP_SECONDS = 10.0  # the emulator runs in steps this long between checks and progress lines
STEP_WRITES = int(limits.MAX_WRITES_PER_SECOND * STEP_SECONDS)  # the most writes in one step


def _emulator():
    try:
        from synthic.gb import Emulator
    except ImportError:
        Emulator = None
    if Emulator is None:
        raise SynthicError("the emulator is not available in this build (synthic.gb.Emulator)")
    return Emulator


def _check_seconds(seconds: float) -> None:
    if not (isinstance(seconds, (int, float)) and 0 < seconds <= limits.MAX_RECORDING_SECONDS):
        raise SynthicError(
            f"seconds must be a number above 0 and at most {limits.MAX_RECORDING_SECONDS} "
            f"(24 hours), not {seconds!r}"
        )


def _new_state() -> dict:
    """What `_run_watching` keeps between calls: the writes and the time of the last sound, the
    start of the current step and the writes made before it, and why it stopped (or None)."""
    return {"writes": 0, "last_sound": 0, "stop": None, "step_start": 0, "step_writes": 0}


def _run_watching(
    emu, until_cycles: int, now: int, state: dict, *, watch: bool = True, progress: bool = True
) -> int:
    """Run to `until_cycles` in steps; stop early on too many writes (the module docstring)
    and, with `watch`, on a lock-up or a long silence. Returns now."""
    step = int(STEP_SECONDS * CLOCK_HZ)
    while now < until_cycles and state.get("stop") is None:
        if now - state["step_start"] >= step:
            state["step_start"], state["step_writes"] = now, emu.write_count
        n = min(step - (now - state["step_start"]), until_cycles - now)
        in_step = emu.write_count - state["step_writes"]
        budget = min(STEP_WRITES - in_step, limits.MAX_RECORDING_WRITES - emu.write_count)
        result = emu.run_cycles(n, max_writes=max(0, budget))
        writes = emu.write_count
        if result == "write limit":
            if writes > limits.MAX_RECORDING_WRITES:
                state["stop"] = (
                    f"more than {limits.MAX_RECORDING_WRITES:,} sound writes, the most a "
                    "recording may hold"
                )
            else:
                step_s = state["step_start"] / CLOCK_HZ
                state["stop"] = (
                    f"more than {limits.MAX_WRITES_PER_SECOND:,} sound writes a second of game "
                    f"time ({writes - state['step_writes']:,} from {step_s:.0f} s to "
                    f"{emu.t_cycles / CLOCK_HZ:.1f} s): no music driver writes this often"
                )
            return min(max(now, emu.t_cycles), until_cycles)
        now += n
        if writes != state["writes"]:
            state["writes"], state["last_sound"] = writes, now
        elif watch and now - state["last_sound"] > SILENCE_STOP_SECONDS * CLOCK_HZ:
            state["stop"] = f"no sound for {SILENCE_STOP_SECONDS:.0f} s (the game seems stuck)"
        if watch and emu.lockup:
            state["stop"] = f"lock-up: {emu.lockup}"
        if progress and now % (60 * CLOCK_HZ) < n:
            log.info("%.0f s emulated, %d writes", now / CLOCK_HZ, writes)
    return now


def record_rom(
    data: bytes, *, seconds: float, seed: int, explore: ExploreConfig, meta: dict
) -> Recording:
    """Run a ROM for `seconds` of game time with random button windows; stop on a lock-up, a
    long silence or too many writes (see the module docstring)."""
    _check_seconds(seconds)
    Emulator = _emulator()
    emu = Emulator(data, write_capacity=limits.MAX_RECORDING_WRITES)
    windows, taps = schedule(seconds, rom_seed(seed, meta["sha1"]), explore)
    actions = sorted(
        [(tap.start_cycles, 0, "press", tap.buttons) for tap in taps]
        + [(tap.end_cycles, 1, "release", tap.buttons) for tap in taps]
    )
    del taps
    state = _new_state()
    now = 0
    for when, _, action, buttons in actions:
        now = _run_watching(emu, when, now, state)
        if state["stop"]:
            break
        getattr(emu, action)(list(buttons))
    del actions
    now = _run_watching(emu, int(seconds * CLOCK_HZ), now, state)
    rec = emu.recording()  # ends at the first write past MAX_RECORDING_WRITES, if any
    del emu  # its copy of the writes
    for w in windows:
        if w.start_cycles < rec.length_cycles:
            rec.add_marker(w.start_cycles, min(w.end_cycles, rec.length_cycles), w.label)
    rec.meta.update(meta)
    rec.meta["seed"] = seed
    if state["stop"]:
        rec.meta["stopped"] = state["stop"]
        log.warning("stopped early after %.1f s: %s", now / CLOCK_HZ, state["stop"])
    return rec


class GbsSongs(Sequence):
    """The recordings of the songs of a GBS file, each made when it is asked for: iterating
    records one song at a time, so only one is in memory however many songs the file has
    (each access records its song anew; the same recording each time)."""

    def __init__(self, count: int, record_song: Callable[[int], Recording]) -> None:
        self._count = count
        self._record_song = record_song

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"song index out of range: {index}")
        return self._record_song(index)


def record_gbs(data: bytes, *, seconds: float, meta: dict, path: str) -> GbsSongs:
    """Play every song of a GBS file for `seconds` each (no buttons: clean music), stopping a
    song early only on too many writes (the module docstring; a lock-up is noted in `stopped`).
    Returns a sequence that records each song when it is iterated (see `GbsSongs`)."""
    from synthic.gb.gbs import parse_gbs

    _check_seconds(seconds)
    gbs = parse_gbs(data, path)
    Emulator = _emulator()

    def record_song(song: int) -> Recording:
        emu = Emulator.from_gbs(data, song, write_capacity=limits.MAX_RECORDING_WRITES)
        state = _new_state()
        _run_watching(emu, int(seconds * CLOCK_HZ), 0, state, watch=False, progress=False)
        rec = emu.recording()
        lockup = emu.lockup
        del emu  # its copy of the writes
        rec.meta.update(meta)
        rec.meta.update(title=gbs.title, author=gbs.author, copyright=gbs.copyright, song=song + 1)
        if state["stop"]:
            rec.meta["stopped"] = state["stop"]
        elif lockup:
            rec.meta["stopped"] = f"lock-up: {lockup}"
        stopped = f" (stopped: {rec.meta['stopped']})" if "stopped" in rec.meta else ""
        log.info("song %d/%d: %d writes%s", song + 1, gbs.song_count, len(rec), stopped)
        return rec

    return GbsSongs(gbs.song_count, record_song)


def _import(label: str, filename: str, data: bytes) -> Recording:
    """A VGM or native recording, read from a private temporary copy of the bytes already read
    (with the size cap): the file on disk is opened once, and never by the format readers."""
    ext = filename[len(strip_extension(filename)) :].lower()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / f"input{ext}"
        copy.write_bytes(data)
        try:
            return events.read(copy)
        except FormatError as e:  # name the user's file, not the temporary copy
            raise FormatError(label, e.reason, offset=e.offset, line=e.line) from None


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
    expect_sha1: str | None = None,
) -> list[Path]:
    """Record one input into `outdir`; returns the files written (each atomically).
    `expect_sha1`: refuse the input if its bytes changed since it was listed (the inventory)."""
    path = os.fspath(path)
    label = label_of(path, member)
    filename = os.path.basename(member or path)
    kind = kind_of(filename)
    if kind is None:
        raise SynthicError(f"{label}: not a ROM, GBS, VGM or recording (by its extension)")
    if not name:
        stem = filename.split(".")[0]
        name = stem if stem and display_name(stem) == stem else safe_name(filename)
    data = read_input(path, member)
    sha1 = hashlib.sha1(data).hexdigest()
    if expect_sha1 and sha1 != expect_sha1:
        raise SynthicError(
            f"{label}: changed since the collection was listed (SHA-1 {sha1}, listed as "
            f"{expect_sha1}); run the workflow again to list it anew"
        )
    meta = {"source": display_name(filename), "sha1": sha1}
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
        rec = _import(label, filename, data)
        if kind == "vgm":  # a foreign format: provenance from the user's file, not the copy
            rec.meta.update(meta)
        recs, names = [rec], [name]
    outdir = Path(outdir)
    written = []
    for rec, n in zip(recs, names, strict=True):
        out = outdir / f"{n}.events"
        events.write(rec, out)
        written.append(out)
        if on_written:
            on_written(out, rec)
    return written
