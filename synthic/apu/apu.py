"""The APU's bus interface: register writes and reads at T-cycle times, catch-up, DIV writes.

These are the functions the emulator calls from its own `@njit` code when the game touches
FF10-FF3F or DIV, and that the renderer calls for each recorded write. Every call first runs the
APU up to its time (`apu_run_until`): the frame sequencer fires at its DIV edges, and every
`BLOCK_T` (about 2048 output samples) all channels catch up and the output before that point is
integrated and filtered. Channels otherwise advance lazily (synthic.apu.advance), by whole
waveform steps or output samples, so the cost follows the notes and the output samples, not the
T-cycles. Times are absolute T-cycles and must not decrease from one call to the next.

Register behaviour follows Pan Docs ("Audio", "Audio Registers", "Audio Details") for a DMG:

- NR52 bit 7 off clears NR10-NR51 and turns every channel and DAC off; until it is turned back
  on, writes are ignored except to NR52, wave RAM, and the length part of NR11/NR21/NR31/NR41
  (the DMG keeps its length timers through power off and lets them be written).
- NRx2 (NR30 for CH3) with the DAC bits clear turns the DAC and the channel off; NRx2 written
  while the channel plays changes its volume ("zombie mode", synthic.apu.channel).
- Reads OR in the unused bits (READ_MASK); NR52 reports the power bit and the four channels'
  generators (not their DACs).
"""

from __future__ import annotations

import numpy as np

from synthic.apu.advance import advance_all, advance_channel, advance_one
from synthic.apu.channel import (
    digital_output,
    envelope_trigger,
    length_write_nrx4,
    refresh,
    refresh_at,
    set_gains,
    set_level,
    zombie_write,
)
from synthic.apu.jit import apu_jit
from synthic.apu.noise import noise_trigger
from synthic.apu.sequencer import div_apu_edge, div_reset, sequencer_power_on
from synthic.apu.square import nr10_write, square_freq_write, square_trigger
from synthic.apu.state import (
    ACTIVE,
    BLOCK_T,
    CLOCK_BITS,
    CLOCK_HZ,
    DAC,
    ENV_RUNNING,
    ENV_TIMER,
    FREQ,
    IO,
    KERNEL_W,
    LENGTH,
    LENGTH_ON,
    MUTED,
    NOISE,
    NOW_T,
    NR11,
    NR21,
    NR31,
    NR41,
    NR50,
    NR51,
    NR52,
    POS,
    POWER,
    RATE_HZ,
    READ_MASK,
    SEQ_NEXT_T,
    SEQUENCER_PERIOD_T,
    SWEEP_ENABLED,
    SWEEP_NEGATED,
    SWEEP_SHADOW,
    SWEEP_TIMER,
    SYNC_NEXT_T,
    SYNTH,
    VOLUME,
    WAVE,
    WAVE_BUFFER,
    WAVE_DIRTY,
    WAVE_RAM,
)
from synthic.apu.synth import finalize, sample_index, take_samples
from synthic.apu.wave import wave_ram_index, wave_trigger

FIRST_ADDRESS = 0xFF10


@apu_jit
def _sync(st, t_cycles):
    """Block boundary: all channels catch up; output before t (less the step reach) is final."""
    i = st.i
    advance_all(st, t_cycles)
    if i[SYNTH]:
        finalize(st, sample_index(i[RATE_HZ], t_cycles) - (i[KERNEL_W] >> 1) + 1)


@apu_jit
def apu_run_until(st, t_cycles):
    """Advance the APU to T-cycle t: frame sequencer edges, block boundaries, output."""
    i = st.i
    if t_cycles <= i[NOW_T]:
        return
    while True:
        seq_t = i[SEQ_NEXT_T]
        sync_t = i[SYNC_NEXT_T]
        if seq_t > t_cycles and sync_t > t_cycles:
            break
        if seq_t <= sync_t:
            i[NOW_T] = seq_t
            i[SEQ_NEXT_T] = seq_t + SEQUENCER_PERIOD_T
            div_apu_edge(st, seq_t)
        else:
            i[NOW_T] = sync_t
            i[SYNC_NEXT_T] = sync_t + i[BLOCK_T]
            _sync(st, sync_t)
    i[NOW_T] = t_cycles


@apu_jit(inline="always")
def catch_up(st, t_cycles):
    """apu_run_until, with the common case (no edge or boundary due) handled in line."""
    i = st.i
    if t_cycles > i[NOW_T]:
        if t_cycles < i[SEQ_NEXT_T] and t_cycles < i[SYNC_NEXT_T]:
            i[NOW_T] = t_cycles
        else:
            apu_run_until(st, t_cycles)


@apu_jit
def _update_mixer(st, t_cycles):
    """NR50/NR51 (or power) changed at t: all channels catch up, then take their new levels."""
    advance_all(st, t_cycles)
    set_gains(st)
    for c in range(4):
        refresh_at(st, c, t_cycles)


@apu_jit
def _power_write(st, t_cycles, value):
    i = st.i
    on = (value >> 7) & 1
    if on and not i[POWER]:
        i[POWER] = 1
        sequencer_power_on(st, t_cycles)
        advance_all(st, t_cycles)
        i[POS + 0] = 0
        i[POS + 1] = 0
        i[WAVE_BUFFER] = 0
    elif not on and i[POWER]:
        advance_all(st, t_cycles)
        for reg in range(NR52):
            i[IO + reg] = 0
        for c in range(4):
            i[ACTIVE + c] = 0
            i[DAC + c] = 0
            i[LENGTH_ON + c] = 0  # the length timers themselves survive (DMG)
            i[FREQ + c] = 0
            i[VOLUME + c] = 0
            i[ENV_TIMER + c] = 0
            i[ENV_RUNNING + c] = 0
            i[MUTED + c] = 0
        i[SWEEP_SHADOW] = 0
        i[SWEEP_TIMER] = 0
        i[SWEEP_ENABLED] = 0
        i[SWEEP_NEGATED] = 0
        i[WAVE_DIRTY] = 1
        i[POWER] = 0
        _update_mixer(st, t_cycles)


@apu_jit(inline="always")
def _channel_write(st, t_cycles, reg, value):
    """A write to NR10-NR44 with the APU on."""
    i = st.i
    c = reg // 5
    x = reg % 5
    advance_channel(st, c, t_cycles)
    old = i[IO + reg]
    i[IO + reg] = value
    if x == 0:
        if c == 0:
            nr10_write(st, old, value)
        elif c == WAVE:
            i[DAC + WAVE] = value >> 7
            if not i[DAC + WAVE]:
                i[ACTIVE + WAVE] = 0
    elif x == 1:
        i[LENGTH + c] = 256 - value if c == WAVE else 64 - (value & 63)
    elif x == 2:
        if c == WAVE:
            i[WAVE_DIRTY] = 1
        else:
            i[DAC + c] = 1 if value & 0xF8 else 0
            if not i[DAC + c]:
                i[ACTIVE + c] = 0
            elif i[ACTIVE + c]:
                zombie_write(st, c, old, value)
    elif x == 3:
        if c < NOISE:
            square_freq_write(st, c, 3, value)
    else:
        if c < NOISE:
            square_freq_write(st, c, 4, value)
        length_write_nrx4(st, c, value)
        if value & 0x80:
            if c == WAVE:
                wave_trigger(st, t_cycles)
            else:
                envelope_trigger(st, c)
                if c == NOISE:
                    noise_trigger(st, t_cycles)
                else:
                    square_trigger(st, c, t_cycles)
    # Any of these may change the output (DAC, volume, duty, on/off): one band-limited step.
    refresh(st, c, t_cycles)


@apu_jit
def apu_write(st, t_cycles, address, value):
    """The CPU (or a recording) writes value to address (FF10-FF3F) at T-cycle t."""
    catch_up(st, t_cycles)
    reg = address - FIRST_ADDRESS
    if reg < 0 or reg >= 0x30:
        return
    value &= 0xFF
    i = st.i
    if reg >= WAVE_RAM:
        advance_one(st, np.int64(WAVE), t_cycles)
        k = wave_ram_index(st, t_cycles, reg - WAVE_RAM)
        if k >= 0:
            i[IO + WAVE_RAM + k] = value
            i[WAVE_DIRTY] = 1
        return
    if reg == NR52:
        _power_write(st, t_cycles, value)
        return
    if i[POWER] == 0:
        if reg == NR11 or reg == NR21 or reg == NR41:
            i[LENGTH + reg // 5] = 64 - (value & 63)
        elif reg == NR31:
            i[LENGTH + WAVE] = 256 - value
        return
    if reg == NR50 or reg == NR51:
        i[IO + reg] = value
        _update_mixer(st, t_cycles)
    elif reg < NR50 and reg != 0x05 and reg != 0x0F:  # FF15, FF1F, FF27-FF2F do not exist
        _channel_write(st, t_cycles, reg, value)


@apu_jit
def apu_read(st, t_cycles, address):
    """What the CPU reads from address (FF10-FF3F) at T-cycle t."""
    catch_up(st, t_cycles)
    reg = address - FIRST_ADDRESS
    if reg < 0 or reg >= 0x30:
        return 0xFF
    i = st.i
    if reg >= WAVE_RAM:
        advance_one(st, np.int64(WAVE), t_cycles)
        k = wave_ram_index(st, t_cycles, reg - WAVE_RAM)
        return i[IO + WAVE_RAM + k] if k >= 0 else 0xFF
    if reg == NR52:
        status = 0x70 | (i[POWER] << 7)
        for c in range(4):
            status |= i[ACTIVE + c] << c
        return status
    return i[IO + reg] | READ_MASK[reg]


@apu_jit
def apu_div_reset(st, t_cycles):
    """DIV (FF04) written at T-cycle t: the counter restarts, maybe clocking the sequencer."""
    catch_up(st, t_cycles)
    div_reset(st, t_cycles)


@apu_jit
def apu_flush(st, t_cycles):
    """Run to t and finish every output sample before t (the end of a render)."""
    catch_up(st, t_cycles)
    advance_all(st, t_cycles)
    if st.i[SYNTH]:
        rate = st.i[RATE_HZ]
        finalize(st, (t_cycles * rate + CLOCK_HZ - 1) >> CLOCK_BITS)


@apu_jit
def apu_take_samples(st, dest):
    """Move finished samples into dest (float32 [n, 2]); returns how many."""
    return take_samples(st, dest)


@apu_jit
def apu_settle(st):
    """Set gains and levels from the registers without a transition: the state at t = 0.

    The output filter starts at 0, as if the high-pass capacitor had long been charged to the
    initial DC, so a render does not begin with a click.
    """
    set_gains(st)
    for c in range(4):
        set_level(st, c, digital_output(st, c))
