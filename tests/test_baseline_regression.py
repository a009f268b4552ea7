"""Regression: the baseline scenario reproduces the stored national series bit for bit.

The stored file is ``tests/baseline/national_scale0.002_seed1.csv`` (how to regenerate
it: ``tests/baseline/README.md``).
"""

from __future__ import annotations

import csv
import importlib.util
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_baseline", HERE / "make_baseline.py")
make_baseline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_baseline)

ADVICE = ("If the change in results is intended, inspect it, then regenerate the baseline "
          "with `python tests/make_baseline.py` and commit the new CSV with the change "
          "(see tests/baseline/README.md).")


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
    differences = []
    for j, name in enumerate(stored_header[1:], start=1):
        k = new_header.index(name)
        for old_row, new_row in zip(stored, new, strict=True):
            if old_row[j] != new_row[k]:
                differences.append((name, old_row[0], old_row[j], new_row[k]))
    if differences:
        name, month, old, value = differences[0]
        columns = sorted({d[0] for d in differences})
        raise AssertionError(
            f"the baseline run differs from {make_baseline.BASELINE.name} in "
            f"{len(differences)} cells of {len(columns)} measures ({', '.join(columns[:8])}"
            f"{', ...' if len(columns) > 8 else ''}); first: '{name}' in {month} was {old!r}, "
            f"now {value!r}. {ADVICE}")
