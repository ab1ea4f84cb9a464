"""A new APU state, as the DMG boot ROM leaves it, as a quiet renderer wants it, or powered off.

`initial` picks the starting point:

- "boot": the registers as the DMG boot ROM leaves them (Pan Docs "Power Up Sequence": NR10 80,
  NR11 BF, NR12 F3, NR14 BF, NR50 77, NR51 F3, NR52 F1 ...), CH1 still on from the boot chime
  with its envelope run down to volume 0. For the emulator.
- "quiet" (the renderer's default): the same registers, but no channel on (NR52 reads F0), so a
  recording that never triggers a channel is silent and one that writes NR12 first does not
  find the boot chime's channel still playing. Recordings usually begin with their own NR52,
  NR50 and NR51 writes anyway; one that does not (e.g. the original Synthic format, CH1-CH2
  only) gets the boot panning (NR51 F3: CH1 and CH2 on both sides, CH3 and CH4 left) and full
  master volume.
- "off": powered off (every register 0, NR52 reads 70).

Either way DIV's counter is `div_counter_at_t0` at t = 0 (0 for the renderer: the first frame
sequencer step is at t = 8192), the frame sequencer's next step is 0, wave RAM is zero, and the
high-pass filter starts charged to the initial DC so the output starts at 0 without a click.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from synthic.apu.apu import apu_settle
from synthic.apu.noise import make_noise_tables
from synthic.apu.state import (
    ACTIVE,
    BLOCK_T,
    BOX_BELOW_T,
    CLOCK_HZ,
    DAC,
    DEFAULT_GAIN,
    DEFAULT_RATE_HZ,
    DELTA_ROWS,
    DIV_ORIGIN_T,
    DUTY_TABLE,
    ENV_TIMER,
    FREQ,
    HPF_CHARGE_PER_T,
    HPF_K,
    HPF_ON,
    IO,
    KERNEL_W,
    LENGTH,
    MIX_MASK,
    N_FLOAT,
    N_INT,
    NEXT_STEP_T,
    NR11,
    NR12,
    NR13,
    NR14,
    NR50,
    NR51,
    OUT_CAP,
    OUT_GAIN,
    POWER,
    RATE_HZ,
    SEQ_NEXT_T,
    SEQUENCER_PERIOD_T,
    SYNC_NEXT_T,
    SYNC_SAMPLES,
    SYNTH,
    T_PER_SAMPLE,
    TAB_DUTY,
    TAB_DUTY_CUM,
    TAB_SIZE,
    WAVE_DIRTY,
    ApuState,
    prefix_sums,
)
from synthic.apu.synth import KERNEL_WIDTH, make_kernel

INITIAL_STATES = ("boot", "quiet", "off")


@cache
def _kernel(width: int) -> np.ndarray:
    return make_kernel(width).reshape(-1)


@cache
def _tables() -> np.ndarray:
    tab = np.zeros(TAB_SIZE, np.int32)
    tab[TAB_DUTY : TAB_DUTY + 32] = DUTY_TABLE.reshape(-1)
    for duty, row in enumerate(DUTY_TABLE):
        tab[TAB_DUTY_CUM + 9 * duty : TAB_DUTY_CUM + 9 * duty + 9] = prefix_sums(row)
    for offset, table in make_noise_tables().values():
        tab[offset : offset + len(table)] = table
    return tab


def apu_new(
    rate_hz: int = DEFAULT_RATE_HZ,
    *,
    initial: str = "boot",
    synthesize: bool = True,
    out_capacity: int | None = None,
    channels: int = 0b1111,
    gain: float = DEFAULT_GAIN,
    hpf: bool = True,
    div_counter_at_t0: int = 0,
    box_below_samples: float = 0.75,
    kernel_width: int = KERNEL_WIDTH,
) -> ApuState:
    """A new APU state.

    rate_hz: output sample rate. synthesize: False keeps only the observable state (no audio,
    cheapest). out_capacity: finished samples held for `apu_take_samples` (default one
    second; samples become final a block of SYNC_SAMPLES = 2048 at a time, so allow two blocks
    plus what piles up between calls; samples that do not fit are counted in i[OUT_DROPPED]).
    channels: bit c set = CH(c+1) audible (solo/mute). gain: output scale (DEFAULT_GAIN: four
    channels at full swing and master volume 8 = 0.5). hpf: apply the DMG high-pass filter.
    div_counter_at_t0: DIV's 16-bit counter at t = 0 (the emulator's post-boot DIV phase).
    box_below_samples: CH3/CH4 steps closer than this many output samples are box-filtered
    instead of band-limited (where a step costs more than a per-sample average).
    kernel_width: taps of the band-limited step (quality vs. speed).
    """
    if initial not in INITIAL_STATES:
        raise ValueError(f"initial must be one of {INITIAL_STATES}, not {initial!r}")
    rate_hz = int(rate_hz)
    if not 8000 <= rate_hz <= 384_000:
        raise ValueError(f"rate_hz must be between 8000 and 384000, not {rate_hz}")
    if kernel_width < 2 or kernel_width % 2:
        raise ValueError(f"kernel_width must be even and >= 2, not {kernel_width}")
    if out_capacity is None:
        out_capacity = rate_hz
    out_capacity = max(int(out_capacity), 1)
    i = np.zeros(N_INT, np.int64)
    f = np.zeros(N_FLOAT, np.float64)
    i[RATE_HZ] = rate_hz
    i[SYNTH] = 1 if synthesize else 0
    i[MIX_MASK] = channels & 0xF
    i[HPF_ON] = 1 if hpf else 0
    i[BOX_BELOW_T] = int(box_below_samples * CLOCK_HZ / rate_hz)
    i[BLOCK_T] = SYNC_SAMPLES * CLOCK_HZ // rate_hz
    i[SYNC_NEXT_T] = i[BLOCK_T] if synthesize else 1 << 62
    i[KERNEL_W] = kernel_width
    i[OUT_CAP] = out_capacity
    div0 = int(div_counter_at_t0) & 0xFFFF
    i[DIV_ORIGIN_T] = -div0
    i[SEQ_NEXT_T] = SEQUENCER_PERIOD_T - (div0 % SEQUENCER_PERIOD_T)  # next fall of DIV bit 4
    i[WAVE_DIRTY] = 1
    for c in range(4):
        i[LENGTH + c] = 256 if c == 2 else 64
        i[ENV_TIMER + c] = 8
    f[OUT_GAIN] = gain
    f[T_PER_SAMPLE] = CLOCK_HZ / rate_hz
    f[HPF_K] = HPF_CHARGE_PER_T ** (CLOCK_HZ / rate_hz) if hpf else 1.0
    if initial != "off":
        i[POWER] = 1
        i[IO + NR11] = 0x80  # duty 50 %
        i[IO + NR12] = 0xF3
        i[IO + NR13] = 0xC1  # the boot chime's second note
        i[IO + NR14] = 0x87
        i[IO + NR50] = 0x77
        i[IO + NR51] = 0xF3
        i[DAC + 0] = 1
        i[FREQ + 0] = 0x7C1
        i[NEXT_STEP_T + 0] = 4 * (2048 - 0x7C1)
        i[ACTIVE + 0] = 1 if initial == "boot" else 0
    st = ApuState(
        i=i,
        f=f,
        tab=_tables().copy(),
        kernel=_kernel(kernel_width),
        delta_l=np.zeros(DELTA_ROWS, np.float32),
        delta_r=np.zeros(DELTA_ROWS, np.float32),
        out=np.empty((out_capacity, 2), np.float32),  # (rows are written before they count)
    )
    apu_settle(st)
    return st
