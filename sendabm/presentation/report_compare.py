"""The report of a comparison folder (see :mod:`sendabm.presentation.report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sendabm.experiments.compare_folder import (
    OUTCOME_BY_NAME,
    REPLICATIONS_CSV,
    better_text,
    change_text,
    format_value,
    interval_text,
    read_replications,
)
from sendabm.experiments.ensemble import SERIES, read_series
from sendabm.experiments.outcomes import OUTCOMES
from sendabm.presentation import report_figures as rf
from sendabm.presentation.report_base import (
    Report,
    Section,
    copy_figure,
    guarded,
    read_csv_rows,
    read_json,
)
from sendabm.presentation.style import SEPTEMBER_NOTE

FIX = "re-run `sendabm compare` to regenerate the folder"


def build_comparison(folder: Path, out: Path) -> Report:
    """Draw a comparison's figures into ``out`` and describe them.

    Raises:
        ResultsError: A file of the comparison is missing or cannot be read.
    """
    manifest = guarded(folder / "compare.json", "comparison manifest", FIX, read_json)
    scenarios = _scenarios(manifest)
    rows = guarded(folder / REPLICATIONS_CSV, "replications", FIX,
                   lambda path: read_replications(path, manifest))
    table = guarded(folder / "comparison.csv", "comparison table", FIX, read_csv_rows)
    values = _replication_values(rows, scenarios)
    labels = {o.name: o.label for o in OUTCOMES}
    sections = _series_sections(folder, out, scenarios)
    sections.append(Section(
        "Key outcomes over replications", "Each key outcome of every replication (one dot a "
        "run), with the median and the 5–95th percentile range, per scenario. Flows are "
        "summed over the comparison window, stocks taken at its end, means averaged over "
        "its last 12 months.",
        rf.replications_figure(values, scenarios, labels, out / "outcomes.png").name))
    sections.append(Section(
        "Key outcomes: paired differences", "Mean over replications of each scenario and of "
        "the paired difference (policy − base) with its 95% interval; 'better in' is the "
        "share of replications in which the policy does better (outcomes whose better "
        "direction is contested are not scored).", None, _table(table)))
    sections.append(Section(
        "Map of the local areas", "Not drawn: a comparison folder keeps national series "
        "only. Run `sendabm report` on a run folder (sendabm run) for the map."))
    title = f"Comparison: {', '.join(scenarios[1:])} vs {scenarios[0]}"
    return Report("comparison", title, _facts(manifest, scenarios), sections)


def _scenarios(manifest: dict[str, Any]) -> list[str]:
    try:
        return [manifest["base"]["name"], *[p["name"] for p in manifest["policies"]]]
    except (KeyError, TypeError):
        from sendabm.experiments.results import ResultsError

        raise ResultsError(f"compare.json has no base and policies; {FIX}") from None


def _replication_values(rows: list[dict[str, str]],
                        scenarios: list[str]) -> dict[str, dict[str, np.ndarray]]:
    values: dict[str, dict[str, list[float]]] = {s: {} for s in scenarios}
    for row in rows:
        if row.get("scenario") in values:
            values[row["scenario"]].setdefault(row["outcome"], []).append(
                float(row["value"]) if row["value"] else np.nan)
    return {s: {o: np.array(v) for o, v in d.items()} for s, d in values.items()}


def _series_sections(folder: Path, out: Path, scenarios: list[str]) -> list[Section]:
    if not (folder / SERIES).is_file():
        sections = []
        for name, title in (("compare_national.png", "National series"),
                            ("compare_equity.png", "Equity by family resources")):
            if copy_figure(folder / name, out, name):
                sections.append(Section(title, "This comparison was written before "
                                        "comparisons kept every run's series (series.parquet), "
                                        "so its own figure is shown. Re-run `sendabm compare` "
                                        "for placements, the dispute funnel and money.", name))
        return sections
    ens = guarded(folder / SERIES, "series", FIX, lambda p: read_series(p, scenarios))
    bands = "Lines are medians over replications, shaded bands the 5–95th percentiles."
    return [
        Section("National series", f"Six key national measures at England scale. {bands}",
                rf.national_figure(ens, out / "national.png").name),
        Section("Placements by setting", f"Children with an EHC plan by setting. {bands} "
                f"{SEPTEMBER_NOTE}",
                rf.placements_figure(ens, out / "placements.png").name),
        Section("Dispute funnel", "Each stage of a dispute per school year, for each "
                "scenario (median over replications; logarithmic scale).",
                rf.funnel_figure(ens, out / "funnel.png").name),
        Section("Money", f"Spend by category (base scenario), spend against allocation, the "
                f"cumulative deficit and LAs past their reserves. {bands}",
                rf.money_figure(ens, out / "money.png").name),
        Section("Equity by family resources", "Outcomes by family-resources quintile over "
                "the last 12 months: bars are medians over replications, whiskers the "
                "5–95th percentiles; and the base scenario's appeal rate by quintile.",
                rf.equity_figure(ens, out / "equity.png").name),
    ]


def _table(rows: list[dict[str, str]]) -> list[list[str]]:
    """The key outcomes' rows of ``comparison.csv``, labelled and formatted as
    ``comparison.md`` formats them (money in £bn or £m, shares in %)."""
    out = [["policy", "outcome", "base", "policy mean", "difference (95% interval)",
            "change", "better in"]]
    for row in rows:
        outcome = OUTCOME_BY_NAME.get(row.get("outcome", ""))
        if outcome is None or outcome.name not in rf.OUTCOME_UNITS:
            continue
        f = {k: _float(row.get(k)) for k in ("base_mean", "policy_mean", "diff_mean",
                                             "diff_low95", "diff_high95", "diff_pct",
                                             "share_better")}
        out.append([row["policy"], outcome.label, format_value(f["base_mean"], outcome.kind),
                    format_value(f["policy_mean"], outcome.kind),
                    interval_text(f, outcome.kind), change_text(f["diff_pct"]),
                    better_text({"share_better": f["share_better"],
                                 "direction": row.get("direction", "")})])
    return out


def _float(value: str | None) -> float:
    try:
        return float(value) if value not in (None, "") else np.nan
    except ValueError:
        return np.nan


def _facts(manifest: dict[str, Any], scenarios: list[str]) -> list[tuple[str, str]]:
    window = manifest.get("window", {})
    seeds = manifest.get("seeds", [])
    return [
        ("Base", scenarios[0]),
        ("Policies", ", ".join(scenarios[1:])),
        ("Replications", f"{len(seeds)} paired runs per scenario (seeds {seeds[0]} to "
                         f"{seeds[-1]})" if len(seeds) > 1 else str(len(seeds))),
        ("Runs", f"{manifest.get('start', '?')} to {manifest.get('end', '?')} at scale "
                 f"{manifest.get('scale', '?')}"),
        ("Window", f"{window.get('start', '?')} to {window.get('end', '?')}"),
        ("Version, commit", f"{manifest.get('version', '?')}, "
                            f"{str(manifest.get('git_commit', '?'))[:10]}"),
    ]
