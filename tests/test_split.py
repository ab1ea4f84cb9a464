"""The split: games into train, validation and test sets; duplicates; the manifest and CLI."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic import events
from synthic.dataset.split import (
    assign_games,
    events_hash,
    read_manifest,
    set_sizes,
    split,
    write_manifest,
)
from synthic.events.recording import Recording

DEMO_GAMES = [f"jukebox_{i:02d}" for i in range(1, 9)]
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)


def counts(assignment: dict[str, str]) -> tuple[int, int, int]:
    v = list(assignment.values())
    return v.count("train"), v.count("val"), v.count("test")


@pytest.mark.parametrize("seed", [0, 1, 2, 12345])
def test_eight_games_split_6_1_1(seed):
    assert counts(assign_games(DEMO_GAMES, seed)) == (6, 1, 1)


def test_set_sizes_rule():
    assert set_sizes(0) == (0, 0, 0)
    assert set_sizes(1) == (1, 0, 0)
    assert set_sizes(2) == (1, 1, 0)
    assert set_sizes(3) == (1, 1, 1)
    assert set_sizes(8) == (6, 1, 1)
    assert set_sizes(100) == (90, 5, 5)
    assert set_sizes(1000) == (900, 50, 50)
    assert set_sizes(4, (0.1, 0.45, 0.45)) == (1, 1, 2)  # 2 + 2 leave no train: val gives one
    assert set_sizes(10, (1.0, 0.0, 0.0)) == (10, 0, 0)
    with pytest.raises(ValueError):
        set_sizes(5, (0.5, 0.5, 0.5))


@settings(max_examples=60, deadline=None)
@given(st.lists(names, max_size=60, unique=True), st.integers(0, 2**63 - 1))
def test_every_game_in_exactly_one_set(games, seed):
    assignment = assign_games(games, seed)
    assert set(assignment) == set(games)
    assert set(assignment.values()) <= {"train", "val", "test"}
    n_train, n_val, n_test = counts(assignment)
    if len(games) >= 3:
        assert n_train >= 1 and n_val >= 1 and n_test >= 1
    # order of listing does not matter
    assert assign_games(list(reversed(games)), seed) == assignment


@settings(max_examples=60, deadline=None)
@given(st.lists(names, min_size=1, max_size=60, unique=True), names, st.integers(0, 1000))
def test_adding_a_game_moves_at_most_two(games, new, seed):
    if new in games:
        return
    before = assign_games(games, seed)
    after = assign_games(games + [new], seed)
    moved = [g for g in games if before[g] != after[g]]
    assert len(moved) <= 2
    if set_sizes(len(games)) == set_sizes(len(games) + 1) and after[new] == "train":
        assert not moved


def test_samples_of_a_game_stay_together_and_split_is_deterministic():
    rows = [(g, f"{g}/s{i}.events", 10.0, f"{g}-{i}") for g in DEMO_GAMES for i in range(4)]
    a = split(rows, seed=3)
    b = split(list(reversed(rows)), seed=3)
    assert a.equals(b)
    assert (a.groupby("game")["set"].nunique() == 1).all()
    assert a["kept"].all()


def test_duplicates_across_games_are_dropped_from_held_out_sets():
    assignment = assign_games(DEMO_GAMES, 0)
    train = next(g for g in DEMO_GAMES if assignment[g] == "train")
    test = next(g for g in DEMO_GAMES if assignment[g] == "test")
    rows = [(g, f"{g}/a.events", 5.0, f"h-{g}") for g in DEMO_GAMES]
    rows.append((test, f"{test}/b.events", 5.0, "same"))
    rows.append((train, f"{train}/b.events", 5.0, "same"))
    table = split(rows, seed=0)
    dropped = table[~table["kept"]]
    assert dropped["sample"].tolist() == [f"{test}/b.events"]
    assert dropped["reason"].tolist() == [f"duplicate of {train}/b.events"]
    assert dropped["set"].tolist() == ["test"]


def _sample(seed: int, shift: int = 0) -> Recording:
    writes = [(shift + 1000 * i + seed, 0xFF12, (seed * 7 + i) & 0xFF) for i in range(10)]
    return Recording.from_writes(writes, length_cycles=shift + 4_194_304)


@pytest.fixture
def samples_tree(tmp_path):
    """A fake results/samples: game_a with prune.tsv (one sample pruned), game_b with a
    prune.tsv lacking the hash column, game_c with no table; game_c repeats game_b's first
    sample shifted in time (the same normalised events)."""
    root = tmp_path / "samples"
    for game, seeds in {"game_a": [1, 2, 3], "game_b": [4, 5], "game_c": [6]}.items():
        (root / game).mkdir(parents=True)
        for i, s in enumerate(seeds):
            events.write(_sample(s), root / game / f"{game}.s{i:03d}.events")
    events.write(_sample(4, shift=500), root / "game_c" / "game_c.s001.events")
    with open(root / "game_a" / "prune.tsv", "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["recording", "sample", "start_s", "end_s", "seconds", "kept", "reason", "hash"])
        w.writerow(["game_a", "game_a.s000.events", 0, 1, 1.0, "true", "", "h1"])
        w.writerow(["game_a", "game_a.s001.events", 1, 2, 1.0, "false", "silent", ""])
        w.writerow(["game_a", "game_a.s002.events", 2, 3, 1.0, "true", "", ""])
    with open(root / "game_b" / "prune.tsv", "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["recording", "sample", "start_s", "end_s", "seconds", "kept", "reason"])
        w.writerow(["game_b", "game_b.s000.events", 0, 1, 1.0, "True", ""])
        w.writerow(["game_b", "game_b.s001.events", 0, 1, 1.0, "True", ""])
    return root


def test_samples_tree_is_read_and_hashes_computed(samples_tree):
    table = split(samples_tree, seed=0)
    assert sorted(table["game"].unique()) == ["game_a", "game_b", "game_c"]
    assert not any("s001" in p and "game_a" in p for p in table["sample"])  # pruned
    assert sorted(table["set"].unique()) == ["test", "train", "val"]
    hashes = dict(zip(table["sample"].map(lambda p: p.split("/")[-1]), table["hash"], strict=True))
    assert hashes["game_a.s000.events"] == "h1"
    assert hashes["game_b.s000.events"] == events_hash(_sample(4))
    assert events_hash(_sample(1)) == events_hash(_sample(1, shift=500))
    assert len(table) == 6 and table["sample"].is_unique


def test_cli_writes_manifest(cli, samples_tree, tmp_path):
    out = tmp_path / "dataset" / "manifest.tsv"
    status, _, err = cli("split", str(samples_tree), "-o", str(out), "--seed", "5")
    assert status == 0, err
    table = read_manifest(out)
    assert list(table.columns) == ["sample", "game", "set", "seconds", "hash", "kept", "reason"]
    assert table.equals(split(samples_tree, seed=5).pipe(_roundtrip, tmp_path))
    status, _, err = cli("split", str(samples_tree), "-o", str(out), "--fractions", "0.9,0.9,0")
    assert status == 2 and "fractions" in err


def _roundtrip(table, tmp_path):
    write_manifest(table, tmp_path / "m.tsv")
    return read_manifest(tmp_path / "m.tsv")


def test_duplicate_in_tree_dropped(samples_tree):
    table = split(samples_tree, seed=0)
    b0 = table[table["sample"].str.endswith("game_b.s000.events")].iloc[0]
    c1 = table[table["sample"].str.endswith("game_c.s001.events")].iloc[0]
    assert b0["hash"] == c1["hash"]
    dropped = table[~table["kept"]]
    assert len(dropped) == 1
    order = {"train": 0, "val": 1, "test": 2}
    first, second = sorted([b0, c1], key=lambda r: (order[r["set"]], r["game"]))
    assert dropped.iloc[0]["sample"] == second["sample"]
    assert dropped.iloc[0]["reason"] == f"duplicate of {first['sample']}"
