"""The measure registry: every measure the model reports, declared once (the results
contract's columns among them: results/README.md).

:data:`REGISTRY` holds one :class:`Measure` per measure: its name, kind, unit, label,
which way is better, the actor that owns it, where it is reported and how it is
derived. Everything else is generated from it:

* the counting slots of :mod:`sendabm.core.kernels.aggregate` (:data:`SLOTS`, in
  registry order; :mod:`sendabm.core.slots` holds them as integers for the kernels);
* :func:`derive`, which turns the counted totals (of one LA x quintile cell, or summed
  over England) into the measures of the national series and the panel, so the two
  always agree;
* the columns of ``national.csv`` (:data:`NATIONAL`: the results contract's columns
  :data:`NATIONAL_ORDER` first) and the measures of ``panel.parquet`` (:data:`PANEL`);
* the outcomes of ``sendabm compare`` (:data:`COMPARE_OUTCOMES`, :data:`KEY_OUTCOMES`,
  :data:`EQUITY_OUTCOMES`) and of ``sendabm.experiments.evaluate``
  (:data:`EVALUATE_OUTCOMES`), reduced over a run as their kind says (:attr:`Measure.reducer`);
* the labels and units of the tables, the report, the dashboard and the figures, and
  the measure table of docs/ODD.md §4.11.

Adding a measure is one declaration here plus the code that counts it.

Adversarial index (dimensionless, 100 = the reference levels): the mean of three
ratios to their reference levels (:func:`reference_levels`), times 100:

* conflict, ``dispute_rate``: disputes families raised against LA decisions over the last
  12 months per appealable decision. A dispute is counted once, at the family's decision
  to contest a refusal, whichever route then takes it: mediation (``mediations``),
  appeal (``disputes_to_appeal``; an appeal after a failed mediation continues the
  mediation's dispute), a route beyond the tribunal (``disputes_to_redress``: a
  complaint to the ombudsman, a claim for judicial review, paying privately or leaving
  school for home education; one taken after a failed mediation continues its dispute)
  or none, when the route the family would take is closed and it takes no other
  (``disputes_unheard``). So closing a route moves its disputes to the other routes or
  the unheard part and cannot lower the index by itself. The appealable
  decisions are those of the published appeal rate (DfE/MoJ): the plans in force, each
  naming the provision and the placement, plus the refusals to assess and to issue a
  plan over the last 12 months (:data:`APPEALABLE_PLANS`,
  :data:`APPEALABLE_REFUSALS`). Reference: England's appeals registered per appealable
  decision in :data:`DISPUTE_REFERENCE_YEAR`, from the LA record. Appeals are the one
  route with a published per-decision rate since 2014, so the other routes (and unheard
  disputes) are counted on the appeals' scale: at the reference level the model's
  families would raise disputes as often as families then appealed.
* refusal share, ``refusal_share``: assessment requests refused over requests, last 12
  months. Reference: England's refusals over requests in
  :data:`REFUSAL_REFERENCE_YEARS` (every year the LA record has), pooled.
* distrust: 1 - families' mean trust in their LA. Reference :data:`DISTRUST_REFERENCE`,
  the starting distrust. Trust moves only through what families experience (refusals,
  plans, hearings lost, decisions not followed) and their peers' trust, never through
  how a route is counted.

Each part is a measure of its own, and so is each route's share of the conflict
(``dispute_rate_mediation``, ``dispute_rate_appeal``, ``dispute_rate_redress``,
``dispute_rate_unheard``), so a comparison shows which part moved; the routes beyond the
tribunal are counted each on its own too (``complaints``, ``judicial_reviews``,
``private_provision``, ``home_education_exits``).

Directions: a measure is better :data:`LOWER` or :data:`HIGHER`; :data:`CONTESTED` where
the better direction is itself in dispute (hearings won by families, appeals, concessions,
mediations: fewer could mean fewer wrong decisions or families deterred or without a
route), which comparisons report without scoring; None for a descriptive measure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

APPEALABLE_PLANS = "ehc_plans"
"""The plans in force: appealable decisions (each names the provision and the placement)."""
APPEALABLE_REFUSALS = ("assessments_refused", "plans_refused")
"""The refusals that are appealable decisions: to assess, and to issue a plan after an
assessment (a refused change of placement is a decision on a plan in force, counted
with the plans, as DfE/MoJ count them for the published appeal rate)."""

DISPUTE_REFERENCE_YEAR = 2015
"""Calendar year of the dispute rate's reference level: the first whole year of a run from
September 2014, and the year of the 1.2% appeal rate Isos 2024 quotes (rising to 2.3% in
2022)."""
REFUSAL_REFERENCE_YEARS = (2019, 2020, 2021, 2022)
"""Calendar years of the refusal share's reference level: every year the LA record has."""
DISTRUST_REFERENCE = 0.25
"""Distrust at the reference level: 1 - families' starting trust, the default
``trust_initial`` of 0.75 (:mod:`sendabm.core.actors.family`)."""

# Kinds. The kind says how a comparison reduces a run (see Measure.reducer).
STOCK = "stock"
"""A count (or amount) at the month: children on a roll, a cumulative deficit."""
FLOW = "flow"
"""A count (or amount) over the month: requests, appeals, spend."""
MEAN = "mean"
"""A mean over children (or LAs, schools)."""
RATE = "rate"
"""Events over the last 12 months per unit of a stock."""
SHARE = "share"
"""A part over a whole, 0-1."""
INDEX = "index"
"""A composite index."""
TOTAL = "total"
"""A counted sum from which a mean is derived; counted, never reported."""
KINDS = (STOCK, FLOW, MEAN, RATE, SHARE, INDEX, TOTAL)

# Directions: which way is better in a comparison (None: no judgement).
LOWER = "lower"
HIGHER = "higher"
CONTESTED = "contested"
"""No better direction: which way is better is itself in dispute, so comparisons report
the change without scoring it."""
DIRECTIONS = (LOWER, HIGHER, CONTESTED, None)

# Where a measure is reported.
CELL = "cell"
"""Counted per LA x quintile: the panel has every cell, the national series the sum."""
LA = "la"
"""One value per LA (panel quintile 0 only); the national value sums or averages LAs."""
NATIONAL_ONLY = "national"
"""The national series only."""
INTERNAL = "internal"
"""Counted but not reported (the sums behind means)."""
SCOPES = (CELL, LA, NATIONAL_ONLY, INTERNAL)

# Owners: the actor whose behaviour a measure reports (for docs and the actor modules).
FAMILY = "family"
EARLY_YEARS = "early_years"
MAINSTREAM = "mainstream"
SPECIAL = "special"
INDEPENDENT = "independent"
LOCAL_AUTHORITY = "local_authority"
TRIBUNAL = "tribunal"
REDRESS = "redress"
SYSTEM = "system"
OWNERS = (FAMILY, EARLY_YEARS, MAINSTREAM, SPECIAL, INDEPENDENT, LOCAL_AUTHORITY, TRIBUNAL,
          REDRESS, SYSTEM)

# Units used by the formats of tables and figures.
GBP = "GBP"
LAS = "local authorities"

# How comparisons reduce a run to one number (Measure.reducer).
SUM = "sum"
"""Summed over the comparison window."""
LAST = "last"
"""The last month."""
MEAN_12 = "mean"
"""Averaged over the last 12 months (or the window, if shorter)."""
SHARE_OF_TOTAL = "share_of_total"
"""Equity only: each quintile's share of the total at the last month."""

_REDUCERS = {STOCK: LAST, FLOW: SUM, MEAN: MEAN_12, RATE: MEAN_12, SHARE: MEAN_12,
             INDEX: MEAN_12}


@dataclass(frozen=True)
class Ratio:
    """A measure derived as numerator / denominator of counted totals (NaN if 0).

    Attributes:
        numerator, denominator: Names of counted measures.
        yearly_numerator, yearly_denominator: Use the sum over the last 12 months
            rather than this month's total.
    """

    numerator: str
    denominator: str
    yearly_numerator: bool = False
    yearly_denominator: bool = False

    def needs(self) -> tuple[str, ...]:
        """The measures it is derived from."""
        return (self.numerator, self.denominator)

    def text(self) -> str:
        """The formula in the words of docs/ODD.md, e.g. 'Σ12 hearings / ehc_plans'."""
        num = ("Σ12 " if self.yearly_numerator else "") + f"`{self.numerator}`"
        den = ("Σ12 " if self.yearly_denominator else "") + f"`{self.denominator}`"
        return f"{num} / {den}"


@dataclass(frozen=True)
class PerDecision:
    """A rate per appealable decision: counted flows summed over the last 12 months, over
    the plans in force plus the appealable refusals of the last 12 months (NaN if 0).

    Attributes:
        flows: Names of counted flows, summed.
    """

    flows: tuple[str, ...]

    def needs(self) -> tuple[str, ...]:
        """The measures it is derived from."""
        return (*self.flows, APPEALABLE_PLANS, *APPEALABLE_REFUSALS)

    def text(self) -> str:
        """The formula in the words of docs/ODD.md."""
        flows = " + ".join(f"`{f}`" for f in self.flows)
        refusals = " + ".join(f"Σ12 `{r}`" for r in APPEALABLE_REFUSALS)
        return (f"Σ12 {flows if len(self.flows) == 1 else f'({flows})'} / "
                f"(`{APPEALABLE_PLANS}` + {refusals})")


@dataclass(frozen=True)
class Total:
    """A measure derived as the sum of other (already derived) measures."""

    parts: tuple[str, ...]

    def needs(self) -> tuple[str, ...]:
        """The measures it is derived from."""
        return self.parts

    def text(self) -> str:
        """The formula, e.g. 'sum of `a`, `b`'."""
        return "sum of " + ", ".join(f"`{p}`" for p in self.parts)


@dataclass(frozen=True)
class Composite:
    """A measure derived by a function of other (already derived) measures."""

    function: Callable[..., np.ndarray]
    inputs: tuple[str, ...]

    def needs(self) -> tuple[str, ...]:
        """The measures it is derived from."""
        return self.inputs

    def text(self) -> str:
        """The formula's name and inputs."""
        return f"`{self.function.__name__}` of " + ", ".join(f"`{i}`" for i in self.inputs)


@dataclass(frozen=True)
class Measure:
    """One measure of the model.

    Attributes:
        name: Column-safe name, in the panel (and the national series unless
            ``national`` says otherwise).
        kind: One of :data:`KINDS`.
        unit: Unit in words, e.g. ``children`` or ``GBP``; counts and money are at
            England scale (the sample divided by ``scale``) except counts of LAs.
        label: Plain-words label, as tables and figure titles name the measure.
        direction: Better ``lower`` or ``higher`` in a comparison, :data:`CONTESTED`
            when which way is better is in dispute (reported, never scored), or None
            (a descriptive measure).
        owner: The actor whose behaviour it reports (:data:`OWNERS`).
        short: Short legend label (default: ``label``).
        scope: Where it is reported (:data:`SCOPES`).
        counted: Has a counting slot in :mod:`sendabm.core.kernels.aggregate`.
        formula: How it is derived from the counted totals (:class:`Ratio`,
            :class:`PerDecision`, :class:`Total`, :class:`Composite`), or None: a
            counted total divided by ``scale``, or (LA and national scopes) computed
            by the model.
        national: Name in the national series if it differs from ``name`` (LA
            measures whose national value is a mean over LAs).
        across_las: LA measures: the national value is the ``sum`` or the ``mean``
            over LAs.
        contract: Position (1-based) among the results contract's leading columns of
            ``national.csv`` (0: after them, in registry order).
        compare: Row (1-based) in the headline table of ``sendabm compare`` (0: not
            an outcome of comparisons).
        key: A key outcome of comparisons (listed first, in the report's figures).
        evaluate: Position (1-based) among the outcomes of ``evaluate`` (0: not one).
        equity: Position (1-based) among the equity outcomes of comparisons, by
            family-resources quintile (0: not one).
        equity_share: Equity outcomes only: the name of the outcome that is each
            quintile's share of the total at the end, instead of the measure itself.
        note: What the label does not say (for docs/ODD.md).
    """

    name: str
    kind: str
    unit: str
    label: str
    direction: str | None = None
    owner: str = SYSTEM
    short: str = ""
    scope: str = CELL
    counted: bool = False
    formula: Ratio | PerDecision | Total | Composite | None = None
    national: str = ""
    across_las: str = "sum"
    contract: int = 0
    compare: int = 0
    key: bool = False
    evaluate: int = 0
    equity: int = 0
    equity_share: str = ""
    note: str = ""

    @property
    def national_name(self) -> str | None:
        """Column in ``national.csv``, or None if it is not in the national series."""
        if self.scope == INTERNAL:
            return None
        return self.national or self.name

    @property
    def in_panel(self) -> bool:
        """Whether it is a measure of ``panel.parquet``."""
        return self.scope in (CELL, LA)

    @property
    def reducer(self) -> str | None:
        """How a comparison reduces a run: flows summed over the window (:data:`SUM`),
        stocks at the last month (:data:`LAST`), means, rates, shares and indices
        averaged over the last 12 months (:data:`MEAN_12`); None for counted totals."""
        return _REDUCERS.get(self.kind)

    @property
    def england_scale(self) -> bool:
        """Counts and money divided by the share of England modelled."""
        return self.kind in (STOCK, FLOW) and self.unit != LAS

    @property
    def legend(self) -> str:
        """Short label for legends."""
        return self.short or self.label


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def appealable_decisions(month: dict[str, np.ndarray],
                         year: dict[str, np.ndarray]) -> np.ndarray:
    """Appealable decisions of the last 12 months: the plans in force this month plus the
    appealable refusals summed over the last 12 months (counted totals, not scaled)."""
    return month[APPEALABLE_PLANS] + sum(year[r] for r in APPEALABLE_REFUSALS)


@dataclass(frozen=True)
class ReferenceLevels:
    """The levels at which each part of the adversarial index is 100.

    Attributes:
        dispute_rate: Disputes a year per appealable decision.
        refusal_share: Share of assessment requests refused.
        distrust: 1 - mean trust in the LA.
    """

    dispute_rate: float
    refusal_share: float
    distrust: float


@functools.cache
def reference_levels() -> ReferenceLevels:
    """The adversarial index's reference levels, read from the LA record
    (``sendabm/data/la_record.csv``; :data:`DISPUTE_REFERENCE_YEAR`,
    :data:`REFUSAL_REFERENCE_YEARS`) and :data:`DISTRUST_REFERENCE`.

    Raises:
        ValueError: The record lacks a count they need (a damaged data file).
    """
    # Imported here: the record reads the built-in areas, which the registry's many
    # importers (the kernels among them) do not need.
    from sendabm.core.la_record import england_total

    def total(measure: str, years) -> float:
        counts = [england_total(measure, str(year)) for year in years]
        if any(c is None for c in counts):
            raise ValueError(f"the LA record lacks England's '{measure}' for one of {years}; "
                             "rebuild sendabm/data/la_record.csv (python -m "
                             "sendabm.core.la_record --build)")
        return float(sum(counts))

    year = (DISPUTE_REFERENCE_YEAR,)
    return ReferenceLevels(
        dispute_rate=total("appeals_registered", year) / total("appealable_decisions", year),
        refusal_share=total("requests_refused", REFUSAL_REFERENCE_YEARS)
        / total("requests_received", REFUSAL_REFERENCE_YEARS),
        distrust=DISTRUST_REFERENCE)


def adversarial_index(dispute_rate, refusal_share, trust_in_la):
    """The documented composite of conflict, refusals and distrust (100 = the reference
    levels of :func:`reference_levels`; a run's own first year sits elsewhere). Missing
    rates count as 0 and missing trust as the reference distrust."""
    ref = reference_levels()
    parts = (np.nan_to_num(dispute_rate) / ref.dispute_rate,
             np.nan_to_num(refusal_share) / ref.refusal_share,
             (1.0 - np.nan_to_num(trust_in_la, nan=1.0 - ref.distrust)) / ref.distrust)
    return 100.0 * sum(parts) / 3.0


def _counted(name, kind, unit, label, direction=None, **more) -> Measure:
    return Measure(name, kind, unit, label, direction, counted=True, **more)


def _total(name, unit, label, owner=FAMILY) -> Measure:
    return Measure(name, TOTAL, unit, label, owner=owner, scope=INTERNAL, counted=True)


def _spend(name, short, owner=LOCAL_AUTHORITY, note="") -> Measure:
    return _counted(name, FLOW, GBP, f"Spend on {short[0].lower()}{short[1:]}", LOWER,
                    owner=owner, short=short, note=note)


DECISION_KINDS = ("assess", "plan", "placement")
"""The LA decisions a family can contest, in the order of the case kinds (states.KIND_*
from 1): a refusal to assess, a refusal to issue a plan, and the plan's contents
(the setting named). Suffixes of the names of the measures split by kind."""
REFUSALS_BY_KIND = ("assessments_refused", "plans_refused", "placements_refused")
"""The counted refusals of each decision type, in :data:`DECISION_KINDS` order."""
_KIND_WORDS = {"assess": "refusals to assess", "plan": "refusals to issue a plan",
               "placement": "placements"}


def _by_kind(make) -> tuple[Measure, ...]:
    """One measure per decision kind: ``make(suffix, words)`` for each of
    :data:`DECISION_KINDS`."""
    return tuple(make(kind, _KIND_WORDS[kind]) for kind in DECISION_KINDS)


_HEARING_WAITS: tuple[Measure, ...] = (
    _total("hearing_wait_sum", "months", "Months from registration to hearing of the appeals "
           "heard, summed", owner=TRIBUNAL),
    *_by_kind(lambda k, w: _total(f"hearing_wait_sum_{k}", "months",
                                  f"Months from registration to hearing of appeals on {w} "
                                  "heard, summed", owner=TRIBUNAL)),
)
"""Counted at the hearing, from the wait the hearing event carries (``states.WAIT_SHIFT``)."""
_HEARINGS_BY_KIND: tuple[Measure, ...] = (
    *_by_kind(lambda k, w: _counted(f"hearings_{k}", FLOW, "hearings",
                                    f"Tribunal hearings of appeals on {w}", CONTESTED,
                                    owner=TRIBUNAL, short=f"Hearings: {k}")),
    *_by_kind(lambda k, w: _counted(f"hearings_won_by_family_{k}", FLOW, "hearings",
                                    f"Hearings on {w} won by the family", CONTESTED,
                                    owner=TRIBUNAL, short=f"Won by the family: {k}")),
)
"""Hearings and hearings won by the appeal's kind at the hearing (``states.KIND_SHIFT``);
each triple sums to ``hearings`` and ``hearings_won_by_family``."""
_HEARING_MEANS: tuple[Measure, ...] = (
    Measure("months_waited_to_hearing", MEAN, "months",
            "Months from registration to hearing of appeals heard", LOWER, TRIBUNAL,
            short="Months waited for a hearing",
            formula=Ratio("hearing_wait_sum", "hearings", True, True),
            note="Over the hearings of the last 12 months; unlike `months_to_hearing`, the "
                 "wait the appeals heard had, not the backlog over the capacity."),
    *_by_kind(lambda k, w: Measure(
        f"months_waited_to_hearing_{k}", MEAN, "months",
        f"Months from registration to hearing of appeals on {w} heard", LOWER, TRIBUNAL,
        short=f"Months waited: {k}",
        formula=Ratio(f"hearing_wait_sum_{k}", f"hearings_{k}", True, True))),
    *_by_kind(lambda k, w: Measure(
        f"share_hearings_won_by_family_{k}", SHARE, "share of hearings",
        f"Share of hearings on {w} won by the family", CONTESTED, owner=TRIBUNAL,
        formula=Ratio(f"hearings_won_by_family_{k}", f"hearings_{k}", True, True))),
)
"""Means and shares by appeal kind, over the last 12 months."""
_DISPUTES_BY_KIND: tuple[Measure, ...] = (
    *_by_kind(lambda k, w: _counted(f"appeals_{k}", FLOW, "appeals",
                                    f"Appeals registered against {w}", CONTESTED,
                                    owner=FAMILY)),
    *_by_kind(lambda k, w: _counted(
        f"reversals_{k}", FLOW, "decisions", f"LA decisions reversed: {w}", CONTESTED,
        owner=LOCAL_AUTHORITY,
        note="Agreed in mediation, conceded, or decided for the family and followed.")),
)
"""Appeals and reversals by the case's kind at the event (``states.KIND_SHIFT``): what
each LA learns its refusals of each type draw (``LocalAuthorities.learn_challenges``)."""
_APPEAL_SHARES: tuple[Measure, ...] = _by_kind(lambda k, w: Measure(
    f"share_appeals_{k}", SHARE, "share of appeals", f"Share of appeals against {w}",
    CONTESTED, owner=FAMILY, formula=Ratio(f"appeals_{k}", "appeals_registered", True, True)))
"""The record's appeal types (MoJ 2019/20: refusal to assess 29%, contents 58%)."""

_DISPUTE_ROUTES = ("mediations", "disputes_to_appeal", "disputes_to_redress", "disputes_unheard")
"""The counted first routes of a dispute: every dispute families raise is in one of them."""
_PER_DECISION = "disputes a year per appealable decision"

_SPENDING: tuple[Measure, ...] = (
    _spend("spend_mainstream_topup_gbp", "Mainstream top-ups", owner=MAINSTREAM),
    _spend("spend_special_gbp", "State special schools", owner=SPECIAL),
    _spend("spend_independent_gbp", "Independent schools", owner=INDEPENDENT),
    _spend("spend_further_education_gbp", "Further education"),
    _spend("spend_early_years_gbp", "Early-years plans", owner=EARLY_YEARS,
           note="`early_years_plan_cost_gbp` a year for each plan before Reception."),
    _spend("spend_transport_gbp", "Transport"),
    _spend("spend_tribunal_gbp", "Tribunal costs", owner=TRIBUNAL),
    _spend("spend_other_high_needs_gbp", "Other high needs",
           note="Per pupil; LA cells only (quintile cells are 0)."),
    _spend("spend_levers_high_needs_gbp", "Levers: high-needs block",
           note="The policy levers' charges to the LA's high-needs block (docs/policies.md), "
                "e.g. the core offer's; LA cells only (quintile cells are 0)."),
    _spend("spend_levers_general_fund_gbp", "Levers: LA general fund",
           note="The policy levers' charges to the LA's general fund; LA cells only."),
    _spend("spend_levers_schools_gbp", "Levers: schools' budgets", owner=MAINSTREAM,
           note="The policy levers' charges to mainstream schools' own budgets; LA cells "
                "only."),
    _spend("spend_levers_dfe_gbp", "Levers: DfE",
           note="The policy levers' charges to the DfE's programmes; LA cells only."),
    _spend("spend_levers_health_gbp", "Levers: health services",
           note="The policy levers' charges to health services; LA cells only."),
    _spend("spend_special_capital_gbp", "Capital of new special places", owner=SPECIAL,
           note="`special_place_capital_gbp` for each state special place an LA commissions, "
                "in the month after it does (August); DfE capital. LA cells only."),
)
"""Spend counted per LA x quintile in the month, every payer."""
GENERAL_FUND_SPENDING: tuple[str, ...] = ("spend_transport_gbp", "spend_tribunal_gbp",
                                          "spend_levers_general_fund_gbp")
"""The spend an LA pays from its general fund, not the DSG: home-to-school transport and
defending appeals are council duties funded by council tax and the local government
settlement (DfE high needs operational guide; CIPFA section 251 returns report them
outside the DSG)."""
OUTSIDE_LA_SPENDING: tuple[str, ...] = ("spend_levers_schools_gbp", "spend_levers_dfe_gbp",
                                         "spend_levers_health_gbp",
                                         "spend_special_capital_gbp")
"""SEND spend that the LA does not pay: schools' own budgets, the DfE's programmes and
capital, and health services. Counted in ``send_spend_gbp``, not in the LA's accounts."""
HIGH_NEEDS_SPENDING: tuple[str, ...] = tuple(
    m.name for m in _SPENDING
    if m.name not in GENERAL_FUND_SPENDING + OUTSIDE_LA_SPENDING)
"""The spend paid from the DSG's high-needs block: ``high_needs_spend_gbp``, which the
LA's high-needs accounts and its deficit count."""

REGISTRY: tuple[Measure, ...] = (
    # ---- counted per LA x quintile: stocks at the month
    _counted("pupils", STOCK, "children", "Pupils (Reception to Year 13)", owner=FAMILY,
             short="Pupils", contract=1),
    _counted("sen_support", STOCK, "children", "Children on SEN support", owner=MAINSTREAM,
             short="SEN support", contract=2, compare=27,
             note="Reception to Year 13 (early years: `early_years_sen_support`)."),
    _counted("early_years_children", STOCK, "children", "Children in early years (aged 2-4, "
             "before Reception)", owner=EARLY_YEARS, short="Early years"),
    _counted("early_years_sen_support", STOCK, "children",
             "Children before Reception on SEN support", owner=EARLY_YEARS,
             short="SEN support (early years)"),
    _counted("ehc_plans", STOCK, "children", "Children with EHC plans", owner=LOCAL_AUTHORITY,
             short="EHC plans", contract=3, compare=4, key=True, evaluate=3, equity=1,
             equity_share="ehc_plan_share", note="All ages, up to 25."),
    _counted("ehc_plans_school_age", STOCK, "children", "Children of school age with EHC plans",
             owner=LOCAL_AUTHORITY, short="EHC plans (school age)"),
    _counted("ehc_plans_early_years", STOCK, "children", "Children before Reception with EHC "
             "plans", owner=EARLY_YEARS, short="EHC plans (early years)"),
    _counted("placements_mainstream", STOCK, "children", "Children with plans in mainstream",
             owner=MAINSTREAM, short="Mainstream", contract=4, compare=28),
    _counted("placements_special", STOCK, "children", "Children with plans in special schools",
             owner=SPECIAL, short="Special school", contract=5, compare=29,
             note="Every child in a state special school."),
    _counted("placements_independent", STOCK, "children", "Placed in independent schools",
             owner=INDEPENDENT, short="Independent", contract=6, compare=5, key=True,
             evaluate=4, equity=4, note="Every child in an independent special school."),
    _counted("placements_further_education", STOCK, "children",
             "Children with plans in further education", short="Further education"),
    _counted("placements_home_education", STOCK, "children",
             "Children with plans in home education after a dispute", owner=FAMILY,
             short="Home education (plans)"),
    _counted("awaiting_place", STOCK, "children", "Children waiting for a state special place",
             owner=LOCAL_AUTHORITY, short="Awaiting a place"),
    _counted("assessing", STOCK, "children", "Children being assessed for a plan",
             owner=LOCAL_AUTHORITY, short="Being assessed"),
    _counted("tribunal_backlog", STOCK, "appeals", "Appeals waiting for a hearing",
             owner=TRIBUNAL, short="Tribunal backlog"),
    _counted("complaints_open", STOCK, "complaints", "Complaints awaiting the ombudsman",
             owner=REDRESS, short="Open complaints"),
    _counted("judicial_reviews_open", STOCK, "claims", "Claims for judicial review awaiting "
             "the court", owner=REDRESS, short="Open judicial reviews"),
    _counted("home_educated", STOCK, "children",
             "Children with a need in home education after a dispute", LOWER, owner=FAMILY,
             short="Home educated", compare=35),
    _counted("with_need", STOCK, "children", "Children with a need", owner=FAMILY),
    _counted("with_unmet_need", STOCK, "children",
             "Children before Year 14 whose need is not fully met", LOWER, owner=FAMILY,
             short="Need not fully met", evaluate=12,
             note="Children in early years to Year 13 with a need whose provision falls "
                  "short of it (unmet need above 0). Births fix how many children that age "
                  "there are, whatever a policy does (young people aged 19-25 stay longer "
                  "with a plan), so a policy moves it only through provision: the children "
                  "it helps are the fall in this count."),
    # ---- counted sums behind the means
    _total("need_sum", "need units", "Need of children with a need, summed"),
    _total("unmet_sum", "need units", "Unmet need of children with a need, summed"),
    _total("trust_la_sum", "trust (0–1)", "Trust in the LA of children with a need, summed"),
    _total("trust_school_sum", "trust (0–1)",
           "Trust in the school of children with a need in mainstream school, summed"),
    _total("trust_school_n", "children", "Children with a need in mainstream school",
           owner=MAINSTREAM),
    _total("progress_sum", "SD units", "Progress of children with a need, summed"),
    _total("wellbeing_sum", "wellbeing (0–1)", "Wellbeing of children with a need, summed"),
    *_HEARING_WAITS,
    # ---- counted per LA x quintile: flows in the month
    _counted("assessment_requests", FLOW, "requests", "Assessment requests", owner=FAMILY,
             short="Assessment requests", contract=7, compare=15),
    _counted("school_requests", FLOW, "requests", "Assessment requests made by schools",
             owner=MAINSTREAM, short="School requests",
             note="Before Reception, by early-years settings and health services."),
    _counted("assessment_requests_early_years", FLOW, "requests",
             "Assessment requests for children before Reception", owner=EARLY_YEARS,
             short="Requests (early years)"),
    _counted("repeat_requests", FLOW, "requests",
             "Assessment requests for children who had asked before", owner=FAMILY,
             short="Repeat requests",
             note="Most are families asking again after a refusal, once the wait between "
                  "requests has passed."),
    _counted("repeat_requests_refused", FLOW, "requests",
             "Repeat requests refused assessment", LOWER, owner=LOCAL_AUTHORITY,
             short="Repeat requests refused",
             note="A request is decided in the month it is made, so these are the refusals "
                  "in the month of a repeat request."),
    _counted("assessments_refused", FLOW, "requests", "Assessments refused", LOWER,
             owner=LOCAL_AUTHORITY, short="Requests refused", contract=8, compare=16),
    _counted("plans_refused", FLOW, "children", "Plans refused after an assessment", LOWER,
             owner=LOCAL_AUTHORITY),
    _counted("placements_refused", FLOW, "requests", "Requested placements refused", LOWER,
             owner=LOCAL_AUTHORITY),
    _counted("plans_issued", FLOW, "plans", "Plans issued", owner=LOCAL_AUTHORITY, contract=9,
             compare=17),
    _counted("plans_issued_early_years", FLOW, "plans", "Plans issued to children before "
             "Reception", owner=EARLY_YEARS, short="Plans issued (early years)"),
    _counted("plans_issued_within_20_weeks", FLOW, "plans", "Plans issued within 20 weeks of the "
             "request", HIGHER, owner=LOCAL_AUTHORITY, short="Within 20 weeks", contract=10),
    _counted("mediations", FLOW, "mediations", "Mediations", CONTESTED, owner=TRIBUNAL,
             contract=11, compare=20,
             note="Each is a dispute whose first route is mediation (families mediate only "
                  "after a refusal)."),
    _counted("mediation_agreements", FLOW, "mediations", "Mediations ending in agreement",
             CONTESTED, owner=TRIBUNAL),
    _counted("appeals_registered", FLOW, "appeals", "Appeals registered", CONTESTED,
             owner=FAMILY, contract=12, compare=3, key=True, evaluate=2, equity=2,
             note="Straight after a refusal or after a failed mediation."),
    _counted("appeals_conceded", FLOW, "appeals", "Appeals conceded by the LA", CONTESTED,
             owner=LOCAL_AUTHORITY, short="Conceded", contract=13, compare=22),
    _counted("appeals_withdrawn", FLOW, "appeals", "Appeals withdrawn by the family on advice",
             CONTESTED, owner=FAMILY, short="Withdrawn"),
    *_DISPUTES_BY_KIND,
    _counted("hearings", FLOW, "hearings", "Tribunal hearings", CONTESTED, owner=TRIBUNAL,
             short="Hearings", contract=14, compare=14),
    _counted("hearings_won_by_family", FLOW, "hearings", "Hearings won by the family",
             CONTESTED, owner=TRIBUNAL, short="Won by the family", contract=15, compare=23,
             equity=3),
    *_HEARINGS_BY_KIND,
    _counted("placed_special", FLOW, "children", "Children placed in state special schools",
             owner=SPECIAL),
    _counted("placed_independent", FLOW, "children", "Children placed in independent schools",
             owner=INDEPENDENT),
    _counted("disputes_dropped", FLOW, "disputes", "Disputes the family gave up", CONTESTED,
             owner=FAMILY,
             note="Refusals not contested, disputes left after a failed mediation, unheard "
                  "disputes and appeals lapsed when the tribunal goes."),
    _counted("assessments_completed", FLOW, "assessments", "Assessments completed",
             owner=LOCAL_AUTHORITY),
    _counted("decisions_not_followed", FLOW, "decisions",
             "Tribunal decisions and ombudsman recommendations the LA did not follow", LOWER,
             owner=LOCAL_AUTHORITY),
    _counted("disputes_to_appeal", FLOW, "disputes", "Refusals contested straight at appeal",
             CONTESTED, owner=FAMILY, short="Disputes to appeal",
             note="A dispute whose first route is an appeal."),
    _counted("disputes_unheard", FLOW, "disputes",
             "Refusals contested with no route open to hear them", LOWER, owner=FAMILY,
             short="Unheard disputes", compare=21,
             note="The family decided to contest (it would have mediated or appealed), but "
                  "that route was closed and no other heard it; it then gives up (also in "
                  "`disputes_dropped`)."),
    _counted("disputes_to_redress", FLOW, "disputes",
             "Refusals contested straight by a route beyond the tribunal", CONTESTED,
             owner=FAMILY, short="Disputes beyond the tribunal",
             note="A dispute whose first route is a complaint to the ombudsman, a claim for "
                  "judicial review, paying privately or home education (each also in its "
                  "own count, with those taken after a failed mediation)."),
    _counted("complaints", FLOW, "complaints", "Complaints to the ombudsman", CONTESTED,
             owner=FAMILY, compare=31, equity=6,
             note="After a refusal or a failed mediation, when the family takes no tribunal "
                  "route."),
    _counted("judicial_reviews", FLOW, "claims", "Claims for judicial review", CONTESTED,
             owner=FAMILY, compare=32, equity=7,
             note="Against refusals to assess or to issue a plan where the need is plainly "
                  "over the legal bar."),
    _counted("private_provision", FLOW, "families",
             "Families paying privately for provision after a refusal", CONTESTED,
             owner=FAMILY,
             short="Paying privately", compare=33, equity=8,
             note="An independent assessment and support bought by the family, without a "
                  "plan."),
    _counted("home_education_exits", FLOW, "children",
             "Children taken out of school for home education after a refusal", LOWER,
             owner=FAMILY, short="Left for home education", compare=34, equity=9),
    _counted("redress_upheld", FLOW, "decisions",
             "Complaints upheld by the ombudsman and judicial reviews won", CONTESTED,
             owner=REDRESS, short="Upheld beyond the tribunal",
             note="The remedy follows if the court decided, or if the LA follows the "
                  "ombudsman (`decisions_not_followed` otherwise)."),
    *_SPENDING,
    # ---- derived per LA x quintile
    Measure("high_needs_spend_gbp", FLOW, GBP, "High-needs spend", LOWER, LOCAL_AUTHORITY,
            short="Spend", formula=Total(HIGH_NEEDS_SPENDING), contract=17,
            compare=25, evaluate=6,
            note="Paid from the DSG's high-needs block: every spend measure but the general "
                 "fund's (transport, tribunal costs and levers' charges to it) and what "
                 "schools, the DfE and health services pay."),
    Measure("general_fund_send_spend_gbp", FLOW, GBP, "SEND spend from the LA's general fund",
            LOWER, LOCAL_AUTHORITY, short="General-fund spend",
            formula=Total(GENERAL_FUND_SPENDING),
            note="Home-to-school transport, the cost of defending appeals and the levers' "
                 "charges to the general fund."),
    Measure("send_spend_gbp", FLOW, GBP, "SEND spend, every payer", LOWER, LOCAL_AUTHORITY,
            short="SEND spend", formula=Total(tuple(m.name for m in _SPENDING)), compare=37,
            evaluate=11,
            note="High-needs spend, the general fund's, and what levers charge schools, the "
                 "DfE and health services, with the DfE's capital for new special places."),
    Measure("share_sen_support", SHARE, "share of pupils", "Share of pupils on SEN support",
            owner=MAINSTREAM, formula=Ratio("sen_support", "pupils")),
    Measure("share_ehcp_school_age", SHARE, "share of pupils",
            "Share of pupils with an EHC plan", owner=LOCAL_AUTHORITY,
            formula=Ratio("ehc_plans_school_age", "pupils")),
    Measure("share_plans_issued_early_years", SHARE, "share of plans issued",
            "Share of new plans issued before Reception", owner=EARLY_YEARS,
            short="New plans before Reception",
            formula=Ratio("plans_issued_early_years", "plans_issued", True, True),
            note="Over the last 12 months. SEN2 counts new plans by age at the start of the "
                 "plan: a child before Reception is aged 2-4, a Reception child 4-5."),
    Measure("mean_need", MEAN, "need units per child with a need", "Mean need", owner=FAMILY,
            formula=Ratio("need_sum", "with_need")),
    Measure("mean_unmet_need", MEAN, "need units per child with a need", "Mean unmet need",
            LOWER, FAMILY, formula=Ratio("unmet_sum", "with_need"), contract=20, compare=7,
            key=True, evaluate=7, equity=5),
    Measure("mean_trust_in_la", MEAN, "trust (0–1)", "Mean trust in the LA", HIGHER, FAMILY,
            short="Trust in LA", formula=Ratio("trust_la_sum", "with_need"), contract=21,
            compare=8, key=True, evaluate=8),
    Measure("mean_trust_in_school", MEAN, "trust (0–1)", "Mean trust in the school", HIGHER,
            FAMILY, short="Trust in school", formula=Ratio("trust_school_sum", "trust_school_n"),
            contract=22, compare=9, key=True,
            note="Over children with a need in a mainstream school."),
    Measure("mean_progress", MEAN, "SD units", "Mean progress", HIGHER, FAMILY,
            formula=Ratio("progress_sum", "with_need"), compare=30, evaluate=9),
    Measure("mean_wellbeing", MEAN, "wellbeing (0–1)", "Mean wellbeing", HIGHER, FAMILY,
            formula=Ratio("wellbeing_sum", "with_need")),
    Measure("appeal_rate", RATE, "appeals a year per plan",
            "Appeal rate (appeals a year per EHC plan)", CONTESTED, FAMILY,
            formula=Ratio("appeals_registered", "ehc_plans", yearly_numerator=True),
            compare=24),
    Measure("refusal_share", SHARE, "share of requests",
            "Share of assessment requests refused", LOWER, LOCAL_AUTHORITY, compare=10,
            formula=Ratio("assessments_refused", "assessment_requests", True, True),
            note="A part of the adversarial index."),
    Measure("share_within_20_weeks", SHARE, "share of plans", "Plans issued within 20 weeks",
            HIGHER, LOCAL_AUTHORITY, compare=18,
            formula=Ratio("plans_issued_within_20_weeks", "plans_issued", True, True)),
    Measure("share_hearings_won_by_family", SHARE, "share of hearings",
            "Share of hearings won by the family", CONTESTED, owner=TRIBUNAL,
            formula=Ratio("hearings_won_by_family", "hearings", True, True)),
    *_HEARING_MEANS,
    *_APPEAL_SHARES,
    Measure("disputes_raised", FLOW, "disputes", "Disputes families raised against LA decisions",
            LOWER, FAMILY, short="Disputes raised", compare=19, formula=Total(_DISPUTE_ROUTES),
            note="Counted at the family's decision to contest a refusal, whichever route then "
                 "takes it."),
    Measure("dispute_rate", RATE, _PER_DECISION, "Disputes a year per appealable decision",
            LOWER, FAMILY, short="Dispute rate", formula=PerDecision(_DISPUTE_ROUTES),
            compare=2, key=True,
            note="The conflict part of the adversarial index: the sum of the four "
                 "`dispute_rate_*` routes."),
    Measure("dispute_rate_mediation", RATE, _PER_DECISION,
            "Disputes taken to mediation a year per appealable decision", CONTESTED, FAMILY,
            short="Dispute rate: mediation", formula=PerDecision(("mediations",)), compare=11),
    Measure("dispute_rate_appeal", RATE, _PER_DECISION,
            "Disputes taken straight to appeal a year per appealable decision", CONTESTED,
            FAMILY, short="Dispute rate: appeal", formula=PerDecision(("disputes_to_appeal",)),
            compare=12),
    Measure("dispute_rate_redress", RATE, _PER_DECISION,
            "Disputes taken straight beyond the tribunal a year per appealable decision",
            CONTESTED, FAMILY, short="Dispute rate: beyond the tribunal",
            formula=PerDecision(("disputes_to_redress",)), compare=36,
            note="Complaints to the ombudsman, judicial review, paying privately and home "
                 "education, as a dispute's first route."),
    Measure("dispute_rate_unheard", RATE, _PER_DECISION,
            "Unheard disputes a year per appealable decision", LOWER, FAMILY,
            short="Dispute rate: unheard", formula=PerDecision(("disputes_unheard",)),
            compare=13),
    Measure("share_independent", SHARE, "share of plans",
            "Share of plans placed in independent schools", owner=INDEPENDENT,
            formula=Ratio("placements_independent", "ehc_plans")),
    # 100 is the reference levels (reference_levels()), not the run's own first year.
    Measure("adversarial_index", INDEX, "index (100 = reference levels)",
            "Adversarial index (100 = reference levels)", LOWER, short="Adversarial index",
            formula=Composite(adversarial_index,
                              ("dispute_rate", "refusal_share", "mean_trust_in_la")),
            contract=23, compare=1, key=True, evaluate=1,
            note="The formula is above this table, its reference levels under it."),
    # ---- one value per LA
    Measure("high_needs_allocation_gbp", FLOW, GBP, "High-needs allocation", owner=SYSTEM,
            short="Allocation", scope=LA, contract=16,
            note="This month's 1/12 of the yearly allocation."),
    Measure("schools_block_transfer_gbp", FLOW, GBP,
            "Transfers from the schools block to high needs", owner=LOCAL_AUTHORITY,
            short="Schools-block transfers", scope=LA, compare=38,
            note="This month's 1/12 of the financial year's transfer, agreed in April by the "
                 "schools forum (up to `transfer_forum_cap_share` of the schools block) or the "
                 "Secretary of State (up to `transfer_approval_cap_share`); it comes out of "
                 "the LA's mainstream schools' budgets."),
    Measure("cumulative_deficit_gbp", STOCK, GBP, "Cumulative high-needs deficit", LOWER,
            LOCAL_AUTHORITY, short="Cumulative deficit", scope=LA, contract=18, compare=6,
            key=True, evaluate=5,
            note="High-needs spend less the allocation and the schools-block transfers since "
                 "September 2014. The national value is the sum over LAs, so surpluses "
                 "offset deficits."),
    Measure("las_overspending", STOCK, LAS, "LAs overspending their high-needs budget",
            LOWER, LOCAL_AUTHORITY, short="LAs overspending", scope=LA,
            national="share_las_overspending", across_las="mean",
            note="1 if the LA's high-needs spend so far this financial year exceeds its "
                 "allocation and transfers so far (read in March: the year's outturn); the "
                 "national value is the share of LAs."),
    Measure("las_deficit_over_reserves", STOCK, LAS, "LAs with a deficit over their reserves",
            LOWER, LOCAL_AUTHORITY, short="LAs with deficit over reserves", scope=LA,
            contract=19, compare=26, evaluate=10,
            note="1 if the LA's deficit exceeds its reserves; the national value is a count."),
    Measure("assess_threshold", MEAN, "need units", "LAs' threshold for assessing",
            owner=LOCAL_AUTHORITY, scope=LA, national="mean_assess_threshold",
            across_las="mean", note="The national value is the unweighted mean over LAs."),
    Measure("plan_threshold", MEAN, "need units", "LAs' threshold for issuing a plan",
            owner=LOCAL_AUTHORITY, scope=LA, national="mean_plan_threshold",
            across_las="mean", note="The national value is the unweighted mean over LAs."),
    Measure("special_threshold", MEAN, "need units",
            "LAs' threshold for naming a special setting", owner=LOCAL_AUTHORITY, scope=LA,
            national="mean_special_threshold", across_las="mean",
            note="The national value is the unweighted mean over LAs."),
    Measure("las_at_bar_bound", STOCK, LAS, "LAs with a bar at a bound of its range",
            LOWER, LOCAL_AUTHORITY, short="LAs at a bar bound", scope=LA,
            note="1 if any of the LA's three bars (assess, plan, setting) is at a bound of "
                 "`THRESHOLD_RANGE`; the national value is a count. A bar held by its range, "
                 "not by the LA's reckoning, means the rule has run out of room."),
    Measure("expected_success", MEAN, "share of appeals", "LAs' expected appeal success",
            owner=LOCAL_AUTHORITY, scope=LA, national="mean_expected_success",
            across_las="mean", note="The national value is the unweighted mean over LAs."),
    # ---- national only
    Measure("special_places", STOCK, "places", "State special places", owner=SPECIAL,
            scope=NATIONAL_ONLY),
    Measure("independent_places", STOCK, "places", "Independent special places",
            owner=INDEPENDENT, scope=NATIONAL_ONLY),
    Measure("independent_over_capacity", STOCK, "children",
            "Children on independent rolls beyond their places", owner=INDEPENDENT,
            scope=NATIONAL_ONLY),
    Measure("independent_placed_over_capacity", STOCK, "children",
            "Children ever placed in an independent school over its capacity",
            owner=INDEPENDENT, scope=NATIONAL_ONLY, note="Cumulative."),
    Measure("mean_inclusiveness", MEAN, "inclusiveness (0–1)",
            "Mean inclusiveness of mainstream schools", HIGHER, MAINSTREAM,
            scope=NATIONAL_ONLY),
    Measure("mean_school_support_ratio", MEAN, "share of demand",
            "Mean share of SEN-support demand schools can fund", HIGHER, MAINSTREAM,
            scope=NATIONAL_ONLY),
    Measure("hearing_capacity", FLOW, "hearings", "Tribunal hearing capacity", owner=TRIBUNAL,
            scope=NATIONAL_ONLY),
    Measure("months_to_hearing", MEAN, "months", "Months to a hearing", LOWER, TRIBUNAL,
            scope=NATIONAL_ONLY, note="The backlog over the hearing capacity."),
    Measure("leavers", FLOW, "children", "Young people leaving the system", owner=FAMILY,
            scope=NATIONAL_ONLY, note="Non-zero only in September."),
    Measure("leavers_neet", FLOW, "children",
            "Leavers not in education, employment or training", LOWER, FAMILY,
            scope=NATIONAL_ONLY, evaluate=13, note="Non-zero only in September."),
)
"""Every measure, in counting-slot and panel order."""


POSITIONS = ("contract", "compare", "evaluate", "equity")
"""The fields of :class:`Measure` that place a measure in an ordered output."""


def _positions(field: str, registry: tuple[Measure, ...]) -> tuple[Measure, ...]:
    """The measures with a position in ``field``, in that order; the positions must run
    1, 2, ... without gaps or repeats."""
    placed = sorted((m for m in registry if getattr(m, field)), key=lambda m: getattr(m, field))
    numbers = [getattr(m, field) for m in placed]
    if numbers != list(range(1, len(placed) + 1)):
        raise ValueError(f"measure registry: '{field}' positions must run 1..{len(placed)} "
                         f"without gaps or repeats, got {numbers}")
    return tuple(placed)


def check_registry(registry: tuple[Measure, ...]) -> None:
    """Raise ValueError (one line) naming the first inconsistency of ``registry``."""
    names = [m.name for m in registry] + [m.national for m in registry if m.national]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ValueError(f"measure registry: '{duplicate}' is declared twice")
    counted = {m.name for m in registry if m.counted}
    derived_before: set[str] = set()
    for m in registry:
        problems = [
            (m.kind not in KINDS, f"kind '{m.kind}' is not one of {KINDS}"),
            (m.direction not in DIRECTIONS,
             f"direction '{m.direction}' is not lower/higher/contested/None"),
            (m.owner not in OWNERS, f"owner '{m.owner}' is not one of {OWNERS}"),
            (m.scope not in SCOPES, f"scope '{m.scope}' is not one of {SCOPES}"),
            (not m.label, "has no label"),
            ((m.kind == TOTAL) != (m.scope == INTERNAL), "kind total goes with scope internal"),
            (m.scope == CELL and not m.counted and m.formula is None,
             "is neither counted nor derived"),
            (m.across_las not in ("sum", "mean"), "across_las must be 'sum' or 'mean'"),
            (bool(m.compare or m.evaluate or m.equity) and m.reducer is None,
             "is an outcome without a reducer"),
            (bool(m.equity) and not m.in_panel, "is an equity outcome but not in the panel"),
            (m.key and not m.compare, "is a key outcome but not a compare outcome"),
        ]
        # derive() reads ratios from the counted totals, and sums and composites from the
        # measures it has already derived (those declared earlier).
        usable = counted if isinstance(m.formula, (Ratio, PerDecision)) else derived_before
        needs = () if m.formula is None else m.formula.needs()
        problems += [(n not in usable, f"formula uses '{n}', which is not "
                      + ("a counted measure" if usable is counted else "derived before it"))
                     for n in needs]
        problem = next((text for bad, text in problems if bad), None)
        if problem:
            raise ValueError(f"measure registry: '{m.name}' {problem}")
        if m.scope == CELL:
            derived_before.add(m.name)
    for field in POSITIONS:
        _positions(field, registry)
    keys = [m.key for m in _positions("compare", registry)]
    if keys != sorted(keys, reverse=True):
        raise ValueError("measure registry: key outcomes must come first in 'compare'")


check_registry(REGISTRY)

MEASURES: dict[str, Measure] = {m.name: m for m in REGISTRY}
"""Measure by name."""
_BY_NATIONAL_NAME = {m.national: m for m in REGISTRY if m.national}

SLOTS: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.counted)
"""Counted totals per LA and family-resources quintile, in slot order."""
SLOT: dict[str, int] = {name: k for k, name in enumerate(SLOTS)}

NATIONAL_ORDER: tuple[str, ...] = tuple(m.national_name for m in _positions("contract", REGISTRY))
"""The measures the results contract requires first in national.csv, in order."""
NATIONAL: tuple[str, ...] = NATIONAL_ORDER + tuple(
    m.national_name for m in REGISTRY if m.national_name and not m.contract)
"""Every column of national.csv after ``date``, in order."""
PANEL: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.in_panel)
"""Every measure of panel.parquet, in order."""

COMPARE_OUTCOMES: tuple[Measure, ...] = _positions("compare", REGISTRY)
"""National outcomes of comparisons, in table order (key outcomes first)."""
KEY_OUTCOMES: tuple[str, ...] = tuple(m.name for m in COMPARE_OUTCOMES if m.key)
"""Headline outcomes of comparisons, in order."""
EQUITY_OUTCOMES: tuple[Measure, ...] = _positions("equity", REGISTRY)
"""Panel measures compared by family-resources quintile, in order."""
EVALUATE_OUTCOMES: tuple[Measure, ...] = _positions("evaluate", REGISTRY)
"""Outcomes of :func:`sendabm.experiments.evaluate.evaluate`, in order."""

SPEND: tuple[str, ...] = MEASURES["high_needs_spend_gbp"].formula.parts
"""The spend categories the LAs' high-needs accounts count, which add up to
``high_needs_spend_gbp`` (:data:`HIGH_NEEDS_SPENDING`)."""

_DERIVED = tuple(m for m in REGISTRY if m.scope == CELL)


def measure(name: str) -> Measure:
    """The measure of a panel or national name (e.g. ``mean_assess_threshold``).

    Raises:
        KeyError: ``name`` is not a registered measure.
    """
    found = MEASURES.get(name) or _BY_NATIONAL_NAME.get(name)
    if found is None:
        raise KeyError(f"'{name}' is not a registered measure (sendabm.core.measures)")
    return found


def derive(totals: np.ndarray, last_year: np.ndarray, scale: float) -> dict[str, np.ndarray]:
    """Measures from totals: every measure of scope :data:`CELL`, in registry order.

    Args:
        totals: This month's totals, shape (len(SLOTS), ...).
        last_year: Totals summed over the last 12 months (same shape), for the rates.
        scale: Share of England modelled; counts and money are divided by it.

    Returns:
        Measure name -> array of the trailing shape of ``totals``.
    """
    month = {name: totals[k] for k, name in enumerate(SLOTS)}
    year = {name: last_year[k] for k, name in enumerate(SLOTS)}
    out: dict[str, np.ndarray] = {}
    for m in _DERIVED:
        f = m.formula
        if f is None:
            out[m.name] = month[m.name] / scale
        elif isinstance(f, Ratio):
            out[m.name] = _ratio((year if f.yearly_numerator else month)[f.numerator],
                                 (year if f.yearly_denominator else month)[f.denominator])
        elif isinstance(f, PerDecision):
            out[m.name] = _ratio(sum(year[flow] for flow in f.flows),
                                 appealable_decisions(month, year))
        elif isinstance(f, Total):
            out[m.name] = sum(out[part] for part in f.parts)
        else:
            out[m.name] = f.function(*(out[name] for name in f.inputs))
    return out


__all__ = ["Measure", "REGISTRY", "MEASURES", "measure", "derive", "adversarial_index",
           "reference_levels", "appealable_decisions",
           "SLOTS", "SLOT", "NATIONAL_ORDER", "NATIONAL", "PANEL", "COMPARE_OUTCOMES",
           "KEY_OUTCOMES", "EQUITY_OUTCOMES", "EVALUATE_OUTCOMES", "SPEND",
           "GENERAL_FUND_SPENDING", "HIGH_NEEDS_SPENDING", "OUTSIDE_LA_SPENDING"]
