"""The VGM command walker, compiled with numba: one pass over the command stream in machine code.

A VGM's commands have different lengths, so finding them is a sequential walk; in Python that
walk cost about 0.3 µs a command (a 64 MiB file: 20 s, and more in lists of Python ints). Here
it runs at about a nanosecond a byte. `vgm.read` calls `walk` twice: once to validate and count
the writes, then, with arrays of exactly that size, to fill them, so memory is only ever what
the file holds. This module is imported only when a VGM is read (numba takes a moment to load).
"""

from __future__ import annotations

import numpy as np

from synthic.numba_cache import jit

# Outcomes of `walk` (its first return value); the second is the byte offset concerned.
OK = 0
NO_END = 1  # ran off the end of the file without an end command (0x66)
TRUNCATED = 2  # a command runs past the end of the file
BAD_REGISTER = 3  # 0xB3 to a register beyond 0xFF3F
BLOCK_PAST_END = 4  # a data block (0x67) runs past the end of the file
UNKNOWN = 5  # an unknown command byte
TOO_MANY_WRITES = 6  # more writes than max_writes
TOO_LONG = 7  # the waits add up to more than max_samples

# Bytes each command occupies (including the command byte), 0 = unknown. From the VGM 1.71
# specification's command table; 0xB3, the waits, 0x66 (end) and 0x67 (data block) are handled
# separately.
LENGTHS = np.zeros(256, np.int64)
LENGTHS[0x30:0x40] = 2
LENGTHS[0x40:0x4F] = 3
LENGTHS[0x4F] = LENGTHS[0x50] = 2
LENGTHS[0x51:0x60] = 3
LENGTHS[0x61] = 3
LENGTHS[0x62] = LENGTHS[0x63] = 1
LENGTHS[0x68] = 12
LENGTHS[0x70:0x90] = 1
for _c, _n in {0x90: 5, 0x91: 5, 0x92: 6, 0x93: 11, 0x94: 2, 0x95: 5}.items():
    LENGTHS[_c] = _n
LENGTHS[0xA0:0xC0] = 3
LENGTHS[0xC0:0xE0] = 4
LENGTHS[0xE0:0x100] = 5


@jit
def walk(data, pos, loop_at, lengths, max_writes, max_samples, fill, t_out, a_out, v_out):
    """Walk the command stream of `data` (uint8) from `pos` to the end command.

    Returns (outcome, offset, writes, samples, loop_samples, dropped): the writes to the first
    chip (stored in t_out/a_out/v_out when `fill`), the total samples, the sample time of the
    byte offset `loop_at` (-1 for none; -1 if never reached) and the writes to a second chip.
    """
    size = data.shape[0]
    samples = np.int64(0)
    n = np.int64(0)
    dropped = np.int64(0)
    loop_samples = np.int64(-1)
    last = pos  # the command just walked: the wait that passes max_samples
    while True:
        if loop_at >= 0 and loop_samples < 0 and pos >= loop_at:
            loop_samples = samples
        if samples > max_samples:
            return TOO_LONG, last, n, samples, loop_samples, dropped
        last = pos
        if pos >= size:
            return NO_END, pos, n, samples, loop_samples, dropped
        c = np.int64(data[pos])
        if c == 0xB3:
            if pos + 3 > size:
                return TRUNCATED, pos, n, samples, loop_samples, dropped
            aa = np.int64(data[pos + 1])
            if aa & 0x80:
                dropped += 1
            elif aa > 0x2F:
                return BAD_REGISTER, pos + 1, n, samples, loop_samples, dropped
            else:
                if n >= max_writes:
                    return TOO_MANY_WRITES, pos, n, samples, loop_samples, dropped
                if fill:
                    t_out[n] = samples
                    a_out[n] = aa
                    v_out[n] = data[pos + 2]
                n += 1
            pos += 3
        elif 0x70 <= c <= 0x7F:
            samples += (c & 0xF) + 1
            pos += 1
        elif 0x80 <= c <= 0x8F:
            samples += c & 0xF
            pos += 1
        elif c == 0x61:
            if pos + 3 > size:
                return TRUNCATED, pos, n, samples, loop_samples, dropped
            samples += np.int64(data[pos + 1]) | (np.int64(data[pos + 2]) << 8)
            pos += 3
        elif c == 0x62:
            samples += 735
            pos += 1
        elif c == 0x63:
            samples += 882
            pos += 1
        elif c == 0x66:
            return OK, pos, n, samples, loop_samples, dropped
        elif c == 0x67:
            if pos + 7 > size:
                return TRUNCATED, pos, n, samples, loop_samples, dropped
            block = (
                np.int64(data[pos + 3])
                | (np.int64(data[pos + 4]) << 8)
                | (np.int64(data[pos + 5]) << 16)
                | (np.int64(data[pos + 6] & 0x7F) << 24)
            )
            if pos + 7 + block > size:
                return BLOCK_PAST_END, pos + 3, n, samples, loop_samples, dropped
            pos += 7 + block
        else:
            length = lengths[c]
            if length == 0:
                return UNKNOWN, pos, n, samples, loop_samples, dropped
            if pos + length > size:
                return TRUNCATED, pos, n, samples, loop_samples, dropped
            pos += length
