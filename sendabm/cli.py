"""Command line.

- ``sendabm run SCENARIO [--seed N] [--scale X] [--end YYYY-MM] [--out DIR]``: one run.
- ``sendabm compare BASE POLICY [POLICY ...] --seeds N [--scale X] [--end YYYY-MM]
  [--out DIR] [--workers W]``: paired replications of policies against a base
  (:mod:`sendabm.compare`).
- ``sendabm sweep SPEC.toml [--store DIR] [--engine local|dask] [--workers N]
  [--scheduler ADDRESS]``: a resumable parameter sweep (:mod:`sendabm.sweep`).
- ``sendabm sensitivity STORE [--method sobol|morris|src] [--out DIR]``: sensitivity
  indices of a sweep's outcomes (:mod:`sendabm.sensitivity`).
- ``sendabm report DIR [--out DIR] [--map MEASURE]``: an HTML report of a run,
  comparison or sweep folder (:mod:`sendabm.report`).
- ``sendabm dashboard [--port N] [--host HOST]``: the interactive dashboard
  (:mod:`sendabm.dashboard`).

Errors in the user's input (a missing or invalid scenario, an out-of-range option, an
unusable results folder) print one line naming the problem and the fix, and exit
with status 2 without writing anything.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sendabm.areas import AreasError
from sendabm.results import ResultsError, check_out_dir
from sendabm.scenario import ScenarioError, load_scenario
from sendabm.sweep import SweepError

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
                     help="random seed (integer >= 0); default: the scenario's [run] seed")
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
    run.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    comp = sub.add_parser(
        "compare", help="compare policy scenarios with a base over paired replications",
        description="Run a base scenario and one or more policy scenarios over N paired "
                    "replications (replication r uses the same seed, the base seed + r, for "
                    "every scenario: common random numbers) and write a comparison folder: "
                    "comparison.csv, comparison.md, replications.csv, compare.json and "
                    "figures (compare_national.png, compare_equity.png). Every run uses the "
                    "base scenario's start, end and scale unless --scale or --end is given.")
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
                      help="last month to simulate; default: the base scenario's end")
    comp.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="comparison folder (created, or replaced if it holds an earlier "
                           "comparison); default: results/compare-<base>-vs-<policies>")
    comp.add_argument("--workers", type=int, default=None, metavar="W",
                      help="parallel worker processes (results do not depend on it); "
                           "default: all cores; 1 runs in this process")
    comp.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    comp.add_argument("--quiet", action="store_true", help="no progress bar")
    _sweep_parsers(sub)
    return parser


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
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")

    sens = sub.add_parser(
        "sensitivity", help="sensitivity indices of a sweep's outcomes",
        description="Sobol (S1, ST) or Morris (mu*, sigma) indices with 95%% confidence "
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
    _view_parsers(sub)


def _view_parsers(sub: argparse._SubParsersAction) -> None:
    from sendabm.areamap import DEFAULT_MEASURE, MAP_MEASURES

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


def _sweep(args: argparse.Namespace) -> int:
    from sendabm.sweep import load_spec, run_sweep

    spec = load_spec(args.spec)
    store = args.store if args.store is not None else Path("results") / "sweeps" / spec.name
    engine = "dask" if args.scheduler else args.engine
    summary = run_sweep(spec, store, engine=engine, workers=args.workers,
                        scheduler=args.scheduler, progress=not args.quiet)
    rate = summary.done / summary.wall_seconds * 3600 if summary.wall_seconds else 0.0
    print(f"wrote {store} ({summary.total} runs: {summary.skipped} already done, "
          f"{summary.done} run now, {summary.failed} failed; {summary.engine} engine, "
          f"{summary.workers} workers, {summary.wall_seconds:.1f} s, {rate:.0f} runs/hour)")
    return 1 if summary.failed else 0


def _sensitivity(args: argparse.Namespace) -> int:
    from sendabm.sensitivity import analyse, write_sensitivity

    result = analyse(args.store, method=args.method)
    out = args.out if args.out is not None else args.store / "sensitivity"
    write_sensitivity(result, out)
    print(f"wrote {out} ({result.method} indices for {len(result.outcomes)} outcomes over "
          f"{result.n_points} design points x {result.replications} replications)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sendabm.report import write_report

    out, report = write_report(args.folder, args.out, map_measure=args.map)
    figures = sum(1 for s in report.sections if s.figure)
    print(f"wrote {out / 'report.html'} ({report.kind} report, {figures} figures)")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from sendabm.dashboard import serve

    if not 0 < args.port < 65536:
        raise ScenarioError(f"--port must be between 1 and 65535, got {args.port}")
    return serve(host=args.host, port=args.port)


def _run(args: argparse.Namespace) -> int:
    from sendabm.run import run_scenario

    scenario = load_scenario(args.scenario).with_overrides(
        run={"seed": args.seed, "scale": args.scale, "end": args.end})
    if args.threads is not None and args.threads < 1:
        raise ScenarioError(f"--threads must be at least 1, got {args.threads}")
    if args.threads is not None:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    out = args.out if args.out is not None else Path("results") / scenario.name
    check_out_dir(out)
    output = run_scenario(scenario, out=out, areas=args.areas, progress=not args.quiet,
                          figures=not args.no_figures)
    seconds = output.manifest["wall_time_seconds"]
    print(f"wrote {out} ({output.manifest['months']} months, scale {output.manifest['scale']}, "
          f"seed {output.manifest['seed']}, {seconds:.1f} s)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sendabm.compare import (
        check_compare_out_dir,
        compare,
        default_out_dir,
        plan_runs,
        write_comparison,
    )

    base = load_scenario(args.base)
    policies = [load_scenario(path) for path in args.policies]
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")
    plan_runs(base, policies, args.seeds, scale=args.scale, end=args.end)  # validate only
    out = args.out if args.out is not None else default_out_dir(
        base.name, [p.name for p in policies])
    check_compare_out_dir(out)
    result = compare(base, policies, args.seeds, scale=args.scale, end=args.end,
                     workers=args.workers, progress=not args.quiet)
    write_comparison(result, out, figures=not args.no_figures)
    runs = (1 + len(result.policies)) * len(result.seeds)
    print(f"wrote {out} ({runs} runs: {1 + len(result.policies)} scenarios x "
          f"{len(result.seeds)} seeds, scale {result.scale:g}, window {result.window.start} "
          f"to {result.window.end}, {result.wall_time_seconds:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sendabm`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "sensitivity":
            return _sensitivity(args)
        if args.command == "report":
            return _report(args)
        if args.command == "dashboard":
            return _dashboard(args)
    except (ScenarioError, AreasError, ResultsError, SweepError) as error:
        print(f"sendabm: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
