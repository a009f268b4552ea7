"""Forking arms from one shared past: wall time with and without it, in one run.

    python benchmarks/forking.py                   # writes benchmarks/FORKING.md and .json
    python benchmarks/forking.py --quick           # small and short (a smoke test)

Measures (issue 18):
(a) the tribunal experiment (experiments/run_experiment.py tribunal: the baseline and
    three policy scenarios, policies from September 2026, runs to August 2030) over 10
    paired replications: ``compare`` without forking, then with it (one past per seed
    to August 2026, four arms forked from it); the two results are checked equal;
(b) the example sweep (experiments/sweeps/lhs_example.toml) as given, and its levers
    alone with ``common_seeds = true`` (the runs of a replication then share their
    past to September 2020): ``sweep`` without and with forking, the two stores
    checked equal. ``--sweep-samples`` shrinks the design (50 points by default in the
    file);
(c) a snapshot of the full-England model (scale 1.0 by default) in August 2026, the
    "present" a policy team would start from: its size in memory and on disk, and the
    time to take, save (fsync included), load and continue from it.

Every wall time in (a) and (b) is measured here, in the same run, on all cores; the
machines are shared, so compare the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

SNAPSHOT_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from sendabm.core.model import SendModel
from sendabm.core.scenario import default_scenario
from sendabm.experiments.run import run_until
from sendabm.experiments.snapshots import load_snapshot, save_snapshot
from sendabm.core import calendar
scale, month, folder = float(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
model = SendModel(default_scenario().with_overrides(run={"scale": scale, "end": "2030-08"}))
t = time.perf_counter(); run_until(model, calendar.tick_of(month)); past = time.perf_counter() - t
t = time.perf_counter(); snap = model.snapshot(); take = time.perf_counter() - t
t = time.perf_counter(); save_snapshot(snap, folder); save = time.perf_counter() - t
disk = sum(f.stat().st_size for f in folder.iterdir())
n_files = sum(1 for _ in folder.iterdir())
del snap
t = time.perf_counter(); loaded = load_snapshot(folder); load = time.perf_counter() - t
t = time.perf_counter(); fork = SendModel.from_snapshot(loaded); restore = time.perf_counter() - t
t = time.perf_counter(); fork.step(); month_s = time.perf_counter() - t
print(json.dumps({"scale": scale, "month": month, "children": int(model.families.active.sum()),
                  "past_s": past, "bytes": loaded.nbytes, "disk_bytes": disk, "files": n_files,
                  "take_s": take, "save_s": save, "load_s": load, "restore_s": restore,
                  "first_month_s": month_s,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def tribunal(seeds: int, scale: float, end: str) -> dict:
    """(a): the tribunal experiment without, then with, forking."""
    from sendabm.core.scenario import load_scenario
    from sendabm.experiments.compare import compare
    from sendabm.experiments.pool import available_cores

    sys.path.insert(0, str(ROOT / "experiments"))
    from run_experiment import EXPERIMENTS, SCENARIOS

    _, names = EXPERIMENTS["tribunal"]
    base = load_scenario(SCENARIOS / "baseline.toml")
    policies = [load_scenario(SCENARIOS / f"{name}.toml") for name in names]
    times, results = {}, {}
    for fork in (False, True):
        started = time.perf_counter()
        results[fork] = compare(base, policies, seeds, scale=scale, end=end, fork=fork)
        times[fork] = time.perf_counter() - started
    same = all(np.asarray(results[True].series[s][k]).tobytes()
               == np.asarray(results[False].series[s][k]).tobytes()
               for s in results[False].series for k in results[False].series[s])
    same = same and repr(results[True].table) == repr(results[False].table)
    month = min(results[True].policy_starts.values())
    past_s, future_s = _past_and_future(base, scale, end, month)
    arms = 1 + len(policies)
    return {"seeds": seeds, "arms": arms, "scale": scale, "end": end, "fork_month": month,
            "workers": available_cores(), "without_s": times[False], "with_s": times[True],
            "speedup": times[False] / times[True], "identical": bool(same),
            "one_run_past_s": past_s, "one_run_future_s": future_s,
            "ideal_speedup": arms * (past_s + future_s) / (past_s + arms * future_s)}


def _past_and_future(base, scale: float, end: str, month: str) -> tuple[float, float]:
    """Seconds one base run spends before ``month`` (set-up included) and after it: the
    speed-up forking could give if nothing else cost time."""
    from sendabm.core import calendar
    from sendabm.core.model import SendModel
    from sendabm.experiments.run import run_until

    started = time.perf_counter()
    model = SendModel(base.with_overrides(run={"scale": scale, "end": end}))
    run_until(model, calendar.tick_of(month))
    middle = time.perf_counter()
    model.run()
    return middle - started, time.perf_counter() - middle


def sweep(samples: int | None, scale: float | None, levers_only: bool) -> dict:
    """(b): the example sweep (or its levers with common seeds), without and with forking."""
    from sendabm.experiments import store
    from sendabm.experiments.sweep import parse_spec, shares_pasts
    from sendabm.experiments.sweep_run import run_sweep

    path = ROOT / "experiments" / "sweeps" / "lhs_example.toml"
    data = tomllib.loads(path.read_text())
    if samples is not None:
        data["sweep"]["samples"] = samples
    if scale is not None:
        data["sweep"]["scale"] = scale
    if levers_only:
        data["sweep"]["common_seeds"] = True
        data.pop("uncertainties")
    spec = parse_spec(data, path.name, path.parent)
    times, rows = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for fork in (False, True):
            folder = Path(tmp) / f"fork-{fork}"
            summary = run_sweep(spec, folder, fork=fork)
            times[fork] = summary.wall_seconds
            workers = summary.workers
            rows[fork] = repr(store.load(folder).sort_by("run_id").to_pylist())
    return {"variant": "levers only, common_seeds = true" if levers_only else "as given",
            "runs": spec.samples * spec.replications, "samples": spec.samples,
            "replications": spec.replications, "scale": spec.scale,
            "policy_start": spec.policy_start, "end": spec.end,
            "shares_pasts": shares_pasts(spec), "workers": workers,
            "without_s": times[False], "with_s": times[True],
            "speedup": times[False] / times[True], "identical": rows[False] == rows[True]}


def snapshot_cost(scale: float, month: str) -> dict:
    """(c): in a subprocess, so its memory is its own."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", SNAPSHOT_CHILD, str(scale), month,
                              str(Path(tmp) / "snap")], capture_output=True, text=True,
                             env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(results: dict) -> str:
    t, c = results["tribunal"], results["snapshot"]
    lines = [
        "# Forking arms from one shared past",
        "",
        f"Measured {results['date']} on {results['cores']} cores ({results['cpu']}), "
        f"Python {results['python']}. Command: `{results['command']}`. The machine is "
        "shared: compare the ratios (both sides measured in this run), not absolute times.",
        "",
        "| measure | without forking | with forking | speed-up | results identical |",
        "|---|---|---|---|---|",
        f"| (a) tribunal experiment: {t['seeds']} replications x {t['arms']} arms, scale "
        f"{t['scale']:g}, to {t['end']}, forked at {t['fork_month']}, {t['workers']} workers "
        f"| {t['without_s']:.0f} s | {t['with_s']:.0f} s | {t['speedup']:.2f}x | "
        f"{'yes' if t['identical'] else 'NO'} |",
    ]
    for s in results["sweeps"]:
        lines.append(
            f"| (b) example sweep, {s['variant']}: {s['runs']} runs ({s['samples']} points x "
            f"{s['replications']} replications), scale {s['scale']:g}, levers from "
            f"{s['policy_start']} to {s['end']}, {s['workers']} workers | "
            f"{s['without_s']:.0f} s | {s['with_s']:.0f} s | {s['speedup']:.2f}x | "
            f"{'yes' if s['identical'] else 'NO'} |")
    lines += [
        "",
        f"One base run of (a) spends {t['one_run_past_s']:.0f} s before {t['fork_month']} "
        f"(set-up included) and {t['one_run_future_s']:.0f} s after it: with {t['arms']} "
        f"arms, forking could at best be {t['ideal_speedup']:.2f}x faster, against the "
        f"{t['speedup']:.2f}x measured.",
        "",
        "The example sweep as given varies four parameters and gives every run its own "
        "seed, so no two runs share a past and nothing is forked (the ratio is the noise "
        "of the machine: both sides run the same code). With `common_seeds = true` and "
        "only levers varied, the runs of each replication share their past up to the "
        "policy start, which each worker simulates once per replication.",
        "",
        f"## (c) A snapshot at scale {c['scale']:g} ({c['children']:,} children), "
        f"{c['month']}",
        "",
        "| measure | result |",
        "|---|---|",
        f"| simulating the past (September 2014 up to {c['month']}, not counted below) | "
        f"{c['past_s']:.0f} s |",
        f"| size in memory | {c['bytes'] / 2**20:,.0f} MiB |",
        f"| size on disk | {c['disk_bytes'] / 2**20:,.0f} MiB in {c['files']} files |",
        f"| taking it (`model.snapshot()`) | {c['take_s']:.1f} s |",
        f"| saving it (fsync, then rename) | {c['save_s']:.1f} s |",
        f"| loading it | {c['load_s']:.1f} s |",
        f"| continuing from it (`SendModel.from_snapshot`) | {c['restore_s']:.1f} s |",
        f"| its first month | {c['first_month_s']:.1f} s |",
        f"| peak memory of the process (model, snapshot, loaded copy, fork) | "
        f"{c['peak_mb']:,.0f} MB |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small and short: a smoke test")
    parser.add_argument("--seeds", type=int, default=10, help="tribunal replications (10)")
    parser.add_argument("--scale", type=float, default=0.05,
                        help="scale of the tribunal experiment (0.05, its reference scale)")
    parser.add_argument("--sweep-samples", type=int, default=None,
                        help="design points of the example sweep (default: the file's)")
    parser.add_argument("--sweep-scale", type=float, default=None,
                        help="scale of the example sweep (default: the file's)")
    parser.add_argument("--snapshot-scale", type=float, default=1.0,
                        help="scale of the snapshot measured in (c) (1.0)")
    parser.add_argument("--out", type=Path, default=HERE / "FORKING.md")
    parser.add_argument("--from-json", type=Path, default=None, metavar="FILE",
                        help="measure nothing: write the report of an earlier run's JSON")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        args.out.write_text(report(json.loads(args.from_json.read_text())))
        return 0
    if args.quick:
        args.seeds, args.scale, args.sweep_samples = 2, 0.005, 2
        args.sweep_scale, args.snapshot_scale = 0.005, 0.01
    results = {
        "date": dt.date.today().isoformat(), "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
        "command": "python benchmarks/forking.py " + " ".join(argv or sys.argv[1:]),
        "tribunal": tribunal(args.seeds, args.scale, "2030-08"),
        "sweeps": [sweep(args.sweep_samples, args.sweep_scale, levers_only=flag)
                   for flag in (False, True)],
        "snapshot": snapshot_cost(args.snapshot_scale, "2026-09"),
    }
    args.out.write_text(report(results))
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
