"""The project's test ROMs (tests/roms, protocol in tests/roms/README.md) run in Synthic's own
emulator: each must report PASS over serial and in memory, and music.gb must be recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthic.events.registers import CHANNEL_NAMES, CLOCK_HZ, FRAME_T_CYCLES, channel_of

ROMS = Path(__file__).resolve().parent / "roms"
RESULT = 0xC000  # 0x01 passed, 0xFF failed (written last)
FRAME_LIMIT = 600  # every ROM finishes well within 10 s of game time
JOYPAD_SCRIPT = "10 press a; 20 release a; 30 press right; 40 release right"


@pytest.fixture(scope="module")
def Emulator():
    from synthic.gb import Emulator

    return Emulator


def run_to_result(emu) -> str:
    """Run frame by frame until the ROM writes RESULT; returns what it sent over serial."""
    for _ in range(FRAME_LIMIT):
        emu.run(frames=1)
        if emu.read(RESULT) != 0:
            break
    return emu.serial.decode("ascii", errors="replace")


@pytest.mark.parametrize(
    "name", ["timer", "interrupts", "halt", "apu_regs", "mbc1", "mbc3", "mbc5"]
)
def test_rom_passes(Emulator, test_rom, name):
    emu = Emulator(test_rom(name))
    serial = run_to_result(emu)
    assert serial == "PASS\n", f"{name}.gb reported {serial!r}"
    assert emu.read(RESULT) == 0x01
    assert emu.read(0xC001) == 0  # no failing check
    assert emu.lockup is None


def test_joypad_rom_passes_with_its_button_schedule(Emulator):
    emu = Emulator(ROMS / "joypad.gb", buttons=JOYPAD_SCRIPT)
    serial = run_to_result(emu)
    assert serial == "PASS\n", f"joypad.gb reported {serial!r}"
    assert emu.read(RESULT) == 0x01
    assert emu.read(0xC011) == 2  # two joypad interrupts taken (A, then RIGHT)
    assert emu.seconds < 50 * FRAME_T_CYCLES / CLOCK_HZ  # done by frame 50


def test_joypad_rom_times_out_without_presses(Emulator):
    emu = Emulator(ROMS / "joypad.gb")
    emu.run(frames=40)
    assert emu.read(0xC010) == 1  # still waiting for A
    assert emu.read(RESULT) == 0


def test_music_rom_is_recorded_on_all_four_channels(Emulator):
    emu = Emulator(ROMS / "music.gb")
    emu.run(seconds=2.2)  # one 128-frame loop is about 2.14 s
    rec = emu.recording()
    channels = set(channel_of(rec.address).tolist())
    assert {1, 2, 3, 4} <= channels, [CHANNEL_NAMES[c] for c in sorted(channels)]
    assert rec.meta["title"] and len(rec.meta["sha1"]) == 40
    assert rec.length_cycles == emu.t_cycles
    assert emu.read(0xC013) >= 1  # a whole loop played
    # The writes come from the VBlank handler: each frame's burst starts within a few hundred
    # T-cycles after VBlank, so bursts are one frame (70,224 T-cycles) apart.
    t = rec.t_cycles
    starts = t[1:][(t[1:] - t[:-1]) > 10_000]
    gaps = (starts[1:] - starts[:-1]) % FRAME_T_CYCLES
    assert ((gaps < 1000) | (gaps > FRAME_T_CYCLES - 1000)).all()
