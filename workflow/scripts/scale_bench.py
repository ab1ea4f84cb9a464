"""Scale benchmark: a simulated large collection through record, prune and split (issue 15).

Builds a few small jukebox ROMs, turns them into N distinct ROMs (the cartridge title changed
and the checksums fixed, so each has its own SHA-1), copies this checkout to a scratch folder
and there, never in this checkout's results/:

1. times `snakemake -n results/manifest.tsv` on all N inputs, before the inventory checkpoint
   exists and after (the second is the real scheduling time of 2N + 1 jobs);
2. runs record, prune and split for real on the first --real inputs, and reads per job the
   Snakemake log's start and finish (wall), the benchmark file's seconds (the job's process)
   and the job log's "recorded/pruned ... in X s" (the command's own time, numba's cache load
   included);
3. measures numba's start-up (loading the emulator's and the renderer's machine code from the
   disk cache, in a fresh process) and Python's (interpreter and the package's imports);
4. runs the same subset again with the record and prune jobs grouped
   (`--groups record=rec prune=rec --group-components rec=G`) and compares the wall times.

    python workflow/scripts/scale_bench.py --roms 1000 --real 200
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TITLE = slice(0x134, 0x13F)  # the 11 title bytes every header has (no CGB/maker fields)


def sh(cmd, cwd=None, check=True, capture=True) -> tuple[float, str]:
    """Run cmd; its wall time and its output (stdout and stderr)."""
    start = time.perf_counter()
    p = subprocess.run(
        cmd, cwd=cwd, text=True, stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if check and p.returncode:
        sys.exit(f"failed ({p.returncode}): {' '.join(map(str, cmd))}\n{(p.stdout or '')[-3000:]}")
    return wall, p.stdout or ""


def copy_checkout(dest: Path) -> None:
    """This checkout's files (tracked and untracked, not ignored) and numba's cache beside the
    code (so the compile job loads instead of compiling; a stale cache is rebuilt anyway)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.split(b"\0")  # fmt: skip
    dest.mkdir(parents=True)
    for f in files:
        f = f.decode()
        if f and (REPO / f).is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, dest / f)
    for cache in (REPO / "synthic").rglob("__pycache__"):
        for f in cache.iterdir():
            if f.suffix in (".nbi", ".nbc") or f.name.startswith("synthic"):
                target = dest / f.relative_to(REPO)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)


def build_roms(work: Path, checkout: Path, base: int, songs: int, n: int, jobs: int) -> Path:
    """`base` jukebox ROMs of `songs` songs, and n distinct variants of them in work/roms."""
    base_dir = work / "base"

    def one(i):
        return sh(
            [sys.executable, "-m", "synthic", "jukebox", "-o", str(base_dir), "--rom", str(i),
             "--songs", str(songs)], cwd=checkout,
        )[0]  # fmt: skip

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        times = list(pool.map(one, range(1, base + 1)))
    print(f"built {base} jukebox ROMs of {songs} songs in {time.perf_counter() - start:.1f} s "
          f"({statistics.mean(times):.1f} s each)")  # fmt: skip

    sys.path.insert(0, str(checkout))
    from synthic.gb.header import fix_checksums, parse_header

    bases = sorted(base_dir.glob("*.gb"))
    roms = work / "roms"
    roms.mkdir()
    for k in range(n):
        image = bytearray(bases[k % len(bases)].read_bytes())
        image[TITLE] = f"SCALE{k:06d}".encode().ljust(11, b"\0")[:11]
        fix_checksums(image)
        parse_header(bytes(image))
        (roms / f"scale_{k:04d}.gb").write_bytes(image)
    print(f"wrote {n} distinct ROMs to {roms}")
    return roms


def write_config(checkout: Path, path: Path, roms: Path, seconds: float, min_seconds) -> None:
    import yaml

    config = yaml.safe_load((checkout / "config.yaml").read_text())
    config["roms"] = str(roms)
    config["record"]["seconds"] = seconds
    if min_seconds is not None:
        config["prune"]["min_seconds"] = min_seconds
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(checkout: Path, config: Path, *args, cores: int) -> tuple[float, str]:
    return sh(["snakemake", "--cores", str(cores), f"--configfile={config}", *args], cwd=checkout)


def clear(checkout: Path) -> None:
    for d in ("results", "logs", "benchmarks", ".snakemake"):
        shutil.rmtree(checkout / d, ignore_errors=True)


STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$")


def job_walls(checkout: Path) -> dict[str, list[float]]:
    """Per rule, each job's wall time (finish - start) from the latest Snakemake log; whole
    seconds, so the mean over many jobs is right to a fraction of a second."""
    log = max((checkout / ".snakemake" / "log").glob("*.snakemake.log"))
    started, walls, stamp, rules = {}, {}, None, {}
    lines = log.read_text().splitlines()
    for i, line in enumerate(lines):
        m = STAMP.match(line)
        if m:
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y").timestamp()
            continue
        m = re.match(r"^(?:local)?rule (\w+):$", line)
        if m and stamp is not None:
            for follow in lines[i + 1 : i + 12]:
                j = re.match(r"^\s+jobid: (\d+)$", follow)
                if j:
                    started[j.group(1)] = stamp
                    rules[j.group(1)] = m.group(1)
                    break
        m = re.match(r"^Finished jobid: (\d+)", line)
        if m and m.group(1) in started:
            walls.setdefault(rules[m.group(1)], []).append(stamp - started[m.group(1)])
    return walls


def bench_seconds(checkout: Path, rule: str, column: str = "s") -> list[float]:
    """A column of each job's benchmark file: "s" (the process's wall time), "cpu_time"."""
    out = []
    for f in sorted((checkout / "benchmarks" / rule).glob("*.tsv")):
        head, row = f.read_text().splitlines()[:2]
        out.append(float(row.split("\t")[head.split("\t").index(column)]))
    return out


def own_seconds(checkout: Path, rule: str) -> list[float]:
    """The command's own time ("recorded ... in X s", "pruned ... in X s") from each job log."""
    word = {"record": "recorded", "prune": "pruned"}[rule]
    out = []
    for f in sorted((checkout / "logs" / rule).glob("*.log")):
        m = re.search(rf"^{word} .* in ([\d.]+) s", f.read_text(), re.M)
        if m:
            out.append(float(m.group(1)))
    return out


def startup(checkout: Path, repeats: int) -> dict[str, float]:
    """Median start-up in fresh processes: the interpreter with the command line's imports,
    and numba's cache loads as `synthic compile` reports them (emulator, renderer)."""
    imports, emulator, renderer, compile_wall = [], [], [], []
    for _ in range(repeats):
        imports.append(sh([sys.executable, "-m", "synthic", "record", "--help"], checkout)[0])
        wall, out = sh([sys.executable, "-m", "synthic", "compile"], checkout)
        compile_wall.append(wall)
        emulator.append(float(re.search(r"emulator: ready in ([\d.]+)", out).group(1)))
        renderer.append(float(re.search(r"renderer: ready in ([\d.]+)", out).group(1)))
    return {
        "python -m synthic record --help": statistics.median(imports),
        "numba emulator load": statistics.median(emulator),
        "numba renderer load": statistics.median(renderer),
        "synthic compile process": statistics.median(compile_wall),
    }


def real_run(checkout: Path, config: Path, cores: int, extra: list[str], label: str) -> dict:
    clear(checkout)
    # The checkpoint and the compile job first (untimed): the timed run is record, prune, split.
    snakemake(checkout, config, "results/inventory.tsv", "results/compiled.txt", cores=cores)
    wall, _ = snakemake(checkout, config, "results/manifest.tsv", *extra, cores=cores)
    walls = job_walls(checkout)
    row = {"label": label, "wall": wall, "cores": cores}
    jobs = 0
    busy = 0.0
    for rule in ("record", "prune"):
        b, own = bench_seconds(checkout, rule), own_seconds(checkout, rule)
        w = walls.get(rule, [])
        jobs += len(b)
        busy += sum(b)
        row[rule] = {
            "jobs": len(b),
            "job wall (snakemake log)": statistics.mean(w) if w else float("nan"),
            "process (benchmark s)": statistics.mean(b),
            "process CPU (benchmark cpu_time)": statistics.mean(
                bench_seconds(checkout, rule, "cpu_time")
            ),
            "command's own time": statistics.mean(own) if own else float("nan"),
        }
        row[rule]["job wall - process"] = (
            row[rule]["job wall (snakemake log)"] - row[rule]["process (benchmark s)"]
        )
    split = walls.get("split", [0.0])  # no benchmark file: its wall from the log
    row["split wall"] = split[0]
    busy += split[0]
    jobs += 1
    row["jobs"] = jobs
    # Core-seconds not spent in any job's process, per job: Snakemake's scheduling, spawning
    # and bookkeeping, plus cores left idle (the split's wait, the tail).
    row["snakemake overhead per job"] = (wall * cores - busy) / jobs
    row["utilisation"] = busy / (wall * cores)
    archive = checkout.parent / "runs" / label
    archive.mkdir(parents=True, exist_ok=True)
    for d in ("logs", "benchmarks", ".snakemake/log"):
        if (checkout / d).exists():
            shutil.copytree(checkout / d, archive / d.replace("/", "_"), dirs_exist_ok=True)
    print(f"{label}: {jobs} jobs in {wall:.1f} s")
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Everything is written under --work (deleted first); this checkout is only read.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--roms", type=int, default=1000, help="inputs of the dry run")
    p.add_argument("--real", type=int, default=200, help="inputs of the real runs (0: none)")
    p.add_argument("--base", type=int, default=20, help="jukebox ROMs built (the rest: variants)")
    p.add_argument("--songs", type=int, default=3, help="songs per jukebox ROM")
    p.add_argument("--seconds", type=float, default=30, help="record.seconds")
    p.add_argument("--min-seconds", type=float, help="prune.min_seconds (None: config.yaml's)")
    p.add_argument("--group-size", type=int, default=50, help="--group-components of the group")
    p.add_argument("--no-grouped", action="store_true", help="skip the grouped run")
    p.add_argument(
        "--grouped-first", action="store_true", help="run the grouped run before the other"
    )
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5, help="fresh processes per start-up figure")
    p.add_argument("--work", type=Path, default=Path("/tmp/scale"))
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)

    work = args.work.resolve()
    if work == REPO or REPO in work.parents:
        sys.exit("--work must lie outside the checkout")
    shutil.rmtree(work, ignore_errors=True)
    checkout = work / "checkout"
    copy_checkout(checkout)
    print(f"copied the checkout to {checkout}; load average {os.getloadavg()}")
    roms = build_roms(work, checkout, args.base, args.songs, args.roms, args.cores)
    figures: dict = {"load before": os.getloadavg()}

    config_all = work / "scale_all.yaml"
    write_config(checkout, config_all, roms, args.seconds, args.min_seconds)
    dry = ["-n", "--quiet=rules", "results/manifest.tsv"]
    wall, _ = snakemake(checkout, config_all, *dry, cores=args.cores)
    figures["dry run, no inventory yet"] = wall
    wall, _ = snakemake(
        checkout, config_all, "results/inventory.tsv", "results/compiled.txt", cores=args.cores
    )
    figures["inventory + compile"] = wall
    figures["compiled.txt"] = (checkout / "results" / "compiled.txt").read_text().strip()
    wall, out = snakemake(checkout, config_all, *dry, cores=args.cores)
    figures[f"dry run, {args.roms} inputs"] = wall
    figures["dry run jobs"] = out.strip().splitlines()[-12:]
    figures["start-up"] = startup(checkout, args.repeats)

    if args.real:
        subset = work / "roms_subset"
        subset.mkdir()
        for f in sorted(roms.glob("*.gb"))[: args.real]:
            shutil.copy2(f, subset / f.name)
        config_sub = work / "scale_subset.yaml"
        write_config(checkout, config_sub, subset, args.seconds, args.min_seconds)
        groups = ["--groups", "record=rec", "prune=rec"]
        groups += ["--group-components", f"rec={args.group_size}"]
        runs = [("ungrouped", [])] + ([] if args.no_grouped else [("grouped", groups)])
        for label, extra in reversed(runs) if args.grouped_first else runs:
            figures[label] = real_run(checkout, config_sub, args.cores, extra, label)
    figures["load after"] = os.getloadavg()

    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
