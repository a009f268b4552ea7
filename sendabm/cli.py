"""Command line.

- ``sendabm run SCENARIO [--seed N] [--scale X] [--end YYYY-MM] [--out DIR]``: one run.
- ``sendabm compare BASE POLICY [POLICY ...] --seeds N [--scale X] [--end YYYY-MM]
  [--out DIR] [--workers W]``: paired replications of policies against a base
  (:mod:`sendabm.experiments.compare`).
- ``sendabm sweep SPEC.toml [--store DIR] [--engine local|dask] [--workers N]
  [--scheduler ADDRESS]``: a resumable parameter sweep (:mod:`sendabm.experiments.sweep`).
- ``sendabm sensitivity STORE [--method sobol|morris|src] [--out DIR]
  [--allow-incomplete]``: sensitivity
  indices of a sweep's outcomes (:mod:`sendabm.experiments.sensitivity`).
- ``sendabm appraise SPEC.toml [--out DIR] [--workers N]``: policies appraised over a
  hypercube of their options and the uncertain parameters, with the assumptions that
  decide each effect (:mod:`sendabm.experiments.appraise`).
- ``sendabm calibrate [--spec FILE] [--study DIR] [--trials N] [--out FILE]``: fit
  behavioural parameters to the national record (:mod:`sendabm.experiments.calibrate`).
- ``sendabm validate [--seeds N] [--scale X] [--out DIR]``: the calibrated baseline
  against the record over many seeds, and its projection to 2039/40
  (:mod:`sendabm.experiments.validate`).
- ``sendabm backtest [--seeds N] [--scale X] [--out DIR]``: each LA's 2022 projected from
  its 2019-2021 record, against a per-LA trend (:mod:`sendabm.experiments.backtest`).
- ``sendabm report DIR [--out DIR] [--map MEASURE] [--la NAME_OR_CODE]``: an HTML report
  of a run, comparison or sweep folder, or of one LA of a run
  (:mod:`sendabm.presentation.report`).
- ``sendabm dashboard [--port N] [--host HOST]``: the interactive dashboard
  (:mod:`sendabm.presentation.dashboard`).

Errors in the user's input (a missing or invalid scenario, an out-of-range option, an
unusable results folder, an optional extra the command needs but is not installed)
print one line naming the problem and the fix, and exit with status 2 without
writing anything.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from sendabm.core.areas import AreasError, load_areas
from sendabm.core.scenario import ScenarioError, load_scenario
from sendabm.experiments.appraise import AppraisalError
from sendabm.experiments.calibrate import CalibrationError
from sendabm.experiments.extras import MissingExtra, require
from sendabm.experiments.results import ResultsError, check_out_dir, safe_name
from sendabm.experiments.sweep import SweepError

EXIT_USAGE = 2


class UsageError(Exception):
    """The command line itself is wrong (an unknown option, a value of the wrong type)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (its own print the whole usage first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message}; see '{self.prog} --help'")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sendabm",
        description="Agent-based simulation of England's SEND system: families, schools, "
                    "local authorities and the SEND Tribunal in 152 local areas.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run", help="run one scenario and write its results folder",
        description="Run one scenario from September 2014 to its end month and write a "
                    "results folder: manifest.json, national.csv, panel.parquet and figures "
                    "(summary.png, equity.png).")
    run.add_argument("scenario", type=Path,
                     help="scenario TOML file, e.g. experiments/scenarios/baseline.toml")
    run.add_argument("--seed", type=int, default=None,
                     help="random seed (integer from 0 to 2**64 - 1); default: the "
                     "scenario's [run] seed")
    run.add_argument("--scale", type=float, default=None,
                     help="share of England to simulate, 0.001-1.0 (1.0 = all ~9.1M pupils); "
                          "default: the scenario's [run] scale")
    run.add_argument("--end", default=None, metavar="YYYY-MM",
                     help="last month to simulate, e.g. 2025-08; default: the scenario's end")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="results folder (created, or replaced if it holds an earlier run); "
                          "default: results/<scenario name>")
    run.add_argument("--areas", type=Path, default=None, metavar="FILE",
                     help="local areas as CSV or GraphML (docs/areas.md); default: the 152 "
                          "English LAs")
    run.add_argument("--threads", type=int, default=None,
                     help="numba threads (results do not depend on it); default: all cores")
    run.add_argument("--save-snapshot", default=None, metavar="YYYY-MM",
                     help="on reaching this month, save the model's whole state to "
                          "--snapshot-dir (then go on), to continue later with "
                          "--from-snapshot")
    run.add_argument("--snapshot-dir", type=Path, default=None, metavar="DIR",
                     help="folder for --save-snapshot; default: "
                          "results/snapshots/<scenario name>-<YYYY-MM>")
    run.add_argument("--from-snapshot", type=Path, default=None, metavar="DIR",
                     help="continue a saved snapshot under this scenario instead of "
                          "starting in 2014 (the scenario must match the snapshot's before "
                          "its month; policies may start from it on); results are the same "
                          "as running the scenario from the start")
    run.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    comp = sub.add_parser(
        "compare", help="compare policy scenarios with a base over paired replications",
        description="Run a base scenario and one or more policy scenarios over N paired "
                    "replications (replication r uses the same seed, the base seed + r, for "
                    "every scenario: common random numbers) and write a comparison folder: "
                    "comparison.csv, comparison.md, replications.csv, compare.json and "
                    "figures (compare_national.png, compare_equity.png). Every run uses the "
                    "base scenario's start and scale and the latest end among the "
                    "scenarios, unless --scale or --end is given.")
    comp.add_argument("base", type=Path, metavar="BASE",
                      help="base scenario TOML file, e.g. experiments/scenarios/baseline.toml")
    comp.add_argument("policies", type=Path, nargs="+", metavar="POLICY",
                      help="one or more policy scenario TOML files")
    comp.add_argument("--seeds", type=int, required=True, metavar="N",
                      help="number of paired replications (at least 1; 2 or more for "
                           "intervals)")
    comp.add_argument("--scale", type=float, default=None,
                      help="share of England to simulate, 0.001-1.0; default: the base "
                           "scenario's [run] scale")
    comp.add_argument("--end", default=None, metavar="YYYY-MM",
                      help="last month to simulate; default: the latest end among the scenarios")
    comp.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="comparison folder (created, or replaced if it holds an earlier "
                           "comparison); default: results/compare-<base>-vs-<policies>")
    comp.add_argument("--workers", type=int, default=None, metavar="W",
                      help="parallel worker processes (results do not depend on it); "
                           "default: all cores; 1 runs in this process")
    comp.add_argument("--no-fork", action="store_true",
                      help="run every scenario from the start instead of simulating each "
                           "seed's shared past once and forking the scenarios where they "
                           "first differ (the results are the same; forking is faster)")
    comp.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    comp.add_argument("--quiet", action="store_true", help="no progress bar")
    _sweep_parsers(sub)
    _calibrate_parser(sub)
    _validate_parser(sub)
    _backtest_parser(sub)
    return parser


def _backtest_parser(sub: argparse._SubParsersAction) -> None:
    bt = sub.add_parser(
        "backtest", help="project each LA's 2022 from its 2019-2021 record, against a trend",
        description="Refit every LA's offsets on its 2019-2021 record, run the model to "
                    "December 2022, and compare each LA's projected 2022 with its record "
                    "and with a least-squares trend of the same record. Writes "
                    "BACKTEST.md and backtest.csv.")
    bt.add_argument("--seeds", type=int, default=2, metavar="N",
                    help="seeds of the fit and of the projection (default 2)")
    bt.add_argument("--scale", type=float, default=0.1, metavar="X",
                    help="share of England per run (default 0.1)")
    bt.add_argument("--iterations", type=int, default=12, metavar="N",
                    help="fixed-point steps of the offsets' fit (default 12)")
    bt.add_argument("--workers", type=int, default=None, metavar="N",
                    help="worker processes (default: all cores)")
    bt.add_argument("--out", type=Path, default=Path("results/calibration"), metavar="DIR",
                    help="folder for BACKTEST.md and backtest.csv (default: "
                         "results/calibration)")


def _sweep_parsers(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser(
        "sweep", help="run a parameter sweep into a resumable run store",
        description="Run every design point x replication of a sweep specification (TOML: "
                    "[sweep], [[levers]], [[uncertainties]], [outcomes]) and write each run "
                    "to a store folder as it finishes. Running it again skips finished runs "
                    "and retries failed ones; results do not depend on the engine or the "
                    "number of workers.")
    sweep.add_argument("spec", type=Path, metavar="SPEC",
                       help="sweep specification, e.g. experiments/sweeps/lhs_example.toml")
    sweep.add_argument("--store", type=Path, default=None, metavar="DIR",
                       help="run store folder; default: results/sweeps/<sweep name>")
    sweep.add_argument("--engine", default="local", choices=("local", "dask"),
                       help="local process pool (default) or a Dask cluster")
    sweep.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes; default: all cores; 1 runs in this process")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of an existing Dask scheduler, e.g. tcp://host:8786 "
                            "(implies --engine dask)")
    sweep.add_argument("--no-fork", action="store_true",
                       help="with common_seeds and only levers varied, run every run from "
                            "the start instead of simulating each replication's shared past "
                            "once per worker (the store is the same; forking is faster)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")

    sens = sub.add_parser(
        "sensitivity", help="sensitivity indices of a sweep's outcomes",
        description="Sobol (S1, ST) or Morris (mu*, sigma) indices with 95% confidence "
                    "intervals for each outcome of a sweep store (outcomes averaged over "
                    "replications first; the replication-noise share is reported). Latin "
                    "hypercube and factorial stores use standardised regression "
                    "coefficients (src). Writes sensitivity.csv, sensitivity.md and "
                    "sensitivity.png.")
    sens.add_argument("store", type=Path, metavar="STORE", help="run store of sendabm sweep")
    sens.add_argument("--method", default=None, choices=("sobol", "morris", "src"),
                      help="default: the one that fits the store's design")
    sens.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="output folder; default: STORE/sensitivity")
    sens.add_argument("--allow-incomplete", action="store_true",
                      help="analyse the finished runs of a sweep with runs missing or failed "
                           "(refused otherwise; the report says so)")
    rank = sub.add_parser(
        "rank", help="levers ranked with and without their costs, from two twin sweeps",
        description="Standardised regression coefficients of every lever on every outcome of "
                    "a costed sweep store and of its uncosted twin (the same design on a base "
                    "with lever_cost_factor = 0), side by side: writes ranking.csv, "
                    "ranking.md and ranking.png.")
    rank.add_argument("costed", type=Path, metavar="COSTED", help="store of the costed sweep")
    rank.add_argument("free", type=Path, metavar="FREE", help="store of its uncosted twin")
    rank.add_argument("--out", type=Path, required=True, metavar="DIR",
                      help="output folder (its other files are kept)")
    appraise = sub.add_parser(
        "appraise", help="appraise policies under uncertainty: paired runs over a hypercube",
        description="Run the base and every policy of an appraisal specification (TOML: "
                    "[appraisal], [[policies]], [[options]], [[uncertainties]], [outcomes]) "
                    "at each point of a Latin hypercube over the policies' options and the "
                    "uncertain parameters, with one seed per point shared by every arm, and "
                    "write a folder: effects.csv (each policy's change, the probability it "
                    "improves each outcome and the assumptions that decide it), cost.csv "
                    "(cost per child helped), runs.csv, appraisal.md, appraisal.png and "
                    "appraisal.json.")
    appraise.add_argument("spec", type=Path, metavar="SPEC",
                          help="appraisal specification, e.g. "
                               "experiments/appraisals/tribunal.toml")
    appraise.add_argument("--out", type=Path, default=None, metavar="DIR",
                          help="appraisal folder (created, or replaced if it holds an earlier "
                               "appraisal); default: results/appraisals/<name>")
    appraise.add_argument("--workers", type=int, default=None, metavar="N",
                          help="worker processes (results do not depend on it); default: all "
                               "cores; 1 runs in this process")
    appraise.add_argument("--no-figures", action="store_true", help="skip appraisal.png")
    appraise.add_argument("--quiet", action="store_true", help="no progress count")
    _view_parsers(sub)


def _view_parsers(sub: argparse._SubParsersAction) -> None:
    from sendabm.presentation.areamap import DEFAULT_MEASURE, MAP_MEASURES

    report = sub.add_parser(
        "report", help="write an HTML report of a run, comparison or sweep folder",
        description="Detect the kind of results folder (run, comparison or sweep) and write "
                    "a self-contained HTML report (report.html, figures embedded) with its "
                    "PNG figures: national series with bands, placements by setting, the "
                    "dispute funnel per school year, money, equity by family-resources "
                    "quintile and, for a run, a map of the local areas.")
    report.add_argument("folder", type=Path, metavar="DIR",
                        help="a folder written by sendabm run, compare or sweep")
    report.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="report folder (created, or replaced if it holds an earlier "
                             "report); default: DIR/report")
    report.add_argument("--map", default=DEFAULT_MEASURE, choices=list(MAP_MEASURES),
                        metavar="MEASURE",
                        help=f"measure of the area map (run folders): "
                             f"{', '.join(MAP_MEASURES)}; default: {DEFAULT_MEASURE}")
    report.add_argument("--la", default=None, metavar="NAME_OR_CODE",
                        help="write one LA's page instead (run folders): its series against "
                             "its record and beside its neighbours, and the map with it "
                             "ringed, e.g. --la Kent or --la E10000016; default --out: "
                             "DIR/report-<la>")
    dash = sub.add_parser(
        "dashboard", help="start the interactive dashboard (Mesa SolaraViz) in a browser",
        description="Start a Mesa SolaraViz app on this machine only (localhost): sliders "
                    "and menus for the main levers and uncertainties, play/step/reset, live "
                    "plots of the key national series and a map of the local areas. Open "
                    "the address it prints in a browser; stop it with Ctrl+C.")
    dash.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    dash.add_argument("--host", default="localhost",
                      help="address to bind (default localhost: not reachable from other "
                           "machines)")


def _calibrate_parser(sub: argparse._SubParsersAction) -> None:
    cal = sub.add_parser(
        "calibrate", help="fit behavioural parameters to the national record",
        description="Fit the parameters named in a calibration specification to the "
                    "2015-2022 record (EHC plans, shares of pupils, appeals, hearings won, "
                    "new plans, requests, refusals, 20-week share, independent share) with "
                    "Optuna. Each candidate runs over several seeds. The study is stored in "
                    "STUDY/study.db, so running the same command again resumes it. Writes "
                    "the best set (TOML) and STUDY/REPORT.md.")
    cal.add_argument("--spec", type=Path, default=None, metavar="FILE",
                     help="calibration specification; default: the packaged "
                          "sendabm/data/calibration_spec.toml")
    cal.add_argument("--study", type=Path, default=Path("results/calibration/study"),
                     metavar="DIR", help="study folder (default: results/calibration/study)")
    cal.add_argument("--trials", type=int, default=None, metavar="N",
                     help="total trials (default: the spec's); a resumed study counts those done")
    cal.add_argument("--workers", type=int, default=None, metavar="N",
                     help="processes running a candidate's seeds (default: all cores)")
    cal.add_argument("--out", type=Path, default=None, metavar="FILE",
                     help="where to write the calibrated set (default: STUDY/calibrated.toml;"
                          " sendabm/data/calibrated.toml makes it the package default)")
    cal.add_argument("--las-only", action="store_true",
                     help="only refit the LA offsets, under the packaged calibrated set")
    cal.add_argument("--skip-las", action="store_true",
                     help="fit the national set only, not the LA offsets after it")
    cal.add_argument("--quiet", action="store_true", help="no progress bar")


def _validate_parser(sub: argparse._SubParsersAction) -> None:
    val = sub.add_parser(
        "validate", help="the calibrated baseline against the record, and its projection",
        description="Run the baseline (package defaults) over several seeds from September "
                    "2014 to August 2040 with no policy change. Writes validation.png (each "
                    "target series: record against the model's median and 90% band), "
                    "projection.png (to 2039/40), fit.csv, projection.csv and VALIDATION.md "
                    "(MAPE per series over 2015-2022) into OUT, keeping other files there.")
    val.add_argument("--seeds", type=int, default=10, metavar="N",
                     help="seeds 1..N (default 10)")
    val.add_argument("--scale", type=float, default=0.05, metavar="X",
                     help="share of England per run (default 0.05)")
    val.add_argument("--end", default="2040-08", metavar="YYYY-MM",
                     help="last month (default 2040-08, the end of 2039/40)")
    val.add_argument("--out", type=Path, default=Path("results/calibration"), metavar="DIR",
                     help="output folder (default results/calibration)")
    val.add_argument("--workers", type=int, default=None, metavar="N",
                     help="processes (default: all cores)")
    val.add_argument("--quiet", action="store_true", help="no progress bar")


def _command_line(name: str) -> str:
    """The command as typed, for the reports that record how they were made
    (``sendabm NAME`` when called from Python with no command line)."""
    import shlex

    return ("sendabm " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:]
            else f"sendabm {name}")


def _validate(args: argparse.Namespace) -> int:
    from sendabm.core.scenario import default_scenario
    from sendabm.experiments.validate import run_validation, write_validation
    from sendabm.presentation.validation_figures import VALIDATION_FIGURES

    if args.seeds < 1:
        raise ScenarioError(f"--seeds must be at least 1, got {args.seeds}")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")
    default_scenario().with_overrides(run={"scale": args.scale, "end": args.end})  # validate
    if args.end < "2023-01":
        raise ScenarioError(f"--end must be 2023-01 or later to cover the record, got {args.end}")
    if args.out.exists() and not args.out.is_dir():
        raise ScenarioError(f"--out '{args.out}' is a file; give a folder")
    v = run_validation(args.seeds, args.scale, args.end, args.workers, progress=not args.quiet)
    command = _command_line("validate")
    written = write_validation(v, args.out, command, figures=VALIDATION_FIGURES)
    print(f"wrote {len(written)} files to {args.out} ({len(v.seeds)} runs at scale "
          f"{v.scale:g}, {v.wall_seconds:.0f} s)")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    import os

    from sendabm.experiments.calibrate import fit_las, load_spec, run_study, write_outputs

    spec = load_spec(args.spec)
    if args.trials is not None and args.trials < 1:
        raise ScenarioError(f"--trials must be at least 1, got {args.trials}")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")
    workers = args.workers or min(spec.seeds, os.cpu_count() or 1)
    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if args.las_only:
        from sendabm.core import calibrated

        values = calibrated.load()[1]
        las = fit_las(spec, values, args.study, workers=workers, progress=say)
        print(f"wrote {las} (LA offsets under the packaged calibrated set)")
        return 0
    result = run_study(spec, args.study, workers=workers, trials=args.trials,
                       progress=not args.quiet)
    command = _command_line("calibrate")
    target, report = write_outputs(result, spec, args.study, args.out, command)
    priors = "not completed" if result.prior_score is None else f"{result.prior_score:.1f}%"
    print(f"wrote {target} and {report} (best of {result.trials} trials: {result.score:.1f}% "
          f"weighted MAPE; priors {priors})")
    if not args.skip_las and spec.las["iterations"] > 0:
        las = fit_las(spec, result.values, args.study, workers=workers, progress=say)
        print(f"wrote {las} (LA offsets under that set; copy it to "
              "sendabm/data/la_dispositions.csv with the set to make both the default)")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from sendabm.experiments.backtest import backtest, write_backtest
    from sendabm.experiments.pool import WorkerPool
    from sendabm.experiments.results import check_writable

    for flag, value, low in (("--seeds", args.seeds, 1), ("--iterations", args.iterations, 1),
                             ("--workers", args.workers, 1)):
        if value is not None and value < low:
            raise ScenarioError(f"{flag} must be at least {low}, got {value}")
    if not 0.001 <= args.scale <= 1.0:
        raise ScenarioError(f"--scale must be in 0.001-1.0, got {args.scale}")
    check_writable(args.out, "--out")
    with WorkerPool(args.workers) as pool:
        result = backtest(list(range(1, args.seeds + 1)), args.scale, args.iterations, pool)
    command = _command_line("backtest")
    written = write_backtest(result, args.out, command)
    print(f"wrote {', '.join(str(w) for w in written)} ({len(result.rows)} LA projections)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sendabm.experiments.sweep import load_spec
    from sendabm.experiments.sweep_run import run_sweep

    spec = load_spec(args.spec)
    store = args.store if args.store is not None else (
        Path("results") / "sweeps" / safe_name(spec.name, "sweep"))
    engine = "dask" if args.scheduler else args.engine
    summary = run_sweep(spec, store, engine=engine, workers=args.workers,
                        scheduler=args.scheduler, progress=not args.quiet,
                        fork=not args.no_fork)
    rate = summary.done / summary.wall_seconds * 3600 if summary.wall_seconds else 0.0
    repaired = f" ({summary.repaired} damaged parts removed)" if summary.repaired else ""
    print(f"wrote {store} ({summary.total} runs: {summary.skipped} already done, "
          f"{summary.done} run now{repaired}, {summary.failed} failed; {summary.engine} engine, "
          f"{summary.workers} workers, {summary.wall_seconds:.1f} s, {rate:.0f} runs/hour)")
    return 1 if summary.failed else 0


def _appraise(args: argparse.Namespace) -> int:
    from sendabm.experiments.appraisal_folder import check_appraisal_out_dir, write_appraisal
    from sendabm.experiments.appraise import appraise, load_appraisal
    from sendabm.presentation import appraisal_figures

    spec = load_appraisal(args.spec)
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")
    require("appraise", "sendabm appraise")
    out = args.out if args.out is not None else (
        Path("results") / "appraisals" / safe_name(spec.name, "appraisal"))
    check_appraisal_out_dir(out)
    result = appraise(spec, workers=args.workers, progress=not args.quiet)
    write_appraisal(result, out, figures=None if args.no_figures else appraisal_figures.draw)
    print(f"wrote {out} ({spec.samples} points x {1 + len(spec.arms)} runs, scale "
          f"{spec.scale:g}, {result.wall_time_seconds:.1f} s)")
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    from sendabm.experiments.sensitivity import analyse, write_sensitivity

    result = analyse(args.store, method=args.method, allow_incomplete=args.allow_incomplete)
    out = args.out if args.out is not None else args.store / "sensitivity"
    write_sensitivity(result, out)
    partial = "" if result.complete else (f"; incomplete: {result.runs_finished} of "
                                          f"{result.runs_planned} runs")
    print(f"wrote {out} ({result.method} indices for {len(result.outcomes)} outcomes over "
          f"{result.n_points} design points x {result.replications} replications{partial})")
    return 0


def _rank(args: argparse.Namespace) -> int:
    from sendabm.experiments.ranking import rank, write_ranking
    from sendabm.presentation.ranking_figures import draw

    ranking = rank(args.costed, args.free)
    write_ranking(ranking, args.out, figure=draw)
    print(f"wrote {args.out} ({len(ranking.levers)} levers ranked with and without costs "
          f"over {ranking.n_points} design points x {ranking.replications} replications)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sendabm.presentation.report import write_report
    from sendabm.presentation.report_la import default_name

    out, report = write_report(args.folder, args.out, map_measure=args.map, la=args.la)
    figures = sum(1 for s in report.sections if s.figure)
    kind = f"LA report of {default_name(args.la)}" if args.la else f"{report.kind} report"
    print(f"wrote {out / 'report.html'} ({kind}, {figures} figures)")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ScenarioError(f"--port must be between 1 and 65535, got {args.port}")
    require("dashboard", "the dashboard (sendabm dashboard)")
    from sendabm.presentation.dashboard import serve

    return serve(host=args.host, port=args.port)


def _warn_scale(scale: float) -> None:
    from sendabm.experiments.run import scale_warning

    warning = scale_warning(scale)
    if warning is not None:
        print(f"sendabm: warning: {warning}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from sendabm.experiments.run import run_scenario
    from sendabm.experiments.snapshots import check_snapshot_dir, load_snapshot, save_snapshot
    from sendabm.presentation.figures import RUN_FIGURES

    scenario = load_scenario(args.scenario).with_overrides(
        run={"seed": args.seed, "scale": args.scale, "end": args.end})
    if args.threads is not None and args.threads < 1:
        raise ScenarioError(f"--threads must be at least 1, got {args.threads}")
    if args.threads is not None:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    areas = None if args.areas is None else load_areas(args.areas)
    out = args.out if args.out is not None else (
        Path("results") / safe_name(scenario.name, "scenario"))
    check_out_dir(out)
    _warn_scale(scenario.run["scale"])
    save = None
    if args.save_snapshot is not None:
        folder = args.snapshot_dir or (Path("results") / "snapshots"
                                       / f"{safe_name(scenario.name, 'scenario')}-"
                                         f"{args.save_snapshot}")
        check_snapshot_dir(folder)
        save = (args.save_snapshot, functools.partial(save_snapshot, out_dir=folder))
    elif args.snapshot_dir is not None:
        raise ScenarioError("--snapshot-dir needs --save-snapshot MONTH")
    snapshot = load_snapshot(args.from_snapshot) if args.from_snapshot is not None else None
    output = run_scenario(scenario, out=out, areas=areas, progress=not args.quiet,
                          figures=None if args.no_figures else RUN_FIGURES,
                          snapshot=snapshot, snapshot_to=save)
    if save is not None:
        print(f"wrote {folder} (snapshot at {args.save_snapshot})")
    seconds = output.manifest["wall_time_seconds"]
    print(f"wrote {out} ({output.manifest['months']} months, scale {output.manifest['scale']}, "
          f"seed {output.manifest['seed']}, {seconds:.1f} s)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sendabm.experiments.compare import compare, plan_runs
    from sendabm.experiments.compare_folder import (
        check_compare_out_dir,
        default_out_dir,
        write_comparison,
    )
    from sendabm.presentation import compare_figures

    base = load_scenario(args.base)
    policies = [load_scenario(path) for path in args.policies]
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")
    plan_runs(base, policies, args.seeds, scale=args.scale, end=args.end)  # validate only
    out = args.out if args.out is not None else default_out_dir(
        base.name, [p.name for p in policies])
    check_compare_out_dir(out)
    _warn_scale(base.run["scale"] if args.scale is None else args.scale)
    result = compare(base, policies, args.seeds, scale=args.scale, end=args.end,
                     workers=args.workers, progress=not args.quiet, fork=not args.no_fork)
    write_comparison(result, out, figures=None if args.no_figures else compare_figures.draw)
    runs = (1 + len(result.policies)) * len(result.seeds)
    print(f"wrote {out} ({runs} runs: {1 + len(result.policies)} scenarios x "
          f"{len(result.seeds)} seeds, scale {result.scale:g}, window {result.window.start} "
          f"to {result.window.end}, {result.wall_time_seconds:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sendabm`` command."""
    try:
        args = _parser().parse_args(argv)
    except UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "sensitivity":
            return _sensitivity(args)
        if args.command == "rank":
            return _rank(args)
        if args.command == "appraise":
            return _appraise(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "backtest":
            return _backtest(args)
        if args.command == "report":
            return _report(args)
        if args.command == "dashboard":
            return _dashboard(args)
    except (ScenarioError, AreasError, ResultsError, SweepError, AppraisalError,
            CalibrationError, MissingExtra) as error:
        print(f"sendabm: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
