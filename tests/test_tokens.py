"""Tokenisation: both designs round-trip, the time rule's error, audio, the dataset files."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic import demo, events
from synthic.dataset import tokens as T
from synthic.dataset.split import split, write_manifest
from synthic.dataset.tokens import DESIGNS, Tokenizer, kept_writes, time_error
from synthic.events.recording import Recording
from tests.strategies import deltas, recordings

# Deltas without the multi-hour gaps (which only cost WAIT tokens).
short_deltas = st.one_of(st.integers(0, 16), st.integers(0, 100_000), st.integers(0, 2_000_000))


def sources(vectors_dir=None) -> dict[str, Recording]:
    out = {n: demo.render(n) for n in demo.song_names()}
    if vectors_dir is not None:
        for path in sorted((vectors_dir / "vgm").glob("*.vgm")):
            out[path.stem] = events.read(path)
    return out


def check_round_trip(tok: Tokenizer, rec: Recording) -> np.ndarray:
    ids = tok.encode(rec)
    assert ids.dtype == tok.dtype and ids[-1] == T.END and np.count_nonzero(ids == T.END) == 1
    assert ids.min() >= 0 and ids.max() < tok.vocab_size
    back = tok.decode(ids)
    # events -> tokens -> events: exact up to the time rule (and unused registers dropped)
    kept = kept_writes(rec)
    assert np.array_equal(back.address, kept.address)
    assert np.array_equal(back.value, kept.value)
    assert np.array_equal(back.t_cycles, tok.quantised_times(kept.t_cycles))
    assert np.abs(back.t_cycles - kept.t_cycles).max(initial=0) <= tok.bucket_cycles // 2
    assert back.length_cycles >= (back.t_cycles[-1] if len(back) else 0)
    assert abs(back.length_cycles - rec.length_cycles) <= tok.bucket_cycles // 2 or (
        len(kept) and back.length_cycles == back.t_cycles[-1]
    )
    # tokens -> events -> tokens: exact
    assert np.array_equal(tok.encode(back), ids)
    return ids


@pytest.mark.parametrize("design", DESIGNS)
def test_vocabulary(design):
    tok = Tokenizer(design)
    names = tok.token_names()
    assert len(names) == len(set(names)) == tok.vocab_size
    assert tok.vocab_size == (9615 if design == "write" else 436)
    assert names[T.END] == "END" and names[tok.wait_base] == "WAIT_1"
    assert tok.buckets == 77


@pytest.mark.parametrize("design", DESIGNS)
@settings(max_examples=60, deadline=None)
@given(rec=recordings(delta=short_deltas, with_meta=False, max_writes=80))
def test_round_trip_random_recordings(design, rec):
    check_round_trip(Tokenizer(design), rec)


@settings(max_examples=30, deadline=None)
@given(
    rec=recordings(delta=deltas, with_meta=False, max_writes=10),
    bucket=st.sampled_from([1, 48, 912, 3344, 70224]),
    wait=st.integers(1, 300),
)
def test_round_trip_other_parameters(rec, bucket, wait):
    for design in DESIGNS:
        check_round_trip(Tokenizer(design, bucket_cycles=bucket, max_wait=wait), rec)


def test_exact_with_one_cycle_buckets():
    rec = demo.render("twinkle")
    tok = Tokenizer(bucket_cycles=1)
    assert tok.decode(tok.encode(rec)).same_writes(rec)


def test_spelling():
    tok = Tokenizer("write", bucket_cycles=912, max_wait=4)
    names = tok.token_names()
    rec = Recording.from_writes(
        [(0, 0xFF12, 0xF0), (0, 0xFF14, 0x87), (1000, 0xFF27, 1), (70_224 * 10 + 2000, 0xFF30, 5)],
        length_cycles=70_224 * 11,
    )
    spelled = [names[i] for i in tok.encode(rec)]
    assert spelled == [
        "NR12=F0", "NR14=87", "WAIT_4", "WAIT_4", "WAIT_2", "AT_2", "WAVE0=05", "WAIT_1", "END"
    ]  # fmt: skip
    split_names = Tokenizer("split", max_wait=4).token_names()
    spelled = [split_names[i] for i in Tokenizer("split", max_wait=4).encode(rec)]
    assert spelled[:4] == ["R_NR12", "V_F0", "R_NR14", "V_87"]
    assert T.unused_writes(rec) == 1


def test_decode_refuses_malformed_unless_lenient():
    tok = Tokenizer("split")
    r, v = tok.write_base, tok.value_base
    with pytest.raises(ValueError, match="without its value"):
        tok.decode([r, r + 1, v])
    with pytest.raises(ValueError, match="without a register"):
        tok.decode([v])
    with pytest.raises(ValueError, match="goes back"):
        tok.decode([tok.at_base + 5, tok.at_base + 1])
    with pytest.raises(ValueError, match="outside"):
        tok.decode([tok.vocab_size])
    lenient = tok.decode([r, r + 1, v + 7, v, tok.at_base + 5, tok.at_base, T.END], strict=False)
    assert lenient.address.tolist() == [0xFF11] and lenient.value.tolist() == [7]
    assert lenient.length_cycles == 6 * tok.bucket_cycles


def test_real_music_round_trips_and_time_error(vectors):
    for design in DESIGNS:
        tok = Tokenizer(design)
        for name, rec in sources(vectors).items():
            check_round_trip(tok, rec)
            err = time_error(rec, tok)
            assert err.max_cycles <= 456 and err.max_ms < 0.11, name
            assert 0 < err.mean_cycles <= 300, name


def test_split_design_is_about_twice_as_long(vectors):
    for name, rec in sources(vectors).items():
        a = len(Tokenizer("write").encode(rec))
        b = len(Tokenizer("split").encode(rec))
        assert 1.5 < b / a < 2.0, name


def test_bits_per_second():
    losses = np.full(100, math.log(2))  # one bit per token
    assert T.bits_per_second(losses, 4.0) == pytest.approx(25.0)
    with pytest.raises(ValueError):
        T.bits_per_second(losses, 0)


def test_audio_within_tolerance(vectors):
    """Rendered, a decoded recording sounds like the original: mean log-mel difference below
    1 dB (measured 0.09-0.83 dB; merely delaying a recording by 152 cycles gives 0.01-0.5)."""
    from synthic.audio import render_recording
    from tests.audio_metrics import log_mel_distance

    recs = sources(vectors)
    tok = Tokenizer()
    for name in ["frere_jacques", "spooky_birthday"]:
        rec = recs[name]
        a = render_recording(rec)
        b = render_recording(tok.decode(tok.encode(rec)))
        assert abs(len(a) - len(b)) <= 1
        m = min(len(a), len(b))
        d = log_mel_distance(a[:m].mean(axis=1), b[:m].mean(axis=1), 44_100)
        assert d < 1.0, (name, d)


@pytest.fixture(scope="module")
def jukebox_recording(tmp_path_factory):
    """A 120-s recording of jukebox ROM 1 (3 songs), built once per module."""
    from synthic.record.recorder import record_file

    tmp = tmp_path_factory.mktemp("jukebox")
    cmd = [sys.executable, "-m", "synthic", "jukebox", "-o", str(tmp / "roms")]
    subprocess.run([*cmd, "--rom", "1", "--songs", "3"], check=True, capture_output=True)
    (path,) = record_file(next((tmp / "roms").glob("*.gb")), tmp / "rec", seconds=120)
    return events.read(path)


@pytest.mark.slow
def test_jukebox_recording(jukebox_recording):
    from synthic.audio import render_recording
    from tests.audio_metrics import log_mel_distance

    rec = jukebox_recording
    rates = {}
    for design in DESIGNS:
        tok = Tokenizer(design)
        ids = check_round_trip(tok, rec)
        rates[design] = len(ids) / rec.duration_seconds
    assert 200 < rates["write"] < 320 and 1.4 < rates["split"] / rates["write"] < 2.0
    assert time_error(rec).max_cycles <= 456
    tok = Tokenizer()
    a, b = render_recording(rec), render_recording(tok.decode(tok.encode(rec)))
    m = min(len(a), len(b))
    assert log_mel_distance(a[:m].mean(axis=1), b[:m].mean(axis=1), 44_100) < 1.5


def _tree(tmp_path) -> tuple:
    root = tmp_path / "samples"
    recs = {}
    for i, name in enumerate(demo.song_names()):
        rec = demo.render(name)
        for game in (f"game{i}a", f"game{i}b"):
            (root / game).mkdir(parents=True)
            part = rec.between(0, rec.length_cycles // 2) if game.endswith("a") else rec
            path = root / game / f"{game}.s000.events"
            events.write(part, path)
            recs[str(path)] = part
    return root, recs


@pytest.mark.parametrize("design", DESIGNS)
def test_tokenize_dataset(tmp_path, design):
    root, recs = _tree(tmp_path)
    manifest = split(root, seed=0)
    assert sorted(manifest["set"].value_counts().tolist()) == [1, 1, 4]
    out = tmp_path / "dataset"
    metas = T.tokenize_dataset(manifest, out, design)
    vocab = json.loads((out / "vocab.json").read_text())
    tok = T.load_tokenizer(out / "vocab.json")
    assert vocab["design"] == design and len(vocab["tokens"]) == tok.vocab_size
    assert tok == Tokenizer(design)
    total = 0
    for name in ("train", "val", "test"):
        flat = np.load(out / f"{name}.tokens.npy", mmap_mode="r")
        assert isinstance(flat, np.memmap) and flat.dtype == np.uint16
        meta = json.loads((out / f"{name}.meta.json").read_text())
        assert meta == metas[name] and meta["tokens"] == len(flat)
        assert np.count_nonzero(flat == T.END) == len(meta["samples"])
        for s in meta["samples"]:
            ids = flat[s["offset"] : s["offset"] + s["tokens"]]
            assert ids[-1] == T.END
            rec = recs[s["sample"]]
            assert np.array_equal(ids, tok.encode(rec))
            assert s["seconds"] == pytest.approx(rec.duration_seconds)
            assert s["game"] in s["sample"]
        total += len(meta["samples"])
    assert total == len(manifest)


def test_cli_split_then_tokenize(cli, tmp_path):
    root, _ = _tree(tmp_path)
    manifest = tmp_path / "dataset" / "manifest.tsv"
    assert cli("split", str(root), "-o", str(manifest))[0] == 0
    status, _, err = cli("tokenize", str(manifest), "-o", str(tmp_path / "dataset"))
    assert status == 0, err
    assert "train: 4 samples" in err
    vocab = json.loads((tmp_path / "dataset" / "vocab.json").read_text())
    assert vocab["design"] == "write"
    status, _, err = cli("tokenize", str(manifest), "-o", str(tmp_path / "d2"), "--design", "x")
    assert status == 2


def test_write_manifest_then_tokenize_from_path(tmp_path):
    root, _ = _tree(tmp_path)
    write_manifest(split(root), tmp_path / "m.tsv")
    metas = T.tokenize_dataset(tmp_path / "m.tsv", tmp_path / "out", "split")
    assert sum(len(m["samples"]) for m in metas.values()) == 6


def test_tokenize_dataset_augments_the_train_set_only(tmp_path):
    """transpose and swap_pulse add variants of each train sample (named in its meta, each the
    encoding of the augmented recording); validation and test stay as recorded."""
    from synthic.events.normalise import swap_pulse, transpose

    root, recs = _tree(tmp_path)
    manifest = split(root, seed=0)
    plain = T.tokenize_dataset(manifest, tmp_path / "plain")
    metas = T.tokenize_dataset(manifest, tmp_path / "aug", transpose=(-2, 3), swap_pulse=True)
    tok = Tokenizer()
    for name in ("val", "test"):
        assert metas[name] == plain[name]
    train = metas["train"]["samples"]
    flat = np.load(tmp_path / "aug/train.tokens.npy", mmap_mode="r")
    labels = [s.get("augment", "") for s in train]
    assert labels.count("") == len(plain["train"]["samples"])
    assert labels.count("transpose -2") == labels.count("transpose +3") == labels.count("")
    assert labels.count("swap pulse") == labels.count("")  # the demo tunes use no sweep
    variant = {
        "": lambda r: r,
        "transpose -2": lambda r: transpose(r, -2),
        "transpose +3": lambda r: transpose(r, 3),
        "swap pulse": swap_pulse,
    }
    for s in train:
        expected = variant[s.get("augment", "")](recs[s["sample"]])
        ids = flat[s["offset"] : s["offset"] + s["tokens"]]
        assert np.array_equal(ids, tok.encode(expected))
