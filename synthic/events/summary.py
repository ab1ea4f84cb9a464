"""What a recording holds, in numbers: the data behind `synthic info`."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthic.events.recording import Recording
from synthic.events.registers import CHANNEL_NAMES, CLOCK_HZ, FIRST_ADDRESS, N_ADDRESSES, REGISTERS


def summarise(rec: Recording) -> dict[str, Any]:
    """Duration, writes in total, per channel and per register (all registers, zeros kept)."""
    per_register = np.bincount(
        rec.address.astype(np.int64) - FIRST_ADDRESS, minlength=N_ADDRESSES
    ).tolist()
    per_channel = np.bincount(rec.channel.astype(np.int64), minlength=5).tolist()
    seconds = rec.length_cycles / CLOCK_HZ
    return {
        "writes": len(rec),
        "length_cycles": rec.length_cycles,
        "duration_seconds": round(seconds, 6),
        "writes_per_second": round(len(rec) / seconds, 3) if seconds else None,
        "writes_per_channel": {CHANNEL_NAMES[c]: per_channel[c] for c in (1, 2, 3, 4, 0)},
        "writes_per_register": {
            REGISTERS[FIRST_ADDRESS + i].name: n for i, n in enumerate(per_register)
        },
        "markers": len(rec.markers),
    }
