"""Exploration: when to press which buttons while recording a game, as the original Synthic did.

A recording starts with hands off (the start-up wait: title music, intro), then alternates
"press random buttons" windows, which move the game on to new screens and new music, with
"hands off, listen" windows, which are what the pruning stage keeps. Everything is drawn from a
seed derived from the global seed and the ROM's SHA-1, so a rerun gives the same recording and
adding a ROM to the collection changes no other ROM's schedule.

Every duration is a finite number of seconds from 0 to 24 hours (`synthic.limits.
MAX_RECORDING_SECONDS`); window lengths are positive and each [min, max] range has min <= max.
`ExploreConfig` refuses anything else with a message naming the key (the workflow's schema says
the same). Whatever the config, `schedule` always moves forward and its output is bounded: a
window lasts at least one video frame (70,224 T-cycles, about 1/60 s: games read the buttons
once a frame), a tap holds its buttons for at least one T-cycle, and it starts at least one
T-cycle after the previous tap ended and at least one frame after the previous tap started. So a
schedule of S seconds has at most 60*S + 2 windows and 60*S taps.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from synthic import limits
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES

BUTTONS = ("a", "b", "select", "start", "right", "left", "up", "down")
MAX_SECONDS = limits.MAX_RECORDING_SECONDS  # the longest duration any setting may give
MAX_WEIGHT = 1e9  # the largest weight of a button (weights are relative)
FRAME_CYCLES = FRAME_T_CYCLES  # one video frame: the shortest window, and the densest taps
RANGES = ("press_seconds", "listen_seconds", "hold_seconds")
FIELDS = ("startup_seconds", *RANGES, "tap_every_seconds", "buttons")


def _number(key: str, x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{key}: {x!r} is not a number")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{key}: {x!r} is not a finite number")
    return x


def _seconds(key: str, x, *, positive: bool = False) -> float:
    x = _number(key, x)
    if positive and x <= 0:
        raise ValueError(f"{key}: {x!r} must be more than 0 seconds")
    if x < 0:
        raise ValueError(f"{key}: {x!r} must not be negative")
    if x > MAX_SECONDS:
        raise ValueError(f"{key}: {x!r} is more than {MAX_SECONDS} seconds (24 hours)")
    return x


@dataclass(frozen=True)
class ExploreConfig:
    """Durations in seconds of game time; `buttons` weights how often each is chosen.

    Checked when made (see the module docstring): a bad value raises ValueError naming its key.
    """

    startup_seconds: float = 8.0
    press_seconds: tuple[float, float] = (2.0, 6.0)  # length of a "press" window (min, max)
    listen_seconds: tuple[float, float] = (20.0, 45.0)  # length of a "listen" window
    tap_every_seconds: float = 0.3  # mean time between taps within a press window
    hold_seconds: tuple[float, float] = (0.05, 0.25)  # how long a tap holds its buttons
    buttons: dict[str, float] = field(
        default_factory=lambda: {
            "a": 0.3, "b": 0.15, "start": 0.15, "select": 0.04,
            "right": 0.1, "left": 0.1, "up": 0.08, "down": 0.08,
        }
    )  # fmt: skip

    def __post_init__(self) -> None:
        _seconds("startup_seconds", self.startup_seconds)
        _seconds("tap_every_seconds", self.tap_every_seconds, positive=True)
        for key in RANGES:
            pair = getattr(self, key)
            if isinstance(pair, (str, bytes, dict)) or not hasattr(pair, "__len__"):
                raise ValueError(f"{key}: {pair!r} is not a [min, max] pair")
            if len(pair) != 2:
                raise ValueError(f"{key}: {list(pair)!r} is not a [min, max] pair")
            lo, hi = (_seconds(key, x, positive=key != "hold_seconds") for x in pair)
            if lo > hi:
                raise ValueError(f"{key}: the minimum {lo:g} is more than the maximum {hi:g}")
        if not isinstance(self.buttons, dict):
            raise ValueError(f"buttons: {self.buttons!r} is not a mapping of button to weight")
        unknown = set(self.buttons) - set(BUTTONS)
        if unknown:
            raise ValueError(
                f"buttons: unknown buttons {sorted(map(str, unknown))} "
                f"(known: {', '.join(BUTTONS)})"
            )
        total = 0.0
        for name, weight in self.buttons.items():
            w = _number(f"buttons.{name}", weight)
            if not 0 <= w <= MAX_WEIGHT:
                raise ValueError(f"buttons.{name}: {w!r} is not a weight from 0 to {MAX_WEIGHT:g}")
            total += w
        if not total > 0:
            raise ValueError("buttons: at least one button needs a positive weight")

    @classmethod
    def from_dict(cls, d: dict) -> ExploreConfig:
        """From a mapping of some of the fields (a config's `record.explore`, JSON); raises
        ValueError naming the key of a bad or unknown setting."""
        if not isinstance(d, dict):
            raise ValueError(f"{d!r} is not a mapping of settings")
        unknown = sorted(set(d) - set(FIELDS), key=str)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(FIELDS)})")
        kwargs = dict(d)
        for key in RANGES:
            if key in kwargs and isinstance(kwargs[key], list):
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


@dataclass(frozen=True)
class Window:
    start_cycles: int
    end_cycles: int
    label: str  # "startup", "press" or "listen"


@dataclass(frozen=True)
class Tap:
    start_cycles: int
    end_cycles: int
    buttons: tuple[str, ...]


def rom_seed(global_seed: int, sha1: str) -> np.random.Generator:
    """The random stream of one ROM: depends on the global seed and the ROM's bytes only."""
    digest = hashlib.sha256(f"{global_seed}:{sha1}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def schedule(
    seconds: float, rng: np.random.Generator, config: ExploreConfig = ExploreConfig()
) -> tuple[list[Window], list[Tap]]:
    """The windows and button taps of a recording of `seconds` of game time (bounded in number
    whatever the config: see the module docstring)."""
    seconds = _seconds("seconds", seconds)
    end = int(seconds * CLOCK_HZ)

    def cycles(s: float) -> int:
        return int(round(s * CLOCK_HZ))

    windows = [Window(0, min(end, cycles(config.startup_seconds)), "startup")]
    taps: list[Tap] = []
    names = list(config.buttons)
    weights = np.array([config.buttons[b] for b in names], float)
    if not weights.sum() > 0:
        raise ValueError("at least one button needs a positive weight")
    weights /= weights.sum()
    choosable = int(np.count_nonzero(weights))
    t = windows[0].end_cycles
    pressing = True
    while t < end:
        lo, hi = config.press_seconds if pressing else config.listen_seconds
        w_end = min(end, t + max(FRAME_CYCLES, cycles(rng.uniform(lo, hi))))
        windows.append(Window(t, w_end, "press" if pressing else "listen"))
        if pressing:
            now = t
            while True:
                now += max(1, cycles(rng.exponential(config.tap_every_seconds)))
                hold = max(1, cycles(rng.uniform(*config.hold_seconds)))
                if now + hold >= w_end:
                    break
                k = 1 + int(rng.random() < 0.2)  # sometimes two buttons at once
                chosen = rng.choice(len(names), size=min(k, choosable), replace=False, p=weights)
                taps.append(Tap(now, now + hold, tuple(sorted(names[i] for i in chosen))))
                now += max(hold, FRAME_CYCLES)  # the next tap starts a frame later at least
        t = w_end
        pressing = not pressing
    return windows, taps
