"""Sensitivity indices of a sweep's outcomes (``sendabm sensitivity``).

Replicate-aware: each outcome is first averaged over the replications of each design
point, and the indices are computed on those means, so replication noise is not
mistaken for the effect of an input. The **replication-noise share** of an outcome
is the mean variance between replications of a point over the variance of all runs
(near 0: the inputs explain the spread; near 1: noise dominates and more
replications or a larger scale are needed).

Methods (95% confidence intervals as half-widths in ``conf``):

- ``sobol`` (Sobol/Saltelli designs; SALib): first-order ``S1`` and total ``ST``
  indices, bootstrap intervals;
- ``morris`` (Morris designs; SALib): ``mu_star`` (mean absolute elementary effect,
  in the outcome's unit per unit of the input's range), ``sigma`` (its spread:
  interactions or non-linearity), bootstrap interval of ``mu_star``;
- ``src`` (any design; the fallback for Latin hypercube and factorial stores):
  standardised regression coefficients of the point means on the inputs (choices
  coded by their index), bootstrap intervals over design points, and the ``r2`` of
  the linear fit (low ``r2``: the ranking misses non-linear effects).

A store with runs not finished yet (missing or failed) is refused unless
``allow_incomplete`` is given; the report then says how many runs it rests on. A store
with a damaged part is refused (:func:`sendabm.experiments.store.load`).

:func:`write_sensitivity` writes ``sensitivity.csv`` (outcome, input, method, index,
value, conf), ``sensitivity.md`` and ``sensitivity.png`` (bars of ST, mu* or |SRC|
per input for each outcome, with interval whiskers), all or none of them
(:func:`sendabm.experiments.results.replace_files`).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.experiments.extras import require
from sendabm.experiments.results import check_writable, replace_files
from sendabm.experiments.store import failures, load, read_manifest
from sendabm.experiments.sweep import MORRIS_LEVELS, SweepError

METHODS = ("sobol", "morris", "src")
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "src": "src"}
BOOTSTRAP = 500
NOISE = "(replication noise)"
FIT = "(linear fit)"


@dataclass
class Sensitivity:
    """Indices of every outcome of a store.

    Attributes:
        method: ``sobol``, ``morris`` or ``src``.
        design: The store's design.
        inputs: Input names.
        outcomes: Outcome names.
        rows: One dict per outcome x input x index: outcome, input, method, index,
            value, conf (95% half-width, NaN if none).
        noise_share: Outcome -> replication-noise share (NaN with one replication).
        n_points: Design points; replications: runs per point.
        runs_finished: Runs the indices rest on; runs_planned: runs of the sweep.
    """

    method: str
    design: str
    inputs: list[str]
    outcomes: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    noise_share: dict[str, float] = field(default_factory=dict)
    n_points: int = 0
    replications: int = 1
    runs_finished: int = 0
    runs_planned: int = 0

    @property
    def complete(self) -> bool:
        """True if every run of the sweep is in the analysis."""
        return self.runs_finished == self.runs_planned

    def ranking(self, outcome: str) -> list[tuple[str, float, float]]:
        """(input, main index, conf) for ``outcome``, largest first."""
        main = MAIN_INDEX[self.method]
        got = [(r["input"], r["value"], r["conf"]) for r in self.rows
               if r["outcome"] == outcome and r["index"] == main and r["input"] in self.inputs]
        if self.method == "src":
            got = [(name, abs(v), c) for name, v, c in got]
        return sorted(got, key=lambda item: -np.nan_to_num(item[1], nan=-np.inf))


def analyse(store: str | os.PathLike, method: str | None = None,
            allow_incomplete: bool = False) -> Sensitivity:
    """Compute the indices for every outcome of the sweep in ``store``.

    Args:
        store: The sweep's run store.
        method: ``sobol``, ``morris`` or ``src``; default: the one the design fits.
        allow_incomplete: Analyse the finished runs of a sweep that has runs missing or
            failed (refused otherwise).

    Raises:
        SweepError: No store, a damaged part, runs not finished (unless
            ``allow_incomplete``), a method that does not fit the design, or (for
            Sobol and Morris) design points without any finished run.
    """
    manifest = read_manifest(store)
    spec, design = manifest["spec"], manifest["design"]
    kind = spec["design"]
    method = method or {"sobol": "sobol", "morris": "morris"}.get(kind, "src")
    if method not in METHODS:
        raise SweepError(f"--method {method!r}; choose one of: {', '.join(METHODS)}")
    if method in ("sobol", "morris") and kind != method:
        raise SweepError(f"--method {method} needs a {method} design, but store '{store}' "
                         f"holds a {kind} design; use --method src")
    matrix = np.asarray(design["matrix"], dtype=np.float64)
    problem = design["problem"]
    n_points, reps = matrix.shape[0], int(spec["replications"])
    table = load(store)
    planned = len(manifest["runs"])
    if table.num_rows < planned and not allow_incomplete:
        failed = len(failures(store))
        raise SweepError(
            f"store '{store}' has {table.num_rows} of its {planned} runs finished "
            f"({planned - table.num_rows - failed} missing, {failed} failed); re-run "
            f"sendabm sweep with its spec and --store {store} to finish them, or pass "
            "--allow-incomplete to analyse the finished runs only")
    point = table.column("point").to_numpy()
    rep = table.column("replication").to_numpy()
    result = Sensitivity(method=method, design=kind, inputs=list(design["names"]),
                         outcomes=list(spec["outcomes"]), n_points=n_points, replications=reps,
                         runs_finished=table.num_rows, runs_planned=planned)
    for outcome in result.outcomes:
        runs = np.full((n_points, reps), np.nan)
        runs[point, rep] = table.column(outcome).to_numpy(zero_copy_only=False)
        result.noise_share[outcome] = noise_share(runs)
        means = _point_means(runs, method, store)
        rows = _indices(method, problem, matrix, means, seed=int(spec["seed"]))
        for name, index, value, conf in rows:
            result.rows.append({"outcome": outcome, "input": name, "method": method,
                                "index": index, "value": value, "conf": conf})
        result.rows.append({"outcome": outcome, "input": NOISE, "method": method,
                            "index": "noise_share", "value": result.noise_share[outcome],
                            "conf": math.nan})
    return result


def noise_share(runs: np.ndarray) -> float:
    """Mean within-point variance over the variance of all runs (points x replications)."""
    if runs.shape[1] < 2:
        return math.nan
    complete = runs[np.isfinite(runs).sum(axis=1) >= 2]
    values = runs[np.isfinite(runs)]
    total = float(np.var(values, ddof=1)) if values.size > 1 else math.nan
    if complete.size == 0 or not total > 0:
        return math.nan
    within = float(np.nanmean(np.nanvar(complete, axis=1, ddof=1)))
    return within / total


def _point_means(runs: np.ndarray, method: str, store: Any) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        counts = np.isfinite(runs).sum(axis=1)
        means = np.where(counts > 0, np.nansum(runs, axis=1) / np.maximum(counts, 1), np.nan)
    missing = int((counts == 0).sum())
    if missing and method != "src":
        raise SweepError(f"{missing} of {runs.shape[0]} design points of '{store}' have no "
                         "finished run; run sendabm sweep again to finish them")
    return means


def _indices(method: str, problem: dict, matrix: np.ndarray, means: np.ndarray,
             seed: int) -> list[tuple[str, str, float, float]]:
    names = problem["names"]
    if method in ("sobol", "morris"):
        require("sensitivity", f"{method} indices (sendabm sensitivity)")
    if method == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, means, calc_second_order=False, conf_level=0.95,
                           print_to_console=False, seed=seed)
        return [(n, idx, float(si[idx][i]), float(si[f"{idx}_conf"][i]))
                for i, n in enumerate(names) for idx in ("S1", "ST")]
    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem, matrix, means, conf_level=0.95, print_to_console=False,
                            num_levels=MORRIS_LEVELS, seed=seed)
        out = []
        for i, n in enumerate(names):
            out.append((n, "mu_star", float(si["mu_star"][i]), float(si["mu_star_conf"][i])))
            out.append((n, "sigma", float(si["sigma"][i]), math.nan))
        return out
    return _src(names, matrix, means, seed)


def standardised_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised regression coefficients of ``y`` on the columns of ``x``, and R²."""
    sx, sy = x.std(axis=0), y.std()
    if not sy > 0:
        return np.full(x.shape[1], np.nan), math.nan
    ok = sx > 0
    z = (x[:, ok] - x[:, ok].mean(axis=0)) / sx[ok]
    w = (y - y.mean()) / sy
    beta = np.full(x.shape[1], np.nan)
    if ok.any():
        beta[ok] = np.linalg.lstsq(z, w, rcond=None)[0]
        r2 = 1.0 - float(np.sum((w - z @ beta[ok]) ** 2)) / float(np.sum(w ** 2))
    else:
        r2 = math.nan
    return beta, r2


def _src(names: list[str], matrix: np.ndarray, means: np.ndarray,
         seed: int) -> list[tuple[str, str, float, float]]:
    ok = np.isfinite(means)
    x, y = matrix[ok], means[ok]
    beta, r2 = standardised_coefficients(x, y)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, len(y), len(y))
        draws.append(standardised_coefficients(x[pick], y[pick])[0])
    spread = np.nanstd(np.array(draws), axis=0) if len(y) > 2 else np.full(len(names), np.nan)
    rows = [(n, "src", float(beta[i]), float(1.959964 * spread[i])) for i, n in enumerate(names)]
    rows.append((FIT, "r2", float(r2), math.nan))
    return rows


# --------------------------------------------------------------------------- writing


def write_sensitivity(result: Sensitivity, out: str | os.PathLike,
                      figure: bool = True) -> list[Path]:
    """Write ``sensitivity.csv``, ``sensitivity.md`` and ``sensitivity.png`` into ``out``,
    keeping its other files; each appears only once all are drawn.

    Returns:
        The files written.

    Raises:
        ResultsError: ``out`` cannot be created or written into (nothing is written).
    """
    out = Path(out)
    check_writable(out, "--out")

    def write(stage: Path) -> None:
        with open(stage / "sensitivity.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["outcome", "input", "method", "index",
                                                        "value", "conf"])
            writer.writeheader()
            for row in result.rows:
                writer.writerow({k: (repr(v) if isinstance(v, float) else v)
                                 for k, v in row.items()})
        (stage / "sensitivity.md").write_text(markdown(result), encoding="utf-8")
        if figure:
            sensitivity_figure(result, stage / "sensitivity.png")

    return replace_files(out, write)


_METHOD_TEXT = {
    "sobol": "Sobol indices (SALib, Saltelli design): S1 first order, ST total order, "
             "± 95% bootstrap half-width.",
    "morris": "Morris elementary effects (SALib): mu* (mean |effect| over the input's range), "
              "sigma (spread: interactions or non-linearity), ± 95% bootstrap half-width of mu*.",
    "src": "Standardised regression coefficients (fallback for designs without a "
           "variance-based estimator): SRC of the design-point means on the inputs, ± 95% "
           "bootstrap half-width; r2 is the share of variance the linear fit explains.",
}


def markdown(result: Sensitivity) -> str:
    """The report: method, noise share and a ranked table per outcome."""
    lines = [f"# Sensitivity ({result.method}, {result.design} design)", "",
             _METHOD_TEXT[result.method], "",
             f"{result.n_points} design points x {result.replications} replications; "
             "outcomes averaged over the replications of each point before analysis.", ""]
    if not result.complete:
        lines += [f"**Incomplete:** from {result.runs_finished} of the sweep's "
                  f"{result.runs_planned} runs (`--allow-incomplete`); re-run `sendabm sweep` "
                  "to finish the others.", ""]
    indices = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma"), "src": ("src",)}
    for outcome in result.outcomes:
        lines += [f"## {outcome}", ""]
        share = result.noise_share.get(outcome, math.nan)
        note = f"Replication-noise share: {_fmt(share)}"
        fit = [r for r in result.rows if r["outcome"] == outcome and r["index"] == "r2"]
        if fit:
            note += f"; linear fit r2: {_fmt(fit[0]['value'])}"
        lines.append(note)
        lines += ["", "| input | " + " | ".join(indices[result.method]) + " |",
                  "|---|" + "---:|" * len(indices[result.method])]
        for name, _value, _conf in result.ranking(outcome):
            cells = []
            for index in indices[result.method]:
                row = next(r for r in result.rows if r["outcome"] == outcome
                           and r["input"] == name and r["index"] == index)
                conf = "" if not math.isfinite(row["conf"]) else f" ± {_fmt(row['conf'])}"
                cells.append(_fmt(row["value"]) + conf)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.3g}"


def sensitivity_figure(result: Sensitivity, path: Path) -> None:
    """Horizontal bars of the main index per input, one panel per outcome."""
    # An Agg canvas of its own: pyplot's global backend is left alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(result.outcomes)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    height = max(2.0, 0.3 * len(result.inputs) + 1.0)
    fig = Figure(figsize=(4.2 * cols, height * rows))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    label = {"sobol": "total-order index ST", "morris": "mu*", "src": "|SRC|"}[result.method]
    for ax, outcome in zip(axes.flat, result.outcomes, strict=False):
        ranked = result.ranking(outcome)[::-1]
        values = [v for _, v, _ in ranked]
        confs = [c if math.isfinite(c) else 0.0 for _, _, c in ranked]
        ax.barh(range(len(ranked)), values, xerr=confs, color="#4477aa", ecolor="#333333",
                capsize=2, height=0.6)
        ax.set_yticks(range(len(ranked)), [name for name, _, _ in ranked], fontsize=7)
        ax.set_title(outcome, fontsize=9)
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.axvline(0.0, color="#999999", linewidth=0.6)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"Sensitivity ({result.method}): {result.n_points} points x "
                 f"{result.replications} replications", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
