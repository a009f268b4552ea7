"""Regenerate the stored regression baseline: ``python tests/make_baseline.py``.

Runs the baseline scenario at scale 0.002, seed 1, from September 2014 to August 2016
and writes its national series to ``tests/baseline/national_scale0.002_seed1.csv`` in
the ``national.csv`` format of the results contract (floats written so they read back
bit for bit). ``tests/test_baseline_regression.py`` re-runs the same thing and compares.
Regenerate only after checking that a change in the results is intended (see
``tests/baseline/README.md``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from sendabm.core.scenario import baseline_path, load_scenario
from sendabm.experiments.results import write_national_csv
from sendabm.experiments.run import run_scenario

SCALE = 0.002
SEED = 1
END = "2016-08"
BASELINE = Path(__file__).resolve().parent / "baseline" / f"national_scale{SCALE}_seed{SEED}.csv"
MACHINE = BASELINE.with_suffix(".machine.json")
"""The maths the baseline was written with: numpy's version and the SIMD extensions it
found. numpy's vector exp, log and sums take CPU-specific paths (AVX-512 or not), which
can move a result by a unit in the last place."""


def machine() -> dict:
    """This process's numpy maths: its version and the AVX/FMA extensions it found."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as features
    found = sorted(name for name, on in features.items()
                   if on and name.startswith(("AVX", "FMA")))
    return {"numpy": np.__version__, "simd_found": found}


def write_baseline(path: Path) -> Path:
    """Run the baseline scenario (scale, seed and end as above) and write its national
    series to ``path``."""
    scenario = load_scenario(baseline_path()).with_overrides(
        run={"scale": SCALE, "seed": SEED, "end": END})
    output = run_scenario(scenario, out=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_national_csv(output, path)
    path.with_suffix(".machine.json").write_text(json.dumps(machine(), indent=1) + "\n",
                                                 encoding="utf-8")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else BASELINE
    print(f"wrote {write_baseline(target)}")
