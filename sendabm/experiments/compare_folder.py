"""The comparison folder: its files, written atomically.

:func:`write_comparison` writes ``comparison.csv`` (one row per policy x outcome,
:data:`~sendabm.experiments.paired.TABLE_COLUMNS`), ``comparison.md`` (the same as
readable tables), ``replications.csv`` (every run's outcomes), ``series.parquet``
(every run's series over time, :mod:`sendabm.experiments.ensemble`) and
``compare.json``, plus any figures a drawing function given to it adds (the command
line passes :func:`sendabm.presentation.compare_figures.draw`). Everything is written
into a temporary sibling folder that replaces ``out_dir`` only once it is complete.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sendabm
from sendabm.core import calendar
from sendabm.core.measures import KEY_OUTCOMES
from sendabm.experiments.compare import Comparison
from sendabm.experiments.ensemble import SERIES, Ensemble, write_series
from sendabm.experiments.outcomes import CONTESTED, HIGHER, LOWER, NEARER_ZERO, NEUTRAL, OUTCOMES
from sendabm.experiments.paired import TABLE_COLUMNS
from sendabm.experiments.results import check_folder, format_float, safe_name, write_folder
from sendabm.experiments.run import git_commit

COMPARE_MANIFEST = "compare.json"
COMPARISON_CSV = "comparison.csv"
COMPARISON_MD = "comparison.md"
REPLICATIONS_CSV = "replications.csv"
REPLICATION_COLUMNS = ["scenario", "seed", "outcome", "value"]

FigureWriter = Callable[[Comparison, Path], list[str]]
"""Draws a comparison's figures into a folder and returns the file names it wrote."""


def default_out_dir(base: str, policies: Sequence[str]) -> Path:
    """``results/compare-<base>-vs-<policy>[-<policy>...]`` with unsafe characters replaced
    (:func:`~sendabm.experiments.results.safe_name`)."""
    names = "-".join(safe_name(p, "scenario") for p in policies)
    return Path("results") / f"compare-{safe_name(base, 'scenario')}-vs-{names}"


def check_compare_out_dir(out_dir: Path) -> None:
    """Raise :class:`ResultsError` unless ``out_dir`` is absent, empty or a comparison folder.

    Called before any run starts, so a bad ``--out`` fails at once, and again before
    writing.
    """
    check_folder(out_dir, COMPARE_MANIFEST, "comparison")


def write_comparison(comparison: Comparison, out_dir: str | os.PathLike,
                     figures: FigureWriter | None = None) -> Path:
    """Write a comparison folder atomically (temporary sibling folder, then rename).

    Args:
        comparison: The finished comparison.
        out_dir: Folder to create; it may be absent, empty, or hold an earlier comparison
            (replaced only once the new folder is complete).
        figures: Draws the figures into the temporary folder and returns their file
            names (e.g. :func:`sendabm.presentation.compare_figures.draw`); None for
            no figures.

    Returns:
        ``out_dir`` as a Path.

    Raises:
        ResultsError: ``out_dir`` holds something else (nothing is written).
    """
    return write_folder(Path(out_dir), check_compare_out_dir,
                        lambda folder: _write_files(comparison, folder, figures))


def _write_files(comparison: Comparison, folder: Path, figures: FigureWriter | None) -> None:
    files = [COMPARISON_CSV, COMPARISON_MD, REPLICATIONS_CSV, SERIES]
    write_table_csv(comparison, folder / COMPARISON_CSV)
    (folder / COMPARISON_MD).write_text(comparison_markdown(comparison), encoding="utf-8")
    write_replications_csv(comparison, folder / REPLICATIONS_CSV)
    write_series(ensemble_of(comparison), folder / SERIES)
    if figures is not None:
        files += figures(comparison, folder)
    files.append(COMPARE_MANIFEST)
    text = json.dumps(comparison_manifest(comparison, files), indent=2, sort_keys=True)
    (folder / COMPARE_MANIFEST).write_text(text + "\n", encoding="utf-8")


def ensemble_of(comparison: Comparison) -> Ensemble:
    """Every run's series as an :class:`~sendabm.experiments.ensemble.Ensemble`
    (for ``series.parquet``)."""
    names = [comparison.base, *comparison.policies]
    return Ensemble(scenarios=names, seeds=list(comparison.seeds), dates=list(comparison.dates),
                    national={n: comparison.series[n] for n in names},
                    quintiles={n: comparison.quintiles[n] for n in names})


def comparison_manifest(comparison: Comparison, files: list[str]) -> dict[str, Any]:
    """The JSON-able content of ``compare.json``."""
    def describe(name: str) -> dict[str, Any]:
        scen = comparison.scenarios[name]
        return {"name": name, "hash": scen.hash(),
                "path": None if scen.path is None else str(scen.path),
                "policies": [dict(p) for p in scen.policies]}

    window = comparison.window
    return {
        "package": "sendabm",
        "version": sendabm.__version__,
        "git_commit": git_commit(),
        "kind": "comparison",
        "base": describe(comparison.base),
        "policies": [{**describe(p), "differs_from": comparison.policy_starts.get(p)}
                     for p in comparison.policies],
        "seeds": list(comparison.seeds),
        "scale": comparison.scale,
        "start": comparison.start,
        "end": comparison.end,
        "window": {"start": window.start, "end": window.end, "months": window.months,
                   "mean_months": window.mean_months},
        "runs": (1 + len(comparison.policies)) * len(comparison.seeds),
        "workers": comparison.workers,
        "wall_time_seconds": comparison.wall_time_seconds,
        "outcomes": [o.name for o in OUTCOMES],
        "files": files,
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return format_float(value)
    return str(value)


def write_table_csv(comparison: Comparison, path: Path) -> None:
    """Write ``comparison.csv``: one tidy row per policy x outcome (:data:`TABLE_COLUMNS`)."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        for row in comparison.table:
            writer.writerow([_cell(row[k]) for k in TABLE_COLUMNS])


def write_replications_csv(comparison: Comparison, path: Path) -> None:
    """Write ``replications.csv``: ``scenario, seed, outcome, value`` for every run."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(REPLICATION_COLUMNS)
        for name in [comparison.base, *comparison.policies]:
            for o in OUTCOMES:
                for seed, value in zip(comparison.seeds, comparison.values[name][o.name],
                                       strict=True):
                    writer.writerow([name, seed, o.name, _cell(float(value))])


def read_replications(path: Path, manifest: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of ``replications.csv``, checked against its ``compare.json``.

    Every scenario x seed x outcome of the comparison must appear exactly once, with a
    number (or an empty cell) as its value, so a truncated or edited file is refused
    instead of reported as if whole.

    Args:
        path: The file.
        manifest: The folder's ``compare.json`` (base, policies, seeds, outcomes).

    Raises:
        ValueError: The first problem found, in a few words.
    """
    scenarios = [manifest["base"]["name"], *(p["name"] for p in manifest["policies"])]
    seeds = [str(seed) for seed in manifest["seeds"]]
    with Path(path).open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    if not table or table[0] != REPLICATION_COLUMNS:
        raise ValueError(f"the header is not {','.join(REPLICATION_COLUMNS)}")
    seen: set[tuple[str, str, str]] = set()
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if len(cells) != len(REPLICATION_COLUMNS):
            raise ValueError(f"line {line} has {len(cells)} cells, not 4")
        row = dict(zip(REPLICATION_COLUMNS, cells, strict=True))
        key = (row["scenario"], row["seed"], row["outcome"])
        if row["scenario"] not in scenarios or row["seed"] not in seeds:
            raise ValueError(f"line {line} is of scenario {key[0]!r}, seed {key[1]!r}, "
                             "which the comparison did not run")
        if key in seen:
            raise ValueError(f"line {line} repeats {', '.join(key)}")
        try:
            float(row["value"] or "nan")
        except ValueError:
            raise ValueError(f"line {line} has value {row['value']!r}, not a number") from None
        seen.add(key)
        rows.append(row)
    outcomes = list(manifest.get("outcomes") or dict.fromkeys(k[2] for k in seen))
    expected = len(scenarios) * len(seeds) * len(outcomes)
    if len(seen) != expected or any(k[2] not in outcomes for k in seen):
        raise ValueError(f"it has {len(seen)} of the {expected} scenario x seed x outcome "
                         "rows of the comparison (truncated or edited)")
    return rows


# --------------------------------------------------------------------------- markdown

OUTCOME_BY_NAME = {o.name: o for o in OUTCOMES}
"""Each outcome by its name."""
_DIRECTION_WORDS = {LOWER: "lower", HIGHER: "higher", NEARER_ZERO: "nearer 0", NEUTRAL: "—",
                    CONTESTED: "contested"}


def format_value(value: float, kind: str, signed: bool = False, decimals: int | None = None,
                 magnitude: float | None = None) -> str:
    """Format a number for ``comparison.md``: thousands separators, £bn/£m, %, decimals.

    Args:
        value: The number.
        kind: ``count``, ``gbp``, ``share``, ``index``, ``las`` or ``mean``.
        signed: Show '+' on positive numbers; shares become percentage points.
        decimals: Decimals for ``mean`` (default 3).
        magnitude: For money, choose £bn or £m from this size instead of ``value``'s
            (so the numbers of one interval share a unit).
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if kind == "gbp":
        size = abs(value) if magnitude is None else magnitude
        if size >= 1e9 or size == 0:
            return f"{sign}£{value / 1e9:,.2f}bn".replace("£-", "-£")
        return f"{sign}£{value / 1e6:,.1f}m".replace("£-", "-£")
    if kind == "share":
        text = f"{sign}{100 * value:,.2f}"
        return text + (" pp" if signed else "%")
    if kind == "count":
        return f"{sign}{value:,.0f}"
    if kind in ("index", "las"):
        return f"{sign}{value:,.1f}"
    return f"{sign}{value:,.{3 if decimals is None else decimals}f}"


def _decimals(*values: float) -> int:
    """Decimals that show small mean differences with two significant digits (3 to 6)."""
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return 3
    return min(6, max(3, 1 - math.floor(math.log10(max(finite)))))


def interval_text(row: dict[str, Any], kind: str) -> str:
    """A paired difference and its 95% interval in one unit, e.g. '-£0.21bn (-£0.25bn to
    -£0.17bn)', from a table row's ``diff_mean``, ``diff_low95`` and ``diff_high95``."""
    values = (row["diff_mean"], row["diff_low95"], row["diff_high95"])
    if all(v == 0 for v in values):
        return "0 (identical)"
    decimals = _decimals(*values)
    size = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    diff = format_value(row["diff_mean"], kind, signed=True, decimals=decimals, magnitude=size)
    if not (math.isfinite(row["diff_low95"]) and math.isfinite(row["diff_high95"])):
        return diff
    low = format_value(row["diff_low95"], kind, signed=True, decimals=decimals, magnitude=size)
    high = format_value(row["diff_high95"], kind, signed=True, decimals=decimals,
                        magnitude=size)
    return f"{diff} ({low} to {high})"


def change_text(value: float) -> str:
    """A signed change in percent, e.g. '+3.2%' ('n/a' if undefined)."""
    if not math.isfinite(value):
        return "n/a"
    return "0.0%" if round(value, 1) == 0 else f"{value:+,.1f}%"


def better_text(row: dict[str, Any]) -> str:
    """The 'policy better in' cell of a table row (``share_better`` as a float and
    ``direction``): a percentage, 'higher in ..%' for neutral outcomes, 'not scored'
    for contested ones."""
    if row["direction"] == CONTESTED:
        return "not scored"
    share = row["share_better"]
    if not math.isfinite(share):
        return "n/a"
    if row["direction"] == NEUTRAL:
        return f"higher in {100 * share:.0f}%"
    return f"{100 * share:.0f}%"


def _table(rows: list[dict[str, Any]], base: str, policy: str) -> list[str]:
    lines = [f"| Outcome | {base} | {policy} | Difference (95% CI) | Change | Better is "
             "| Policy better in |",
             "|---|---:|---:|---:|---:|:---:|---:|"]
    for row in rows:
        o = OUTCOME_BY_NAME[row["outcome"]]
        lines.append(
            f"| {o.label} | {format_value(row['base_mean'], o.kind)} "
            f"| {format_value(row['policy_mean'], o.kind)} | {interval_text(row, o.kind)} "
            f"| {change_text(row['diff_pct'])} | {_DIRECTION_WORDS[o.direction]} "
            f"| {better_text(row)} |")
    return lines


def month_label(month: str, back: int = 0) -> str:
    """'2015-03' -> 'Mar 2015' (``back`` months earlier)."""
    return f"{calendar.date_of(calendar.tick_of(month) - back):%b %Y}"


def _window_text(comparison: Comparison) -> str:
    w = comparison.window
    first, last = month_label(w.start), month_label(w.end)
    mean_first = month_label(w.end, back=w.mean_months - 1)
    return (f"{first} to {last} ({w.months} months): flows are summed over it, "
            f"stocks taken at {last}, means and rates averaged over {mean_first} to {last}")


def comparison_markdown(comparison: Comparison) -> str:
    """The readable report ``comparison.md``: one set of tables per policy."""
    c = comparison
    n = len(c.seeds)
    seeds = f"{c.seeds[0]}" if n == 1 else f"{c.seeds[0]} to {c.seeds[-1]}"
    lines = [
        f"# Comparison: {', '.join(c.policies)} vs {c.base}",
        "",
        f"- **Replications:** {n} paired runs per scenario (seeds {seeds}); each policy run "
        "uses the same seed, and so the same random draws, as its base run.",
        f"- **Runs:** {c.start} to {c.end} at scale {c.scale:g}; counts and money at England "
        "scale.",
        f"- **Window:** {_window_text(c)}.",
        "- **Difference** is policy − base, averaged over the replications, with a 95% "
        f"Student t interval ({n - 1} df). **Change** is relative to the base mean. "
        "**Policy better in** is the share of replications in which the policy does better "
        "(for outcomes with no better direction, the share in which it is higher). Outcomes "
        "whose better direction is **contested** (e.g. hearings won by families: fewer may "
        "mean fewer wrong decisions, or families deterred or left without a route) are "
        "not scored.",
        "",
    ]
    for policy in c.policies:
        rows = c.rows(policy, "headline")
        key = [r for r in rows if r["outcome"] in KEY_OUTCOMES]
        other = [r for r in rows if r["outcome"] not in KEY_OUTCOMES]
        start = c.policy_starts.get(policy, c.window.start)
        lines += [f"## {policy} vs {c.base}", "", f"The policy differs from the base from {start}.",
                  "", "### Key outcomes", "", *_table(key, c.base, policy), "",
                  "### Other outcomes", "", *_table(other, c.base, policy), "",
                  "### Equity by family-resources quintile (1 = least, 5 = most)", "",
                  *_table(c.rows(policy, "equity"), c.base, policy), ""]
    return "\n".join(lines)
