"""The APU's state: a namedtuple of numpy arrays, every slot named with its unit and register.

Numba compiles attribute access on a namedtuple to a field load and caches functions that take
one (a jitclass would not be cached), so the emulator can hold an `ApuState` inside its own state
and call `synthic.apu.apu_write` and friends from its own `@njit` code.

    ApuState(
        i        int64[N_INT]      integer slots below; channel slots are blocks of 4 (index + c
                                   for channel c = 0..3, i.e. CH1..CH4); i[IO + r] is register
                                   FF10 + r as last written (unused bits kept), wave RAM at
                                   i[IO + 0x20 ..]; reads OR in READ_MASK (Pan Docs)
        f        float64[N_FLOAT]  float slots below
        tab      int32[TAB_SIZE]   lookup tables at the TAB_* offsets: duty patterns, wave
                                   samples, the LFSR cycles (synthic.apu.noise), prefix sums
        kernel   float32[PHASES * W]  the band-limited step, W = i[KERNEL_W] taps per phase
        delta_l  float32[DELTA_ROWS]  left amplitude changes per output sample, not yet integrated
                                   (row 0 is output sample i[BUF_ORIGIN])
        delta_r  float32[DELTA_ROWS]  right
        out      float32[n, 2]     finished output samples (left, right) waiting for
                                   `apu_take_samples` (the renderer returns it directly)
    )

Left and right changes live in separate arrays, and the step table in its own, so that adding a
step is a short loop the compiler vectorises.

Time is in T-cycles (4,194,304 Hz), absolute int64, non-decreasing across calls. Output sample n
is the signal at t = n * 4194304 / rate_hz exactly.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from synthic.events.registers import CLOCK_HZ  # T-cycles per second (DMG master clock)
from synthic.events.registers import READ_MASK as _REGISTER_READ_MASK

CLOCK_BITS = 22  # CLOCK_HZ == 1 << CLOCK_BITS, so t * rate >> 22 is the output sample index
assert CLOCK_HZ == 1 << CLOCK_BITS, "the sample index shifts assume a power-of-two clock"
SEQUENCER_PERIOD_T = 8192  # DIV bit 4 falls every 8192 T-cycles: the 512 Hz DIV-APU clock
DIV_BIT4_MASK = 0x1000  # DIV is bits 8-15 of a 16-bit counter; DIV bit 4 is counter bit 12
DEFAULT_RATE_HZ = 44_100
# Output scale. All four DACs at full deflection (+-1 each) and master volume 8 give +-32, and
# the high-pass filter's output can swing at most twice the input's range (after a jump from one
# extreme to the other), so 1/64 keeps any register stream within [-1, 1] except for the
# band-limited steps' few-percent overshoot. A single channel at full volume peaks at 1/8.
DEFAULT_GAIN = 1.0 / 64.0
# DMG high-pass "capacitor": the charge left after one T-cycle (Pan Docs "Audio Details", Mixer).
HPF_CHARGE_PER_T = 0.999958
DELTA_ROWS = 4096  # rows of the delta buffer: one block plus the band-limited step's reach
SYNC_SAMPLES = 2048  # output samples per block
PHASE_BITS = 8
PHASES = 1 << PHASE_BITS  # sub-sample positions of a band-limited step

# Register offsets from FF10: register NRxy lives in i[IO + NRxy].
NR10, NR11, NR12, NR13, NR14 = 0x00, 0x01, 0x02, 0x03, 0x04
NR21, NR22, NR23, NR24 = 0x06, 0x07, 0x08, 0x09
NR30, NR31, NR32, NR33, NR34 = 0x0A, 0x0B, 0x0C, 0x0D, 0x0E
NR41, NR42, NR43, NR44 = 0x10, 0x11, 0x12, 0x13
NR50, NR51, NR52 = 0x14, 0x15, 0x16
WAVE_RAM = 0x20  # FF30-FF3F
N_IO = 0x30

# Channel numbers (index c of the per-channel blocks).
SQUARE1, SQUARE2, WAVE, NOISE = 0, 1, 2, 3

# --- integer slots: i[...] ------------------------------------------------------------------
NOW_T = 0  # T-cycles: the APU has run to here (frame sequencer edges at or before it applied)
DIV_ORIGIN_T = 1  # T-cycles: a time at which DIV's 16-bit counter was 0 (DIV writes reset it)
SEQ_NEXT_T = 2  # T-cycles: next falling edge of DIV bit 4 (the frame sequencer's clock)
SEQ_STEP = 3  # 0-7: step the sequencer runs at SEQ_NEXT_T (even: length; 2, 6: sweep; 7: envelope)
SEQ_SKIP = 4  # 0/1: ignore the next DIV-APU edge (power-on while DIV bit 4 is set; SameBoy)
POWER = 5  # 0/1: NR52 bit 7
SYNTH = 6  # 0/1: synthesise audio; 0 keeps only the observable state (NR52, lengths, sweep)
RATE_HZ = 7  # output sample rate, Hz
MIX_MASK = 8  # bit c set: channel c is heard (solo/mute; not a hardware register)
HPF_ON = 9  # 0/1: the DMG high-pass filter is on (off: HPF_K = 1, a plain integrator)
BUF_ORIGIN = 10  # absolute output sample index of delta row 0
BUF_HI = 11  # delta rows [0, BUF_HI) may hold non-zero values
OUT_N = 12  # finished samples waiting in `out`
OUT_DROPPED = 13  # finished samples lost because `out` was full
WAVE_DIRTY = 14  # 0/1: tab's TAB_WAVE_SEQ/CUM must be rebuilt (wave RAM or NR32 changed)
BOX_BELOW_T = 15  # T-cycles: CH3/CH4 steps shorter than this are box-filtered per output sample
ACTIVE = 16  # [4] 0/1: channel generator on (NR52 bits 0-3); set by a trigger with the DAC on
DAC = 20  # [4] 0/1: DAC on (NRx2 & F8; CH3: NR30 bit 7)
LENGTH = 24  # [4] length timer: 256 Hz ticks left (64 - NRx1 & 3F; CH3: 256 - NR31)
LENGTH_ON = 28  # [4] 0/1: NRx4 bit 6, length timer enabled
FREQ = 32  # [4] 11-bit period value p (NRx3 | NRx4 bits 0-2; CH1's sweep writes it); CH1-CH3
POS = 36  # [4] waveform position: duty step 0-7 (CH1, CH2), wave sample index 0-31 (CH3)
NEXT_STEP_T = 40  # [4] T-cycles: next duty step / wave sample read / LFSR clock
VOLUME = 44  # [4] 0-15: envelope volume (CH1, CH2, CH4); loaded from NRx2 bits 4-7 on trigger
ENV_TIMER = 48  # [4] 64 Hz ticks until the next envelope step (period 0 counts as 8)
ENV_RUNNING = 52  # [4] 0/1: the envelope still steps (stops when it would leave 0-15)
OUTPUT = 56  # [4] 0-15: the generator's digital output, what the DAC converts
MUTED = 60  # [4] 0/1: a pulse channel started from off outputs 0 until its first duty step
SWEEP_SHADOW = 64  # CH1 sweep shadow period value (copied from FREQ on trigger)
SWEEP_TIMER = 65  # 128 Hz ticks until the next sweep iteration (pace 0 counts as 8)
SWEEP_ENABLED = 66  # 0/1: set on trigger if NR10 pace or step is non-zero
SWEEP_NEGATED = 67  # 0/1: a subtracting calculation ran since the trigger (negate quirk)
WAVE_BUFFER = 68  # 0-15: last wave RAM sample CH3 read (it plays it; cleared at power-on)
WAVE_FETCH_T = 69  # T-cycles: when CH3 last read wave RAM (DMG wave RAM access while playing)
LFSR = 70  # CH4's 15-bit LFSR (Pan Docs convention: 0 after a trigger, XNOR feedback)
KERNEL_W = 71  # taps of the band-limited step (output samples it spans)
OUT_CAP = 73  # rows of `out`
NOW_C = 74  # [4] T-cycles: channel c's waveform has been run to here (lazily, <= NOW_T)
SYNC_NEXT_T = 78  # T-cycles: next block boundary, where all channels catch up and output is final
BLOCK_T = 79  # T-cycles between block boundaries (about SYNC_SAMPLES output samples)
IO = 80  # [48] registers FF10-FF3F: i[IO + NR12] is NR12
N_INT = IO + 0x30

# --- float slots: f[...] --------------------------------------------------------------------
GAIN_L = 0  # [4] left output per unit of DAC output: gain * (NR50 left + 1) * NR51 bit * mix
GAIN_R = 4  # [4] right
LEVEL_L = 8  # [4] the channel's left level as last put into the delta buffer
LEVEL_R = 12  # [4] right
Y_L = 16  # output filter state, left: the mixed signal minus the high-pass capacitor voltage
Y_R = 17
HPF_K = 20  # capacitor charge left after one output sample: HPF_CHARGE_PER_T ** (CLOCK/rate)
OUT_GAIN = 21  # output scale (DEFAULT_GAIN)
T_PER_SAMPLE = 22  # CLOCK_HZ / rate_hz
N_FLOAT = 24

# Unused bits read back as 1 (Pan Docs "Audio Registers"): the project's register table, indexed
# by address - FF10 (wave RAM reads back as written).
READ_MASK = _REGISTER_READ_MASK

# Pulse duty patterns by NRx1 bits 6-7, indexed by duty step (Pan Docs "Audio Registers", NR11).
DUTY_TABLE = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0, 1],  # 12.5 %
        [1, 0, 0, 0, 0, 0, 0, 1],  # 25 %
        [1, 0, 0, 0, 0, 1, 1, 1],  # 50 %
        [0, 1, 1, 1, 1, 1, 1, 0],  # 75 %
    ],
    dtype=np.int32,
)

# --- table offsets: tab[...] -----------------------------------------------------------------
TAB_DUTY = 0  # [4 x 8] DUTY_TABLE
TAB_DUTY_CUM = TAB_DUTY + 32  # [4 x 9] prefix sums of each duty row
TAB_WAVE_SEQ = TAB_DUTY_CUM + 36  # [32] wave RAM samples >> NR32 shift (rebuilt when dirty)
TAB_WAVE_CUM = TAB_WAVE_SEQ + 32  # [33] their prefix sums
TAB_N7_IDX = TAB_WAVE_CUM + 33  # [128] position of a 7-bit LFSR state in its cycle (-1: locked)
TAB_N7_BIT = TAB_N7_IDX + 128  # [127] output bit at each position
TAB_N7_CUM = TAB_N7_BIT + 127  # [128] prefix sums of the bits
TAB_N7_FULL = TAB_N7_CUM + 128  # [127] the whole 15-bit register at each position
TAB_N15_STATE = TAB_N7_FULL + 127  # [32767] 15-bit LFSR state at each position (0 first)
TAB_N15_BIT = TAB_N15_STATE + 32767  # [32767]
TAB_N15_CUM = TAB_N15_BIT + 32767  # [32768]
TAB_N15_IDX = TAB_N15_CUM + 32768  # [32768] position of each state (-1: 7FFF, locked)
TAB_N7_RUN = TAB_N15_IDX + 32768  # [127] clocks from each position until the output bit changes
TAB_N15_RUN = TAB_N7_RUN + 127  # [32767]
TAB_SIZE = TAB_N15_RUN + 32767

ApuState = namedtuple("ApuState", ["i", "f", "tab", "kernel", "delta_l", "delta_r", "out"])


def prefix_sums(seq: np.ndarray) -> np.ndarray:
    """cum[j] = sum(seq[:j]) for j = 0..len(seq), as int32."""
    cum = np.zeros(len(seq) + 1, np.int32)
    np.cumsum(seq, out=cum[1:])
    return cum
