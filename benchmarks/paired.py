"""Paired benchmark of this source tree against another revision, run by run.

    python benchmarks/paired.py --base 356c0b1                 # 3 pairs, full England
    python benchmarks/paired.py --base main~5 --pairs 5 --end 2016-08 --scale 0.5
    python benchmarks/paired.py --base main~5 --cold           # first-run compiling

A refactor must not make the model slower or bigger, and the machines here are shared
and noisy, so a single timing of each side proves nothing. This script checks the base
revision out into a temporary git worktree and runs the two trees in turn (A B A B …),
each figure in its own process with its own tree first on ``PYTHONPATH``, after a pair
that is not counted: a full replay
from September 2014 (seconds per simulated year, excluding set-up) and its peak memory,
and the kernel ratio of benchmark (a), each tree's own
``run_benchmarks.kernel_vs_reference`` (the numba family kernels against the per-family
Python step, on the same families). It prints each pair's ratio this/base and their
median. The child imports the model through both package layouts (the flat one before
the layered restructure, ``sendabm.core`` after), so any revision since the kernels
existed can be the base.

With ``--cold`` the figures are instead those of a first run: ``sendabm run`` of the
default baseline scenario with an empty numba cache folder of its own (every kernel
compiled), then the same command again with the cache it filled; the compile time is
the difference of their wall seconds, and of their CPU seconds (the user + system time
of the child and of its compile helper, :mod:`sendabm.core.compile_ahead`, which a busy
machine inflates less than the wall time). No pair is left uncounted: every cold run
starts from nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

REPLAY = r"""
import importlib, json, resource, sys, time

try:
    SendModel = importlib.import_module("sendabm.core.model").SendModel
except ImportError:  # the flat layout before the layered restructure
    SendModel = importlib.import_module("sendabm.model").SendModel

scale, end = float(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
model = SendModel(scale=scale, end=end)
setup = time.perf_counter() - started
t0 = time.perf_counter()
model.run()
step = time.perf_counter() - t0
print(json.dumps({"s_per_year": step / (len(model.dates) / 12.0), "setup_s": setup,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
"""A full replay: seconds per simulated year (set-up excluded) and peak memory."""

KERNEL_RATIO = r"""
import json, sys

# The tree's own benchmark (a), so the ratio is measured as that tree defines it.
sys.path.insert(0, "benchmarks")
from run_benchmarks import kernel_vs_reference

print(json.dumps({"kernel_ratio": kernel_vs_reference()["ratio"]}))
"""
"""Benchmark (a) in a process of its own: run after a replay in the same process, the
kernels of one revision were seen to lose three quarters of their speed."""


def _child(tree: Path, code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(tree: Path, scale: float, end: str) -> dict:
    """One replay and one kernel ratio with ``tree`` first on the import path."""
    return {**_child(tree, REPLAY, str(scale), end), **_child(tree, KERNEL_RATIO)}


def _timed_run(tree: Path, cache: Path, extra: dict) -> tuple[float, float]:
    """Wall and CPU seconds of ``sendabm run`` of the default baseline with ``cache``
    and the ``extra`` environment variables."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache), **extra)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sendabm.cli", "run",
                    "experiments/scenarios/baseline.toml", "--out", str(cache / "run"),
                    "--no-figures", "--quiet"], cwd=tree, env=env, capture_output=True,
                   check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cold_child(tree: Path, extra: dict | None = None) -> dict:
    """A first run of ``tree`` with an empty numba cache, then a second with the cache."""
    with tempfile.TemporaryDirectory() as tmp:
        cold_wall, cold_cpu = _timed_run(tree, Path(tmp), extra or {})
        warm_wall, warm_cpu = _timed_run(tree, Path(tmp), extra or {})
    return {"cold_wall_s": cold_wall, "cold_cpu_s": cold_cpu, "warm_wall_s": warm_wall,
            "warm_cpu_s": warm_cpu, "compile_wall_s": cold_wall - warm_wall,
            "compile_cpu_s": cold_cpu - warm_cpu}


FIGURES = (("s_per_year", "s per simulated year"), ("peak_mb", "peak MB"),
           ("kernel_ratio", "kernel ratio (x)"))
COLD_FIGURES = (("cold_wall_s", "first run, wall s"), ("cold_cpu_s", "first run, CPU s"),
                ("warm_wall_s", "second run, wall s"), ("warm_cpu_s", "second run, CPU s"),
                ("compile_wall_s", "compiling, wall s (first - second)"),
                ("compile_cpu_s", "compiling, CPU s (first - second)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs measured (3)")
    parser.add_argument("--warmup", type=int, default=1, help="A/B pairs not counted (1)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of England (1.0)")
    parser.add_argument("--end", default="2017-08", help="last month of the replay (2017-08)")
    parser.add_argument("--cold", action="store_true",
                        help="time first runs (empty numba cache) instead of a replay")
    parser.add_argument("--base-env", action="append", default=[], metavar="NAME=VALUE",
                        help="with --cold, an environment variable of the base's runs "
                        "(e.g. SENDABM_COMPILE_AHEAD=0 against --base HEAD)")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the report here (e.g. benchmarks/PAIRED.md)")
    args = parser.parse_args(argv)
    if args.base_env and not args.cold:
        parser.error("--base-env applies to --cold runs only")
    if args.cold:
        args.warmup = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.base],
                       cwd=ROOT, check=True)
        try:
            # Unmeasured pairs first: both trees' kernels compiled and cached, and the
            # first full-size runs after a checkout (seen to be slow, disk and page cache
            # settling) left out.
            base_env = dict(item.split("=", 1) for item in args.base_env)
            measure = (lambda tree, extra=None: cold_child(tree, extra)) if args.cold else (
                lambda tree, extra=None: run_child(tree, args.scale, args.end))
            for _ in range(args.warmup):
                measure(ROOT)
                measure(base, base_env)
            pairs = [(measure(ROOT), measure(base, base_env)) for _ in range(args.pairs)]
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           check=False)
    text = render(args, pairs)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0


def render(args: argparse.Namespace, pairs: list[tuple[dict, dict]]) -> str:
    """The pairs as a Markdown report: each run's figure and each pair's ratio."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=False).stdout.strip()
    load = os.getloadavg()[0]
    if args.cold:
        env = "".join(f" --base-env {item}" for item in args.base_env)
        what = (f"`python benchmarks/paired.py --base {args.base} --pairs {args.pairs} "
                f"--cold{env}`: this tree (commit {head} and its working tree) against "
                f"{args.base}{' run with ' + ', '.join(args.base_env) if env else ''}, "
                "`sendabm run` of the default baseline (scale 0.01, September "
                "2014 to August 2025) with an empty numba cache, then again with the cache "
                f"it filled, {args.pairs} pairs run in turn")
    else:
        what = (f"`python benchmarks/paired.py --base {args.base} --pairs {args.pairs}"
                f" --scale {args.scale} --end {args.end}`: this tree (commit {head} and its "
                f"working tree) against {args.base}, September 2014 to {args.end} at scale "
                f"{args.scale}, {args.pairs} pairs run in turn after {args.warmup} uncounted")
    lines = [
        "# Paired benchmark" + (": first runs" if args.cold else ""),
        "",
        f"Measured {dt.date.today()} on {os.cpu_count()} cores (load average {load:.1f} at "
        f"the end) by {what}. Each cell lists the runs in order; the ratio is taken pair by "
        "pair.",
        "",
        "| figure | this tree | base | ratio this/base |",
        "|---|---|---|---|",
    ]
    for key, unit in COLD_FIGURES if args.cold else FIGURES:
        ratios = [a[key] / b[key] for a, b in pairs]
        lines.append(f"| {unit} | {' / '.join(f'{a[key]:.2f}' for a, _ in pairs)} "
                     f"| {' / '.join(f'{b[key]:.2f}' for _, b in pairs)} "
                     f"| {' / '.join(f'{r:.3f}' for r in ratios)} "
                     f"(median {statistics.median(ratios):.3f}) |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
