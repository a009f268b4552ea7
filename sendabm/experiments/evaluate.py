"""One run as a plain function: keyword inputs in, scalar outcomes out.

:func:`evaluate` is the model as experiment-design and optimisation tools see it (the
EMA workbench convention): every input is a keyword with a default, and the result
is a ``dict[str, float]``. Inputs:

- any model parameter by name (:data:`sendabm.core.parameters.PARAMETERS`), in its unit;
- any policy lever by name (:data:`sendabm.core.policies.LEVERS`) = its strength in [0, 1]
  (0, the default, leaves the lever off; a lever without a strength takes 0 or 1, false
  or true), and ``<lever>__<option>`` for its options (e.g. ``tribunal__mode =
  "replace"``); a lever whose own input is not given is on, at strength 1, when any of
  its options is given; every lever switched on starts in ``policy_start``;
- ``policy_start`` ('YYYY-MM', default "2026-09"), ``seed`` (integer from 0 to 2**64 - 1,
  default 1),
  ``scale`` (share of England simulated, 0.001-1, default 0.01) and ``end`` (last
  month, default "2030-08"). Runs start in September 2014.

Outcomes (:data:`OUTCOMES`, the registry's
:data:`~sendabm.core.measures.EVALUATE_OUTCOMES`) reduce the national series over the
**policy window**, from ``policy_start`` to ``end`` (the whole run if the policies would
start after the end), as comparisons do (:mod:`sendabm.experiments.outcomes`): flows are
summed over the window, stocks taken at the end, means averaged over the last 12
months of the window.

Runs in one process that differ only from ``policy_start`` on share their past:
:data:`PASTS` keeps the last few pasts' snapshots (:mod:`sendabm.core.snapshot`) and a
run continues from its own if it is there, with identical results.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sendabm.core import calendar
from sendabm.core.measures import EVALUATE_OUTCOMES, Measure
from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import Scenario, default_scenario
from sendabm.experiments.outcomes import Window, reduce_series, summarise

RUN_INPUTS: dict[str, Any] = {"policy_start": "2026-09", "seed": 1, "scale": 0.01,
                              "end": "2030-08"}
"""Inputs that are neither parameters nor levers, with their defaults."""

OPTION_SEPARATOR = "__"


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


def _spec(m: Measure) -> OutcomeSpec:
    return OutcomeSpec(m.name, m.reducer, f"{m.unit}, England scale" if m.england_scale
                       else m.unit)


OUTCOMES: tuple[OutcomeSpec, ...] = tuple(_spec(m) for m in EVALUATE_OUTCOMES)
"""Outcomes returned by :func:`evaluate`, in order."""

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)


def _lever_inputs() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lever in LEVERS.values():
        out[lever.name] = 0.0 if lever.has_strength else False
        for key, option in lever.options.items():
            out[f"{lever.name}{OPTION_SEPARATOR}{key}"] = option.default
    return out


LEVER_INPUTS: dict[str, Any] = _lever_inputs()
"""Lever strengths or switches (default off) and ``<lever>__<option>`` options."""

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
                      outcomes: tuple[str, ...] = OUTCOME_NAMES,
                      fork: bool = True) -> dict[str, float]:
    """Like :func:`evaluate`, on top of ``base`` (its parameters and policies kept).

    Inputs not given keep ``base``'s values, except ``seed``, ``scale``, ``end`` and
    ``policy_start``, which take :data:`RUN_INPUTS` defaults.

    With ``fork`` (the default), the run continues from the past a previous run in
    this process left at ``policy_start`` if it had the same one (same seed, scale,
    end, parameters: :data:`PASTS`), and leaves its own there for the next: the
    results are identical bit for bit, but runs that differ only in levers simulate
    the years before ``policy_start`` once.
    """
    # Imported here: design and optimisation tools import this module for its inputs
    # and outcomes, and the model (numba, mesa) takes seconds to import.
    from sendabm.experiments.run import run_scenario

    scenario, policy_start = build_scenario(base, inputs)
    snapshot, keep = PASTS.lookup(scenario, policy_start) if fork else (None, None)
    output = run_scenario(scenario, out=None, progress=False, snapshot=snapshot,
                          snapshot_to=keep)
    record = summarise(output)
    return reduce_outcomes(record.national, scenario.run["start"], policy_start, outcomes)


class PastCache:
    """The last few runs' pasts (their snapshots at the policy start), by past, so that
    runs in one process that differ only from the policy start on share them.

    Args:
        entries: Most snapshots kept (the least recently used goes first).
        max_bytes: Most bytes kept; a larger snapshot is not kept.
    """

    def __init__(self, entries: int = 8, max_bytes: int = 2**29):
        self.entries = entries
        self.max_bytes = max_bytes
        self._kept: OrderedDict[str, Any] = OrderedDict()
        self.hits = 0

    def lookup(self, scenario: Scenario, month: str) -> tuple[Any, Any]:
        """(snapshot to continue from or None, (month, keeper) to pass as
        ``run_scenario(snapshot_to=...)`` or None)."""
        from sendabm.core import snapshot as snapshot_mod

        tick, start = calendar.tick_of(month), calendar.tick_of(scenario.run["start"])
        if not start < tick <= calendar.tick_of(scenario.run["end"]):
            return None, None
        key = snapshot_mod.past_hash(scenario, tick, "numba")
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
            self.hits += 1
            return found, None
        return None, (month, lambda snapshot: self._keep(key, snapshot))

    def _keep(self, key: str, snapshot: Any) -> None:
        if snapshot.nbytes > self.max_bytes:
            return
        self._kept[key] = snapshot
        while len(self._kept) > self.entries or sum(
                s.nbytes for s in self._kept.values()) > self.max_bytes:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        """Forget every past kept."""
        self._kept.clear()


PASTS = PastCache()
"""This process's pasts, shared by :func:`evaluate` and :func:`evaluate_scenario`."""


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
        scenario = scenario.with_policies(policies, where="evaluate")
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


def lever_input_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not a valid input for lever ``name`` (its strength or switch)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if LEVERS[name].has_strength:
        if number and 0.0 <= value <= 1.0:
            return None
        return f"input {name} = {value!r} must be a lever strength in [0, 1] (0 = off)"
    if isinstance(value, bool) or (number and value in (0, 1)):
        return None
    return (f"input {name} = {value!r}: '{name}' has no strength, so its input is a switch; "
            f"give 0 or 1 (false or true), or set its options ({name}{OPTION_SEPARATOR}...)")


def lever_policies(inputs: Mapping[str, Any], start: str) -> tuple[dict, ...]:
    """``[[policies]]`` entries for the levers ``inputs`` switch on (options checked for all).

    A lever is on when its input is above 0 (or true), or, when its input is not given,
    when any of its ``<lever>__<option>`` inputs is.
    """
    out = []
    for name, lever in LEVERS.items():
        options = {key: _plain(inputs[f"{name}{OPTION_SEPARATOR}{key}"])
                   for key in lever.options if f"{name}{OPTION_SEPARATOR}{key}" in inputs}
        entry = {"name": name, "start": start, **options}
        on = bool(options)
        if name in inputs:
            value = _plain(inputs[name])
            problem = lever_input_problem(name, value)
            if problem:
                raise ValueError(problem)
            on = bool(value)
            if lever.has_strength:
                entry["strength"] = float(value)
        checked = lever.normalise(entry)
        if on:
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
    end = calendar.label(calendar.tick_of(run_start) + n_months - 1)
    window = Window.of(run_start, policy_start, end)
    if not 0 <= window.first < n_months:
        window = Window.of(run_start, run_start, end)
    result: dict[str, float] = {}
    for name in outcomes:
        series = np.asarray(national.get(name, np.full(n_months, np.nan)), dtype=np.float64)
        result[name] = float(reduce_series(series, specs[name].how, window))
    return result


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`evaluate`.

    Importing the submodule ``sendabm.experiments.evaluate`` sets the package attribute of that
    name to the module, which would hide the function ``sendabm.experiments.evaluate``; making the
    module callable keeps ``sendabm.experiments.evaluate(**inputs)`` working whatever the import
    order.

    It pickles by name (as a function does), so process pools and distributed engines can
    send ``sendabm.evaluate`` to their workers, which import this module again.
    """

    def __call__(self, **inputs: Any) -> dict[str, float]:
        return evaluate(**inputs)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return importlib.import_module, (self.__name__,)


sys.modules[__name__].__class__ = _CallableModule
