"""The event model: construction, validation, slicing, concatenation, the semantic view."""

from __future__ import annotations

import numpy as np
import pytest

from synthic.events import semantic
from synthic.events.recording import Recording, Write
from synthic.events.registers import REGISTERS


def test_columns_and_iteration():
    rec = Recording([0, 0, 10], [0xFF26, 0xFF12, 0xFF14], [0x80, 0xF3, 0x87], meta={"title": "t"})
    assert rec.t_cycles.dtype == np.int64 and rec.address.dtype == np.uint16
    assert list(rec) == [Write(0, 0xFF26, 0x80), Write(0, 0xFF12, 0xF3), Write(10, 0xFF14, 0x87)]
    assert rec[1] == Write(0, 0xFF12, 0xF3)
    assert rec.channel.tolist() == [0, 1, 1]
    assert rec.length_cycles == 10


@pytest.mark.parametrize(
    "t, a, v, message",
    [
        ([5, 4], [0xFF12, 0xFF12], [0, 0], "backwards"),
        ([0], [0xFF40], [0], "not a sound register"),
        ([0], [0xFF0F], [0], "not a sound register"),
        ([0], [0xFF12], [256], "not a byte"),
        ([-1], [0xFF12], [0], "negative"),
    ],
)
def test_invalid_writes_are_refused(t, a, v, message):
    with pytest.raises(ValueError, match=message):
        Recording(t, a, v)


def test_length_before_last_write_is_refused():
    with pytest.raises(ValueError, match="ends before"):
        Recording([100], [0xFF12], [0], length_cycles=50)


def test_between_rebases_time_and_clips_markers():
    rec = Recording([0, 100, 200, 300], [0xFF12] * 4, [1, 2, 3, 4], length_cycles=400)
    rec.add_marker(50, 250, "buttons")
    part = rec.between(100, 300)
    assert part.t_cycles.tolist() == [0, 100]
    assert part.value.tolist() == [2, 3]
    assert part.length_cycles == 200
    assert part.markers == [{"start": 0, "end": 150, "label": "buttons"}]
    assert rec.between(100, 300, rebase=False).t_cycles.tolist() == [100, 200]


def test_slice_by_index_keeps_clock():
    rec = Recording([0, 10, 20], [0xFF12] * 3, [1, 2, 3], length_cycles=30)
    part = rec[1:]
    assert part.t_cycles.tolist() == [10, 20] and part.length_cycles == 30


def test_concatenate_shifts_later_parts():
    a = Recording([0, 5], [0xFF12, 0xFF13], [1, 2], length_cycles=10)
    b = Recording([0, 3], [0xFF14, 0xFF12], [3, 4], length_cycles=7)
    b.add_marker(0, 3, "x")
    both = Recording.concatenate([a, b], gap_cycles=2)
    assert both.t_cycles.tolist() == [0, 5, 12, 15]
    assert both.value.tolist() == [1, 2, 3, 4]
    assert both.length_cycles == 19
    assert both.markers == [{"start": 12, "end": 15, "label": "x"}]


def test_semantic_view_is_lossless_for_every_register_and_value():
    for address in REGISTERS:
        for value in range(256):
            ins = semantic.decode_write(7, address, value)
            assert semantic.encode(ins) == (7, address, value), (hex(address), value)


def test_semantic_decoding_names_the_fields():
    ins = semantic.decode_write(0, 0xFF14, 0xC7)
    assert (ins.channel, ins.kind) == (1, "FREQ_HI")
    assert ins.params == {"freq": 7, "length_enable": 1, "trigger": 1}
    assert semantic.decode_write(0, 0xFF22, 0x5B).params == {"shift": 5, "width7": 1, "divisor": 3}
    assert semantic.decode_write(0, 0xFF35, 0x8F).params == {"index": 5, "value": 0x8F}
    assert semantic.decode_write(0, 0xFF24, 0x77).kind == "VOLUME"
    assert semantic.decode_write(0, 0xFF26, 0x8F).unused == 0x0F  # NR52 bits 0-3 are read-only
    rec = Recording([0, 4], [0xFF12, 0xFF13], [0xF3, 0x42])
    assert semantic.encode_all(semantic.decode(rec)).same_writes(rec)


def test_encoding_rejects_fields_that_do_not_fit():
    ins = semantic.Instruction(
        0, 1, "ENVELOPE", {"volume": 16, "increase": 0, "period": 0}, 0, 0xFF12
    )
    with pytest.raises(ValueError, match="does not fit"):
        semantic.encode(ins)
