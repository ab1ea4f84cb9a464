"""Property tests: every format round-trips what it can represent."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthic import events
from synthic.events import vgm
from tests.strategies import PULSE_REGISTERS, deltas, recordings

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(rec=recordings())
def test_native_binary_round_trips_exactly(tmp_path_factory, rec):
    path = tmp_path_factory.mktemp("b") / "r.events"
    events.write(rec, path)
    assert events.read(path).equals(rec)


@SETTINGS
@given(rec=recordings(), chunk=st.integers(1, 50))
def test_native_binary_streams_in_small_chunks(tmp_path_factory, rec, chunk):
    from synthic.events import native

    path = tmp_path_factory.mktemp("s") / "r.events"
    with native.EventsWriter(path, meta=rec.meta, chunk=chunk) as w:
        for lo in range(0, len(rec), 7):
            w.append(rec.t_cycles[lo : lo + 7], rec.address[lo : lo + 7], rec.value[lo : lo + 7])
        w.length_cycles = rec.length_cycles
    assert native.read(path).equals(rec)
    parts = list(native.iter_chunks(path))
    assert sum(len(p[0]) for p in parts) == len(rec)
    assert all(len(p[0]) <= chunk for p in parts)


@SETTINGS
@given(rec=recordings())
def test_native_text_round_trips_exactly(tmp_path_factory, rec):
    path = tmp_path_factory.mktemp("t") / "r.events.txt"
    events.write(rec, path)
    assert events.read(path).equals(rec)


@SETTINGS
@given(rec=recordings(delta=deltas, with_meta=False), compress=st.booleans())
def test_vgm_round_trips_within_its_quantisation(tmp_path_factory, rec, compress):
    path = tmp_path_factory.mktemp("v") / ("r.vgz" if compress else "r.vgm")
    notes = events.write(rec, path)
    back = events.read(path)
    assert np.array_equal(back.address, rec.address) and np.array_equal(back.value, rec.value)
    error = np.abs(back.t_cycles - rec.t_cycles)
    half_sample = 4194304 / 44100 / 2
    assert (error <= half_sample + 1).all()
    assert int(error.max(initial=0)) == int(notes[0].split("largest error ")[1].split()[0])
    # Quantisation is idempotent: a second trip changes nothing.
    events.write(back, path)
    assert events.read(path).same_writes(back)


@SETTINGS
@given(rec=recordings(registers=PULSE_REGISTERS, delta=deltas, with_meta=False))
def test_original_binary_round_trips_pulse_data(tmp_path_factory, rec):
    path = tmp_path_factory.mktemp("o") / "r.bin"
    assert not events.write(rec, path)  # nothing lost
    assert events.read(path).same_writes(rec)


@SETTINGS
@given(rec=recordings(registers=PULSE_REGISTERS, delta=deltas, with_meta=False))
def test_original_text_round_trips_pulse_data(tmp_path_factory, rec):
    # The text form has no place for NR14/NR24 bits 3-5, which the hardware ignores.
    hi = np.isin(rec.address, (0xFF14, 0xFF19))
    rec.value[hi] &= 0xC7
    path = tmp_path_factory.mktemp("o") / "r.txt"
    assert not events.write(rec, path)
    assert events.read(path).same_writes(rec)


def test_vgm_loop_point_survives_export(tmp_path):
    t = [0, 100_000, 150_000, 200_000]
    rec = events.Recording(t, [0xFF12, 0xFF13, 0xFF14, 0xFF12], [1, 2, 3, 4], length_cycles=400_000)
    rec.meta["loop_cycles"] = 150_000
    path = tmp_path / "loop.vgm"
    events.write(rec, path)
    back = events.read(path)
    assert back.meta["loop_cycles"] == vgm.samples_to_cycles(vgm.cycles_to_samples(150_000))
    data = path.read_bytes()
    loop_at = 0x1C + int.from_bytes(data[0x1C:0x20], "little")
    # The loop starts at the write made at the loop time: NR14 = 3.
    assert data[loop_at : loop_at + 3] == bytes((0xB3, 0x04, 3))
    total = int.from_bytes(data[0x18:0x1C], "little")
    assert int.from_bytes(data[0x20:0x24], "little") == total - vgm.cycles_to_samples(150_000)
