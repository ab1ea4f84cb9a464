"""`synthic bench render`: seconds of audio rendered per wall second, one core.

Renders a dense synthetic stream (music-like traffic on all four channels, at least 1,000
writes per second of music) with Synthic's APU model, and, when libgme0 is installed, times
libgme rendering gbsplay's example GBS in the same run (libgme also runs the song's CPU code).
Target (the sound issue): at least 3,000x real time.
"""

from __future__ import annotations

import os

import numpy as np

from synthic.bench import median_seconds

TARGET = 3000.0


def add_arguments(p) -> None:
    p.add_argument("--seconds", type=float, default=60.0, help="seconds of music per render")
    p.add_argument("--rate", type=int, default=44100, choices=[44100, 48000], help="sample rate")
    p.add_argument("--writes-per-second", type=int, default=1200, help="density of the stream")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median shown)")


def run(args) -> int:
    from synthic.apu import render
    from synthic.apu.bench import dense_stream
    from synthic.apu.state import CLOCK_HZ

    t, a, v = dense_stream(args.seconds, writes_per_second=args.writes_per_second)
    length = int(args.seconds * CLOCK_HZ)
    density = np.count_nonzero(t < length) / args.seconds
    print(f"synthic bench render: {args.seconds:g} s of music, {density:,.0f} writes/s, "
          f"{args.rate} Hz, median of {args.repeat} runs")  # fmt: skip
    wall = median_seconds(lambda: render(t, a, v, length, args.rate), args.repeat)
    ours = args.seconds / wall
    verdict = "meets" if ours >= TARGET else "MISSES"
    print(f"synthic APU:  {ours:8,.0f}x real time ({verdict} the {TARGET:,.0f}x target)")
    from synthic.reference import gbsplay, gme

    if gme.available() and os.path.exists(gbsplay.EXAMPLE_GBS):
        with gme.Player(gbsplay.EXAMPLE_GBS, args.rate) as player:

            def play() -> None:
                player.start(0)
                player.render(args.seconds)

            theirs = args.seconds / median_seconds(play, args.repeat)
        print(f"libgme:       {theirs:8,.0f}x real time (nightmode.gbs, CPU emulation included)")
        print(f"ratio synthic/libgme: {ours / theirs:.2f}")
    else:
        print("libgme:       not installed (apt-get install libgme0) - no comparison")
    return 0
