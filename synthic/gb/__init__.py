"""A headless Game Boy (DMG) that runs game code exactly and fast, to record its sound.

Compiled with numba; the state lives in numpy arrays so that every function is cached on disk.
Modules, one idea each:

- `cpu_state`: the CPU state array (registers, IME, modes, T-cycle counter) and status codes
- `bus`: the memory bus every access goes through, with its T-cycle; flat test memory and the
  hooks where cartridge, I/O, timer, PPU and APU plug in
- `sm83`: the interpreter loop, GENERATED (do not edit) by `gen_sm83` (the opcodes) with
  `gen_sm83_loop` (fetch, operand, read and write stages, interrupts, HALT)
- `cpu`: run / step from Python
- `single_step`: runs single-instruction CPU test vectors
- `jit_cache`: flushes a module's numba cache when a source it depends on changed
- `header`, `gbs`: cartridge and GBS files (plain Python)

Importing this package is cheap: numba loads only with the modules that use it.
"""
