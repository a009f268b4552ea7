"""Policy appraisal under uncertainty (``sendabm appraise``): paired comparisons over a
Latin hypercube of the policies' options and the model's uncertain parameters.

An appraisal specification is a TOML file::

    [appraisal]
    name = "tribunal"                     # required
    question = "Keep, remove or ..."      # optional, heads the summary
    base = "../scenarios/baseline.toml"   # optional scenario, relative to this file
    samples = 48                          # design points; every arm runs at each
    seed = 2026                           # root of the numpy SeedSequence tree
    scale = 0.05                          # share of England simulated
    end = "2030-08"                       # last month
    policy_start = "2026-09"              # when every arm's levers switch on

    [[policies]]                          # the arms compared with the base (1 or more)
    name = "tribunal_remove"
    inputs = { tribunal__mode = "remove" }   # lever inputs, as sendabm.evaluate takes

    [[options]]                           # a lever option varied over the hypercube: it
    name = "tribunal__compliance"         # applies to the arms that switch its lever on,
    range = [0.3, 0.9]                    # or to those listed (or choices = [...])
    policies = ["tribunal_replace"]       # optional

    [[uncertainties]]                     # model parameters varied over the hypercube
    name = "appeal_base_logit"
    range = [-3.78, -2.78]

    [outcomes]
    names = ["adversarial_index", ...]    # default: OUTCOMES

**Pairing.** Each design point draws a value of every option and uncertainty (a Latin
hypercube, as :func:`sendabm.experiments.sweep.make_design`) and a seed (as a sweep's
runs). The base (no lever on) and every arm run at the point with those values and that
seed: common random numbers, so an arm's difference from the base at a point is the
policy's effect under that point's assumptions with the same chance events. The arms of
a point run one after another in one worker and share their past up to
``policy_start`` (:data:`sendabm.experiments.evaluate.PASTS`), with results identical
bit for bit to separate runs, whatever the number of workers.

**What it reports** (:func:`effects`, :func:`costs`), per policy:

- for each outcome, the paired difference across points (median, 5th and 95th
  percentiles; mean with its 95% t interval), and the *probability the policy improves
  it*: the share of points where it moves the outcome's better way
  (:data:`sendabm.core.measures` directions), with a 95% Wilson interval for the finite
  number of points; contested outcomes are not scored;
- the assumptions that decide the sign (:func:`sendabm.experiments.discovery.discover`);
- its *cost per child helped*: the extra SEND spend a year over the policy window, every
  payer the model charges (``send_spend_gbp``), over the children it helps, the fall in
  children whose need is not fully met at the end (``with_unmet_need``), as a ratio of
  means with a bootstrap 95% interval over points. The spend counts only what the model
  charges: docs/policies.md says which levers have a payer.

Everything is checked before anything runs; a problem raises :class:`AppraisalError`
with one line naming the key and the fix.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.core.measures import CONTESTED, HIGHER, LOWER, MEASURES
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import Scenario, default_scenario
from sendabm.core.tomlfile import read_toml
from sendabm.experiments.evaluate import (
    LEVER_INPUTS,
    OPTION_SEPARATOR,
    lever_policies,
)
from sendabm.experiments.outcomes import Window
from sendabm.experiments.paired import mean_interval
from sendabm.experiments.sweep import (
    Factor,
    SweepSpec,
    make_design,
    parse_entries,
    parse_factor,
    parse_outcomes,
    parse_run,
    parse_whole,
    plan,
)

SECTIONS = ("appraisal", "policies", "options", "uncertainties", "outcomes")
HEAD_KEYS = ("name", "question", "base", "samples", "seed", "scale", "end", "policy_start")
POLICY_KEYS = ("name", "inputs")
BASE = "base"
"""The arm with no lever on."""
SPEND = "send_spend_gbp"
"""The cost counted: SEND spend, every payer the model charges (GBP, England scale)."""
UNMET = "with_unmet_need"
"""Children whose need is not fully met (England scale): the children helped are its fall."""
OUTCOMES = ("adversarial_index", "appeals_registered", "ehc_plans", "placements_independent",
            "mean_unmet_need", UNMET, "mean_progress", "leavers_neet", "mean_trust_in_la",
            SPEND, "cumulative_deficit_gbp")
"""The outcomes appraised by default."""
BOOTSTRAP = 2000
"""Resamples of the points for the interval of the cost per child helped."""
MAX_POINTS = 10_000


class AppraisalError(ValueError):
    """An appraisal specification is unusable. The message is always one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Arm:
    """One policy of an appraisal.

    Attributes:
        name: Its name (an identifier).
        inputs: Its lever inputs (fixed at every point).
        levers: The levers it switches on.
    """

    name: str
    inputs: dict[str, Any]
    levers: tuple[str, ...]


@dataclass(frozen=True)
class Option:
    """A lever option varied over the hypercube, and the arms it applies to."""

    factor: Factor
    arms: tuple[str, ...]


@dataclass(frozen=True)
class AppraisalSpec:
    """A validated appraisal specification (see the module docstring)."""

    name: str
    question: str
    samples: int
    seed: int
    scale: float
    end: str
    policy_start: str
    arms: tuple[Arm, ...]
    options: tuple[Option, ...]
    uncertainties: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    base: Scenario = field(default_factory=default_scenario)
    base_path: str | None = None

    @property
    def arm_names(self) -> list[str]:
        """The base, then every policy: the order of each point's runs (:func:`tasks`)."""
        return [BASE, *(a.name for a in self.arms)]

    @property
    def factors(self) -> tuple[Factor, ...]:
        """Every input the hypercube varies: options, then uncertainties."""
        return tuple(o.factor for o in self.options) + self.uncertainties

    def factors_of(self, arm: str) -> tuple[Factor, ...]:
        """The inputs that vary arm ``arm``: its options, then every uncertainty."""
        return tuple(o.factor for o in self.options if arm in o.arms) + self.uncertainties

    def sweep(self) -> SweepSpec:
        """The one-replication Latin-hypercube sweep whose points and seeds it uses."""
        return SweepSpec(name=self.name, design="lhs", samples=self.samples, replications=1,
                         seed=self.seed, scale=self.scale, end=self.end,
                         policy_start=self.policy_start, factors=self.factors,
                         outcomes=self.outcomes, base=self.base, base_path=self.base_path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able content, for ``appraisal.json``."""
        return {"name": self.name, "question": self.question, "samples": self.samples,
                "seed": self.seed, "scale": self.scale, "end": self.end,
                "policy_start": self.policy_start,
                "policies": [{"name": a.name, "inputs": a.inputs} for a in self.arms],
                "options": [{**o.factor.to_dict(), "policies": list(o.arms)}
                            for o in self.options],
                "uncertainties": [f.to_dict() for f in self.uncertainties],
                "outcomes": list(self.outcomes), "base": self.base_path,
                "base_hash": self.base.hash()}


# --------------------------------------------------------------------------- loading


def load_appraisal(path: str | os.PathLike) -> AppraisalSpec:
    """Read and validate an appraisal specification file.

    Raises:
        AppraisalError: One line starting with the file name, naming the key and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise AppraisalError(f"appraisal specification '{path}' not found; give the path to "
                             "a .toml file such as experiments/appraisals/tribunal.toml")
    try:
        data = read_toml(path)
    except ValueError as error:
        raise AppraisalError(f"{path.name}: {error}") from None
    return parse_appraisal(data, path.name, path.resolve().parent)


def parse_appraisal(data: Mapping[str, Any], label: str = "spec",
                    folder: Path | None = None) -> AppraisalSpec:
    """Validate a parsed specification (see :func:`load_appraisal`)."""
    def fail(message: str) -> AppraisalError:
        return AppraisalError(f"{label}: {message}")

    for key in data:
        if key not in SECTIONS:
            raise fail(f"unknown section '{key}'; valid sections: {', '.join(SECTIONS)}")
    head = data.get("appraisal")
    if not isinstance(head, dict):
        raise fail('missing [appraisal] section; add [appraisal] with name = "..."')
    for key in head:
        if key not in HEAD_KEYS:
            raise fail(f"unknown [appraisal] key '{key}'; valid keys: {', '.join(HEAD_KEYS)}")
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail('[appraisal] name must be a non-empty string, e.g. name = "tribunal"')
    question = head.get("question", "")
    if not isinstance(question, str):
        raise fail("[appraisal] question must be a string in quotes")
    samples = parse_whole(head.get("samples", 32), "[appraisal] samples", 2, fail)
    if samples > MAX_POINTS:
        raise fail(f"[appraisal] samples = {samples} is more than {MAX_POINTS:,}; give fewer")
    seed = parse_whole(head.get("seed", 1), "[appraisal] seed", 0, fail)
    base, base_path, checked, policy_start = parse_run(head, "[appraisal]", folder, fail)
    start, end = checked.run["start"], checked.run["end"]
    # Strictly after the start: the arms of a point share the past before the policies.
    if not start < policy_start <= end:
        raise fail(f"[appraisal] policy_start = {policy_start!r} must fall after {start} and "
                   f"by {end}; give a policy_start in that span or a later end")
    arms = tuple(_arm(entry, i, policy_start, fail)
                 for i, entry in enumerate(parse_entries(data, "policies", fail), 1))
    if not arms:
        raise fail("no policies to appraise; add [[policies]] entries with name and inputs")
    names = [a.name for a in arms]
    if len(set(names)) != len(names) or BASE in names:
        raise fail(f"policy names {names} must be distinct and not '{BASE}'")
    options = tuple(_option(entry, i, arms, fail)
                    for i, entry in enumerate(parse_entries(data, "options", fail), 1))
    uncertainties = tuple(parse_factor(entry, "uncertainties", i, "lhs", fail)
                          for i, entry in enumerate(parse_entries(data, "uncertainties", fail), 1))
    if not uncertainties:
        raise fail("no uncertainties; add [[uncertainties]] entries (model parameters with "
                   "a range): an appraisal asks which assumptions decide a policy")
    inputs = [f.name for f in (*(o.factor for o in options), *uncertainties)]
    duplicate = next((n for n in inputs if inputs.count(n) > 1), None)
    if duplicate:
        raise fail(f"input '{duplicate}' is listed twice; list each input once")
    return AppraisalSpec(name=name, question=question, samples=samples, seed=seed,
                         scale=float(checked.run["scale"]), end=end,
                         policy_start=policy_start, arms=arms,
                         options=options, uncertainties=uncertainties,
                         outcomes=_outcomes(data.get("outcomes", {}), fail), base=base,
                         base_path=base_path)


def _arm(entry: dict, index: int, start: str, fail: Callable[[str], AppraisalError]) -> Arm:
    at = f"[[policies]] #{index}"
    for key in entry:
        if key not in POLICY_KEYS:
            raise fail(f"{at} has unknown key '{key}'; valid keys: {', '.join(POLICY_KEYS)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise fail(f"{at} name = {name!r} must be an identifier, e.g. name = \"tribunal_remove\"")
    inputs = entry.get("inputs")
    if not isinstance(inputs, dict) or not inputs:
        raise fail(f"[[policies]] '{name}' needs inputs = {{ lever = strength, ... }} "
                   "(lever names and <lever>__<option>)")
    unknown = [k for k in inputs if k not in LEVER_INPUTS]
    if unknown:
        raise fail(f"[[policies]] '{name}' input '{unknown[0]}' is not a lever or "
                   "<lever>__<option>; see docs/policies.md")
    try:
        on = lever_policies(inputs, start)
    except ValueError as error:
        raise fail(f"[[policies]] '{name}': {error}") from None
    if not on:
        raise fail(f"[[policies]] '{name}' switches no lever on; give a strength above 0")
    return Arm(name, dict(inputs), tuple(p["name"] for p in on))


def _option(entry: dict, index: int, arms: tuple[Arm, ...],
            fail: Callable[[str], AppraisalError]) -> Option:
    entry = dict(entry)
    listed = entry.pop("policies", None)
    found = parse_factor(entry, "options", index, "lhs", fail)
    lever = found.name.split(OPTION_SEPARATOR, 1)[0]
    if OPTION_SEPARATOR not in found.name or lever not in LEVERS:
        raise fail(f"[[options]] '{found.name}' must be a lever option <lever>__<option>; "
                   "vary a lever's strength by listing policies at several strengths")
    using = [arm.name for arm in arms if lever in arm.levers]
    if listed is None:
        listed = using
    if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
        raise fail(f"[[options]] '{found.name}' policies must be a list of policy names")
    stray = [a for a in listed if a not in using]
    if stray or not listed:
        raise fail(f"[[options]] '{found.name}' belongs to lever '{lever}', which "
                   f"{'policy ' + repr(stray[0]) if stray else 'no policy'} switches on; "
                   f"list policies among {using} or drop the option")
    if any(found.name in arm.inputs for arm in arms if arm.name in listed):
        raise fail(f"[[options]] '{found.name}' is fixed by a policy's inputs; vary it or "
                   "fix it, not both")
    return Option(found, tuple(listed))


def _outcomes(section: Any, fail: Callable[[str], AppraisalError]) -> tuple[str, ...]:
    names = parse_outcomes(section, fail, default=OUTCOMES)
    # The cost per child helped needs both, whatever else is appraised.
    return tuple(dict.fromkeys([*names, UNMET, SPEND]))


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class PointTask:
    """The runs of one design point: the base and every arm, in that order.

    Attributes:
        point: Design point.
        seed: The model seed of every run at the point.
        varied: The value of each option and uncertainty at the point.
        arms: The arms' complete inputs, base first.
        base: The base scenario.
        outcomes: Outcome names.
    """

    point: int
    seed: int
    varied: dict[str, Any]
    arms: tuple[dict[str, Any], ...]
    base: Scenario
    outcomes: tuple[str, ...]


def tasks(spec: AppraisalSpec) -> Iterator[PointTask]:
    """Every design point's runs, in point order."""
    sweep = spec.sweep()
    option_names = {o.factor.name for o in spec.options}
    for task in plan(sweep, make_design(sweep)):
        shared = {k: v for k, v in task.inputs.items() if k not in option_names}
        arms = [shared]
        for arm in spec.arms:
            mine = {o.factor.name: task.inputs[o.factor.name] for o in spec.options
                    if arm.name in o.arms}
            arms.append({**shared, **arm.inputs, **mine})
        varied = {f.name: task.inputs[f.name] for f in spec.factors}
        yield PointTask(task.point, task.seed, varied, tuple(arms), spec.base, spec.outcomes)


def run_point(task: PointTask) -> list[dict[str, float]]:
    """The outcomes of the point's runs, base first (in a worker: picklable)."""
    from sendabm.experiments.evaluate import evaluate_scenario

    return [evaluate_scenario(task.base, inputs, task.outcomes, fork=True)
            for inputs in task.arms]


@dataclass
class Appraisal:
    """The finished runs of an appraisal.

    Attributes:
        spec: The specification.
        inputs: Points x factors: the value of each option and uncertainty at each point
            (a categorical factor as its choice).
        seeds: Each point's seed.
        values: Arm name (``base`` first) -> outcome -> value per point.
        wall_time_seconds: Time the runs took.
    """

    spec: AppraisalSpec
    inputs: list[dict[str, Any]]
    seeds: list[int]
    values: dict[str, dict[str, np.ndarray]]
    wall_time_seconds: float = 0.0

    @property
    def arm_names(self) -> list[str]:
        """The base, then every policy: the order of each point's runs."""
        return self.spec.arm_names

    def difference(self, policy: str, outcome: str) -> np.ndarray:
        """Policy minus base at each point."""
        return self.values[policy][outcome] - self.values[BASE][outcome]


def appraise(spec: AppraisalSpec, workers: int | None = None,
             progress: bool = False) -> Appraisal:
    """Run every point of ``spec`` (in ``workers`` processes; results do not depend on it)."""
    from sendabm.experiments.pool import WorkerPool

    started = time.perf_counter()
    todo = list(tasks(spec))
    results: list[list[dict[str, float]]] = []
    with WorkerPool(workers) as pool:
        for done, result in enumerate(pool.ordered(run_point, todo), 1):
            results.append(result)
            if progress:
                print(f"\r{spec.name}: {done}/{len(todo)} points", end="", flush=True)
    if progress:
        print()
    values = {arm: {o: np.array([r[k][o] for r in results], dtype=np.float64)
                    for o in spec.outcomes} for k, arm in enumerate(spec.arm_names)}
    return Appraisal(spec, [t.varied for t in todo], [t.seed for t in todo], values,
                     time.perf_counter() - started)


# --------------------------------------------------------------------------- analysis

EFFECT_COLUMNS = ("policy", "outcome", "direction", "base_median", "diff_median",
                  "diff_p05", "diff_p95", "diff_mean", "diff_low95", "diff_high95",
                  "p_improves", "p_low95", "p_high95", "deciding", "importance", "rule",
                  "tree_accuracy", "majority_accuracy", "n")
COST_COLUMNS = ("policy", "extra_spend_gbp_per_year", "spend_low95", "spend_high95",
                "children_helped", "helped_low95", "helped_high95",
                "cost_per_child_helped_gbp", "cost_low95", "cost_high95", "n")


def improved(direction: str | None, diff: np.ndarray) -> np.ndarray | None:
    """Whether each difference is an improvement, or None for unscored outcomes."""
    if direction == LOWER:
        return diff < 0
    if direction == HIGHER:
        return diff > 0
    return None


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``k / n``."""
    if n == 0:
        return math.nan, math.nan
    z, p = 1.959964, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def design_matrix(appraisal: Appraisal,
                  arm: str) -> tuple[np.ndarray, list[str], list[list | None]]:
    """Points x the inputs that vary ``arm``, as numbers (a choice as its index), with
    their names and choice labels."""
    factors = appraisal.spec.factors_of(arm)
    columns, labels = [], []
    for f in factors:
        raw = [row[f.name] for row in appraisal.inputs]
        if f.choices is not None:
            columns.append([f.choices.index(v) for v in raw])
            labels.append([str(c) for c in f.choices])
        else:
            columns.append(raw)
            labels.append(None)
    matrix = np.array(columns, dtype=np.float64).T.reshape(len(appraisal.inputs), len(factors))
    return matrix, [f.name for f in factors], labels


def effects(appraisal: Appraisal) -> list[dict[str, Any]]:
    """One row per policy x outcome (:data:`EFFECT_COLUMNS`)."""
    from sendabm.experiments.discovery import discover

    rows = []
    for arm in appraisal.spec.arms:
        matrix, names, labels = design_matrix(appraisal, arm.name)
        for outcome in appraisal.spec.outcomes:
            diff = appraisal.difference(arm.name, outcome)
            ok = np.isfinite(diff)
            direction = MEASURES[outcome].direction
            better = improved(direction, diff[ok])
            mean, low, high = mean_interval(diff[ok])
            row = {"policy": arm.name, "outcome": outcome,
                   "direction": direction or "neutral",
                   "base_median": _q(appraisal.values[BASE][outcome], 50),
                   "diff_median": _q(diff, 50), "diff_p05": _q(diff, 5),
                   "diff_p95": _q(diff, 95), "diff_mean": mean, "diff_low95": low,
                   "diff_high95": high, "n": int(ok.sum())}
            if better is None or direction == CONTESTED:
                row.update(p_improves=math.nan, p_low95=math.nan, p_high95=math.nan,
                           deciding="", importance="", rule="not scored (no better direction)",
                           tree_accuracy=math.nan, majority_accuracy=math.nan)
            else:
                k, n = int(better.sum()), int(better.size)
                finding = discover(matrix[ok], names, better, labels)
                row.update(p_improves=k / n if n else math.nan,
                           p_low95=wilson(k, n)[0], p_high95=wilson(k, n)[1],
                           deciding=finding.deciding,
                           importance="; ".join(f"{name} {v:.2f}" for name, v in sorted(
                               finding.importance.items(), key=lambda kv: -kv[1]) if v > 0),
                           rule=finding.rule, tree_accuracy=finding.accuracy,
                           majority_accuracy=finding.baseline_accuracy)
            rows.append(row)
    return rows


def costs(appraisal: Appraisal) -> list[dict[str, Any]]:
    """One row per policy (:data:`COST_COLUMNS`): extra spend a year, children helped and
    the cost per child helped, each with a bootstrap 95% interval over points."""
    spec = appraisal.spec
    years = Window.of(spec.base.run["start"], spec.policy_start, spec.end).months / 12.0
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed).spawn(3)[2])
    rows = []
    for arm in spec.arms:
        spend = appraisal.difference(arm.name, SPEND) / years
        helped = -appraisal.difference(arm.name, UNMET)
        ok = np.isfinite(spend) & np.isfinite(helped)
        spend, helped = spend[ok], helped[ok]
        n = int(ok.sum())
        picks = rng.integers(0, n, size=(BOOTSTRAP, n)) if n else np.zeros((0, 0), int)
        boot_spend, boot_helped = spend[picks].mean(axis=1), helped[picks].mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            boot_cost = np.where(boot_helped > 0, boot_spend / boot_helped, np.nan)
        cost = spend.mean() / helped.mean() if n and helped.mean() > 0 else math.nan
        rows.append({"policy": arm.name, "extra_spend_gbp_per_year": _mean(spend),
                     "spend_low95": _q(boot_spend, 2.5), "spend_high95": _q(boot_spend, 97.5),
                     "children_helped": _mean(helped), "helped_low95": _q(boot_helped, 2.5),
                     "helped_high95": _q(boot_helped, 97.5),
                     "cost_per_child_helped_gbp": cost,
                     "cost_low95": _q(boot_cost, 2.5) if math.isfinite(cost) else math.nan,
                     "cost_high95": _q(boot_cost, 97.5) if math.isfinite(cost) else math.nan,
                     "n": n})
    return rows


def _q(values: np.ndarray, q: float) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(np.percentile(values, q)) if values.size else math.nan


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if np.size(values) else math.nan
