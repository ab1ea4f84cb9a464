"""Exploration: when to press which buttons while recording a game, as the original Synthic did.

A recording starts with hands off (the start-up wait: title music, intro), then alternates
"press random buttons" windows, which move the game on to new screens and new music, with
"hands off, listen" windows, which are what the pruning stage keeps. Everything is drawn from a
seed derived from the global seed and the ROM's SHA-1, so a rerun gives the same recording and
adding a ROM to the collection changes no other ROM's schedule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from synthic.events.registers import CLOCK_HZ

BUTTONS = ("a", "b", "select", "start", "right", "left", "up", "down")


@dataclass(frozen=True)
class ExploreConfig:
    """Durations in seconds of game time; `buttons` weights how often each is chosen."""

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

    @classmethod
    def from_dict(cls, d: dict) -> ExploreConfig:
        kwargs = dict(d)
        for key in ("press_seconds", "listen_seconds", "hold_seconds"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        unknown = set(kwargs.get("buttons", {})) - set(BUTTONS)
        if unknown:
            raise ValueError(f"unknown buttons {sorted(unknown)} (known: {', '.join(BUTTONS)})")
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
    """The windows and button taps of a recording of `seconds` of game time."""
    end = int(seconds * CLOCK_HZ)

    def cycles(s: float) -> int:
        return int(round(s * CLOCK_HZ))

    windows = [Window(0, min(end, cycles(config.startup_seconds)), "startup")]
    taps: list[Tap] = []
    names = list(config.buttons)
    weights = np.array([config.buttons[b] for b in names], float)
    if weights.sum() <= 0:
        raise ValueError("at least one button needs a positive weight")
    weights /= weights.sum()
    t = windows[0].end_cycles
    pressing = True
    while t < end:
        lo, hi = config.press_seconds if pressing else config.listen_seconds
        w_end = min(end, t + cycles(rng.uniform(lo, hi)))
        windows.append(Window(t, w_end, "press" if pressing else "listen"))
        if pressing:
            now = t
            while True:
                now += cycles(rng.exponential(config.tap_every_seconds))
                hold = cycles(rng.uniform(*config.hold_seconds))
                if now + hold >= w_end:
                    break
                k = 1 + int(rng.random() < 0.2)  # sometimes two buttons at once
                chosen = rng.choice(len(names), size=k, replace=False, p=weights)
                taps.append(Tap(now, now + hold, tuple(sorted(names[i] for i in chosen))))
                now += hold
        t = w_end
        pressing = not pressing
    return windows, taps
