"""`Emulator`: load a ROM (or a GBS song), run it, press buttons, and take the recording of its
sound-register writes, the bytes it sent over the serial port, and its memory.

    from synthic.gb import Emulator
    emu = Emulator("game.gb", buttons="60 press start; 62 release start")
    emu.run(seconds=30)
    rec = emu.recording()          # synthic.events.Recording: every write to FF10-FF3F
    emu.serial, emu.read(0xC000), emu.status, emu.lockup

Time is the emulated T-cycle count since power-on (`t_cycles`; 4,194,304 per second). `run`
stops at the first instruction boundary at or after the time asked (so up to 20 T-cycles late);
successive `run_cycles(n)` calls keep to the timeline asked for, not the overshoot. The same ROM,
seed and button script always give the same recording: nothing reads the wall clock (MBC3's
clock counts emulated time) and RAM starts zeroed, or filled from `seed`.

The writes wait in a fixed buffer (`log_capacity` rows, LOG_CAPACITY by default) that the
emulator empties into the recording each time it fills, so memory is bounded by what the
recording holds, and that is bounded too: `run_cycles(n, max_writes=k)` stops early (at the first
buffer drain after the k-th write of the call, so at most `log_capacity` writes more) and returns
"write limit", and so does any run once the emulator holds more than `write_capacity` writes
(synthic.limits.MAX_RECORDING_WRITES by default, 20 million, about 220 MB); such a full emulator
runs no further. `synthic.record` stops a game at MAX_WRITES_PER_SECOND this way.

Lock-ups: an illegal opcode locks the CPU for good (`status` "locked"); a HALT that nothing can
end (no enabled interrupt that any device, or a scripted button press, could raise; e.g. `di;
halt` with IE = 0) is "halted forever". Either way time still passes to the end of the run (the
sound chip would keep playing what it was playing) and `lockup` describes what happened, so a
recorder can stop early. STOP waits for a button press.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

import numpy as np

from synthic import limits
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES
from synthic.gb.bus import LOG_CAPACITY, bus_read, bus_write, halt_can_wake
from synthic.gb.buttons import ButtonAction, button_mask, parse_script
from synthic.gb.cpu_state import (
    HALTED,
    LOCKED,
    MODE,
    PC,
    RUNNING,
    STATUS_BUS_EXIT,
    STATUS_HALTED_FOREVER,
    STOP_SKIPS_BYTE,
    STOPPED,
    T_CYCLES,
    registers,
)
from synthic.gb.joypad import BUTTON_BITS, P1_ADDRESS, joypad_update
from synthic.gb.slots import (
    BUTTONS,
    EXIT_REQUEST,
    HOST_WAKE,
    LOG_LEN,
    LOG_TOTAL,
    NEXT_EVENT_T,
    SERIAL_LEN,
)
from synthic.gb.sm83 import run as _run
from synthic.gb.system import new_system

UNLIMITED = 1 << 62
MAX_OVERSHOOT_T = 24  # `run` ends the instruction (or interrupt dispatch) under way
JOYPAD_INTERRUPT = 0x10


class Memory:
    """The address space as the CPU would read it now: `emu.memory[0xC000]`, slices too."""

    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator

    def __len__(self) -> int:
        return 0x10000

    def __getitem__(self, key):
        if isinstance(key, slice):
            return bytes(self._emu.read(a) for a in range(*key.indices(0x10000)))
        return self._emu.read(key)


class Emulator:
    """A DMG running one cartridge image (see the module docstring)."""

    def __init__(
        self,
        rom: bytes | str | os.PathLike,
        *,
        seed: int | None = None,
        buttons: str | Iterable[ButtonAction] | None = None,
        meta: dict | None = None,
        log_capacity: int = LOG_CAPACITY,
        write_capacity: int | None = limits.MAX_RECORDING_WRITES,
    ) -> None:
        path = None
        if isinstance(rom, (str, os.PathLike)):
            from synthic.gb.header import read_rom

            path = os.fspath(rom)
            rom = read_rom(path)  # a regular file, refused past the largest cartridge
        data = bytes(rom)
        self.cpu, self.bus, self.header = new_system(
            data, seed=seed, path=path, log_capacity=log_capacity
        )
        self.warnings = self.header.warnings
        self.meta = {
            "source": os.path.basename(path) if path else "",
            "sha1": hashlib.sha1(data).hexdigest(),
            "title": self.header.title,
        }
        if seed is not None:
            self.meta["seed"] = seed
        self.meta.update(meta or {})
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.write_capacity = write_capacity  # None: no limit (see the module docstring)
        self._serial = bytearray()
        self._until = 0  # the timeline asked for by run calls, in T-cycles
        self._status = "ok"
        self._lockup: str | None = None
        self._held: dict[str, int] = {}  # button -> T-cycle it was pressed
        self._markers: list[dict] = []
        self._script: list[ButtonAction] = []
        if buttons is not None:
            self.schedule(buttons)

    @classmethod
    def from_gbs(cls, gbs, song: int | None = None, **kwargs) -> Emulator:
        """Play one song of a GBS file (path, bytes or `synthic.gb.gbs.GbsFile`); song is
        0-based (default: the file's first song). Its metadata: the GBS title, author, and
        `song` numbered from 1 as GBS players do."""
        from synthic.gb.gbs import GbsFile, parse_gbs, player_image

        data = None
        if isinstance(gbs, (str, os.PathLike)):
            from synthic.collection import read_file
            from synthic.limits import MAX_GBS_BYTES

            data = read_file(gbs, MAX_GBS_BYTES)  # a regular file, never past the limit
            gbs = parse_gbs(data, os.fspath(gbs))
        elif not isinstance(gbs, GbsFile):
            data = bytes(gbs)
            gbs = parse_gbs(data)
        if song is None:
            song = gbs.first_song - 1
        meta = {
            "source": os.path.basename(gbs.path) if gbs.path else "",
            "title": gbs.title,
            "author": gbs.author,
            "song": song + 1,
        }
        if data is not None:
            meta["sha1"] = hashlib.sha1(data).hexdigest()
        meta.update(kwargs.pop("meta", None) or {})
        return cls(player_image(gbs, song), meta=meta, **kwargs)

    # -- time ---------------------------------------------------------------------------------

    @property
    def t_cycles(self) -> int:
        """Emulated T-cycles since power-on."""
        return int(self.cpu[T_CYCLES])

    @property
    def seconds(self) -> float:
        return self.t_cycles / CLOCK_HZ

    def run(
        self,
        seconds: float | None = None,
        *,
        cycles: int | None = None,
        frames: int | None = None,
        max_writes: int | None = None,
    ) -> str:
        """Run for seconds, T-cycles or frames (70,224 T-cycles); returns `status`, or "write
        limit" (see `run_cycles`)."""
        given = [x is not None for x in (seconds, cycles, frames)]
        if sum(given) != 1:
            raise ValueError("give exactly one of seconds, cycles, frames")
        if seconds is not None:
            cycles = round(seconds * CLOCK_HZ)
        elif frames is not None:
            cycles = frames * FRAME_T_CYCLES
        return self.run_cycles(int(cycles), max_writes=max_writes)

    def run_cycles(self, n: int, *, max_writes: int | None = None) -> str:
        """Run n T-cycles further along the timeline; returns `status`.

        With `max_writes`, stop early once the program has made more than that many sound
        writes during this call (checked each time the write buffer is emptied, so at most
        `log_capacity` more get recorded) and return "write limit"; `t_cycles` then says how
        far it got, and the timeline goes on from there. Past `write_capacity` writes in all,
        the same, and later runs return "write limit" at once."""
        if n < 0:
            raise ValueError(f"cannot run a negative number of cycles ({n})")
        if max_writes is not None and max_writes < 0:
            raise ValueError(f"max_writes must not be negative ({max_writes})")
        limit = None if max_writes is None else self.write_count + max_writes
        if self.write_capacity is not None:
            if self.write_count > self.write_capacity:
                return "write limit"  # full: runs no further
            limit = self.write_capacity if limit is None else min(limit, self.write_capacity)
        if self.t_cycles > self._until + MAX_OVERSHOOT_T:
            self._until = self.t_cycles  # the clock was moved on (synthic.gb tests do)
        self._until += n
        if not self._run_to(self._until, limit):
            self._until = self.t_cycles
            return "write limit"
        return self.status

    def _run_to(self, t_end: int, write_limit: int | None = None) -> bool:
        """Run to t_end; False if it stopped early, more than write_limit writes since power-on
        having been made."""
        cpu, st = self.cpu, self.bus.state
        while True:
            self._apply_script()
            t = int(cpu[T_CYCLES])
            if t >= t_end:
                break
            target = t_end
            if self._script:
                target = min(target, self._script[0].t_cycles)
            presses = any(a.action == "press" for a in self._script)
            st[HOST_WAKE] = JOYPAD_INTERRUPT if presses else 0
            status = int(_run(cpu, self.bus, target, UNLIMITED))
            if status == STATUS_BUS_EXIT:
                self._drain()
                if write_limit is not None and int(st[LOG_TOTAL]) > write_limit:
                    return False
                continue
            if status == STATUS_HALTED_FOREVER:
                # Nothing will wake it: let the time pass (devices catch up lazily).
                cpu[T_CYCLES] = max(int(cpu[T_CYCLES]), (target + 3) & ~3)
                self._lockup = self._lockup or (
                    f"halted forever at 0x{int(cpu[PC]):04X} with IE = "
                    f"0x{int(self.bus.mem[0xFFFF]):02X}: no enabled interrupt can be raised"
                )
        self._drain()
        return write_limit is None or int(st[LOG_TOTAL]) <= write_limit

    def _drain(self) -> None:
        st, bus = self.bus.state, self.bus
        n = int(st[LOG_LEN])
        if n:
            self._parts.append(
                (bus.log_t[:n].copy(), bus.log_address[:n].copy(), bus.log_value[:n].copy())
            )
            st[LOG_LEN] = 0
        n = int(st[SERIAL_LEN])
        if n:
            self._serial += bus.serial_out[:n].tobytes()
            st[SERIAL_LEN] = 0
        if st[EXIT_REQUEST]:
            st[EXIT_REQUEST] = 0
            st[NEXT_EVENT_T] = 0  # reschedule at the next instruction boundary

    # -- status -------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """The CPU now: "ok", "locked" (illegal opcode), "halted forever", "stopped" (STOP)."""
        mode = int(self.cpu[MODE])
        if mode == LOCKED:
            return "locked"
        if mode == STOPPED:
            return "stopped"
        if mode == HALTED and not halt_can_wake(self.bus):
            return "halted forever"
        return "ok"

    @property
    def lockup(self) -> str | None:
        """What locked the CPU up, or None while it can still run."""
        mode = int(self.cpu[MODE])
        if mode == LOCKED:
            pc = (int(self.cpu[PC]) - 1) & 0xFFFF
            return f"illegal opcode 0x{self.read(pc):02X} at 0x{pc:04X}"
        if mode == HALTED and self.status == "halted forever":
            return self._lockup or "halted forever: no enabled interrupt can be raised"
        return None

    @property
    def registers(self) -> dict[str, int]:
        return registers(self.cpu)

    # -- buttons ------------------------------------------------------------------------------

    def schedule(self, script: str | Iterable[ButtonAction]) -> None:
        """Add button actions (a script, synthic.gb.buttons, or ButtonActions) to run later."""
        actions = parse_script(script) if isinstance(script, str) else list(script)
        self._script = sorted(self._script + actions, key=lambda a: a.t_cycles)

    def _apply_script(self) -> None:
        t = self.t_cycles
        while self._script and self._script[0].t_cycles <= t:
            action = self._script.pop(0)
            getattr(self, action.action)(list(action.buttons))

    @property
    def buttons(self) -> list[str]:
        """The buttons held now."""
        mask = int(self.bus.state[BUTTONS])
        return [name for name, bit in BUTTON_BITS.items() if mask & bit]

    def press(self, buttons) -> None:
        """Press buttons (a name, "a+b", or a list of names) now; a marker records each."""
        self._set_buttons(int(self.bus.state[BUTTONS]) | button_mask(buttons))

    def release(self, buttons) -> None:
        self._set_buttons(int(self.bus.state[BUTTONS]) & ~button_mask(buttons))

    def _set_buttons(self, mask: int) -> None:
        st, mem, cpu = self.bus.state, self.bus.mem, self.cpu
        t = self.t_cycles
        old = int(st[BUTTONS])
        for name, bit in BUTTON_BITS.items():
            if mask & bit and not old & bit:
                self._held[name] = t
            elif old & bit and not mask & bit:
                start = self._held.pop(name)
                self._markers.append({"start": start, "end": t, "label": f"button {name}"})
        fell = joypad_update(st, mem, int(mem[P1_ADDRESS]), mask)
        if fell and int(cpu[MODE]) == STOPPED:  # a press ends STOP (Pan Docs "Joypad Input")
            cpu[MODE] = RUNNING
            cpu[PC] = (int(cpu[PC]) + int(cpu[STOP_SKIPS_BYTE])) & 0xFFFF
            cpu[STOP_SKIPS_BYTE] = 0

    # -- what the program did -------------------------------------------------------------------

    @property
    def write_count(self) -> int:
        """Sound-register writes recorded since power-on."""
        return int(self.bus.state[LOG_TOTAL])

    def recording(self) -> Recording:
        """Every write to FF10-FF3F so far, at the T-cycle it reached the bus; when the emulator
        is full (more than `write_capacity` writes), the recording ends at the first write past
        the capacity and says so in its metadata (`stopped`)."""
        self._drain()
        if self._parts:
            # Fresh arrays (the parts stay as they are): the recording shares nothing with the
            # emulator, and memory peaks at twice the writes, not three times.
            t, a, v = (np.concatenate(cols) for cols in zip(*self._parts, strict=True))
        else:
            t = np.zeros(0, np.int64)
            a = np.zeros(0, np.uint16)
            v = np.zeros(0, np.uint8)
        now = self.t_cycles
        meta = dict(self.meta)
        if self.write_capacity is not None and len(t) > self.write_capacity:
            now = int(t[self.write_capacity])  # the first write left out ends the recording
            cut = int(np.searchsorted(t, now, side="left"))
            t, a, v = t[:cut], a[:cut], v[:cut]
            meta["stopped"] = (
                f"more than {self.write_capacity:,} sound writes, the most a recording may hold"
            )
        markers = [{**m, "end": min(m["end"], now)} for m in self._markers if m["start"] <= now] + [
            {"start": start, "end": now, "label": f"button {name}"}
            for name, start in self._held.items()
            if start <= now
        ]
        if markers:
            meta["markers"] = sorted(markers, key=lambda m: (m["start"], m["end"]))
        if self.lockup:
            meta["lockup"] = self.lockup
        # The emulator logs only FF10-FF3F, in time order: nothing for Recording to check.
        return Recording(t, a, v, length_cycles=now, meta=meta, validate=False)

    @property
    def serial(self) -> bytes:
        """Every byte the program sent over the serial port."""
        self._drain()
        return bytes(self._serial)

    @property
    def memory(self) -> Memory:
        return Memory(self)

    def read(self, address: int) -> int:
        """The byte the CPU would read at address now (I/O registers included)."""
        if not 0 <= address <= 0xFFFF:
            raise ValueError(f"address out of range: {address}")
        base = int(self.bus.read_page[address >> 7])
        if base >= 0:
            return int(self.bus.mem[base + address])
        return int(bus_read(self.bus, address, self.t_cycles))

    def write(self, address: int, value: int) -> None:
        """Write a byte now, as the CPU would (I/O registers and mapper registers included;
        sound writes are recorded like the program's own)."""
        if not 0 <= address <= 0xFFFF or not 0 <= value <= 0xFF:
            raise ValueError(f"address or value out of range: {address}, {value}")
        bus_write(self.bus, address, value, self.t_cycles)
