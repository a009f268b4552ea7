"""Where a first run's compiling goes: each kernel's compile seconds, and how many of them
LLVM takes.

    python benchmarks/compile_profile.py --out benchmarks/COMPILE_PROFILE.md

Runs ``sendabm run`` of the default baseline scenario in a child process with an empty
numba cache folder of its own, listening to numba's compile events. A kernel's seconds
exclude the kernels it compiles on the way (a parallel loop's chunk function is listed on
its own); "LLVM" is the part spent holding numba's LLVM lock (optimising and generating
machine code), the rest is numba's front end (bytecode analysis, type inference, the
parallel passes, lowering to LLVM IR). Numba compiles one function at a time in a
process, so the total is the first run's compiling on one core: the child runs with the
compile helper off (``SENDABM_COMPILE_AHEAD=0``, :mod:`sendabm.core.compile_ahead`),
which would otherwise compile the case and September kernels in a process of its own.
Compare runs on the same machine: it is shared and noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import collections, json, sys, time
from numba.core import event

stack = []
own, llvm, signatures = collections.Counter(), collections.Counter(), collections.Counter()
llvm_since = [0.0]


def name_of(dispatcher):
    f = dispatcher.py_func
    return f"{f.__module__.removeprefix('sendabm.core.')}.{f.__qualname__}"


class Compiles(event.Listener):
    def on_start(self, ev):
        stack.append([ev.data["dispatcher"], time.perf_counter(), 0.0])

    def on_end(self, ev):
        dispatcher, started, inner = stack.pop()
        took = time.perf_counter() - started
        own[name_of(dispatcher)] += took - inner
        signatures[name_of(dispatcher)] += 1
        if stack:
            stack[-1][2] += took


class Llvm(event.Listener):
    def on_start(self, ev):
        llvm_since[0] = time.perf_counter()

    def on_end(self, ev):
        if stack:
            llvm[name_of(stack[-1][0])] += time.perf_counter() - llvm_since[0]


event.register("numba:compile", Compiles())
event.register("numba:llvm_lock", Llvm())
from sendabm.cli import main

main(["run", "experiments/scenarios/baseline.toml", "--out", sys.argv[1], "--no-figures",
      "--quiet"])
print(json.dumps({"own": own, "llvm": llvm, "signatures": signatures}))
"""


def profile() -> dict:
    """Each compiled function's own and LLVM seconds and signature count (cold cache, one
    process)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(Path(tmp) / "cache"),
                   SENDABM_COMPILE_AHEAD="0")
        done = subprocess.run([sys.executable, "-c", CHILD, str(Path(tmp) / "run")], cwd=ROOT,
                              env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def render(found: dict) -> str:
    """The profile as Markdown: the package's kernels, then numba's own functions."""
    own, llvm, signatures = found["own"], found["llvm"], found["signatures"]
    ours = sorted((n for n in own if not n.startswith("numba.")), key=lambda n: -own[n])
    numba_own = [n for n in own if n.startswith("numba.")]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=False).stdout.strip()
    lines = [
        "# Where a first run's compiling goes",
        "",
        f"Measured {dt.date.today()} on {os.cpu_count()} cores (load average "
        f"{os.getloadavg()[0]:.1f} at the end) by `python benchmarks/compile_profile.py` at "
        f"commit {head}: `sendabm run` of the default baseline with an empty numba cache. "
        f"Compiling took {sum(own.values()):.1f} s, {sum(llvm.values()):.1f} s of it in "
        "LLVM; the rest is numba's front end.",
        "",
        "| kernel | s | LLVM s | signatures |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{n}` | {own[n]:.2f} | {llvm.get(n, 0.0):.2f} | {signatures[n]} |"
              for n in ours]
    lines.append(f"| numba's own functions ({len(numba_own)}) | "
                 f"{sum(own[n] for n in numba_own):.2f} | "
                 f"{sum(llvm.get(n, 0.0) for n in numba_own):.2f} | "
                 f"{sum(signatures[n] for n in numba_own)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the report here (e.g. benchmarks/COMPILE_PROFILE.md)")
    args = parser.parse_args(argv)
    text = render(profile())
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
