"""Write a local-search calibration spec around a calibrated set.

TPE over the packaged spec's 32 parameters finds the region but cannot refine a good
point in it, so the shipped calibration chains local searches (results/calibration/
README.md): each narrows every range to a fraction of the packaged spec's width,
centred on the previous stage's result (in log space for log ranges, clipped to the
packaged range), keeps some parameters over their whole packaged range, and may
reweight targets.

Example (stage 2 of the shipped chain)::

    python experiments/calibration/narrow.py results/calibration/study/calibrated.toml \
        experiments/calibration/refine_1.toml --name baseline-refine-1 --trials 160 \
        --full need_resolve_per_year post16_plan_continue post19_cease_per_year \
        initial_plan_share --weight plans_issued=2 --note "..."
"""

from __future__ import annotations

import argparse
import math
import re
import tomllib
from pathlib import Path

from sendabm.experiments.calibrate import packaged_spec_path


def narrowed(low: float, high: float, centre: float, fraction: float,
             log: bool) -> tuple[float, float]:
    """A range ``fraction`` as wide as [low, high], centred on ``centre``, within it."""
    if log:
        half = fraction * (math.log(high) - math.log(low)) / 2.0
        lo, hi = math.exp(math.log(centre) - half), math.exp(math.log(centre) + half)
    else:
        half = fraction * (high - low) / 2.0
        lo, hi = centre - half, centre + half
    lo, hi = max(lo, low), min(high, hi)
    if isinstance(low, int) and isinstance(high, int):
        return math.floor(lo), math.ceil(hi)
    return float(f"{lo:.6g}"), float(f"{hi:.6g}")


def spec_text(packaged: str, centre: dict, name: str, trials: int, fraction: float,
              full: set[str], weights: dict[str, float], note: str) -> str:
    """The packaged spec's text with its name, trials, weights and ranges replaced."""
    header, *_ = packaged.split("[[parameters]]")
    header = re.sub(r'^name = ".*?"', f'name = "{name}"', header, count=1, flags=re.M)
    header = re.sub(r"^trials = \d+", f"trials = {trials}", header, count=1, flags=re.M)
    for target, weight in weights.items():
        header, n = re.subn(rf"^{target} = [0-9.]+", f"{target} = {weight}", header,
                            count=1, flags=re.M)
        if not n:
            raise SystemExit(f"no weight for {target!r} in the packaged spec")
    blocks = []
    for entry in tomllib.loads(packaged)["parameters"]:
        low, high, log = entry["low"], entry["high"], entry.get("log", False)
        if entry["name"] not in full:
            low, high = narrowed(low, high, centre[entry["name"]], fraction, log)
        block = f'[[parameters]]\nname = "{entry["name"]}"\nlow = {low}\nhigh = {high}\n'
        blocks.append(block + ("log = true\n" if log else ""))
    comment = "".join(f"# {line}".rstrip() + "\n" for line in note.splitlines())
    return comment + "#\n" + header + "\n".join(blocks)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("centre", type=Path, help="calibrated.toml to centre on")
    parser.add_argument("out", type=Path, help="spec file to write")
    parser.add_argument("--name", required=True)
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--fraction", type=float, default=1 / 6)
    parser.add_argument("--full", nargs="*", default=[], help="parameters kept at full range")
    parser.add_argument("--weight", nargs="*", default=[], help="target=weight")
    parser.add_argument("--note", default="", help="header comment (how the stage is run)")
    args = parser.parse_args(argv)
    centre = tomllib.loads(args.centre.read_text())["parameters"]
    weights = {k: float(v) for k, v in (w.split("=") for w in args.weight)}
    text = spec_text(packaged_spec_path().read_text(), centre, args.name, args.trials,
                     args.fraction, set(args.full), weights, args.note)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
