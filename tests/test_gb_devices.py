"""The devices behind the bus at exact T-cycles (Pan Docs): the post-boot state, PPU timing and
its interrupts, the timer's obscure behaviour, serial, OAM DMA, the joypad, the mappers and
MBC3's clock. Reads and writes are made at chosen T-cycles while the CPU idles in `jr -2`."""

from __future__ import annotations

import pytest

from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES
from tests.gb_helpers import (
    DI,
    HALT,
    IDLE,
    INC_A,
    STOP,
    XOR_A,
    at,
    ld_a,
    ldh_store,
    make_rom,
    read_at,
    store,
    write_at,
)

P1, SB, SC, DIV, TIMA, TMA, TAC, IF = 0xFF00, 0xFF01, 0xFF02, 0xFF04, 0xFF05, 0xFF06, 0xFF07, 0xFF0F
LCDC, STAT, LY, LYC, DMA, IE = 0xFF40, 0xFF41, 0xFF44, 0xFF45, 0xFF46, 0xFFFF
LINE0_T = FRAME_T_CYCLES - (153 * 456 + 100)  # the first line 0 after boot (synthic.gb.ppu)
FIRST_VBLANK_T = LINE0_T + 144 * 456
COUNTER0 = 0xABCC  # the system counter at power-on


@pytest.fixture(scope="module")
def Emulator():
    from synthic.gb import Emulator

    return Emulator


@pytest.fixture
def emu(Emulator):
    return Emulator(make_rom())


def line_t(line: int, dot: int = 0, frame: int = 0) -> int:
    return LINE0_T + frame * FRAME_T_CYCLES + line * 456 + dot


# -- post-boot state (Pan Docs "Power Up Sequence", DMG) ---------------------------------------


def test_post_boot_registers(emu):
    assert emu.registers == {
        "a": 0x01, "f": 0xB0, "b": 0x00, "c": 0x13, "d": 0x00, "e": 0xD8, "h": 0x01,
        "l": 0x4D, "sp": 0xFFFE, "pc": 0x0100, "ime": 0,
    }  # fmt: skip
    want = {
        P1: 0xCF, SB: 0x00, SC: 0x7E, DIV: 0xAB, TIMA: 0x00, TMA: 0x00, TAC: 0xF8, IF: 0xE1,
        0xFF10: 0x80, 0xFF11: 0xBF, 0xFF12: 0xF3, 0xFF14: 0xBF, 0xFF24: 0x77, 0xFF25: 0xF3,
        0xFF26: 0xF1, LCDC: 0x91, STAT: 0x85, 0xFF42: 0, 0xFF43: 0, LY: 0, LYC: 0, DMA: 0xFF,
        0xFF47: 0xFC, 0xFF48: 0xFF, 0xFF49: 0xFF, 0xFF4A: 0, 0xFF4B: 0, IE: 0x00,
    }  # fmt: skip
    assert {a: emu.read(a) for a in want} == want


def test_flags_follow_the_header_checksum(Emulator):
    rom = bytearray(make_rom())
    rom[0x14D] = 0  # a wrong checksum: only a warning
    emu = Emulator(bytes(rom))
    assert emu.registers["f"] == 0x80  # checksum byte 00: H and C clear
    assert any("checksum" in w for w in emu.warnings)


# -- PPU timing ----------------------------------------------------------------------------------


def test_ly_and_modes_through_a_frame(emu):
    def ly_mode(t):
        at(emu, t)
        return emu.read(LY), emu.read(STAT) & 3

    assert ly_mode(0) == (0, 1)  # line 153 after its first 4 dots
    for line in (0, 1, 77, 143):
        assert ly_mode(line_t(line)) == (line, 2)
        assert ly_mode(line_t(line, 79)) == (line, 2)
        assert ly_mode(line_t(line, 80)) == (line, 3)
        assert ly_mode(line_t(line, 251)) == (line, 3)
        assert ly_mode(line_t(line, 252)) == (line, 0)
        assert ly_mode(line_t(line, 455)) == (line, 0)
    assert ly_mode(line_t(144)) == (144, 1)
    assert ly_mode(line_t(152, 455)) == (152, 1)
    assert ly_mode(line_t(153)) == (153, 1)
    assert ly_mode(line_t(153, 3)) == (153, 1)
    assert ly_mode(line_t(153, 4)) == (0, 1)
    assert ly_mode(line_t(0, 0, frame=1)) == (0, 2)


def test_vblank_is_requested_at_line_144_dot_0_every_70224_cycles(emu):
    emu.write(IF, 0)
    for frame in range(3):
        assert read_at(emu, IF, FIRST_VBLANK_T + frame * FRAME_T_CYCLES - 1) & 1 == 0
        assert read_at(emu, IF, FIRST_VBLANK_T + frame * FRAME_T_CYCLES) & 1 == 1
        emu.write(IF, 0)


def test_lyc_interrupt_and_coincidence_flag(emu):
    emu.write(LYC, 10)
    emu.write(STAT, 0x40)  # LY=LYC source only (the write itself may request one: DMG quirk)
    emu.write(IF, 0)
    assert read_at(emu, IF, line_t(10) - 1) & 2 == 0
    assert emu.read(STAT) & 4 == 0
    assert read_at(emu, IF, line_t(10)) & 2 == 2
    assert emu.read(STAT) & 4 == 4
    assert read_at(emu, STAT, line_t(11)) & 4 == 0


def test_stat_blocking(emu):
    """Mode 0 and LYC=10 enabled: line 9's HBlank raises the line, LY=LYC keeps it high through
    line 10, so neither line 10's start nor its HBlank requests anything; line 11's does."""
    emu.write(LYC, 10)
    emu.write(STAT, 0x48)
    write_at(emu, IF, 0, line_t(9))  # lines 0-8 had their HBlank requests
    assert read_at(emu, IF, line_t(9, 251)) & 2 == 0
    assert read_at(emu, IF, line_t(9, 252)) & 2 == 2
    emu.write(IF, 0)
    assert read_at(emu, IF, line_t(10, 8)) & 2 == 0
    assert read_at(emu, IF, line_t(10, 300)) & 2 == 0
    assert read_at(emu, IF, line_t(11, 251)) & 2 == 0
    assert read_at(emu, IF, line_t(11, 252)) & 2 == 2


def test_mode_2_and_mode_1_sources(emu):
    emu.write(STAT, 0x20)  # mode 2
    write_at(emu, IF, 0, line_t(4, 100))
    assert read_at(emu, IF, line_t(5) - 1) & 2 == 0
    assert read_at(emu, IF, line_t(5)) & 2 == 2
    write_at(emu, STAT, 0x10, line_t(100))  # mode 1 only (in mode 2, the line was high)
    emu.write(IF, 0)
    assert read_at(emu, IF, line_t(144) - 1) & 2 == 0
    assert read_at(emu, IF, line_t(144)) & 3 == 3  # STAT and VBlank together


def test_writing_stat_requests_an_interrupt_on_dmg(emu):
    emu.write(IF, 0)
    write_at(emu, STAT, 0x00, 100)  # VBlank (mode 1): as if FF were written for a cycle
    assert emu.read(IF) & 2 == 2
    emu.write(IF, 0)
    write_at(emu, STAT, 0x00, line_t(3, 100))  # mode 3, LY != LYC: the line stays low
    assert emu.read(IF) & 2 == 0


def test_lcd_off_and_on(emu):
    write_at(emu, LCDC, 0x11, line_t(144, 10))
    assert (emu.read(LY), emu.read(STAT) & 3) == (0, 0)
    emu.write(IF, 0)
    assert read_at(emu, IF, 300_000) & 3 == 0  # no VBlank while off
    on = 300_004
    write_at(emu, LCDC, 0x91, on)
    assert (read_at(emu, LY, on + 4), emu.read(STAT) & 3) == (0, 0)  # no OAM scan first
    assert read_at(emu, STAT, on + 80) & 3 == 3
    assert read_at(emu, STAT, on + 252) & 3 == 0
    assert (read_at(emu, LY, on + 456), emu.read(STAT) & 3) == (1, 2)
    assert read_at(emu, IF, on + 144 * 456 - 1) & 1 == 0
    assert read_at(emu, IF, on + 144 * 456) & 1 == 1


# -- timer (Pan Docs "Timer and Divider Registers", "Timer Obscure Behaviour") ----------------


def test_div_counts_t_cycles_from_abcc(emu):
    assert read_at(emu, DIV, 0x33) == 0xAB
    assert read_at(emu, DIV, 0x34) == 0xAC  # 0xABCC + 0x34 = 0xAC00
    write_at(emu, DIV, 0x55, 1000)  # any value resets the counter
    assert emu.read(DIV) == 0
    assert read_at(emu, DIV, 1000 + 255) == 0
    assert read_at(emu, DIV, 1000 + 256) == 1


def start_timer(emu, t0: int, tac: int = 0x05, tima: int = 0) -> int:
    """At t0: reset DIV (counter 0), set TIMA and TAC. Returns the timer's period."""
    write_at(emu, DIV, 0, t0)
    emu.write(TIMA, tima)
    emu.write(TAC, tac)
    return {0: 1024, 1: 16, 2: 64, 3: 256}[tac & 3]


@pytest.mark.parametrize("tac", [0x04, 0x05, 0x06, 0x07])
def test_tima_counts_falling_edges(emu, tac):
    t0 = 4096
    period = start_timer(emu, t0, tac)
    assert read_at(emu, TIMA, t0 + period - 4) == 0
    assert read_at(emu, TIMA, t0 + period) == 1
    assert read_at(emu, TIMA, t0 + 37 * period + 4) == 37
    assert emu.read(TAC) == 0xF8 | tac


def test_overflow_reloads_tma_one_m_cycle_later(emu):
    t0 = 4096
    start_timer(emu, t0, 0x05, tima=0xFE)
    emu.write(TMA, 0x23)
    emu.write(IF, 0)
    overflow = t0 + 2 * 16
    assert read_at(emu, TIMA, overflow - 4) == 0xFF
    assert read_at(emu, TIMA, overflow) == 0x00  # cycle A
    assert emu.read(IF) & 4 == 0
    assert read_at(emu, TIMA, overflow + 4) == 0x23  # cycle B: reloaded, interrupt requested
    assert emu.read(IF) & 4 == 4
    assert read_at(emu, TIMA, overflow + 16 + 4) == 0x24


def test_writing_tima_in_cycle_a_cancels_the_reload(emu):
    t0 = 4096
    start_timer(emu, t0, 0x05, tima=0xFF)
    emu.write(TMA, 0x23)
    emu.write(IF, 0)
    write_at(emu, TIMA, 0x50, t0 + 16)  # the overflow's own M-cycle
    assert read_at(emu, TIMA, t0 + 20) == 0x50
    assert read_at(emu, IF, t0 + 100) & 4 == 0


def test_writes_in_cycle_b(emu):
    t0 = 4096
    start_timer(emu, t0, 0x05, tima=0xFF)
    emu.write(TMA, 0x23)
    write_at(emu, TIMA, 0x50, t0 + 20)  # ignored: TMA wins
    assert emu.read(TIMA) == 0x23
    start_timer(emu, 8192, 0x05, tima=0xFF)
    write_at(emu, TMA, 0x77, 8192 + 20)  # the new TMA is loaded too
    assert emu.read(TIMA) == 0x77


def test_div_write_clocks_tima_when_the_selected_bit_is_set(emu):
    t0 = 4096
    start_timer(emu, t0, 0x05)  # bit 3 of the counter
    write_at(emu, DIV, 0, t0 + 4)  # counter 4: bit 3 clear
    assert emu.read(TIMA) == 0
    write_at(emu, DIV, 0, t0 + 4 + 8)  # counter 8: bit 3 set -> falling edge
    assert emu.read(TIMA) == 1


def test_tac_writes_that_drop_the_signal_clock_tima(emu):
    t0 = 4096
    start_timer(emu, t0, 0x05)
    write_at(emu, TAC, 0x01, t0 + 8)  # disabled while bit 3 is set
    assert emu.read(TIMA) == 1
    write_at(emu, TAC, 0x05, t0 + 12)  # enabling with the bit clear: no edge
    assert read_at(emu, TIMA, t0 + 20) == 2  # the ordinary edge at counter 16
    write_at(emu, TAC, 0x06, t0 + 24)  # counter 24: bit 3 set, the new bit 5 clear
    assert emu.read(TIMA) == 3
    write_at(emu, TAC, 0x04, t0 + 40)  # counter 40: bit 5 set, the new bit 9 clear
    assert emu.read(TIMA) == 4


# -- serial ------------------------------------------------------------------------------------


def test_serial_transfer_sends_the_byte_and_ends_eight_bits_later(emu):
    emu.write(SB, 0x42)
    t = write_at(emu, SC, 0x81, 1000)
    assert emu.serial == b"B"
    assert emu.read(SC) == 0xFF
    counter = t + COUNTER0
    end = t + 512 - counter % 512 + 7 * 512
    emu.write(IF, 0)
    assert read_at(emu, SC, end - 4) == 0xFF
    assert emu.read(IF) & 8 == 0
    assert read_at(emu, SC, end) == 0x7F  # bit 7 cleared, the internal clock kept
    assert emu.read(SB) == 0xFF  # nobody at the other end
    assert emu.read(IF) & 8 == 8


def test_serial_with_the_external_clock_never_ends(emu):
    emu.write(SB, 0x42)
    emu.write(SC, 0x80)
    assert read_at(emu, SC, 100_000) == 0xFE
    assert emu.serial == b""


# -- OAM DMA -----------------------------------------------------------------------------------


def test_oam_dma_copies_160_bytes_and_blocks_oam_meanwhile(emu):
    for i in range(160):
        emu.write(0xC100 + i, (i * 7) & 0xFF)
    t = write_at(emu, DMA, 0xC1, 1000)
    assert emu.read(DMA) == 0xC1
    assert read_at(emu, 0xFE00, t + 4) == 0xFF
    assert read_at(emu, 0xFE00, t + 643) == 0xFF
    at(emu, t + 644)
    assert [emu.read(0xFE00 + i) for i in range(160)] == [(i * 7) & 0xFF for i in range(160)]


def test_oam_dma_from_rom(Emulator):
    rom = make_rom()
    emu = Emulator(rom)
    write_at(emu, DMA, 0x01, 100)
    at(emu, 1000)
    assert bytes(emu.read(0xFE00 + i) for i in range(160)) == rom[0x100:0x1A0]


# -- joypad ------------------------------------------------------------------------------------


def test_joypad_lines_and_interrupt(emu):
    emu.write(IF, 0)
    emu.write(P1, 0x20)  # d-pad selected
    assert emu.read(P1) == 0xEF
    emu.press("right")
    assert emu.read(P1) == 0xEE
    assert emu.read(IF) & 0x10 == 0x10
    emu.write(IF, 0)
    emu.press("b")  # buttons not selected: no line falls
    assert emu.read(IF) & 0x10 == 0
    emu.write(P1, 0x10)  # buttons selected with B held: line 1 falls
    assert emu.read(P1) == 0xDD
    assert emu.read(IF) & 0x10 == 0x10
    emu.release(["b", "right"])
    assert emu.read(P1) == 0xDF
    assert emu.buttons == []
    with pytest.raises(ValueError, match="unknown button"):
        emu.press("turbo")


def test_a_press_ends_stop(Emulator):
    code = (
        ld_a(0x10) + ldh_store(0x00)  # select the buttons
        + bytes((XOR_A,)) + ldh_store(0xFF)  # IE = 0
        + bytes((STOP, 0x00, INC_A)) + store(0xC000) + IDLE
    )  # fmt: skip
    emu = Emulator(make_rom(code))
    emu.run(frames=2)
    assert emu.status == "stopped"
    assert emu.read(0xC000) == 0
    emu.press("start")
    emu.run(frames=1)
    assert emu.status == "ok"
    assert emu.read(0xC000) == 1  # STOP's second byte skipped, then inc a


# -- lock-ups ----------------------------------------------------------------------------------


def test_illegal_opcode_locks_up(Emulator):
    emu = Emulator(make_rom(bytes((0xDD,))))
    assert emu.run(seconds=0.5) == "locked"
    assert emu.lockup == "illegal opcode 0xDD at 0x0150"
    assert emu.t_cycles >= 0.5 * CLOCK_HZ  # time still passes


def test_di_halt_with_nothing_enabled_is_halted_forever(Emulator):
    emu = Emulator(make_rom(bytes((DI, XOR_A)) + ldh_store(0xFF) + bytes((HALT,)) + IDLE))
    assert emu.run(seconds=1) == "halted forever"
    assert "halted forever" in emu.lockup
    assert emu.t_cycles >= CLOCK_HZ
    assert emu.recording().meta["lockup"] == emu.lockup


def test_halt_with_vblank_enabled_wakes_every_frame(Emulator):
    loop = 0x150 + 5
    code = (
        bytes((DI,)) + ld_a(0x01) + ldh_store(0xFF)  # IE = VBlank, IME = 0
        + bytes((XOR_A,)) + ldh_store(0x0F) + bytes((HALT,))  # loop: IF = 0, halt
        + bytes((0x21, 0x00, 0xC0, 0x34))  # ld hl, C000 ; inc (hl)
        + bytes((0xC3, loop & 0xFF, loop >> 8))
    )  # fmt: skip
    emu = Emulator(make_rom(code))
    emu.run(frames=10)
    assert emu.lockup is None
    assert emu.read(0xC000) in (9, 10)


def test_halt_waiting_for_the_joypad_wakes_on_a_scripted_press(Emulator):
    code = (
        bytes((DI,)) + ld_a(0x10) + ldh_store(0xFF)  # IE = joypad
        + ld_a(0x20) + ldh_store(0x00) + bytes((HALT,))  # d-pad selected ; halt
        + ld_a(0x01) + store(0xC000) + IDLE
    )  # fmt: skip
    emu = Emulator(make_rom(code), buttons="30 press right; 32 release right")
    emu.run(frames=40)
    assert emu.lockup is None
    assert emu.read(0xC000) == 1
    lonely = Emulator(make_rom(code))
    assert lonely.run(frames=40) == "halted forever"


# -- cartridges --------------------------------------------------------------------------------


def test_rom_only_with_ram(Emulator):
    emu = Emulator(make_rom(cart_type=0x08, ram_code=0x02))
    emu.write(0xA123, 0x5A)  # always enabled
    assert emu.read(0xA123) == 0x5A


def test_mbc1_ram_enable_and_banks(Emulator):
    emu = Emulator(make_rom(cart_type=0x03, size_code=2, ram_code=0x03, bank_signatures=True))
    assert emu.read(0xA000) == 0xFF  # disabled
    emu.write(0xA000, 0x12)
    emu.write(0x0000, 0x0A)
    assert emu.read(0xA000) == 0x00  # the write was ignored
    emu.write(0xA000, 0x12)
    emu.write(0x6000, 1)  # mode 1: 4000-5FFF selects the RAM bank
    emu.write(0x4000, 2)
    emu.write(0xA000, 0x34)
    assert emu.read(0xA000) == 0x34
    emu.write(0x4000, 0)
    assert emu.read(0xA000) == 0x12
    emu.write(0x2000, 0)  # 0 reads as 1
    assert emu.read(0x4000) == 1
    emu.write(0x2000, 7)
    assert emu.read(0x4000) == 7
    emu.write(0x2000, 9)  # 8 banks: bank 9 wraps to 1
    assert emu.read(0x4000) == 1


def test_mbc2_rom_banks_and_half_byte_ram(Emulator):
    emu = Emulator(make_rom(cart_type=0x06, size_code=2, bank_signatures=True))
    assert emu.header.ram_bytes == 512
    emu.write(0x2100, 3)  # address bit 8 set: ROM bank
    assert emu.read(0x4000) == 3
    emu.write(0x2100, 0)
    assert emu.read(0x4000) == 1  # 0 reads as 1
    emu.write(0x2000, 5)  # bit 8 clear: the RAM enable register, not the bank
    assert emu.read(0x4000) == 1
    assert emu.read(0xA000) == 0xFF
    emu.write(0x0000, 0x0A)
    emu.write(0xA000, 0x5B)
    assert emu.read(0xA000) == 0xFB  # 4 bits; the upper nibble reads 1s
    assert emu.read(0xA200) == 0xFB  # 512 cells repeat through BFFF
    assert emu.read(0xBE00) == 0xFB
    emu.write(0x0000, 0x00)
    assert emu.read(0xA000) == 0xFF


def test_mbc5_bank_0_and_ram_banks(Emulator):
    emu = Emulator(make_rom(cart_type=0x1B, size_code=2, ram_code=0x04, bank_signatures=True))
    emu.write(0x2000, 0)  # bank 0 is allowed at 4000
    assert emu.read(0x4100) == 0x00 and emu.read(0x4101) == 0xC3  # the entry point's nop; jp
    emu.write(0x2000, 5)
    assert emu.read(0x4000) == 5
    emu.write(0x0000, 0x0A)
    for bank in range(16):
        emu.write(0x4000, bank)
        emu.write(0xB000, bank + 0x40)
    for bank in range(16):
        emu.write(0x4000, bank)
        assert emu.read(0xB000) == bank + 0x40


def rtc(emu) -> dict[str, int]:
    """Latch MBC3's clock and read its five registers."""
    emu.write(0x6000, 0)
    emu.write(0x6000, 1)
    out = {}
    for name, register in zip(("s", "m", "h", "dl", "dh"), range(8, 13), strict=True):
        emu.write(0x4000, register)
        out[name] = emu.read(0xA000)
    return out


def set_rtc(emu, **values) -> None:
    for name, register in zip(("s", "m", "h", "dl", "dh"), range(8, 13), strict=True):
        if name in values:
            emu.write(0x4000, register)
            emu.write(0xA000, values[name])


def test_mbc3_clock_counts_emulated_seconds(Emulator):
    emu = Emulator(make_rom(cart_type=0x10, size_code=2, ram_code=0x03))
    emu.write(0x0000, 0x0A)
    assert rtc(emu) == {"s": 0, "m": 0, "h": 0, "dl": 0, "dh": 0}
    emu.run(seconds=3.5)
    assert rtc(emu)["s"] == 3
    set_rtc(emu, s=58)  # restarts the second
    emu.run(seconds=3.5)
    assert rtc(emu)["s"] == 1 and rtc(emu)["m"] == 1
    set_rtc(emu, dh=0x40)  # halt
    before = rtc(emu)
    emu.run(seconds=5)
    assert rtc(emu) == before
    set_rtc(emu, s=59, m=59, h=23, dl=0xFF, dh=0x41)  # day 511, still halted
    set_rtc(emu, dh=0x01)  # run
    emu.run(seconds=1.5)
    assert rtc(emu) == {"s": 0, "m": 0, "h": 0, "dl": 0, "dh": 0x80}  # day carry
    set_rtc(emu, s=62, dh=0x00)  # out of range: counts to 63, then 0 with no carry
    emu.run(seconds=2.5)
    clock = rtc(emu)
    assert clock["s"] == 0 and clock["m"] == 0
    emu.write(0x4000, 0x00)  # back to RAM bank 0
    emu.write(0xA000, 0x99)
    assert emu.read(0xA000) == 0x99


def test_cartridge_ram_is_not_loaded_or_saved(Emulator, tmp_path):
    path = tmp_path / "game.gb"
    path.write_bytes(make_rom(cart_type=0x03, ram_code=0x02))
    emu = Emulator(path)
    emu.write(0x0000, 0x0A)
    emu.write(0xA000, 0x77)
    del emu
    assert sorted(p.name for p in tmp_path.iterdir()) == ["game.gb"]
    assert Emulator(path).read(0xA000) == 0xFF
