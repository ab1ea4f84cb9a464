"""The quick configuration through workflow/profiles/slurm on a real one-node SLURM cluster
(tests/slurm/cluster.sh: Debian's slurm-wlm and munge, started and stopped here), against a
local run through workflow/profiles/local: the same recordings, dataset, metrics and songs, byte
for byte. It also reports what a job costs on the cluster beyond its own work.

Long (a few minutes): pytest -m slow -s tests/test_slurm.py
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_workflow import tracked_files

CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"
TARGETS = ["results/eval/metrics.json", "results/wav"]
QUICK = ["--configfile", "config.quick.yaml"]
# What each run must give alike: every file under these, by SHA-256.
COMPARED = {
    "recordings": "results/recordings",
    "dataset": "results/dataset",
    "metrics": "results/eval/metrics.json",
    "songs (WAV)": "results/wav",
}
TIMEOUT_S = 1800


@pytest.fixture(scope="module")
def cluster():
    """A running cluster: the environment that reaches it. Every daemon it started is stopped
    afterwards, whatever happened."""
    if importlib_missing("snakemake_executor_plugin_slurm"):
        pytest.skip("snakemake-executor-plugin-slurm is not installed (pip install -e '.[dev]')")
    # Not under pytest's tmp folder: that is private to root, and munged runs as munge.
    state = Path(tempfile.mkdtemp(prefix="synthic-slurm-"))
    try:
        out = subprocess.run(
            ["bash", str(CLUSTER), "start", str(state)], capture_output=True, text=True
        )
        if out.returncode != 0:
            pytest.skip(f"no SLURM cluster: {out.stderr.strip() or out.stdout.strip()}")
        print(f"\n{out.stdout.strip()}")
        env = dict(os.environ)
        env["SLURM_CONF"] = str(state / "slurm.conf")
        env["PATH"] = f"{state / 'bin'}{os.pathsep}{env['PATH']}"
        yield env, state
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop", str(state)], check=False)
        shutil.rmtree(state, ignore_errors=True)


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


def copy_checkout(dest: Path) -> Path:
    for rel in tracked_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(ROOT / rel, dest / rel)
        except FileNotFoundError:  # removed since git listed it
            pass
    return dest


def snakemake(cwd: Path, *args: str, env: dict | None = None) -> float:
    """Run Snakemake to the quick targets; its wall time. A failure shows the end of its log."""
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", *args, *QUICK, "--", *TARGETS],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    took = time.monotonic() - start
    (cwd / "snakemake.out").write_text(out.stdout + out.stderr)
    assert out.returncode == 0, (out.stdout + out.stderr)[-6000:]
    return took


def digests(root: Path) -> dict[str, dict[str, str]]:
    """Per compared group: relative path -> SHA-256 of every file."""
    groups = {}
    for group, rel in COMPARED.items():
        path = root / rel
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        groups[group] = {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
        }
    return groups


def combined(files: dict[str, str]) -> str:
    return hashlib.sha256(
        "".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()
    ).hexdigest()[:16]


LOG_LINE = re.compile(
    r"^\[(?P<t>[0-9T:.-]+)\] (?:(?P<submit>_slurm_rpc_submit_batch_job:)|(?P<alloc>sched: Allocate)"
    r"|(?P<done>_job_complete:)) JobId=(?P<id>\d+)(?P<final> done)?"
)


def slurm_times(log: Path) -> dict[int, dict[str, datetime]]:
    """From slurmctld's log (millisecond stamps): per job id, when it was submitted, given its
    node, and done."""
    jobs: dict[int, dict[str, datetime]] = {}
    for line in log.read_text().splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        t = datetime.fromisoformat(m["t"])
        job = jobs.setdefault(int(m["id"]), {})
        if m["submit"]:
            job["submit"] = t
        elif m["alloc"]:
            job["start"] = t
        elif m["final"]:
            job["end"] = t
    return jobs


ELAPSED = re.compile(r"^Elapsed time: (\d+):(\d+):([\d.]+)$", re.M)


@dataclass
class Job:
    """One SLURM job of the run, in seconds: queued (submitted to given a node), on the node,
    the outer Snakemake (sbatch's script, the executor's job step) and the inner one (the step
    that job step starts with srun; each parses the Snakefile), and its shell command's own work
    (the benchmark, where the rule keeps one)."""

    rule: str
    wildcards: str
    submit: datetime
    end: datetime
    queued: float
    on_node: float
    outer: float | None
    inner: float | None
    own: float | None


def jobs_of(run: Path, state: Path) -> list[Job]:
    """The jobs of a SLURM run, from the SLURM logs it kept (rule_<rule>/<wildcards>/<id>.log),
    slurmctld's log and the benchmarks."""
    times = slurm_times(state / "slurmctld.log")
    jobs = []
    logs = run / ".snakemake" / "slurm_logs"
    for log in sorted(logs.rglob("*.log")):
        parts = log.relative_to(logs).parts
        rule = parts[0].removeprefix("rule_")
        wildcards = "/".join(parts[1:-1])
        t = times.get(int(log.stem), {})
        if not {"submit", "start", "end"} <= t.keys():
            continue
        # The inner Snakemake ends first, so its elapsed time comes first in the log.
        elapsed = [
            int(h) * 3600 + int(m) * 60 + float(sec)
            for h, m, sec in ELAPSED.findall(log.read_text())
        ]
        inner, outer = (elapsed + [None, None])[:2]
        bench = run / "benchmarks" / (f"{rule}/{wildcards}.tsv" if wildcards else f"{rule}.tsv")
        own = None
        if bench.is_file():
            own = float(bench.read_text().splitlines()[1].split("\t")[0])
        jobs.append(
            Job(
                rule,
                wildcards,
                t["submit"],
                t["end"],
                (t["start"] - t["submit"]).total_seconds(),
                (t["end"] - t["start"]).total_seconds(),
                outer,
                inner,
                own,
            )
        )
    return jobs


def idle_waits(jobs: list[Job]) -> list[float]:
    """Seconds the cluster stood empty before each submission: from the end of the last job to
    the next submission, when none ran (the executor polls squeue, more slowly while nothing
    ends; the first check comes slurm-init-seconds-before-status-checks after a submission)."""
    waits = []
    for job in jobs:
        before = [j for j in jobs if j.submit < job.submit]
        if before and all(j.end <= job.submit for j in before):
            waits.append((job.submit - max(j.end for j in before)).total_seconds())
    return waits


def timed(cwd: Path, *cmd: str, env: dict | None = None) -> tuple[float, str]:
    start = time.monotonic()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return time.monotonic() - start, out.stdout + out.stderr


def startup_figures(run: Path) -> list[tuple[str, float]]:
    """What every job pays before its own work, measured in the finished SLURM checkout (warm
    caches, as on a node after its first job): Python with Snakemake parsing the Snakefile and
    building the job's DAG (the inventory read included), the command line's start (every
    command's parser is built), and numba's load of the cached emulator and renderer."""
    figures = []
    name = sorted(p.name for p in (run / "results" / "recordings").iterdir())[0]
    took, _ = timed(
        run,
        sys.executable,
        "-m",
        "snakemake",
        "-n",
        "--cores",
        "1",
        *QUICK,
        "--",
        f"results/recordings/{name}",
    )
    figures.append(("snakemake: start, parse, DAG (dry run of one recording)", took))
    took, _ = timed(run, sys.executable, "-m", "synthic", "record", "--help")
    figures.append(("python -m synthic record --help (Python, the package, its parsers)", took))
    took, out = timed(run, sys.executable, "-m", "synthic", "compile")
    figures.append(
        (
            "python -m synthic compile (numba cache load: " + out.strip().replace("\n", "; ") + ")",
            took,
        )
    )
    return figures


def test_slurm_profile_passes_only_what_was_chosen():
    """No empty resource (an empty slurm_partition went to sbatch as `-p ''`), no default
    cpus_per_task (it overrides every rule's threads), squeue for job states (a cluster without
    accounting never answers sacct), and cores set (the model rules' threads need it)."""
    profile = yaml.safe_load((ROOT / "workflow/profiles/slurm/config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert profile["slurm-status-command"] == "squeue"
    assert profile["cores"] >= max(profile["set-threads"].values())
    assert "cpus_per_task" not in profile["default-resources"]
    resources = [profile["default-resources"], *profile["set-resources"].values()]
    for values in resources:
        for key, value in values.items():
            assert value not in ("", None), key


@pytest.mark.slow
def test_quick_workflow_on_slurm_matches_a_local_run(cluster, tmp_path):
    env, state = cluster
    local = copy_checkout(tmp_path / "local")
    slurm = copy_checkout(tmp_path / "slurm")

    local_s = snakemake(local, "--workflow-profile", "workflow/profiles/local", env=env)
    slurm_s = snakemake(
        slurm,
        "--workflow-profile",
        "workflow/profiles/slurm",
        # A test wants the first status check soon (the default is 40 s); MinJobAge (300 s)
        # stays above three times this, so the plugin keeps to squeue.
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--slurm-keep-successful-logs",
        env=env,
    )

    ran = dict(digests(local)), dict(digests(slurm))
    print(f"\nlocal run {local_s:.0f} s, SLURM run {slurm_s:.0f} s")
    print(f"{'outputs':<14}{'files':>6}  {'local':<18}{'SLURM':<18}")
    for group in COMPARED:
        a, b = ran[0][group], ran[1][group]
        mark = "same" if a == b else "DIFFERENT"
        print(f"{group:<14}{len(a):>6}  {combined(a):<18}{combined(b):<18}{mark}")
    for group in COMPARED:
        assert ran[0][group], f"the local run wrote no {group}"
        assert ran[0][group] == ran[1][group], group

    jobs = jobs_of(slurm, state)
    assert jobs, "no SLURM job found in slurmctld's log"
    print(
        "\nper SLURM job, seconds: queued, on the node, of which the outer Snakemake (job step), of"
        "\nwhich the inner one (srun), of which the rule's own work (its benchmark); start-up is"
        "\non the node minus own work"
    )
    head = ("job", "queued", "on node", "outer", "inner", "own", "start-up")
    print(f"{head[0]:<26}" + "".join(f"{h:>9}" for h in head[1:]))

    def cell(x):
        return f"{x:>9.2f}" if x is not None else f"{'-':>9}"

    for j in jobs:
        startup = j.on_node - j.own if j.own is not None else None
        label = f"{j.rule} {j.wildcards}".strip()
        print(
            f"{label:<26}"
            + "".join(cell(x) for x in (j.queued, j.on_node, j.outer, j.inner, j.own, startup))
        )
    waits = idle_waits(jobs)
    busy = sum(j.on_node for j in jobs)
    print(
        f"on the node {busy:.0f} s in all ({len(jobs)} jobs), the cluster idle between dependent"
        f" jobs {sum(waits):.0f} s ({len(waits)} waits for the executor's squeue poll)"
    )
    print("\nstart-up of a job, measured in the finished SLURM checkout (warm caches):")
    for what, took in startup_figures(slurm):
        print(f"{took:6.2f} s  {what}")
