"""A headless Game Boy (DMG) that runs game code exactly and fast, to record its sound.

Compiled with numba; the state lives in numpy arrays so that every function is cached on disk.
`from synthic.gb import Emulator` (synthic.gb.emulator) is the Python API: load a ROM or a GBS
song, run it, press buttons, read the recording of its sound writes, its serial output, memory.

Modules, one idea each:

- `emulator`: the Emulator class; `buttons`: button scripts; `system`: a DMG in its post-boot
  state with a cartridge plugged in
- `cpu_state`: the CPU state array (registers, IME, modes, T-cycle counter) and status codes
- `bus`: the memory bus every access goes through, with its T-cycle; flat test memory and the
  hooks where cartridge, I/O, timer, PPU and APU plug in
- `sm83`: the interpreter loop, GENERATED (do not edit) by `tools/gen_sm83.py` (the opcodes)
  with `tools/gen_sm83_loop.py` (fetch, operand, read and write stages, interrupts, HALT)
- `slots`: the bus state array's slots, one block per device
- `timer`, `ppu` (timing only), `joypad`, `serial`, `dma`, `mbc` (mappers, cartridge RAM, MBC3
  clock): the devices behind the bus, each computed lazily from the T-cycle
- `cpu`: run / step from Python
- `jit_cache`: flushes a module's numba cache when a source it depends on changed
- `header`, `gbs`: cartridge and GBS files (plain Python)

Importing this package is cheap: numba loads only with the modules that use it.
"""

from __future__ import annotations

__all__ = ["Emulator"]


def __getattr__(name: str):
    if name == "Emulator":  # imported on first use: numba loads only then
        from synthic.gb.emulator import Emulator

        return Emulator
    raise AttributeError(f"module 'synthic.gb' has no attribute {name!r}")
