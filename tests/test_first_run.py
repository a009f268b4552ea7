"""A first run explains itself: the one-line note before the kernels compile, and the
compile clock that keeps compile time out of the progress bar's rate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from numba import njit

from sendabm.experiments.run import CompileClock

ROOT = Path(__file__).resolve().parents[1]


def _note(cache: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "from sendabm.experiments.run import compile_note; "
         "print(compile_note())"], capture_output=True, text=True, env=env, timeout=120,
        check=True)
    return done.stdout.strip()


def test_an_empty_cache_gets_a_one_line_note_naming_the_cache(tmp_path):
    note = _note(tmp_path)
    assert note.startswith("compiling ") and " numba kernels before the first month" in note
    assert "one-off of about" in note and str(tmp_path) in note and "\n" not in note
    done, total = note.split()[1], note.split()[3]
    assert done == total and int(total) > 10


def test_the_compile_clock_counts_compiling_once_not_calls():
    @njit
    def inner(x):
        return x + 1

    @njit
    def outer(x):
        return inner(x) * 2

    with CompileClock() as clock:
        assert outer(1) == 4  # compiles outer, and inner inside it
        compiled = clock.seconds
        assert outer(2) == 6  # no compile
    assert compiled > 0 and clock.seconds == compiled
    assert outer(3) == 8


def test_runs_below_scale_0_03_warn_that_levels_are_not_to_be_read(tmp_path, capsys):
    from sendabm.cli import main
    from sendabm.experiments.run import LEVELS_MIN_SCALE, scale_warning

    assert scale_warning(LEVELS_MIN_SCALE) is None and scale_warning(0.05) is None
    assert main(["run", str(ROOT / "experiments" / "scenarios" / "baseline.toml"), "--scale",
                 "0.001", "--end", "2014-10", "--out", str(tmp_path / "run"), "--no-figures",
                 "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"sendabm: warning: {scale_warning(0.001)}"]
    assert "not for levels" in err[0]


# A kernel compiled for two signatures compiles twice on a first run (about a second for a
# counting chunk). The counting sums take float and integer partials, by design. With the
# cache warm only the kernels called from Python are listed (the ones they call come with
# them from the cache); a cold cache lists every kernel compiled, and takes half a minute.
SIGNATURES_SCRIPT = """
import json
from numba.core.dispatcher import Dispatcher
from sendabm.core.backends import KERNEL_MODULES
from sendabm.core.model import SendModel

SendModel(scale=0.001, seed=1, end="2015-09").run()  # a September included
print(json.dumps({f"{m.__name__}.{name}": len(obj.signatures) for m in KERNEL_MODULES
                  for name, obj in vars(m).items() if isinstance(obj, Dispatcher)
                  and obj.py_func.__module__ == m.__name__ and obj.signatures}))
"""


@pytest.mark.parametrize("cache", ["warm", pytest.param("cold", marks=pytest.mark.slow)])
def test_a_run_compiles_each_kernel_for_one_signature(cache, tmp_path):
    import json

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache == "cold":
        env["NUMBA_CACHE_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", SIGNATURES_SCRIPT], capture_output=True,
                          text=True, env=env, timeout=1200, check=True)
    signatures = json.loads(done.stdout)
    kernels = "family_month.family_rows", "cases.appeals", "school_year._age_chunk"
    if cache == "cold":
        kernels += "aggregate._count_chunk", "aggregate._static_chunk"
    assert {f"sendabm.core.kernels.{k}" for k in kernels} <= set(signatures)
    assert {name: n for name, n in signatures.items() if n > 1} == {
        "sendabm.core.kernels.aggregate._sum_chunks": 2}
