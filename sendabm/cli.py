"""Command line: ``sendabm run SCENARIO [--seed N] [--scale X] [--end YYYY-MM] [--out DIR]``.

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
    return parser


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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sendabm`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
    except (ScenarioError, AreasError, ResultsError) as error:
        print(f"sendabm: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
