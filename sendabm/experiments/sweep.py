"""Sweep specifications and experimental designs (``sendabm sweep``).

A sweep specification is a TOML file::

    [sweep]
    name = "lhs_example"              # required
    base = "../scenarios/baseline.toml"  # optional scenario, relative to this file
    design = "lhs"                    # "lhs", "factorial", "sobol" or "morris"
    samples = 50                      # design points; sobol: Saltelli base N;
                                      # morris: trajectories; factorial: not used
    replications = 2                  # runs per design point (different seeds)
    seed = 1                          # root of the numpy SeedSequence tree
    scale = 0.01                      # share of England simulated
    end = "2030-08"                   # last month
    policy_start = "2026-09"          # when every lever switched on starts (within
                                      # the runs); at most MAX_RUNS runs in all
    common_seeds = false              # true: replication r of every point shares a seed

    [[levers]]                        # policy levers (sendabm.core.policies.LEVERS)
    name = "core_offer"               # strength, 0 = off ...
    range = [0.0, 1.0]
    [[levers]]
    name = "tribunal__mode"           # ... or an option, <lever>__<option> (a lever
    choices = ["keep", "replace"]     # whose own input is not varied is then on)

    [[uncertainties]]                 # model parameters (sendabm.core.parameters)
    name = "need_onset_per_year"
    range = [0.012, 0.024]            # within the parameter's valid range
                                      # factorial designs: levels = [...] or choices

    [outcomes]
    names = ["adversarial_index", "cumulative_deficit_gbp"]  # default: all

Everything is checked by :func:`load_spec` before anything runs; a problem raises
:class:`SweepError` with one line naming the key and the valid choices or range.

**Designs** (:func:`make_design`) give a matrix of design points in the *problem
space* (a range is sampled as is; ``choices`` as the interval [0, k) whose integer
part picks the choice; integer parameters are rounded): full factorial over the
levels; Latin hypercube (``scipy.stats.qmc.LatinHypercube``); Sobol/Saltelli
(``SALib.sample.sobol``, first and total order, ``N (D + 2)`` points); Morris
(``SALib.sample.morris``, 4 levels, ``N (D + 1)`` points).

**Seeds.** ``SeedSequence(seed)`` spawns two children: the first seeds the design,
the second spawns one grandchild per design point x replication (run ``point * R +
replication``); the run's integer seed is the grandchild's ``generate_state(1)[0]``.
Every run's seed and spawn key are recorded in the store manifest. With
``common_seeds = true`` the second child spawns one grandchild per replication
instead, and replication ``r`` of every design point uses the ``r``-th (common random
numbers across design points): points are then compared on the same draws, and runs
that differ only in levers share their past up to ``policy_start``, which the sweep
simulates once per replication and worker (:func:`execution_order`,
:class:`sendabm.experiments.evaluate.PastCache`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import Scenario, ScenarioError, default_scenario, load_scenario
from sendabm.core.tomlfile import read_toml
from sendabm.experiments.evaluate import (
    LEVER_INPUTS,
    OPTION_SEPARATOR,
    OUTCOME_NAMES,
    RUN_INPUTS,
    calendar_ok,
    lever_input_problem,
)
from sendabm.experiments.extras import require

DESIGNS = ("lhs", "factorial", "sobol", "morris")
SWEEP_KEYS = ("name", "base", "design", "samples", "replications", "seed", "scale", "end",
              "policy_start", "common_seeds")
SECTIONS = ("sweep", "levers", "uncertainties", "outcomes")
FACTOR_KEYS = ("name", "range", "choices", "levels")
MORRIS_LEVELS = 4
MAX_RUNS = 1_000_000
"""Most runs (design points x replications) a sweep may have: the design matrix and the
store manifest are held in memory whole, and a million runs is weeks of computing."""


class SweepError(ValueError):
    """A sweep specification or store is unusable. The message is always one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Factor:
    """One input varied by a sweep.

    Attributes:
        name: Input name of :func:`sendabm.experiments.evaluate.evaluate`.
        kind: ``lever`` or ``uncertainty``.
        low, high: The range sampled (numeric factors), else None.
        choices: The values to pick from (categorical factors), else None.
        levels: Values of a factorial design, else None.
        integer: Round sampled values (integer parameters).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    levels: tuple[Any, ...] | None = None
    integer: bool = False

    def bounds(self) -> list[float]:
        """Bounds in the problem space: the range, or [0, k) for k choices."""
        if self.choices is not None:
            return [0.0, float(len(self.choices))]
        if self.levels is not None:
            return [float(min(self.levels)), float(max(self.levels))]
        return [float(self.low), float(self.high)]

    def value(self, x: float) -> Any:
        """The input value at problem-space coordinate ``x``."""
        if self.choices is not None:
            return self.choices[min(int(math.floor(x)), len(self.choices) - 1)]
        return int(round(x)) if self.integer else float(x)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        """The factor of :meth:`to_dict` (as a store manifest records it).

        Whether it is a whole number comes from the registry, as in :func:`parse_spec`
        (not whole if the name is no longer known)."""
        name = str(data["name"])
        low, high = data.get("range", (None, None))
        known = name in PARAMETERS or name in LEVER_INPUTS
        return cls(name, str(data["kind"]), low, high,
                   choices=tuple(data["choices"]) if "choices" in data else None,
                   levels=tuple(data["levels"]) if "levels" in data else None,
                   integer=_checker(name)[2] if known else False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.low is not None:
            out["range"] = [self.low, self.high]
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.levels is not None:
            out["levels"] = list(self.levels)
        return out


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (see the module docstring)."""

    name: str
    design: str
    samples: int
    replications: int
    seed: int
    scale: float
    end: str
    policy_start: str
    factors: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    base: Scenario = field(default_factory=default_scenario)
    base_path: str | None = None
    common_seeds: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able content; two specs that run the same sweep have equal dicts."""
        out = {"name": self.name, "design": self.design, "samples": self.samples,
               "replications": self.replications, "seed": self.seed, "scale": self.scale,
               "end": self.end, "policy_start": self.policy_start,
               "factors": [f.to_dict() for f in self.factors],
               "outcomes": list(self.outcomes), "base": self.base_path,
               "base_hash": self.base.hash()}
        if self.common_seeds:  # absent when false, as in specs written before it existed
            out["common_seeds"] = True
        return out

    def fixed_inputs(self) -> dict[str, Any]:
        """Inputs every run shares: scale, end and policy start."""
        return {"scale": self.scale, "end": self.end, "policy_start": self.policy_start}


# --------------------------------------------------------------------------- loading


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a sweep specification file.

    Raises:
        SweepError: One line starting with the file name, naming the key and the fix.
    """
    path = Path(path)
    label = path.name
    if not path.is_file():
        raise SweepError(f"sweep specification '{path}' not found; give the path to a .toml "
                         "file such as experiments/sweeps/lhs_example.toml")
    try:
        data = read_toml(path)
    except ValueError as error:
        raise SweepError(f"{label}: {error}") from None
    return parse_spec(data, label, path.resolve().parent)


def parse_spec(data: Mapping[str, Any], label: str = "spec",
               folder: Path | None = None) -> SweepSpec:
    """Validate a parsed specification (see :func:`load_spec`)."""
    def fail(message: str) -> SweepError:
        return SweepError(f"{label}: {message}")

    for key in data:
        if key not in SECTIONS:
            raise fail(f"unknown section '{key}'; valid sections: {', '.join(SECTIONS)}")
    head = data.get("sweep")
    if not isinstance(head, dict):
        raise fail('missing [sweep] section; add [sweep] with name = "..."')
    for key in head:
        if key not in SWEEP_KEYS:
            raise fail(f"unknown [sweep] key '{key}'; valid keys: {', '.join(SWEEP_KEYS)}")
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail('[sweep] name must be a non-empty string, e.g. name = "my_sweep"')
    design = head.get("design", "lhs")
    if design not in DESIGNS:
        raise fail(f"[sweep] design = {design!r}; choose one of: {', '.join(DESIGNS)}")
    samples = parse_whole(head.get("samples", 0 if design == "factorial" else None),
                     "[sweep] samples", 0 if design == "factorial" else 1, fail)
    replications = parse_whole(head.get("replications", 1), "[sweep] replications", 1, fail)
    seed = parse_whole(head.get("seed", 1), "[sweep] seed", 0, fail)
    base, base_path, checked, policy_start = parse_run(head, "[sweep]", folder, fail)
    span = (checked.run["start"], checked.run["end"])
    if not span[0] <= policy_start <= span[1]:
        raise fail(f"[sweep] policy_start = {policy_start!r} is outside the runs, which span "
                   f"{span[0]} to {span[1]}; give a policy_start in that span or a later end")
    common_seeds = head.get("common_seeds", False)
    if not isinstance(common_seeds, bool):
        raise fail(f"[sweep] common_seeds = {common_seeds!r} must be true or false")
    factors = [parse_factor(entry, "levers", i, design, fail)
               for i, entry in enumerate(parse_entries(data, "levers", fail), 1)]
    factors += [parse_factor(entry, "uncertainties", i, design, fail)
                for i, entry in enumerate(parse_entries(data, "uncertainties", fail), 1)]
    if not factors:
        raise fail("no inputs to vary; add [[levers]] or [[uncertainties]] entries")
    names = [f.name for f in factors]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise fail(f"input '{duplicate}' is listed twice; list each input once")
    outcomes = parse_outcomes(data.get("outcomes", {}), fail)
    runs = _n_points(design, samples, factors) * replications
    if runs > MAX_RUNS:
        raise fail(f"{design} design of {runs:,} runs (design points x replications) is "
                   f"more than the {MAX_RUNS:,} a sweep may have; give fewer samples, "
                   "replications or levels")
    return SweepSpec(name=name, design=design, samples=samples, replications=replications,
                     seed=seed, scale=float(checked.run["scale"]), end=checked.run["end"],
                     policy_start=policy_start, factors=tuple(factors), outcomes=outcomes,
                     base=base, base_path=base_path, common_seeds=common_seeds)


def _n_points(design: str, samples: int, factors: list[Factor]) -> int:
    """Design points of a design, counted without building it (see :func:`make_design`)."""
    if design == "factorial":
        return math.prod(len(f.levels) for f in factors)
    if design == "sobol":
        return samples * (len(factors) + 2)
    if design == "morris":
        return samples * (len(factors) + 1)
    return samples


def parse_run(head: Mapping[str, Any], section: str, folder: Path | None,
              fail: Callable[[str], ValueError]) -> tuple[Scenario, str | None, Scenario, str]:
    """The base scenario and run settings of a specification's head table.

    Args:
        head: The head table (``[sweep]``, ``[appraisal]``), with optional ``base``,
            ``scale``, ``end`` and ``policy_start``.
        section: Its name in messages, e.g. "[sweep]".
        folder: The folder ``base`` is relative to (default: the working folder).
        fail: Makes the error to raise from a one-line message.

    Returns:
        (base scenario, its path as given or None, the base with the scale and end
        applied and checked, the policy start month).
    """
    base_path = head.get("base")
    base = default_scenario()
    if base_path is not None:
        if not isinstance(base_path, str):
            raise fail(f"{section} base = {base_path!r} must be a scenario file path in quotes")
        try:
            base = load_scenario((folder or Path.cwd()) / base_path)
        except ScenarioError as error:
            raise fail(f"{section} base: {error}") from None
    scale = head.get("scale", RUN_INPUTS["scale"])
    end = head.get("end", RUN_INPUTS["end"])
    policy_start = head.get("policy_start", RUN_INPUTS["policy_start"])
    try:
        checked = base.with_overrides(run={"scale": scale, "end": end})
        calendar_ok(policy_start, "policy_start")
    except ValueError as error:
        message = str(error).removeprefix("override: ").removeprefix("input ")
        raise fail(f"{section} {message.removeprefix('[run] ')}") from None
    return base, base_path, checked, policy_start


def parse_whole(value: Any, key: str, least: int, fail: Callable[[str], ValueError]) -> int:
    """``value`` as a whole number of at least ``least`` (``key`` names it in messages)."""
    if value is None:
        raise fail(f"missing {key}; add {key.split()[-1]} = <whole number >= {least}>")
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise fail(f"{key} = {value!r} must be a whole number >= {least}")
    return int(value)


def parse_entries(data: Mapping[str, Any], section: str,
                  fail: Callable[[str], ValueError]) -> list[dict]:
    """The ``[[section]]`` tables of a specification (none if absent)."""
    entries = data.get(section, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise fail(f"'{section}' must be written as [[{section}]] tables")
    return entries


def parse_outcomes(section: Any, fail: Callable[[str], ValueError],
                   default: tuple[str, ...] = OUTCOME_NAMES) -> tuple[str, ...]:
    """The ``[outcomes]`` table's names, checked (``default`` if it gives none)."""
    if not isinstance(section, dict) or any(k != "names" for k in section):
        raise fail("[outcomes] takes one key, names = [...]")
    names = section.get("names", list(default))
    if not isinstance(names, list) or not names:
        raise fail("[outcomes] names must be a non-empty list of outcome names")
    for outcome in names:
        if outcome not in OUTCOME_NAMES:
            raise fail(f"unknown outcome '{outcome}'; valid outcomes: {', '.join(OUTCOME_NAMES)}")
    return tuple(dict.fromkeys(names))


def parse_factor(entry: dict, section: str, index: int, design: str,
                 fail: Callable[[str], ValueError]) -> Factor:
    """Validate one ``[[<section>]]`` entry: ``uncertainties`` name model parameters, any
    other section (a sweep's ``levers``, an appraisal's ``options``) lever inputs.

    Raises:
        The error ``fail(message)`` returns: one line naming the entry and the fix.
    """
    at = f"[[{section}]] #{index}"
    for key in entry:
        if key not in FACTOR_KEYS:
            raise fail(f"{at} has unknown key '{key}'; valid keys: {', '.join(FACTOR_KEYS)}")
    name = entry.get("name")
    levers = section != "uncertainties"
    valid = LEVER_INPUTS if levers else PARAMETERS
    if not isinstance(name, str) or name not in valid:
        what = "lever names and <lever>__<option>" if levers else "parameter names"
        import difflib

        close = difflib.get_close_matches(str(name), list(valid), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else \
            f"valid: {', '.join(sorted(valid))}"
        raise fail(f"{at} name = {name!r} is not one of the {what}; {hint}")
    at = f"[[{section}]] '{name}'"
    given = [k for k in ("range", "choices", "levels") if k in entry]
    if len(given) != 1:
        raise fail(f"{at} needs exactly one of range = [lo, hi], choices = [...] or "
                   "levels = [...]")
    check, low_high, integer = _checker(name)
    kind = "lever" if levers else "uncertainty"
    key = given[0]
    values = entry[key]
    if key == "levels" and design != "factorial":
        raise fail(f"{at} levels = [...] is for factorial designs; give range = [lo, hi] "
                   "or choices = [...]")
    if key == "range" and design == "factorial":
        raise fail(f"{at} a factorial design needs levels = [...] or choices = [...], "
                   "not a range")
    if not isinstance(values, list) or not values:
        raise fail(f"{at} {key} must be a non-empty list")
    if key == "range":
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if len(values) != 2 or not numeric or not values[0] < values[1]:
            raise fail(f"{at} range = {values!r} must be two numbers [lo, hi] with lo < hi")
        if low_high is None:
            what = "an on/off switch (it has no strength)" if name in LEVERS else "categorical"
            raise fail(f"{at} is {what}; give choices = [...] instead of a range")
        lo, hi = low_high
        if (lo is not None and values[0] < lo) or (hi is not None and values[1] > hi):
            raise fail(f"{at} range = {values!r} is outside the valid range [{lo}, {hi}]")
        return Factor(name, kind, float(values[0]), float(values[1]), integer=integer)
    for value in values:
        problem = check(value)
        if problem:
            raise fail(f"{at} {key}: {problem}")
    if len(set(map(repr, values))) != len(values):
        raise fail(f"{at} {key} = {values!r} lists a value twice")
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if key == "choices" or not numeric:
        return Factor(name, kind, choices=tuple(values), levels=tuple(values))
    return Factor(name, kind, levels=tuple(values), integer=integer)


def _checker(name: str) -> tuple[Callable[[Any], str | None],
                                 tuple[float | None, float | None] | None, bool]:
    """(check of one value -> message or None, numeric bounds or None, integer?)."""
    if name in PARAMETERS:
        param = PARAMETERS[name]
        numeric = param.choices is None and not isinstance(param.default, str)
        integer = isinstance(param.default, int) and not isinstance(param.default, bool)
        return param.check, (param.low, param.high) if numeric else None, integer
    if OPTION_SEPARATOR not in name:
        def lever_input(value: Any) -> str | None:
            return lever_input_problem(name, value)
        return lever_input, (0.0, 1.0) if LEVERS[name].has_strength else None, False
    lever, key = name.split(OPTION_SEPARATOR, 1)
    option = LEVERS[lever].options[key]

    def check(value: Any) -> str | None:
        try:
            option.check(lever, key, value)
        except (ValueError, TypeError) as error:
            return str(error)
        return None

    numeric = option.choices is None and not isinstance(option.default, str)
    integer = isinstance(option.default, int) and not isinstance(option.default, bool)
    return check, (option.low, option.high) if numeric else None, integer


# --------------------------------------------------------------------------- designs


@dataclass
class Design:
    """Design points of a sweep.

    Attributes:
        names: Factor names, the columns.
        matrix: Points x factors in the problem space (what SALib analyses).
        problem: The SALib problem dict (names, bounds, num_vars).
    """

    names: list[str]
    matrix: np.ndarray
    problem: dict[str, Any]

    @property
    def n_points(self) -> int:
        return int(self.matrix.shape[0])


def seed_tree(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """The design's and the runs' SeedSequences, children of ``SeedSequence(seed)``."""
    design_ss, runs_ss = np.random.SeedSequence(seed).spawn(2)
    return design_ss, runs_ss


def make_design(spec: SweepSpec) -> Design:
    """The design points of ``spec`` (see the module docstring)."""
    names = [f.name for f in spec.factors]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [f.bounds() for f in spec.factors]}
    design_ss, _ = seed_tree(spec.seed)
    design_seed = int(design_ss.generate_state(1)[0])
    if spec.design == "factorial":
        axes = [range(len(f.levels)) for f in spec.factors]
        rows = [[_level_coordinate(f, i) for f, i in zip(spec.factors, combo, strict=True)]
                for combo in itertools.product(*axes)]
        matrix = np.array(rows, dtype=np.float64)
    elif spec.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(design_ss)).random(
            spec.samples)
        low = np.array([b[0] for b in problem["bounds"]])
        high = np.array([b[1] for b in problem["bounds"]])
        matrix = low + unit * (high - low)
    elif spec.design == "sobol":
        require("sensitivity", "a sobol design (sendabm sweep)")
        from SALib.sample import sobol

        matrix = sobol.sample(problem, spec.samples, calc_second_order=False, scramble=True,
                              seed=design_seed)
    else:
        require("sensitivity", "a morris design (sendabm sweep)")
        from SALib.sample import morris

        matrix = morris.sample(problem, spec.samples, num_levels=MORRIS_LEVELS,
                               seed=design_seed)
    return Design(names=names, matrix=np.asarray(matrix, dtype=np.float64), problem=problem)


def _level_coordinate(factor: Factor, index: int) -> float:
    """Problem-space coordinate of a factorial level (choice index + 0.5, or the value)."""
    if factor.choices is not None:
        return index + 0.5
    return float(factor.levels[index])


def point_inputs(spec: SweepSpec, design: Design, point: int) -> dict[str, Any]:
    """The varied inputs of design point ``point``, as :func:`evaluate` takes them."""
    return {f.name: f.value(x) for f, x in zip(spec.factors, design.matrix[point], strict=True)}


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: what a worker needs to execute it.

    Attributes:
        run_id: ``point * replications + replication``.
        point: Design point.
        replication: Replication number, 0-based.
        seed: The model seed (from the run's SeedSequence child).
        spawn_key: The child's spawn key, for the manifest.
        inputs: Every input given to the run (varied ones, fixed ones and the seed).
        base: The base scenario.
        outcomes: Outcome names to compute.
        fork: Continue from a past an earlier run in the worker left at the policy
            start, if it is this run's (:func:`~sendabm.experiments.evaluate.
            evaluate_scenario`); set by :func:`execution_order`.
    """

    run_id: int
    point: int
    replication: int
    seed: int
    spawn_key: tuple[int, ...]
    inputs: dict[str, Any]
    base: Scenario
    outcomes: tuple[str, ...]
    fork: bool = False


def plan(spec: SweepSpec, design: Design) -> Iterator[RunTask]:
    """Every run of the sweep, in run-id order (generated lazily)."""
    _, runs_ss = seed_tree(spec.seed)
    n_children = spec.replications if spec.common_seeds else \
        design.n_points * spec.replications
    children = runs_ss.spawn(n_children)
    for point in range(design.n_points):
        varied = point_inputs(spec, design, point)
        for rep in range(spec.replications):
            run_id = point * spec.replications + rep
            child = children[rep if spec.common_seeds else run_id]
            seed = int(child.generate_state(1)[0])
            inputs = {**varied, **spec.fixed_inputs(), "seed": seed}
            yield RunTask(run_id, point, rep, seed, tuple(int(k) for k in child.spawn_key),
                          inputs, spec.base, spec.outcomes)


def shares_pasts(spec: SweepSpec) -> bool:
    """Whether the runs of a replication share their past up to ``policy_start``: they
    share a seed (``common_seeds``) and differ only in levers (no uncertainty varied)."""
    return spec.common_seeds and all(f.kind == "lever" for f in spec.factors)


def execution_order(spec: SweepSpec, design: Design, fork: bool = True) -> Iterator[RunTask]:
    """The runs in the order to execute them: run-id order, or, if they share pasts
    (:func:`shares_pasts`) and ``fork``, replication by replication with ``fork`` set,
    so that the runs sharing a past follow one another in each worker."""
    if not (fork and shares_pasts(spec)):
        yield from plan(spec, design)
        return
    for rep in range(spec.replications):
        for task in plan(spec, design):
            if task.replication == rep:
                yield dataclasses.replace(task, fork=True)
