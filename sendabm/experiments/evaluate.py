"""One run as a plain function: keyword inputs in, scalar outcomes out.

:func:`evaluate` is the model as experiment-design and optimisation tools see it (the
EMA workbench convention): every input is a keyword with a default, and the result
is a ``dict[str, float]``. Inputs:

- any model parameter by name (:data:`sendabm.core.parameters.PARAMETERS`), in its unit;
- any policy lever by name (:data:`sendabm.core.policies.LEVERS`) = its strength in [0, 1]
  (0, the default, leaves the lever off), and ``<lever>__<option>`` for its options
  (e.g. ``tribunal__mode = "replace"``); every lever switched on starts in
  ``policy_start``;
- ``policy_start`` ('YYYY-MM', default "2026-09"), ``seed`` (integer >= 0, default 1),
  ``scale`` (share of England simulated, 0.001-1, default 0.01) and ``end`` (last
  month, default "2030-08"). Runs start in September 2014.

Outcomes (:data:`OUTCOMES`) reduce the national series over the **policy window**,
from ``policy_start`` to ``end`` (the whole run if the policies would start after
the end), as :mod:`sendabm.experiments.compare` does: flows are summed over the window, stocks
taken at the end, means averaged over the last 12 months of the window.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sendabm.core import calendar
from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import Scenario, ScenarioError, default_scenario

RUN_INPUTS: dict[str, Any] = {"policy_start": "2026-09", "seed": 1, "scale": 0.01,
                              "end": "2030-08"}
"""Inputs that are neither parameters nor levers, with their defaults."""

OPTION_SEPARATOR = "__"
MEAN_MONTHS = 12


@dataclass(frozen=True)
class OutcomeSpec:
    """A scalar outcome of :func:`evaluate`.

    Attributes:
        name: Key in the result dict (and the national measure it comes from).
        how: ``sum`` over the policy window, ``last`` month, or ``mean`` over the last
            12 months of the window.
        unit: Unit of the value.
    """

    name: str
    how: str
    unit: str


OUTCOMES: tuple[OutcomeSpec, ...] = (
    OutcomeSpec("adversarial_index", "mean", "index, 2014/15 = 100"),
    OutcomeSpec("appeals_registered", "sum", "appeals, England scale"),
    OutcomeSpec("ehc_plans", "last", "children with an EHC plan, England scale"),
    OutcomeSpec("placements_independent", "last", "children, England scale"),
    OutcomeSpec("cumulative_deficit_gbp", "last", "GBP, England scale"),
    OutcomeSpec("high_needs_spend_gbp", "sum", "GBP, England scale"),
    OutcomeSpec("mean_unmet_need", "mean", "need units per child with a need"),
    OutcomeSpec("mean_trust_in_la", "mean", "share, 0-1"),
    OutcomeSpec("mean_progress", "mean", "progress index"),
    OutcomeSpec("las_deficit_over_reserves", "last", "local authorities"),
)
"""Outcomes returned by :func:`evaluate`, in order."""

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)


def _lever_inputs() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lever in LEVERS.values():
        out[lever.name] = 0.0
        for key, option in lever.options.items():
            out[f"{lever.name}{OPTION_SEPARATOR}{key}"] = option.default
    return out


LEVER_INPUTS: dict[str, Any] = _lever_inputs()
"""Lever strengths (default 0 = off) and ``<lever>__<option>`` options with defaults."""

PARAMETER_INPUTS: dict[str, Any] = {name: p.default for name, p in PARAMETERS.items()}

INPUTS: dict[str, Any] = {**PARAMETER_INPUTS, **LEVER_INPUTS, **RUN_INPUTS}
"""Every input :func:`evaluate` accepts, with its default."""


def evaluate(**inputs: Any) -> dict[str, float]:
    """Run the model once and return its scalar outcomes.

    Args:
        **inputs: Any of :data:`INPUTS` (see the module docstring); the rest take
            their defaults (the baseline scenario's parameters, every lever off,
            seed 1, scale 0.01, end "2030-08", policy_start "2026-09").

    Returns:
        Outcome name -> value, in the order and units of :data:`OUTCOMES`.

    Raises:
        ValueError: One line naming an unknown input or an invalid value.
    """
    return evaluate_scenario(default_scenario(), inputs)


def evaluate_scenario(base: Scenario, inputs: Mapping[str, Any],
                      outcomes: tuple[str, ...] = OUTCOME_NAMES) -> dict[str, float]:
    """Like :func:`evaluate`, on top of ``base`` (its parameters and policies kept).

    Inputs not given keep ``base``'s values, except ``seed``, ``scale``, ``end`` and
    ``policy_start``, which take :data:`RUN_INPUTS` defaults.
    """
    from sendabm.experiments.compare import summarise
    from sendabm.experiments.run import run_scenario

    scenario, policy_start = build_scenario(base, inputs)
    record = summarise(run_scenario(scenario, out=None, progress=False))
    return reduce_outcomes(record.national, scenario.run["start"], policy_start, outcomes)


def build_scenario(base: Scenario, inputs: Mapping[str, Any]) -> tuple[Scenario, str]:
    """The validated scenario for ``inputs`` and the policy start month.

    Raises:
        ValueError: One line for an unknown input or an invalid value.
    """
    unknown = [k for k in inputs if k not in INPUTS]
    if unknown:
        raise ValueError(unknown_input_message(unknown[0]))
    run = {k: inputs.get(k, v) for k, v in RUN_INPUTS.items()}
    calendar_ok(run["policy_start"], "policy_start")
    params = {k: _plain(v) for k, v in inputs.items() if k in PARAMETERS}
    scenario = base.with_overrides(
        run={"seed": _plain(run["seed"]), "scale": _plain(run["scale"]), "end": run["end"]},
        parameters=params)
    policies = lever_policies(inputs, run["policy_start"])
    if policies:
        scenario = dataclasses.replace(scenario, policies=scenario.policies + policies)
    return scenario, run["policy_start"]


def unknown_input_message(key: str) -> str:
    """One line for an unknown input: close matches, or what the valid inputs are."""
    import difflib

    close = difflib.get_close_matches(key, list(INPUTS), n=3)
    if close:
        return f"unknown input '{key}'; did you mean {', '.join(close)}?"
    return (f"unknown input '{key}'; valid inputs are parameter names, lever names, "
            "<lever>__<option>, policy_start, seed, scale and end "
            "(sendabm.experiments.evaluate.INPUTS)")


def calendar_ok(value: Any, key: str) -> None:
    """Raise ValueError unless ``value`` is a month 'YYYY-MM'."""
    try:
        calendar.parse_month(value)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"input {key} = {value!r} must be a month 'YYYY-MM'") from None


def lever_policies(inputs: Mapping[str, Any], start: str) -> tuple[dict, ...]:
    """``[[policies]]`` entries for the levers with a strength above 0 in ``inputs``."""
    from sendabm.core.scenario import _check_policy

    out = []
    for index, name in enumerate(LEVERS, 1):
        strength = _plain(inputs.get(name, 0.0))
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) \
                or not 0.0 <= strength <= 1.0:
            raise ValueError(f"input {name} = {strength!r} must be a lever strength in [0, 1]")
        options = {key: _plain(inputs[f"{name}{OPTION_SEPARATOR}{key}"])
                   for key in LEVERS[name].options
                   if f"{name}{OPTION_SEPARATOR}{key}" in inputs}
        policy = {"name": name, "start": start, "strength": float(strength), **options}
        try:
            checked = _check_policy(policy, index, "evaluate")
        except ScenarioError as error:
            raise ValueError(str(error)) from None
        if strength > 0:
            out.append(checked)
    return tuple(out)


def _plain(value: Any) -> Any:
    """NumPy scalars as Python ones (design matrices hold NumPy values)."""
    return value.item() if isinstance(value, np.generic) else value


def reduce_outcomes(national: Mapping[str, np.ndarray], run_start: str, policy_start: str,
                    outcomes: tuple[str, ...] = OUTCOME_NAMES) -> dict[str, float]:
    """Reduce national series (one value a month from ``run_start``) to scalar outcomes."""
    specs = {o.name: o for o in OUTCOMES}
    n_months = len(next(iter(national.values())))
    first = calendar.tick_of(policy_start) - calendar.tick_of(run_start)
    if not 0 <= first < n_months:
        first = 0
    result: dict[str, float] = {}
    for name in outcomes:
        series = np.asarray(national.get(name, np.full(n_months, np.nan)), dtype=np.float64)
        window = series[first:]
        how = specs[name].how
        if how == "sum":
            value = np.nansum(window) if np.isfinite(window).any() else math.nan
        elif how == "last":
            value = window[-1]
        else:
            tail = window[-MEAN_MONTHS:]
            value = np.nanmean(tail) if np.isfinite(tail).any() else math.nan
        result[name] = float(value)
    return result


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`evaluate`.

    Importing the submodule ``sendabm.experiments.evaluate`` sets the package attribute of that
    name to the module, which would hide the function ``sendabm.experiments.evaluate``; making the
    module callable keeps ``sendabm.experiments.evaluate(**inputs)`` working whatever the import
    order.
    """

    def __call__(self, **inputs: Any) -> dict[str, float]:
        return evaluate(**inputs)


sys.modules[__name__].__class__ = _CallableModule
