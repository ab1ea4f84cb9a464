"""The exploration settings are refused when they could hang or blow up a recording, by the
workflow's config check and by ExploreConfig (the `synthic record --explore JSON` path), and
`schedule` ends quickly with a bounded output whatever valid settings it gets."""

from __future__ import annotations

import bisect
import copy
import hashlib
import math
import multiprocessing
import resource
import time

import pytest
import yaml

from synthic.config import load_schema, validate
from synthic.errors import SynthicError
from synthic.record.explore import FRAME_CYCLES, ExploreConfig, rom_seed, schedule
from tests.conftest import ROOT

SCHEMA = load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
NAN, INF = float("nan"), float("inf")

# (settings of record.explore, the key the message must name)
BAD_EXPLORE = [
    ({"press_seconds": [0, 0], "listen_seconds": [0, 0]}, "(press|listen)_seconds"),
    ({"press_seconds": [0, 0]}, "press_seconds"),
    ({"listen_seconds": [0, 5]}, "listen_seconds"),
    ({"listen_seconds": [45, 20]}, "listen_seconds"),
    ({"press_seconds": [6, 2]}, "press_seconds"),
    ({"hold_seconds": [0.3, 0.1]}, "hold_seconds"),
    ({"tap_every_seconds": NAN}, "tap_every_seconds"),
    ({"tap_every_seconds": INF}, "tap_every_seconds"),
    ({"tap_every_seconds": 0}, "tap_every_seconds"),
    ({"startup_seconds": NAN}, "startup_seconds"),
    ({"startup_seconds": INF}, "startup_seconds"),
    ({"startup_seconds": 1e9}, "startup_seconds"),
    ({"listen_seconds": [20, INF]}, "listen_seconds"),
    ({"listen_seconds": [NAN, 45]}, "listen_seconds"),
    ({"press_seconds": [2, 1e12]}, "press_seconds"),
    ({"hold_seconds": [0, NAN]}, "hold_seconds"),
    ({"hold_seconds": [-1, 0.1]}, "hold_seconds"),
    ({"buttons": {"a": 0, "b": 0, "start": 0}}, "buttons"),
    ({"buttons": {}}, "buttons"),
    ({"buttons": {"a": NAN}}, "buttons.a"),
    ({"buttons": {"a": INF, "b": 1}}, "buttons.a"),
    ({"buttons": {"a": -1, "b": 1}}, "buttons.a"),
]


def _config(**explore) -> dict:
    config = copy.deepcopy(CONFIG)
    config["record"]["explore"].update(explore)
    return config


def test_the_shipped_config_and_the_defaults_pass():
    validate(copy.deepcopy(CONFIG), SCHEMA)
    validate({}, SCHEMA)
    ExploreConfig.from_dict(CONFIG["record"]["explore"])
    ExploreConfig()


@pytest.mark.parametrize(("explore", "key"), BAD_EXPLORE)
def test_validate_refuses_a_bad_setting_naming_its_key(explore, key):
    with pytest.raises(SynthicError, match=rf"key record\.explore\.{key}\b"):
        validate(_config(**explore), SCHEMA)


@pytest.mark.parametrize(("explore", "key"), BAD_EXPLORE)
def test_explore_config_refuses_a_bad_setting_naming_its_key(explore, key):
    with pytest.raises(ValueError, match=rf"^{key}\b"):
        ExploreConfig.from_dict(explore)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("record", "seconds", NAN),
        ("record", "seconds", INF),
        ("record", "seconds", 1e9),
        ("jukebox", "roms", NAN),
    ],
)
def test_validate_refuses_nonfinite_or_huge_numbers_anywhere(section, key, value):
    config = copy.deepcopy(CONFIG)
    config[section][key] = value
    with pytest.raises(SynthicError, match=rf"key {section}\.{key}:"):
        validate(config, SCHEMA)


def test_validate_says_why_a_range_is_refused():
    with pytest.raises(SynthicError, match="the minimum 45 is more than the maximum 20"):
        validate(_config(listen_seconds=[45, 20]), SCHEMA)
    with pytest.raises(SynthicError, match="at least one button needs a positive weight"):
        validate(_config(buttons={"a": 0}), SCHEMA)


@pytest.mark.parametrize(
    "bad",
    [
        {"listen_second": [1, 2]},  # a typo
        {"press_seconds": "2-6"},
        {"press_seconds": [1, 2, 3]},
        {"tap_every_seconds": True},
        {"buttons": {"x": 1}},
        {"buttons": [1, 2]},
    ],
)
def test_explore_config_refuses_wrong_shapes(bad):
    with pytest.raises(ValueError):
        ExploreConfig.from_dict(bad)


# -- schedule: always ends, bounded --------------------------------------------------------------

# Valid settings (the schema takes them) that hung the old schedule (no cycle of progress per
# tap), or that make it as dense as it can be.
EXTREME = [
    {"tap_every_seconds": 1e-9, "hold_seconds": [0, 0]},
    {"press_seconds": [1e-9, 1e-9], "listen_seconds": [1e-9, 1e-9]},
    {
        "startup_seconds": 0,
        "press_seconds": [1e-9, 1e-9],
        "listen_seconds": [1e-9, 1e-9],
        "tap_every_seconds": 1e-9,
        "hold_seconds": [0, 0],
    },
    {
        "startup_seconds": 0,
        "press_seconds": [86400, 86400],
        "tap_every_seconds": 1e-9,
        "hold_seconds": [0, 1e-9],
        "buttons": {"a": 1, "b": 0},  # two at once, from one choosable button
    },
]


def _schedule_in(queue, seconds, settings):
    # at most 1 GiB more address space than the test had: a runaway schedule fails fast
    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 30), resource.RLIM_INFINITY))
    try:
        result = schedule(seconds, rom_seed(0, "abc"), ExploreConfig.from_dict(settings))
    except MemoryError:
        result = "out of memory"
    queue.put(result)


def _schedule_or_fail(seconds: float, settings: dict, timeout: float = 30.0):
    """schedule() in a child process, so that a hang (or a runaway use of memory) fails the test
    instead of hanging it. A fork server starts it: a plain fork of this process, where JAX's
    threads may run, could deadlock."""
    ctx = multiprocessing.get_context("forkserver")
    queue = ctx.Queue()
    child = ctx.Process(target=_schedule_in, args=(queue, seconds, settings))
    start = time.monotonic()
    child.start()
    try:
        result = queue.get(timeout=timeout)
    except Exception:
        child.kill()
        child.join()
        pytest.fail(f"schedule({seconds}, {settings}) did not end within {timeout:.0f} s")
    child.join()
    if result == "out of memory":
        pytest.fail(f"schedule({seconds}, {settings}) ran out of memory")
    return result, time.monotonic() - start


@pytest.mark.parametrize("settings", EXTREME)
def test_schedule_ends_fast_with_bounded_output(settings):
    seconds = 600
    (windows, taps), took = _schedule_or_fail(seconds, settings)
    end = seconds * 4_194_304
    frames = end / FRAME_CYCLES
    assert len(windows) <= frames + 2
    assert len(taps) <= frames
    assert took < 30
    # windows tile the recording and each but the last lasts a frame at least
    assert windows[0].start_cycles == 0 and windows[-1].end_cycles == end
    for a, b in zip(windows, windows[1:], strict=False):
        assert a.end_cycles == b.start_cycles
    for w in windows[1:-1]:
        assert w.end_cycles - w.start_cycles >= FRAME_CYCLES
    # taps move forward: each holds a cycle at least, starts after the last ended and a frame
    # after the last started, within a press window
    starts = [w.start_cycles for w in windows]
    names = set(ExploreConfig.from_dict(settings).buttons)
    for a, b in zip(taps, taps[1:], strict=False):
        assert a.start_cycles < a.end_cycles < b.start_cycles
        assert b.start_cycles - a.start_cycles >= FRAME_CYCLES
    for tap in taps:
        w = windows[bisect.bisect_right(starts, tap.start_cycles) - 1]
        assert w.label == "press"
        assert w.start_cycles < tap.start_cycles < tap.end_cycles < w.end_cycles
        assert tap.buttons and set(tap.buttons) <= names


def test_schedule_refuses_bad_seconds():
    for seconds in (NAN, INF, -1, 1e9):
        with pytest.raises(ValueError, match="seconds"):
            schedule(seconds, rom_seed(0, "abc"))


def _signature(result) -> str:
    windows, taps = result
    rows = [(w.start_cycles, w.end_cycles, w.label) for w in windows]
    rows += [(t.start_cycles, t.end_cycles, t.buttons) for t in taps]
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def test_the_default_schedule_is_what_it_was():
    """The bounds change nothing for sensible settings: same schedules as before them."""
    sha = "f76d205a67f4a02d09ba202c2958d83f8c679397"
    assert _signature(schedule(600, rom_seed(0, "abc"))) == "5bc19fb177d2814b"
    assert _signature(schedule(600, rom_seed(7, sha))) == "d5047991f3241ae0"


def test_bounds_hold_for_an_hour():
    """The bound is linear in the length: a frame per window, a frame per tap."""
    settings = {"press_seconds": [1e-9, 1e-9], "listen_seconds": [1e-9, 1e-9]}
    (windows, taps), _ = _schedule_or_fail(3600, settings)
    assert len(windows) <= math.ceil(3600 * 4_194_304 / FRAME_CYCLES) + 2
    assert len(taps) <= math.ceil(3600 * 4_194_304 / FRAME_CYCLES)
