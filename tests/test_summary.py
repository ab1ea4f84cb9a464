"""The summary table: built from what is on disk, never crashing on it, counting only the
renders in the inputs' own folders."""

from __future__ import annotations

import json

import pandas as pd

from synthic import events
from synthic.collection import Input, Skipped, write_inventory
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ


def recording(stopped=None) -> Recording:
    rec = Recording.from_writes([(0, 0xFF26, 0x80), (100, 0xFF12, 0xF0)], length_cycles=CLOCK_HZ)
    if stopped is not None:
        rec.meta["stopped"] = stopped
    return rec


def test_summary_survives_bad_metadata_and_damaged_outcomes(tmp_path, cli, monkeypatch):
    """`stopped` metadata that is not text (the table used to crash and never be written), an
    outcome.json that is not JSON or has the wrong types, a crashed job's log, a job not run."""
    from synthic.events import native

    monkeypatch.setattr(native, "clean_meta", lambda meta: meta)  # let bad metadata be written
    rec_dir, logs = tmp_path / "recordings", tmp_path / "logs"
    for name in ("good", "number", "damaged", "crashed", "pending"):
        (rec_dir / name).mkdir(parents=True, exist_ok=True)
    events.write(recording(stopped="lock-up: HALT with interrupts off"), rec_dir / "good/a.events")
    events.write(recording(stopped=5), rec_dir / "number/n.events")
    (rec_dir / "damaged/outcome.json").write_text('{"outcome": "recorded", "writes": "many"')
    events.write(recording(), rec_dir / "damaged/d.events")
    logs.mkdir()
    (logs / "crashed.log").write_text("Traceback ...\nsynthic record: error: boom\x1b[31m\n")
    inputs = [Input(n, f"/c/{n}.gb", None, "rom", "0" * 40) for n in
              ("good", "number", "damaged", "crashed", "pending")]  # fmt: skip
    skipped = [Skipped("/c/pipe.gb", "not a regular file (a FIFO)", "/c/pipe.gb")]
    write_inventory(inputs, skipped, tmp_path / "inventory.tsv")
    renders = tmp_path / "render"
    for name, files in {"good": ["a.wav"], "number": ["x.txt"], "old": ["o.wav"]}.items():
        (renders / name).mkdir(parents=True)
        for f in files:
            (renders / name / f).write_bytes(b"RIFF")
    code, out, err = cli(
        "summary", "--inventory", str(tmp_path / "inventory.tsv"), "--recordings",
        str(rec_dir), "--logs", str(logs), "--renders", str(renders),
        "-o", str(tmp_path / "recordings.tsv"),
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "recordings.tsv", sep="\t", dtype=str).fillna("")
    rows = {r.name or r.input: (r.outcome, r.reason) for r in table.itertuples()}
    assert rows["good"] == ("recorded", "lock-up: HALT with interrupts off")
    assert rows["number"][0] == "silent" and "'stopped' must be a string" in rows["number"][1]
    assert rows["damaged"] == ("recorded", "")  # a damaged outcome.json: from the recording
    assert rows["crashed"] == ("failed", r"boom\x1b[31m")
    assert rows["pending"] == ("not run", "")
    assert rows["/c/pipe.gb"] == ("skipped", "not a regular file (a FIFO)")
    assert "failed: /c/crashed.gb: boom" in err
    renders = {r.name or r.input: int(r.renders) for r in table.itertuples()}
    assert renders == {"good": 1, "number": 0, "damaged": 0, "crashed": 0, "pending": 0,
                       "/c/pipe.gb": 0}  # fmt: skip


def test_record_outcome_refuses_a_bad_input_without_failing(tmp_path, cli):
    """`synthic record --outcome`: a bad input is an outcome (exit 0, outcome.json says why);
    without --outcome it is an error (exit 2)."""
    bad = tmp_path / "bad.vgm"
    bad.write_bytes(b"Vgm \xff\xff\xff\xff" + bytes(56))
    code, _, err = cli("record", str(bad), "-o", str(tmp_path / "plain"))
    assert code == 2 and "bad.vgm" in err
    code, _, err = cli("record", str(bad), "-o", str(tmp_path / "out"), "--outcome")
    assert code == 0, err
    outcome = json.loads((tmp_path / "out/outcome.json").read_text())
    assert outcome["outcome"] == "refused" and "bad.vgm" in outcome["reason"]
    assert outcome["recordings"] == [] and outcome["writes"] == 0


def test_record_from_the_inventory_checks_the_sha1(tmp_path, cli):
    """The workflow's form: the input found by name; a file changed since it was listed is
    refused instead of recorded under a stale SHA-1."""
    song = tmp_path / "c/song.vgm"
    song.parent.mkdir()
    events.write(recording(), song)
    code, _, err = cli("inventory", str(song.parent), "-o", str(tmp_path / "inv.tsv"))
    assert code == 0, err
    code, out, err = cli("record", "--inventory", str(tmp_path / "inv.tsv"), "--name", "song",
                         "-o", str(tmp_path / "r1"), "--outcome")  # fmt: skip
    assert code == 0 and (tmp_path / "r1/song.events").exists(), err
    song.write_bytes(song.read_bytes() + b"\0")
    code, out, err = cli("record", "--inventory", str(tmp_path / "inv.tsv"), "--name", "song",
                         "-o", str(tmp_path / "r2"))  # fmt: skip
    assert code == 2 and "changed since the collection was listed" in err
    code, _, err = cli("record", "--inventory", str(tmp_path / "inv.tsv"), "--name", "nope",
                       "-o", str(tmp_path / "r3"))  # fmt: skip
    assert code == 2 and "no input named 'nope'" in err

