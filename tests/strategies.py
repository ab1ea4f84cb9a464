"""Hypothesis strategies for recordings."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from synthic.events.recording import KNOWN_META_KEYS, MAX_LENGTH_CYCLES, Recording

PULSE_REGISTERS = [0xFF11, 0xFF12, 0xFF13, 0xFF14, 0xFF16, 0xFF17, 0xFF18, 0xFF19]

# Deltas shaped like music: many writes on the same or nearby cycles, some frame-sized gaps,
# a few very long silences (beyond 32 bits for the native formats).
deltas = st.one_of(
    st.integers(0, 16),
    st.integers(0, 100_000),
    st.integers(0, 2**32 - 1),
)
big_deltas = st.one_of(deltas, st.integers(0, 2**40))

meta_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def recordings(draw, registers=None, delta=big_deltas, with_meta=True, max_writes=200):
    n = draw(st.integers(0, max_writes))
    regs = registers or list(range(0xFF10, 0xFF40))
    # Capped so that the recording stays within the 24 hours a reader accepts.
    t = np.minimum(
        np.cumsum([draw(delta) for _ in range(n)], dtype=np.int64), MAX_LENGTH_CYCLES - 10_000_000
    )
    a = [draw(st.sampled_from(regs)) for _ in range(n)]
    v = [draw(st.integers(0, 255)) for _ in range(n)]
    last = int(t[-1]) if n else 0
    length = last + draw(st.integers(0, 10_000_000))
    meta = {}
    if with_meta:
        free_keys = st.text(max_size=10).filter(lambda k: k not in KNOWN_META_KEYS)
        meta = draw(st.dictionaries(free_keys, meta_values, max_size=4))
        if draw(st.booleans()):
            meta["markers"] = [
                {
                    "start": s,
                    "end": s + d,
                    "label": draw(st.sampled_from(["buttons", "listen", "wait"])),
                }
                for s, d in draw(
                    st.lists(st.tuples(st.integers(0, length), st.integers(0, 1000)), max_size=3)
                )
            ]
    return Recording(t, a, v, length_cycles=length, meta=meta)
