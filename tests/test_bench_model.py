"""`synthic bench train` and `synthic bench generate` print their figures (tiny settings: the
figures themselves are noise, except that the KV cache must beat a full forward per token)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("jax")
pytest.importorskip("flax")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_bench_train_prints_figures(cli):
    status, out, err = cli(
        "bench", "train", "--steps", "2", "--repeat", "1", "--batch", "2", "--context", "16"
    )
    assert status == 0, err
    assert re.search(r"^devices: \d+ x cpu", out, re.M), out
    params = re.search(r"^model: ([0-9,]+) parameters", out, re.M)
    assert params and _number(params[1]) > 100_000
    assert "batch 2 x context 16 = 32 tokens per step" in out
    compile_s = re.search(r"^compile \+ first train step: ([0-9.]+) s", out, re.M)
    train = re.search(r"^train: ([0-9,]+) tokens/s \(([0-9.]+) steps/s", out, re.M)
    forward = re.search(r"^forward only: ([0-9,]+) tokens/s", out, re.M)
    assert compile_s and train and forward, out
    assert float(compile_s[1]) > 0 and _number(train[1]) > 0 and _number(forward[1]) > 0
    assert abs(_number(train[1]) / float(train[2]) - 32) < 1  # tokens/s = steps/s x 32


def _rows(out: str) -> dict[tuple[str, int], list[float]]:
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ("kv-cache", "no-cache"):
            rows[parts[0], int(parts[1])] = [_number(x) for x in parts[2:]]
    return rows


def test_bench_generate_prints_figures_and_the_cache_wins(cli):
    status, out, err = cli(
        "bench", "generate", "--tokens", "48", "--batch", "1,4", "--repeat", "1",
        "--context", "64", "--no-cache-tokens", "4", "--tokens-per-second", "100",
    )  # fmt: skip
    assert status == 0, err
    rows = _rows(out)
    assert set(rows) == {(p, b) for p in ("kv-cache", "no-cache") for b in (1, 4)}, out
    for (_, batch), (tps, per_stream, music, music_per_stream, first, compile_s) in rows.items():
        assert tps > 0 and first > 0 and compile_s >= 0
        assert per_stream == pytest.approx(tps / batch, rel=0.01, abs=0.1)
        assert music == pytest.approx(tps / 100, rel=0.01, abs=0.01)  # 100 tokens per second
        assert music_per_stream == pytest.approx(music / batch, rel=0.01, abs=0.01)
    for batch in (1, 4):
        assert rows["kv-cache", batch][0] > rows["no-cache", batch][0], out
        ratio = re.search(rf"^batch {batch}: KV cache ([0-9.]+)x the no-cache", out, re.M)
        assert ratio and float(ratio[1]) > 1
    assert re.search(r"^batch 4 vs 1 \(KV cache\): [0-9.]+x the tokens/s", out, re.M)
    assert re.search(r"^real time, batch 1: [0-9.]+x per stream, .*than real time\)", out, re.M)
    assert "100.0 tokens per second of music (--tokens-per-second)" in out


def test_bench_generate_rate_from_a_dataset(cli, tmp_path):
    import json

    for name, tokens, seconds in (("train", 900, 3.0), ("val", 100, 1.0)):
        meta = {"tokens": tokens, "seconds": seconds, "samples": []}
        (tmp_path / f"{name}.meta.json").write_text(json.dumps(meta))
    from synthic.bench.generate import music_rate

    class Args:
        tokens_per_second = None
        dataset = str(tmp_path)

    assert music_rate(Args, "write") == (250.0, f"measured on {tmp_path}")
    Args.dataset = None
    assert music_rate(Args, "write")[0] == 250.0


def test_bench_generate_rejects_bad_batches(cli):
    status, _, err = cli("bench", "generate", "--batch", "0,16")
    assert status == 2 and "batch sizes" in err
