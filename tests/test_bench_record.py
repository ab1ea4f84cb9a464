"""`synthic bench record` prints its figures (a short budget: the figures themselves are noise)."""

from __future__ import annotations

import re

import pytest


@pytest.mark.slow
def test_bench_record_prints_figures(cli):
    status, out, err = cli(
        "bench", "record", "--seconds", "10", "--repeat", "1", "--no-build", "--workers", "1,2"
    )
    assert status == 0, err
    for rom in ("jukebox.gb", "bench_cpu.gb", "bench_halt.gb", "music.gb"):
        line = next(s for s in out.splitlines() if s.startswith(rom))
        speed, wall = (float(x) for x in line.split()[1:3])
        assert 0 < speed and wall > 0
        assert abs(speed - 10 / 60 / wall) <= 0.05 * speed + 0.002  # 10 s recorded in `wall`
    rates = dict(re.findall(r"^([12]) +([0-9.]+) ", out, re.M))
    assert set(rates) == {"1", "2"} and all(float(r) > 0 for r in rates.values())
    assert "start-up: `synthic record` of one frame takes" in out
