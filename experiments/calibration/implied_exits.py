"""How fast each LA's plans end, by its own record, against the model's LA fit.

The record gives each LA's EHC plans each January and its new plans each calendar year,
2019-2022, but not the plans it ceased. Their stock-flow identity gives the plans that
ended (ceased, or moved out net of moving in): plans in January plus the year's new plans
less the plans the next January, over the plans in January. This prints the spread of
that implied exit share across LAs (mean over 2019-2021), its rank correlation with the
LA's plans per pupil, with the log error of the model's plans per pupil in 2022 in a
``la_fit.csv`` (results/calibration/README.md, "Fitting each LA's starting stock"), and
how far one year's share predicts another's: hardly at all, so the mean's spread is
mostly the record's year-to-year noise, not how the LA ends plans.

Usage::

    python experiments/calibration/implied_exits.py [results/calibration/la_fit.csv]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from sendabm.core import la_record

YEARS = (2019, 2020, 2021)


def yearly_exit_shares(code: str) -> list[float]:
    """An LA's implied exit share in each of :data:`YEARS` (NaN without the figures)."""
    shares = []
    for y in YEARS:
        now, new, then = (la_record.value(code, "ehc_plans", f"{y}-01"),
                          la_record.value(code, "new_plans", str(y)),
                          la_record.value(code, "ehc_plans", f"{y + 1}-01"))
        ok = None not in (now, new, then) and now > 0
        shares.append((now + new - then) / now if ok else float("nan"))
    return shares


def implied_exit_share(code: str) -> float:
    """An LA's mean implied exit share over :data:`YEARS` (NaN without the figures)."""
    shares = [s for s in yearly_exit_shares(code) if np.isfinite(s)]
    return float(np.mean(shares)) if shares else float("nan")


def persistence_lines() -> list[str]:
    """How far an LA's implied exit share in one year predicts another year's: the rank
    correlation across LAs of each pair of years, and the LA-years below 0."""
    codes = [c for c in la_record.names_by_code()
             if c not in la_record.GROUP_NAMES and c != la_record.ENGLAND]
    table = np.array([yearly_exit_shares(c) for c in codes])
    table = table[np.all(np.isfinite(table), axis=1)]
    pairs = [(a, b) for a in range(len(YEARS)) for b in range(a + 1, len(YEARS))]
    return [f"rank correlation across LAs of the yearly shares ({len(table)} LAs): " + ", ".join(
        f"{YEARS[a]} v {YEARS[b]} {spearmanr(table[:, a], table[:, b]).statistic:.2f}"
        for a, b in pairs) + f"; LA-years below 0: {int((table < 0).sum())}"]


def main(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["measure"] == "plans_per_pupil" and r["year"] == "2022"]
    exits, level, error = [], [], []
    for r in rows:
        share, model, record = implied_exit_share(r["code"]), float(r["model"]), float(r["record"])
        if np.isfinite(share) and model > 0 and record > 0:
            exits.append(share)
            level.append(record)
            error.append(np.log(model / record))
    p10, p50, p90 = np.percentile(exits, (10, 50, 90))
    print(f"LAs: {len(exits)}; implied exit share a year, 2019-2021: p10 {p10:.1%}, "
          f"median {p50:.1%}, p90 {p90:.1%}")
    print(f"rank correlation with plans per pupil (record, 2022): "
          f"{spearmanr(exits, level).statistic:.2f}")
    print(f"rank correlation with the model's log error of plans per pupil, 2022 ({path}): "
          f"{spearmanr(exits, error).statistic:.2f}")
    for line in persistence_lines():
        print(line)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results/calibration/la_fit.csv"))
