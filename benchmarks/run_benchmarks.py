"""Benchmarks for sendabm, measured in one run and reported as ratios where possible.

    python benchmarks/run_benchmarks.py            # everything, writes benchmarks/RESULTS.md
    python benchmarks/run_benchmarks.py --quick    # small scales only (a smoke test)

Measures (issue: "All of England in seconds"):
(a) the numba family kernels against the readable per-family Python step, on the same
    families in the same state: time per family-month and the ratio;
(b) a full-England replay (scale 1.0, September 2014 to August 2025): seconds per
    simulated year excluding first-time compilation, and peak memory;
(c) time against scale (0.01, 0.1, 1.0): seconds per simulated year and per child;
(d) sweep throughput: complete baseline runs per hour at scale 0.05 on all cores;
(e) the share of step time by phase at scale 1.0 (family kernels, institutions,
    counting, measures, data collection), plus writing the results folder;
(f) the start-up of a second process (compiled kernels loaded from numba's cache).

Each scale runs in its own subprocess so peak memory is that run's alone. The machines
these run on are shared; compare ratios measured in the same run, not absolute times
across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEARS = 11.0  # September 2014 to August 2025

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from sendabm.core.model import SendModel
from sendabm.experiments.run import output_of
from sendabm.experiments.results import write_run
from sendabm.presentation.figures import RUN_FIGURES
scale, end, out = float(sys.argv[1]), sys.argv[2], sys.argv[3]
started = time.perf_counter()
model = SendModel(scale=scale, end=end)
setup = time.perf_counter() - started
t0 = time.perf_counter()
model.run()
stepping = time.perf_counter() - t0
t1 = time.perf_counter()
write_run(output_of(model, stepping), Path(out) / "run", figures=RUN_FIGURES)
writing = time.perf_counter() - t1
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"scale": scale, "setup_s": setup, "step_s": stepping, "write_s": writing,
                  "months": len(model.dates), "children": int(model.families.active.sum()),
                  "rows": int(model.families.active.size), "peak_mb": peak_kb / 1024,
                  "phases": model.phase_seconds}))
"""


def _child(scale: float, end: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", CHILD, str(scale), end, out],
                              capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_up() -> float:
    """Compile (or load) every kernel once; returns the seconds it took."""
    t0 = time.perf_counter()
    _child(0.002, "2015-10")
    return time.perf_counter() - t0


def second_start() -> float:
    """Seconds for a fresh process to import, build a tiny model and step one month."""
    code = ("from sendabm.core.model import SendModel; "
            "SendModel(scale=0.001, end='2014-10').run()")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


def kernel_vs_reference(scale: float = 0.001, months: int = 3) -> dict:
    """Step the same families with the kernels and with the Python reference."""
    import numpy as np

    from sendabm.core import rng
    from sendabm.core.kernels.family_month import family_month
    from sendabm.core.kernels.outcomes import outcomes
    from sendabm.core.model import SendModel
    from sendabm.core.population import Families

    model = SendModel(scale=scale, end="2016-08")
    for _ in range(12):  # a year in, so needs, cases and disputes are under way
        model.step()
    start = Families(*(column.copy() for column in model.families))
    world = model.family_world()
    rows = np.flatnonzero(model.families.active)
    busy = model._busy
    # Compiled (or loaded from the cache) before timing; the model itself applies
    # outcomes in its counting pass, so this kernel is not yet loaded.
    outcomes(model.families, model.p, family_month(model.families, world, model.p, busy)[0])
    model.families = Families(*(c.copy() for c in start))
    # The fastest month: a kernel still compiling (a cold cache) or a noisy neighbour
    # slows single months, and the kernels do the same work every month.
    laps = []
    for _ in range(months):
        t0 = time.perf_counter()
        busy = family_month(model.families, world, model.p, busy)[0]
        outcomes(model.families, model.p, busy)
        laps.append(time.perf_counter() - t0)
    fast = min(laps)
    model.families = Families(*(c.copy() for c in start))
    model._family_views.clear()
    draw = rng.PyRandom(model.key)
    laps = []
    for _ in range(months):
        t0 = time.perf_counter()
        for row in rows:
            family = model.family(row)
            family.month(world, model.p, draw)
            family.outcomes(model.p)
        laps.append(time.perf_counter() - t0)
    slow = min(laps)
    n = rows.size
    return {"families": int(n), "kernel_ns_per_family_month": fast / n * 1e9,
            "python_us_per_family_month": slow / n * 1e6, "ratio": slow / fast}


def _one_run(seed: int) -> float:
    from sendabm.core.model import SendModel

    t0 = time.perf_counter()
    SendModel(seed=seed, scale=0.05, end="2025-08").run()
    return time.perf_counter() - t0


def sweep_throughput(runs: int) -> dict:
    """Complete baseline runs (scale 0.05, 11 years) per hour on all cores.

    Workers are set up as ``sendabm sweep``'s local engine sets them up: spawned (numba's
    thread pool is not safe to fork), one per core, each with one numba thread.
    """
    from sendabm.experiments.workers import start_worker

    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=start_worker, initargs=(1, os.getpid())) as pool:
        list(pool.map(_one_run, range(runs)))
    wall = time.perf_counter() - t0
    return {"runs": runs, "workers": workers, "wall_s": wall, "runs_per_hour": runs / wall * 3600}


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small scales only")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    scales = (0.01, 0.05) if args.quick else (0.01, 0.1, 1.0)
    print("warming up (compiling or loading kernels)...", flush=True)
    compile_s = warm_up()
    start_s = second_start()
    print("kernel against per-family reference...", flush=True)
    kernel = kernel_vs_reference()
    print(f"  ratio {kernel['ratio']:.0f}x", flush=True)
    by_scale = []
    for scale in scales:
        print(f"replay at scale {scale}...", flush=True)
        by_scale.append(_child(scale, "2025-08"))
        print(f"  {by_scale[-1]['step_s'] / YEARS:.2f} s per simulated year", flush=True)
    print("sweep throughput...", flush=True)
    sweep = sweep_throughput(2 if args.quick else 8)
    report = render(compile_s, start_s, kernel, by_scale, sweep, args.quick)
    args.out.write_text(report)
    (args.out.with_suffix(".json")).write_text(json.dumps(
        {"compile_s": compile_s, "second_start_s": start_s, "kernel": kernel,
         "by_scale": by_scale, "sweep": sweep}, indent=2))
    print(report)


def render(compile_s, start_s, kernel, by_scale, sweep, quick) -> str:
    """The Markdown report."""
    largest = by_scale[-1]
    per_year = largest["step_s"] / YEARS
    phases = dict(largest["phases"])
    phases["writing results"] = largest["write_s"]
    total = sum(phases.values())
    kernels = ("family_kernel", "outcomes_kernel", "counting_kernel")
    outside = {k: v for k, v in phases.items() if k not in kernels}
    worst = max(outside, key=outside.get)
    base = by_scale[0]
    lines = [
        "# sendabm benchmarks",
        "",
        f"Measured {dt.date.today().isoformat()} on {_machine()}.",
        f"Command: `python benchmarks/run_benchmarks.py{' --quick' if quick else ''}`. "
        "Machines are shared and noisy: compare the ratios, which come from one run.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) kernels vs per-family Python step ({kernel['families']:,} families) | "
        f"{kernel['ratio']:.0f}x faster ({kernel['kernel_ns_per_family_month']:.0f} ns vs "
        f"{kernel['python_us_per_family_month']:.1f} µs per family-month) | ≥ 100x |",
        f"| (b) replay at scale {largest['scale']} ({largest['children']:,} children), "
        f"excluding compilation | {per_year:.2f} s per simulated year | ≤ 2 s (scale 1.0) |",
        f"| (b) peak memory at scale {largest['scale']} | {largest['peak_mb']:,.0f} MB | "
        "≤ 1,536 MB (scale 1.0) |",
        f"| (d) sweep throughput, scale 0.05, {sweep['workers']} workers | "
        f"{sweep['runs_per_hour']:,.0f} runs per hour ({sweep['runs']} runs in "
        f"{sweep['wall_s']:.0f} s) | — |",
        f"| (e) largest phase outside the kernels at scale {largest['scale']} | {worst}: "
        f"{100 * outside[worst] / total:.0f}% | ≤ 30% |",
        f"| (f) second run start (import, build, two months at scale 0.001) | {start_s:.1f} s "
        f"(first compilation took {compile_s:.0f} s) | < 3 s |",
        "",
        "## (c) Time against scale",
        "",
        "| scale | children | set-up (s) | s per simulated year | µs per child-month | "
        "relative to smallest | peak MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in by_scale:
        per_child = row["step_s"] / row["months"] / row["children"] * 1e6
        base_child = base["step_s"] / base["months"] / base["children"] * 1e6
        lines.append(
            f"| {row['scale']} | {row['children']:,} | {row['setup_s']:.1f} | "
            f"{row['step_s'] / YEARS:.2f} | {per_child:.3f} | "
            f"{per_child / base_child:.2f}x | {row['peak_mb']:,.0f} |")
    lines += ["", f"## (e) Where the time goes at scale {largest['scale']}", "",
              "| phase | seconds | share |", "|---|---|---|"]
    for name, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
