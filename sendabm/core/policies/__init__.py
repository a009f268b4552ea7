"""Policy levers: named, dated reforms written in a scenario's [[policies]].

Every reform the model offers (the Isos recommendations R1-R8 and the alternatives their
critics proposed) is a :class:`~sendabm.core.policies.lever.Lever`, declared once with
its options (every constant it uses, with unit, range, default and source), what its
``strength`` means (or that it has none) and its documentation; ``docs/policies.md`` is
generated from :data:`LEVERS` (``python -m sendabm.presentation.leverdoc``).

A lever acts from its ``start`` month and changes *rules, capacities or behavioural
dispositions* (parameters of how agents decide), never an outcome. Each month the model
asks :func:`effects` for the combined effect of the policies in force:

* ``parameters``: the month's parameter values (the scenario's, with the levers'
  changes applied), used by every agent that month;
* a few switches and rates that are not parameters (is there a tribunal, how LAs'
  thresholds are pulled, what the core offer adds, how funding grows).

A policy that has not started changes nothing, and all random draws are keyed by
agent and month, so two runs that differ only in a policy are identical until it
starts. A scenario has at most one entry per lever (:mod:`sendabm.core.scenario`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sendabm.core import calendar
from sendabm.core.policies.disputes import (
    CHOICE_LIMITS,
    ENTITLEMENT_LIMITS,
    RIGHT_FIRST_TIME,
    TRIBUNAL,
    TRIBUNAL_MODES,
)
from sendabm.core.policies.funding import HIGH_NEEDS_FUNDING, NOTIONAL_THRESHOLD, STATUTORY_OVERRIDE
from sendabm.core.policies.lever import BASES, PAYERS, Charge, Effects, Lever, Option
from sendabm.core.policies.provision import (
    DESTINATIONS_SERVICE,
    INDEPENDENT_SECTOR,
    LOCAL_INCLUSION_PARTNERSHIPS,
)
from sendabm.core.policies.schools import (
    CORE_OFFER,
    EARLY_IDENTIFICATION,
    INCLUSION_INCENTIVES,
    NATIONAL_FRAMEWORK,
    SPECIAL_SCHOOL_OUTREACH,
    WORKFORCE,
)

__all__ = ["BASES", "LEVERS", "PAYERS", "TRIBUNAL_MODES", "Charge", "Effects", "Lever",
           "Option", "effects", "normalise_policy"]

LEVERS: dict[str, Lever] = {lever.name: lever for lever in (
    INCLUSION_INCENTIVES, NATIONAL_FRAMEWORK, CORE_OFFER, SPECIAL_SCHOOL_OUTREACH, TRIBUNAL,
    RIGHT_FIRST_TIME, ENTITLEMENT_LIMITS, CHOICE_LIMITS, DESTINATIONS_SERVICE,
    LOCAL_INCLUSION_PARTNERSHIPS, INDEPENDENT_SECTOR, WORKFORCE, NOTIONAL_THRESHOLD,
    HIGH_NEEDS_FUNDING, STATUTORY_OVERRIDE, EARLY_IDENTIFICATION,
)}
"""Every lever, by name, in the order :func:`effects` applies them."""

_ORDER = {name: index for index, name in enumerate(LEVERS)}


def normalise_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """A [[policies]] entry checked against its lever, with its default strength filled.

    Args:
        policy: The entry: ``name``, ``start`` (checked by the scenario), ``strength``
            if given (a number in [0, 1]) and the lever's options.

    Returns:
        The entry with whole-number options as int, numbers as float, and strength 1.0
        if the lever has a strength and the entry gives none.

    Raises:
        ValueError: One line, for an unknown lever, a strength given to a lever without
            one, an unknown option or an invalid option value.
    """
    name = policy["name"]
    lever = LEVERS.get(name)
    if lever is None:
        raise ValueError(f"unknown policy '{name}'; valid policies: {', '.join(sorted(LEVERS))}")
    return lever.normalise(policy)


def effects(policies: tuple[dict[str, Any], ...], tick: int,
            parameters: dict[str, Any]) -> Effects:
    """Combined effects of the policies that have started by ``tick``.

    Args:
        policies: The scenario's policies (at most one entry per lever).
        tick: Current month.
        parameters: The scenario's parameter values (not modified).
    """
    out = Effects(parameters=dict(parameters))
    # Levers apply in the fixed order of LEVERS, not the file's, so a scenario means the
    # same whatever order its [[policies]] are written in.
    for policy in sorted(policies, key=lambda entry: _ORDER[entry["name"]]):
        start = calendar.tick_of(policy["start"])
        if tick >= start:
            lever = LEVERS[policy["name"]]
            values = lever.values(policy)
            strength = float(policy.get("strength", 1.0)) * lever.ramp(values, tick, start)
            lever.apply(out, values, strength, start)
            out.charges += [(c.payer, c.base, strength * c.rate(values, parameters))
                            for c in lever.charges]
    return out
