"""Regression: the baseline scenario reproduces the stored national series bit for bit.

The stored file is ``tests/baseline/national_scale0.002_seed1.csv`` (how to regenerate
it: ``tests/baseline/README.md``). Bit for bit holds on the maths it was written with
(``national_scale0.002_seed1.machine.json``: numpy's version and the CPU's vector
extensions); on other maths numpy's vector exp and log may round differently in the last
place, so there a cell may differ by at most ``OTHER_MATHS_RTOL`` relative.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_baseline", HERE / "make_baseline.py")
make_baseline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_baseline)

ADVICE = ("If the change in results is intended, inspect it, then regenerate the baseline "
          "with `python tests/make_baseline.py` and commit the new CSV with the change "
          "(see tests/baseline/README.md).")


OTHER_MATHS_RTOL = 1e-9
"""Largest relative difference of a cell accepted on other maths than the baseline's."""


def _same(old: str, new: str, tolerance: float) -> bool:
    if old == new or tolerance == 0.0:
        return old == new
    try:
        return math.isclose(float(old), float(new), rel_tol=tolerance, abs_tol=1e-300)
    except ValueError:
        return False


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_baseline_national_series_is_unchanged(tmp_path):
    stored_header, stored = _read(make_baseline.BASELINE)
    new_header, new = _read(make_baseline.write_baseline(tmp_path / "national.csv"))
    assert [row[0] for row in new] == [row[0] for row in stored], (
        f"the run's months differ from the stored baseline. {ADVICE}")
    missing = [name for name in stored_header if name not in new_header]
    assert not missing, f"measures missing from the run: {missing}. {ADVICE}"
    added = [name for name in new_header if name not in stored_header]
    if added:
        warnings.warn(f"measures not in the stored baseline (not compared): {added}",
                      stacklevel=1)
    written_on = json.loads(make_baseline.MACHINE.read_text(encoding="utf-8"))
    same_maths = written_on == make_baseline.machine()
    tolerance = 0.0 if same_maths else OTHER_MATHS_RTOL
    differences, rounding = [], 0
    for j, name in enumerate(stored_header[1:], start=1):
        k = new_header.index(name)
        for old_row, new_row in zip(stored, new, strict=True):
            rounding += old_row[j] != new_row[k]
            if not _same(old_row[j], new_row[k], tolerance):
                differences.append((name, old_row[0], old_row[j], new_row[k]))
    if differences:
        name, month, old, value = differences[0]
        columns = sorted({d[0] for d in differences})
        raise AssertionError(
            f"the baseline run differs from {make_baseline.BASELINE.name} in "
            f"{len(differences)} cells of {len(columns)} measures ({', '.join(columns[:8])}"
            f"{', ...' if len(columns) > 8 else ''}); first: '{name}' in {month} was {old!r}, "
            f"now {value!r}{'' if same_maths else ' (on other maths than the baseline: '}"
            f"{'' if same_maths else str(make_baseline.machine()) + ')'}. {ADVICE}")
    if rounding:
        warnings.warn(f"{rounding} cells differ in the last places from the baseline, written "
                      f"on other maths ({written_on}, here {make_baseline.machine()})",
                      stacklevel=1)
