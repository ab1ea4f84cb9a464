"""The DMG sound chip (APU): one model shared by the emulator and the renderer.

Emulator side: numba functions (synthic.apu.jit: cached, nogil, no reference counting; callable
from any `@njit` code) on an `ApuState` from `apu_new`, with times in absolute, non-decreasing
T-cycles. Pass int64 for times, addresses and values: each new argument type compiles anew.

    apu_write(state, t_cycles, address, value)     FF10-FF3F
    apu_read(state, t_cycles, address) -> int      read masks, NR52 status, wave RAM rules
    apu_div_reset(state, t_cycles)                 DIV written (may clock the frame sequencer)
    apu_run_until(state, t_cycles)                 catch up (synthesising output if enabled)
    apu_take_samples(state, dest) -> int           finished float32 (left, right) samples
    apu_flush(state, t_cycles)                     finish every sample before t

`apu_new(rate_hz, initial="boot", synthesize=True, ...)`: synthesize=False keeps only what a
game can observe (NR52, length timers, sweep, wave RAM access) at a fraction of the cost.

Renderer side: `render(t_cycles, address, value, length_cycles, rate_hz=44100, solo=, mute=)`
returns float32 (n, 2); `clipping(audio)` reports the peak.

Modules: state (the arrays and their slots), synth (band-limited buffer), channel (DAC, mixer,
length, envelope), square, wave, noise, advance (lazy catch-up), sequencer (FrameSequencer,
DIV), apu (register interface), boot (initial states), render, bench (speed).
"""

from synthic.apu.apu import (
    apu_div_reset,
    apu_flush,
    apu_read,
    apu_run_until,
    apu_take_samples,
    apu_write,
)
from synthic.apu.boot import apu_new
from synthic.apu.jit import flush_stale_cache
from synthic.apu.render import channel_mask, clipping, render
from synthic.apu.state import CLOCK_HZ, DEFAULT_GAIN, DEFAULT_RATE_HZ, ApuState

flush_stale_cache()  # every APU module is imported by now and nothing has compiled yet

__all__ = [
    "CLOCK_HZ",
    "DEFAULT_GAIN",
    "DEFAULT_RATE_HZ",
    "ApuState",
    "apu_div_reset",
    "apu_flush",
    "apu_new",
    "apu_read",
    "apu_run_until",
    "apu_take_samples",
    "apu_write",
    "channel_mask",
    "clipping",
    "render",
]
