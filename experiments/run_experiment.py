"""Run one of the policy experiments and write its comparison to results/<experiment>/.

    python experiments/run_experiment.py tribunal            # the tribunal question
    python experiments/run_experiment.py --list              # all experiments

Each experiment is a paired comparison (``sendabm compare``) of the baseline with one
or more policy scenarios from ``experiments/scenarios/``. The reference run committed
under ``results/<experiment>/reference/`` used the defaults below (seeds, scale) on
the machine and date recorded in its ``compare.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
RESULTS = HERE.parent / "results"

EXPERIMENTS: dict[str, tuple[str, list[str]]] = {
    "tribunal": ("What happens to disputes, plans, costs and children if the SEND Tribunal "
                 "is kept, removed, replaced by a non-judicial National Institute, or kept "
                 "with LA decisions made right first time?",
                 ["tribunal_remove", "tribunal_replace", "right_first_time"]),
    "inclusion": ("How do inclusion incentives at three strengths change schools' "
                  "inclusiveness, families' demand for plans and special places, and costs?",
                  ["inclusion_low", "inclusion_mid", "inclusion_high"]),
    "isos_package": ("What does the full package of the eight Isos recommendations do, "
                     "together?", ["isos_package"]),
    "profit_prohibition": ("What does prohibiting profit from state-funded independent "
                           "placements do to fees, places and placements?",
                           ["profit_prohibition"]),
    "notional_threshold": ("What happens if schools fund the first £10,000 of additional "
                           "support instead of £6,000?", ["notional_threshold_10k"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", nargs="?", choices=sorted(EXPERIMENTS))
    parser.add_argument("--list", action="store_true", help="list the experiments")
    parser.add_argument("--seeds", type=int, default=10, help="paired replications (10)")
    parser.add_argument("--scale", type=float, default=0.05, help="share of England (0.05)")
    parser.add_argument("--end", default="2030-08", help="last month (2030-08)")
    parser.add_argument("--workers", type=int, default=None, help="processes (all cores)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/<experiment>/reference)")
    args = parser.parse_args(argv)
    if args.list or args.experiment is None:
        for name, (question, policies) in EXPERIMENTS.items():
            print(f"{name}: {question} [{', '.join(policies)}]")
        return 0
    from sendabm.cli import main as sendabm

    question, policies = EXPERIMENTS[args.experiment]
    out = args.out or RESULTS / args.experiment / "reference"
    command = ["compare", str(SCENARIOS / "baseline.toml"),
               *(str(SCENARIOS / f"{name}.toml") for name in policies),
               "--seeds", str(args.seeds), "--scale", str(args.scale), "--end", args.end,
               "--out", str(out)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    print(f"{args.experiment}: {question}")
    return sendabm(command)


if __name__ == "__main__":
    sys.exit(main())
