"""Levers ranked with and without their costs: two twin sweeps side by side.

A costed sweep and its uncosted twin run the same design (same levers, uncertainties,
points, replications and seeds) on two bases that differ only in whether the levers'
charges are made (``lever_cost_factor`` 1 or 0; docs/policies.md). Each point of one is
therefore paired with the same point of the other, and the difference between their
sensitivity indices is what the levers' costs change: a charge to the high-needs block
enters the LA's deficit and so its gatekeeping, while charges to other payers only add
to ``send_spend_gbp``.

``sendabm rank COSTED FREE --out DIR`` writes ``ranking.csv`` (one row per outcome and
lever), ``ranking.md`` (a table per outcome, levers ordered by their costed |SRC|) and
``ranking.png``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.core.policies import LEVERS
from sendabm.experiments.results import check_writable, replace_files
from sendabm.experiments.sensitivity import Sensitivity, analyse
from sendabm.experiments.store import read_manifest
from sendabm.experiments.sweep import SweepError

SAME_DESIGN = ("design", "samples", "replications", "seed", "scale", "end", "policy_start",
               "factors", "outcomes")
"""The spec entries two twin sweeps must share (their names and bases differ)."""

COLUMNS = ("outcome", "lever", "src_costed", "conf_costed", "rank_costed", "src_free",
           "conf_free", "rank_free", "change")


@dataclass
class Ranking:
    """Two twin sweeps' SRCs of each lever on each outcome.

    Attributes:
        costed: Name of the costed sweep; free: name of its uncosted twin.
        levers: The inputs that are levers (uncertainties left out).
        rows: One dict per outcome x lever (:data:`COLUMNS`); ranks count from 1 by |SRC|.
        n_points: Design points; replications: runs per point.
    """

    costed: str
    free: str
    levers: list[str]
    rows: list[dict[str, Any]]
    n_points: int
    replications: int


def is_lever(name: str) -> bool:
    """True if a sweep input is a lever's strength or option (not a parameter)."""
    return name.split("__")[0] in LEVERS


def twin_specs(costed: str | os.PathLike, free: str | os.PathLike) -> tuple[str, str]:
    """The two sweeps' names, after checking that they ran the same design.

    Raises:
        SweepError: One line naming the first entry in which the designs differ.
    """
    specs = [read_manifest(store)["spec"] for store in (costed, free)]
    for key in SAME_DESIGN:
        if specs[0].get(key) != specs[1].get(key):
            raise SweepError(f"stores '{costed}' and '{free}' are not twins: their specs "
                             f"differ in '{key}'; run both sweeps from specs that differ "
                             "only in name and base")
    return specs[0]["name"], specs[1]["name"]


def _src(result: Sensitivity, outcome: str) -> dict[str, tuple[float, float, int]]:
    """Lever -> (SRC, conf, rank by |SRC| among the levers) on ``outcome``."""
    got = [(r["input"], r["value"], r["conf"]) for r in result.rows
           if r["outcome"] == outcome and r["index"] == "src" and is_lever(r["input"])]
    order = sorted(got, key=lambda item: -abs(np.nan_to_num(item[1])))
    return {name: (value, conf, k + 1) for k, (name, value, conf) in enumerate(order)}


def rank(costed: str | os.PathLike, free: str | os.PathLike) -> Ranking:
    """Rank the levers of two twin sweep stores by their SRC on every outcome.

    Raises:
        SweepError: A store is missing, damaged or unfinished, its design has no SRC, or
            the two are not twins.
    """
    names = twin_specs(costed, free)
    results = [analyse(store, method="src") for store in (costed, free)]
    levers = [name for name in results[0].inputs if is_lever(name)]
    rows = []
    for outcome in results[0].outcomes:
        with_costs, without = (_src(result, outcome) for result in results)
        for lever in sorted(levers, key=lambda name: with_costs[name][2]):
            (src_c, conf_c, rank_c), (src_f, conf_f, rank_f) = with_costs[lever], without[lever]
            rows.append({"outcome": outcome, "lever": lever, "src_costed": src_c,
                         "conf_costed": conf_c, "rank_costed": rank_c, "src_free": src_f,
                         "conf_free": conf_f, "rank_free": rank_f, "change": src_c - src_f})
    return Ranking(names[0], names[1], levers, rows, results[0].n_points,
                   results[0].replications)


def markdown(ranking: Ranking) -> str:
    """One table per outcome: each lever's SRC and rank with costs and without."""
    lines = [f"# Levers ranked with and without their costs ({ranking.costed} against "
             f"{ranking.free})", "",
             "Standardised regression coefficients (SRC) of the design-point means on the "
             "inputs, ± 95% bootstrap half-width, from two twin sweeps: the same "
             f"{ranking.n_points} design points × {ranking.replications} replications and "
             "seeds, with every lever charged to its payers (costed) and with the charges "
             "off (`lever_cost_factor = 0`, free). Levers are ordered by their costed "
             "|SRC|; rank 1 is the largest |SRC| among the levers. `change` is the costed "
             "SRC less the free one (a change inside both intervals is noise).", ""]
    for outcome in dict.fromkeys(row["outcome"] for row in ranking.rows):
        lines += [f"## {outcome}", "",
                  "| lever | costed SRC | rank | free SRC | rank | change |",
                  "|---|---:|---:|---:|---:|---:|"]
        for row in (r for r in ranking.rows if r["outcome"] == outcome):
            lines.append(f"| {row['lever']} | {_pm(row['src_costed'], row['conf_costed'])} | "
                         f"{row['rank_costed']} | {_pm(row['src_free'], row['conf_free'])} | "
                         f"{row['rank_free']} | {row['change']:+.3g} |")
        lines.append("")
    return "\n".join(lines)


def _pm(value: float, conf: float) -> str:
    return f"{value:+.3g} ± {conf:.2g}"


def write_ranking(ranking: Ranking, out: str | os.PathLike,
                  figure: Callable[[Ranking, Path], None] | None = None) -> list[Path]:
    """Write ``ranking.csv``, ``ranking.md`` and (given ``figure``, e.g.
    :func:`sendabm.presentation.ranking_figures.draw`) ``ranking.png`` into ``out``,
    keeping its other files; each appears only once all are written.

    Raises:
        ResultsError: ``out`` cannot be created or written into (nothing is written).
    """
    out = Path(out)
    check_writable(out, "--out")

    def write(stage: Path) -> None:
        with open(stage / "ranking.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            for row in ranking.rows:
                writer.writerow({k: (repr(v) if isinstance(v, float) else v)
                                 for k, v in row.items()})
        (stage / "ranking.md").write_text(markdown(ranking), encoding="utf-8")
        if figure is not None:
            figure(ranking, stage / "ranking.png")

    return replace_files(out, write)
