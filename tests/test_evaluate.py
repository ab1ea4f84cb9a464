"""Evaluation (synthic.model.report, synthic evaluate): scoring against uniform, the copy
baseline, overlapping areas, verbatim copies, validity and the metrics file."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("flax")
pytest.importorskip("scipy")

from synthic import demo, events  # noqa: E402
from synthic.dataset.tokens import Tokenizer  # noqa: E402
from synthic.events.recording import Recording  # noqa: E402
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES  # noqa: E402
from synthic.model import report  # noqa: E402

TOK = Tokenizer("write")


def make_dataset(d: Path) -> Path:
    """synthic tokenize's layout from the demo tunes: each tune cut into 6-second pieces; the
    pieces of frere_jacques and ode_to_joy in train, of twinkle in val and test."""
    d.mkdir(parents=True, exist_ok=True)
    pieces = {"train": [], "val": [], "test": []}
    for name in demo.song_names():
        rec = demo.render(name)
        step = 6 * CLOCK_HZ
        parts = [rec.between(s, s + step) for s in range(0, rec.length_cycles - step + 1, step)]
        if name == "twinkle":
            pieces["val"] += parts[:1]
            pieces["test"] += parts[1:]
        else:
            pieces["train"] += parts
    for name, recs in pieces.items():
        arrays, samples, offset = [], [], 0
        for i, r in enumerate(recs):
            ids = TOK.encode(r)
            arrays.append(ids)
            samples.append(
                {
                    "sample": f"{name}{i}",
                    "offset": offset,
                    "tokens": len(ids),
                    "seconds": r.duration_seconds,
                }
            )
            offset += len(ids)
        np.save(d / f"{name}.tokens.npy", np.concatenate(arrays).astype(TOK.dtype))
        seconds = sum(r.duration_seconds for r in recs)
        meta = {
            "set": name,
            "design": "write",
            "tokens": offset,
            "seconds": seconds,
            "samples": samples,
        }
        (d / f"{name}.meta.json").write_text(json.dumps(meta))
    (d / "vocab.json").write_text(json.dumps({"design": "write", "params": TOK.params()}))
    return d


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(dataset, model dir): a one-layer model trained for 60 steps on the toy dataset."""
    from synthic.model.train import TrainConfig, train

    root = tmp_path_factory.mktemp("ev")
    ds = make_dataset(root / "dataset")
    cfg = TrainConfig(
        model=dict(context=32, layers=1, width=32, heads=2, dropout=0.0),
        optim=dict(learning_rate=1e-2, warmup_steps=5),
        batch_size=8,
        eval_batch=8,
        max_steps=60,
        eval_every=30,
        patience=5,
        log_every=30,
    )
    train(ds, root / "model", cfg, progress=open(os.devnull, "w"))
    return ds, root / "model"


def test_trained_model_beats_uniform(trained):
    from synthic.model.generate import load
    from synthic.model.ngram import load_set

    ds, model_dir = trained
    model, tok, summary = load(model_dir)
    test, meta = load_set(ds, "test")
    out = report.score_samples(test, meta["seconds"], tok, model=model, summary=summary)["model"]
    uniform = math.log2(tok.vocab_size)
    assert out["tokens"] == sum(len(s) for s in test)
    assert out["bits_per_token"] < uniform - 2
    assert out["bits_per_second"] == pytest.approx(out["bits"] / meta["seconds"])
    assert 0 < out["writes"] < out["tokens"]


def test_copy_baseline_periodic_stream_near_zero():
    rng = np.random.default_rng(0)
    phrase = rng.integers(3, 600, size=23)
    stream = np.tile(phrase, 200)
    unigram = np.full(600, 1 / 600)
    bits = report.CopyBaseline(unigram, decay=0.99).token_bits(stream)
    assert np.all(np.isfinite(bits))
    assert bits[len(bits) // 2 :].mean() < 0.02
    assert bits.mean() < 0.2
    noise = rng.integers(3, 600, size=2000)  # no loop: about the unigram's bits
    assert report.CopyBaseline(unigram).token_bits(noise).mean() > math.log2(600) - 0.2
    fitted = report.CopyBaseline.fit([stream[:500]], 600)
    assert fitted.decay in (0.7, 0.8, 0.9, 0.97, 0.99)


def test_overlapping_area():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 300)
    assert report.overlapping_area(a, a) == pytest.approx(1.0, abs=0.01)
    assert report.overlapping_area(a, rng.normal(0, 1, 300)) > 0.85
    assert report.overlapping_area(a, rng.normal(10, 1, 300)) < 0.05
    assert report.overlapping_area(np.zeros(5), np.zeros(5)) == pytest.approx(1.0, abs=0.01)


def test_musical_statistics_alike_and_different():
    songs = [demo.render(n) for n in demo.song_names()]
    same = report.musical_statistics(songs, songs)
    assert set(same) == set(report.FEATURES)
    # a one-note drone against the tunes: the pitch classes do not overlap much
    drone = [_one_note_loop(seconds=10 + i) for i in range(3)]
    diff = report.musical_statistics(drone, songs)
    for name in ("pitch_class_histogram", "pitch_range"):
        assert diff[name]["oa_generated"] < 0.2
        assert diff[name]["oa_generated"] < same[name]["oa_generated"]


def test_reference_excerpts_match_the_generated_length():
    """A held-out song is cut into excerpts as long as the generated songs: one 5-s song against
    a whole tune gives several reference excerpts (so an intra-set distribution exists), and the
    excerpts' note densities add up to the whole song's notes."""
    from synthic.notes import notes

    tune = demo.render("twinkle")
    parts = report.excerpt_features(tune, 5.0)
    assert len(parts) == int(tune.duration_seconds // 5)
    counted = sum(p["note_density"].sum() * 5.0 for p in parts)
    whole = [n for n in notes(tune) if n.onset < 5.0 * len(parts)]
    assert counted == pytest.approx(len(whole))
    assert len(report.excerpt_features(tune, 10 * tune.duration_seconds)) == 1
    short = tune.between(0, 5 * CLOCK_HZ)
    stats = report.musical_statistics([short, short], [tune])
    for name in report.FEATURES:
        assert stats[name]["reference_excerpts"] == len(parts) >= 2
        assert 0 <= stats[name]["oa"] <= 1  # defined with a one-song reference set


def test_longest_verbatim_of_a_copied_song():
    train = [TOK.encode(demo.render(n)) for n in demo.song_names()[:2]]
    index = report.TrainIndex(train)
    copied = train[1]
    v = report.longest_verbatim(copied, index, TOK)
    assert v["tokens"] == len(copied) - 1  # END left out
    assert v["seconds"] == pytest.approx(
        demo.render(demo.song_names()[1]).duration_seconds, abs=0.02
    )
    other = report.longest_verbatim(TOK.encode(demo.render("twinkle")), index, TOK)
    assert other["seconds"] < 2


def _one_note_loop(seconds: float = 12.0) -> Recording:
    """CH1 triggering the same note every 8 frames."""
    writes = [(0, 0xFF26, 0x80), (4, 0xFF25, 0x11), (8, 0xFF24, 0x77)]
    t, f = 100, 0
    while t < seconds * CLOCK_HZ - FRAME_T_CYCLES * 8:
        writes += [(t, 0xFF12, 0xF3), (t + 12, 0xFF13, 0x00), (t + 24, 0xFF14, 0x87)]
        f += 8
        t = 100 + f * FRAME_T_CYCLES
    return Recording.from_writes(writes, length_cycles=int(seconds * CLOCK_HZ))


def test_validity():
    loop = _one_note_loop()
    ids = TOK.encode(loop)
    v = report.validity(loop, ids, render=False)
    assert not v["valid"] and v["stuck"] == "one note"
    assert report.loop_period(ids) is not None
    tune = demo.render("frere_jacques")
    assert report.validity(tune, TOK.encode(tune))["valid"]
    # a two-note phrase of one second repeated: stuck on a loop
    ab = _one_note_loop(12.0)
    ab.value[ab.address == 0xFF13] = np.where(np.arange((ab.address == 0xFF13).sum()) % 2, 0, 0x80)
    assert report.stuck(ab, TOK.encode(ab)) == "one loop"


def test_metrics_file_and_cli(trained, tmp_path, capsys):
    from synthic.cli import main

    ds, model_dir = trained
    gen = tmp_path / "generated"
    gen.mkdir()
    events.write(demo.render("frere_jacques").between(0, 6 * CLOCK_HZ), gen / "song_01.events")
    events.write(_one_note_loop(), gen / "song_02.events")
    out = tmp_path / "eval" / "metrics.json"
    assert main(["evaluate", "--metrics", str(model_dir), str(ds), str(gen), "-o", str(out)]) == 0
    m = json.loads(out.read_text())
    for key in (
        "bits_per_token",
        "bits_per_second",
        "bits_per_write",
        "tokens",
        "seconds",
        "writes",
    ):
        assert key in m["model"] and key in m["baseline"] and key in m["copy"]
    assert m["generated"]["validity_rate"] == 0.5
    assert m["generated"]["songs"] == 2
    assert m["generated"]["longest_verbatim_seconds"] >= 5.9  # song_01 is a train sample
    assert set(m["musical"]) == set(report.FEATURES)
    assert all(0 <= m["musical"][f]["oa"] <= 1 for f in report.FEATURES)
    capsys.readouterr()
    # scoring recordings, with the n-gram baseline of the dataset
    song = gen / "song_01.events"
    assert main(["evaluate", str(model_dir), str(song), "--baseline", str(ds), "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert set(j) == {"model", "baseline"}
    for r in j.values():
        assert r["seconds"] == pytest.approx(6.0, abs=0.01)
        assert r["bits_per_second"] == pytest.approx(r["bits"] / r["seconds"])
        assert r["bits_per_write"] == pytest.approx(r["bits"] / r["writes"])
    assert j["baseline"]["bits_per_second"] < j["model"]["bits_per_second"] * 2


def test_the_export_names_its_dataset_for_the_baseline(trained, tmp_path, cli):
    """synthic train records its dataset in the export's config.json, so `synthic evaluate`
    fits the n-gram baseline on it without --baseline."""
    import json

    from synthic.model.report import dataset_of

    ds, model_dir = trained
    summary = json.loads((model_dir / "config.json").read_text())
    assert dataset_of(model_dir, summary) == Path(ds).resolve()
    song = tmp_path / "song.events"
    events.write(_one_note_loop(6.0), song)
    code, out, err = cli("evaluate", str(model_dir), str(song), "--json")
    assert code == 0, err
    assert set(json.loads(out)) == {"model", "baseline"}
