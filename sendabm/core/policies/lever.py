r"""What a policy lever is: its declared options, what its strength means, and its effects.

A :class:`Lever` declares everything about one reform once: the recommendation it
comes from, what ``strength`` means for it (or that it has none), every constant it
uses as an :class:`Option` (unit, valid values, default, source), the function that
applies it to a month's :class:`Effects`, and the prose of ``docs/policies.md``.

The prose fields are Markdown templates. A field ``{expression}`` is replaced, when
the docs are generated (:mod:`sendabm.presentation.leverdoc`), by the value of the
expression over the lever's option defaults (by option name) and the model's
parameter defaults (``p.<name>``); ``{expression:spec}`` formats it with ``spec``.
So the prose never retypes a value that is declared elsewhere.

**Costs and lags.** A lever that needs money to deliver declares its :class:`Charge`\ s:
which payer (:data:`PAYERS`) pays how much for each unit of a base (:data:`BASES`).
The model charges them each month to the payer's spend measure
(``spend_levers_<payer>_gbp``); the high-needs block's charges count in the LA's accounts
and deficit, so they feed back on its gatekeeping. A lever with no charge says why in
``free_because`` (``tests/test_levers.py`` lists them). A lever that needs staff or
systems to be built up has a ``ramp_years`` option: its strength rises linearly from 0
at its start to the entry's strength ``ramp_years`` later, charges included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sendabm.core import calendar
from sendabm.core.param import is_finite_number, is_whole


@dataclass(frozen=True)
class Option:
    """One option of a lever: a constant it uses, settable in a scenario and sweepable.

    The kind of value follows from the declaration: true/false when ``choices`` is
    ``(True, False)``, one of ``choices``, a month 'YYYY-MM' (a text default), a whole
    number (an integer default) or a number.

    Attributes:
        default: Value used when the entry does not set the option.
        unit: Unit of the value, e.g. "need units", "1/year", "share".
        doc: What the option does, in one line.
        source: Citation for the default, or "assumption: ..." with the reasoning.
        low: Smallest valid value (numbers), inclusive.
        high: Largest valid value (numbers), inclusive.
        choices: The valid values of a categorical or true/false option.
    """

    default: Any
    unit: str
    doc: str
    source: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def kind(self) -> str:
        """``boolean``, ``choice``, ``month``, ``integer`` or ``number``."""
        if isinstance(self.default, bool):
            return "boolean"
        if self.choices is not None:
            return "choice"
        if isinstance(self.default, str):
            return "month"
        return "integer" if isinstance(self.default, int) else "number"

    def normalise(self, lever: str, key: str, value: Any) -> Any:
        """``value`` checked and normalised (whole numbers as int, numbers as float).

        Raises:
            ValueError: One line naming the lever, the option, the value and the fix.
        """
        at = f"policy '{lever}' option {key} = {value!r}"
        kind = self.kind
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError(f"{at} must be true or false (TOML true/false, not 1, 0 "
                                 "or a string)")
            return value
        if kind == "choice":
            if isinstance(value, bool) or value not in self.choices:
                choices = ", ".join(map(str, self.choices))
                raise ValueError(f"{at}; choose one of: {choices}")
            return value
        if kind == "month":
            try:
                calendar.parse_month(value if isinstance(value, str) else "")
            except ValueError:
                raise ValueError(f"{at} must be a month 'YYYY-MM' in quotes") from None
            return value
        if not is_finite_number(value):
            raise ValueError(f"{at} must be a number ({self.unit}) in "
                             f"[{self.low}, {self.high}]")
        if kind == "integer" and not is_whole(value):
            raise ValueError(f"{at} must be a whole number ({self.unit}) in "
                             f"[{self.low}, {self.high}]")
        if not self.low <= value <= self.high:
            raise ValueError(f"{at} is out of range; valid range is [{self.low}, {self.high}] "
                             f"{self.unit}")
        return int(value) if kind == "integer" else float(value)

    def check(self, lever: str, key: str, value: Any) -> None:
        """Raise ValueError (one line) if ``value`` is not valid."""
        self.normalise(lever, key, value)


PAYERS: dict[str, str] = {
    "high_needs": "the LA's high-needs block (DSG); counts in its accounts and deficit",
    "general_fund": "the LA's general fund (council tax and the local government settlement)",
    "schools": "mainstream schools' own budgets",
    "dfe": "the Department for Education's programmes and capital",
    "health": "health services (NHS integrated care boards)",
}
"""Who pays a lever's charges: key -> what it is. Only the high-needs block's charges
feed back on behaviour (through the LA's deficit); the others are counted in
``send_spend_gbp``."""

BASES: dict[str, tuple[str, str, bool]] = {
    "pupil": ("pupils", "a year per pupil", True),
    "mainstream_need": ("trust_school_n", "a year per child with a need in mainstream", True),
    "early_years_child": ("early_years_children", "a year per child in early years", True),
    "further_education": ("placements_further_education",
                          "a year per young person with a plan in further education", True),
    "independent_place": ("placements_independent", "a year per child in an independent "
                          "special school", True),
    "assessment_request": ("assessment_requests", "per request for an assessment", False),
}
"""What a charge is per: key -> (the counted measure it multiplies, its unit in words,
whether it is a stock charged a twelfth a month (True) or a flow charged per event)."""


@dataclass(frozen=True)
class Charge:
    """What a lever costs a payer, at full strength.

    Attributes:
        payer: Who pays, a key of :data:`PAYERS`.
        base: What it is paid per, a key of :data:`BASES`.
        rate: ``rate(options, parameters)``: GBP (2014 prices) per unit of the base (a
            year for a stock, per event for a flow) at strength 1. The model multiplies
            it by the strength in force, the cost inflation and ``lever_cost_factor``.
        doc: What is paid for, a Markdown template like the lever's prose.
    """

    payer: str
    base: str
    rate: Callable[[Mapping[str, Any], Mapping[str, Any]], float]
    doc: str


def ramp_option(years: int, source: str) -> Option:
    """The ``ramp_years`` option: years from the start to the full strength."""
    return Option(years, "years", "Years over which the strength rises linearly from 0 to "
                  "the entry's strength (staff hired and trained, systems built); 0: at "
                  "once.", source, 0, 10)


def switch(default: bool, doc: str, source: str) -> Option:
    """A true/false option."""
    return Option(default, "true/false", doc, source, choices=(True, False))


@dataclass
class Effects:
    """The combined effect of the policies in force in one month.

    Attributes:
        parameters: Parameter values for the month (name -> value).
        appeals_open: 1.0 if families can appeal (to the tribunal or its replacement).
        mediation_open: 1.0 if mediation is available.
        core_offer_units: Extra support for every child with a need in mainstream
            (core offer and special-school outreach), need units.
        inclusion_incentive_per_year: Yearly push of schools towards inclusion.
        threshold_pull: Yearly pull of LA thresholds towards ``threshold_target`` (0-1).
        threshold_target: Need units, or None.
        binding: 1.0 if decisions on appeals bind the LA.
        compliance: Share of advisory decisions the LA follows.
        hearing_capacity_factor: Decisions per month relative to the tribunal's.
        independent_orders: Chance an order for a specialist place may be independent.
        fe_support_units: Extra support for young people with plans in FE, need units.
        neet_logit_shift: Shift of leavers' NEET log-odds.
        special_quality_factor: Multiplier of special schools' quality.
        fee_cut_per_year: Yearly cut of independent fees (profit removed), share.
        fee_cut_years: Number of yearly fee cuts (Augusts) before the margin is gone.
        allocation_growth_per_year: Extra yearly growth of high-needs allocations.
        allocation_growth_start: Tick from which that growth compounds.
        commissioning_lag_cut: Years less to open commissioned places.
        plan_threshold_add: Added to every LA's plan threshold, need units.
        charges: ``(payer, base, gbp)`` of each charge in force: GBP (2014 prices) per
            unit of the base at the strength in force (:class:`Charge`).
        threshold_from_current: True if the pull's target is the median of LAs' current
            bars (a framework that codifies current practice), not ``threshold_target``.
    """

    parameters: dict[str, Any]
    appeals_open: float = 1.0
    mediation_open: float = 1.0
    core_offer_units: float = 0.0
    inclusion_incentive_per_year: float = 0.0
    threshold_pull: float = 0.0
    threshold_target: float | None = None
    binding: float = 1.0
    compliance: float = 1.0
    hearing_capacity_factor: float = 1.0
    independent_orders: float = 1.0
    fe_support_units: float = 0.0
    neet_logit_shift: float = 0.0
    special_quality_factor: float = 1.0
    fee_cut_per_year: float = 0.0
    fee_cut_years: int = 0
    allocation_growth_per_year: float = 0.0
    allocation_growth_start: int = 0
    commissioning_lag_cut: int = 0
    plan_threshold_add: float = 0.0
    charges: list[tuple[str, str, float]] = field(default_factory=list)
    threshold_from_current: bool = False

    def scale(self, name: str, factor: float) -> None:
        """Multiply this month's parameter ``name`` by ``factor``."""
        self.parameters[name] = self.parameters[name] * factor


Apply = Callable[[Effects, Mapping[str, Any], float, int], None]
"""``apply(effects, options, strength, start_tick)``: a lever's change to the month."""


@dataclass(frozen=True)
class Lever:
    """A policy lever, declared once.

    Attributes:
        name: Key written as ``name`` in [[policies]].
        title: Heading words in docs/policies.md.
        source: The recommendation it comes from, in a few words.
        doc: What it does, in one line.
        apply: Applies the lever to a month's :class:`Effects` (see :data:`Apply`).
        strength: What ``strength`` 0 and 1 mean for it, or None if it has no strength
            (an entry that passes one is an error).
        no_strength_fix: For a lever without a strength, how to say what was meant.
        options: Every constant it uses, by option name.
        affects: The agents it acts on (summary table).
        evidence: The sources quoted (Markdown template).
        changes: What changes, for whom (Markdown template).
        reasoning: Why the change should matter (Markdown template).
        not_modelled: What it leaves out (Markdown template).
        test: Its test in tests/test_levers.py (Markdown template).
        charges: What it costs whom (:class:`Charge`); empty if ``free_because`` says
            why it needs none.
        free_because: Why the lever has no charge (Markdown template), if it has none.
    """

    name: str
    title: str
    source: str
    doc: str
    apply: Apply
    strength: str | None
    options: dict[str, Option] = field(default_factory=dict)
    no_strength_fix: str = ""
    affects: str = ""
    evidence: str = ""
    changes: str = ""
    reasoning: str = ""
    not_modelled: str = ""
    test: str = ""
    charges: tuple[Charge, ...] = ()
    free_because: str = ""

    def __post_init__(self) -> None:
        if bool(self.charges) == bool(self.free_because):
            raise ValueError(f"lever '{self.name}' needs charges or free_because, not both")
        for charge in self.charges:
            if charge.payer not in PAYERS or charge.base not in BASES:
                raise ValueError(f"lever '{self.name}': unknown payer or base in {charge}")

    def ramp(self, values: Mapping[str, Any], tick: int, start: int) -> float:
        """Share of the entry's strength in force at ``tick`` (1 without ``ramp_years``)."""
        years = values.get("ramp_years", 0)
        if years <= 0:
            return 1.0
        return min(1.0, (tick - start + 1) / (12.0 * years))

    @property
    def has_strength(self) -> bool:
        """True if ``strength`` has a meaning for this lever."""
        return self.strength is not None

    def normalise(self, policy: Mapping[str, Any]) -> dict[str, Any]:
        """A [[policies]] entry for this lever, checked, with default strength filled.

        ``name`` and ``start`` are kept as given (the scenario checks them); a given
        ``strength`` must already be a number in [0, 1].

        Raises:
            ValueError: One line, for a strength given to a lever without one, an
                unknown option or an invalid option value.
        """
        out: dict[str, Any] = {}
        for key, value in policy.items():
            if key in ("name", "start"):
                out[key] = value
            elif key == "strength":
                if not self.has_strength:
                    raise ValueError(
                        f"policy '{self.name}' has no strength (strength = {value!r} would "
                        f"be ignored); remove it: {self.no_strength_fix}")
                out[key] = float(value)
            elif key in self.options:
                out[key] = self.options[key].normalise(self.name, key, value)
            else:
                raise ValueError(f"policy '{self.name}' has no option '{key}'; valid keys: "
                                 f"{', '.join(self.keys())}")
        if self.has_strength:
            out.setdefault("strength", 1.0)
        return out

    def keys(self) -> list[str]:
        """The keys an entry for this lever may have."""
        return ["name", "start", *(["strength"] if self.has_strength else []), *self.options]

    def values(self, policy: Mapping[str, Any]) -> dict[str, Any]:
        """Every option's value in ``policy``, the default where it sets none."""
        return {key: policy.get(key, option.default) for key, option in self.options.items()}
