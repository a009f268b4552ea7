"""SendModel: England's SEND system as a ``mesa.Model``.

The model is the orchestrator. Its set-up asks each actor module
(:mod:`sendabm.core.actors`) to build its state; :meth:`SendModel.step` runs the
month's phases as :data:`sendabm.core.phases.PHASES` declares them (ODD §3,
``docs/ODD.md`` §3); and it records the month's measures.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from pathlib import Path
from typing import Any

import mesa
import numba
import numpy as np

from sendabm.core import backends, calendar, cohorts, exogenous, policies, rng, starting_state
from sendabm.core import dispositions as dispositions_mod
from sendabm.core import snapshot as snapshot_mod
from sendabm.core import states as S
from sendabm.core.actors.family import Family, FamilyWorld
from sendabm.core.actors.independent import IndependentProvider, IndependentProviders
from sendabm.core.actors.local_authority import LocalAuthorities, LocalAuthority
from sendabm.core.actors.mainstream import MainstreamSchool, MainstreamSchools
from sendabm.core.actors.special import SpecialSchool, SpecialSchools
from sendabm.core.actors.tribunal import Tribunal
from sendabm.core.areas import Areas, load_areas, synthetic_england
from sendabm.core.backends import backend_of
from sendabm.core.dispositions import DECISION_FIELDS, FIELDS, Dispositions
from sendabm.core.kernels import cases as case_kernels
from sendabm.core.kernels.aggregate import M, partial_sums
from sendabm.core.kernels.family_month import busy_rows, merge_sorted
from sendabm.core.kernels.onset_schedule import OnsetSchedule
from sendabm.core.measures import (
    DECISION_KINDS,
    MEASURES,
    NATIONAL_ORDER,
    REFUSALS_BY_KIND,
    SPEND,
    derive,
)
from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.parameters import as_vector
from sendabm.core.phases import PHASES, PhaseClock
from sendabm.core.population import allocate
from sendabm.core.scenario import Scenario, default_scenario, load_scenario


def _batch_run_iteration() -> tuple[int, int | None] | None:
    """(iteration, iterations or None) when Mesa's ``batch_run`` is building this model.

    Mesa 3's ``batch_run`` calls the model class with the same keywords in every
    iteration and tells it nothing else, so the iteration is read from the frame of its
    run function, and the number of iterations from ``batch_run``'s own frame where it is
    on the stack (not in its worker processes). ``tests/test_outside_tools.py`` pins this
    against the installed Mesa.
    """
    runner = sys.modules.get("mesa.batchrunner")
    run_code = getattr(getattr(runner, "_model_run_func", None), "__code__", None)
    batch_code = getattr(getattr(runner, "batch_run", None), "__code__", None)
    iteration = iterations = None
    frame = sys._getframe(1)
    while frame is not None and run_code is not None:
        if frame.f_code is run_code:
            iteration = frame.f_locals.get("iteration")
        elif frame.f_code is batch_code:
            iterations = frame.f_locals.get("iterations")
        frame = frame.f_back
    if not isinstance(iteration, int):
        return None
    return iteration, iterations if isinstance(iterations, int) else None


def batch_run_seed(scenario_seed: int, seed: int | None, iteration: int,
                   iterations: int | None) -> int:
    """The seed of ``iteration`` of Mesa's ``batch_run``: the scenario's seed plus the
    iteration when no seed is given (as ``sendabm compare`` numbers its replications).

    Raises:
        ValueError: A seed is given and there is more than one iteration, which would
            repeat the same run (one line saying how to give replicates).
    """
    if seed is None:
        if scenario_seed + iteration > rng.SEED_MAX:
            raise ValueError(f"batch_run iteration {iteration} would run seed "
                             f"{scenario_seed} + {iteration}, above 2**64 - 1; give a "
                             "smaller scenario seed")
        return scenario_seed + iteration
    if iteration > 0 or (iterations or 1) > 1:
        raise ValueError(
            f"mesa.batch_run gives its iterations no seed of their own, so every iteration "
            f"would repeat seed {seed}; give the seeds as a list with iterations=1 "
            "(parameters={'seed': [1, 2, 3]}), or give no seed and iteration i runs the "
            "scenario's seed + i")
    return seed


HEADROOM = 1.2
"""Rows preallocated per starting child (room for post-19 plans and growth; the columns
grow if ever needed)."""


def _resolve_scenario(scenario: Scenario | str | os.PathLike | None) -> Scenario:
    if scenario is None:
        return default_scenario()
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


class SendModel(mesa.Model):
    """Agent-based model of the SEND system in England's 152 local areas.

    Args:
        scenario: A :class:`~sendabm.core.scenario.Scenario`, a path to a scenario TOML file,
            or None for the historical baseline.
        seed: Random seed; overrides the scenario's. Built by Mesa's ``batch_run``,
            iteration i without a seed runs the scenario's seed + i, and a seed with more
            than one iteration is refused (:func:`batch_run_seed`).
        scale: Share of England modelled, 0.001-1.0; overrides the scenario's.
        end: Last simulated month 'YYYY-MM'; overrides the scenario's.
        areas: An :class:`~sendabm.core.areas.Areas`, a path to a CSV/GraphML areas file, or
            None for the 152 English LAs.
        engine: "numba" (kernels over all families) or "python" (every phase by the
            Python reference, family by family, for testing; slow). See
            :mod:`sendabm.core.backends`.
        threads: Numba threads to use (None leaves numba's setting alone).
        dispositions: Each LA's standing practice (:mod:`sendabm.core.dispositions`);
            None for the fitted table the package ships. Areas not in it get the
            national practice.
        snapshot: Continue from this snapshot instead of setting up (use
            :meth:`from_snapshot`, which checks the scenario has the snapshot's past).
        **parameters: Parameter overrides by name (see :mod:`sendabm.core.parameters`).
    """

    def __init__(self, scenario: Scenario | str | os.PathLike | None = None,
                 seed: int | None = None, scale: float | None = None, end: str | None = None,
                 areas: Areas | str | os.PathLike | None = None, engine: str = "numba",
                 threads: int | None = None, dispositions: Dispositions | None = None,
                 snapshot: snapshot_mod.Snapshot | None = None, **parameters: Any):
        backends.check_fork_safe()
        base = _resolve_scenario(scenario)
        batch = _batch_run_iteration() if snapshot is None else None
        if batch is not None:
            seed = batch_run_seed(int(base.run["seed"]), seed, *batch)
        scen = base.with_overrides(
            run={"seed": seed, "scale": scale, "end": end}, parameters=parameters or None)
        super().__init__(seed=int(scen.run["seed"]))
        if threads is not None:
            numba.set_num_threads(int(threads))
        self.scenario = scen
        self.engine = engine
        self.params = dict(scen.parameters)
        self.p = as_vector(self.params)
        self.seed_value = int(scen.run["seed"])
        self.key = rng.seed_key(self.seed_value)
        self.backend = backend_of(engine, self.key, self.family)
        self.scale = float(scen.run["scale"])
        self.tick = calendar.tick_of(scen.run["start"])
        self.end_tick = calendar.tick_of(scen.run["end"])
        self.override_end_tick = calendar.tick_of(self.params["statutory_override_end"])
        if isinstance(areas, Areas):
            self.areas = areas
        else:
            self.areas = synthetic_england() if areas is None else load_areas(Path(areas))
        self.dispositions = dispositions_mod.packaged() if dispositions is None else dispositions
        self.national: dict[str, list[float]] = {}
        self.panel: dict[str, list[np.ndarray]] = {}
        self.dates: list = []
        self.current: dict[str, float] = {}
        self._year_totals: deque = deque(maxlen=12)
        self._family_views: dict[int, Family] = {}
        self._september_counts = {"leavers": 0.0, "leavers_neet": 0.0}
        self._clock = PhaseClock()
        self.base_p = self.p
        self._apply_policies()
        self.datacollector = mesa.DataCollector(
            model_reporters={"date": _month, "seed": _seed,
                             **{name: _reporter(name) for name in NATIONAL_ORDER}})
        with backends.KERNEL_LOCK:
            if snapshot is None:
                self._setup()
            else:
                snapshot_mod.restore(self, snapshot)
        self.running = self.tick <= self.end_tick

    # ------------------------------------------------------------------ set-up --
    def _starting_bars(self, offsets: np.ndarray) -> starting_state.StartingBars:
        """The bars that place the starting children, with each LA's weighted
        ``start_plans`` correction (a column of ``offsets``, :data:`FIELDS`;
        :mod:`sendabm.core.starting_state`)."""
        areas = self.areas
        start = offsets[:, FIELDS.index("start_plans")]
        return starting_state.starting_bars(self.p, areas.codes, areas.pupils,
                                            self.p.la_disposition_weight * start)

    def _setup(self) -> None:
        p, areas = self.p, self.areas
        n_la = areas.n
        factor = exogenous.pupils(calendar.date_of(self.tick).year) / areas.pupils.sum()
        la_pupils = np.round(self.scale * areas.pupils * factor).astype(np.int64)
        self.la_sample_pupils = la_pupils
        offsets = self.dispositions.for_codes(areas.codes)
        self.las = LocalAuthorities.build(p, la_pupils, areas.neighbours_csr(),
                                          offsets[:, :len(DECISION_FIELDS)],
                                          self.dispositions.yearly_for_codes(areas.codes),
                                          self.dispositions.years)
        # The children before Reception: the cohorts that start Reception in the next
        # years, sized as their intakes would have been.
        start = calendar.date_of(self.tick).year
        early_years = np.column_stack([np.floor(self._cohort(start - y)) for y in
                                       range(S.FIRST_YEAR, 0)]).astype(np.int64)
        la, year = cohorts.starting_layout(la_pupils, early_years)
        n = la.size
        self.next_uid = n
        self.families = allocate(max(16, int(n * HEADROOM)))
        # The starting stock is back-cast from each LA's record; its decisions from now on
        # follow its own thresholds (sendabm.core.starting_state).
        cohorts.init_population(self.families, la, year, self.tick, p, self.key,
                                self._starting_bars(offsets),
                                init_rows=self.backend.init_rows)
        # Only the run's months: onsets are scheduled up to its end and no later.
        self.las.set_transfers(self.families, self.tick)
        self._onset_multipliers = cohorts.onset_multipliers(
            p.prevalence_trend_per_year, self.end_tick + 1, p.prevalence_trend_decay_per_year)
        self.backend.schedule_onsets(self.families, np.arange(n, dtype=np.int64), self.tick,
                                     self.key, self._onset_multipliers, p)
        self._onsets = OnsetSchedule(self.families.onset_tick, self.tick)
        self.schools = MainstreamSchools.build(la, year, n_la, p, self.key)
        self.schools.assign(self.families, np.flatnonzero(self.families.active), self.key,
                            self.tick)
        self.special = SpecialSchools.build(self.families, n_la, p)
        self.providers = IndependentProviders.build(self.families, la_pupils, areas.graph, p,
                                                    self.key)
        self.tribunal = Tribunal.build(self, p, la_pupils.sum())
        self.intake_carry = np.zeros(n_la)
        self._set_allocation()
        self._build_views()
        self._count_static()
        self._busy = busy_rows(self.families)
        self._count(self._busy)
        self.schools.update_month(self._last_school_totals, p, p.trust_initial)

    # --------------------------------------------------------------- snapshots --
    def snapshot(self) -> snapshot_mod.Snapshot:
        """The model's whole state now, between two months (:mod:`sendabm.core.snapshot`):
        continue it with :meth:`from_snapshot`. The model is not changed."""
        return snapshot_mod.take(self)

    @classmethod
    def from_snapshot(cls, snapshot: snapshot_mod.Snapshot,
                      scenario: Scenario | str | os.PathLike | None = None,
                      areas: Areas | str | os.PathLike | None = None, engine: str | None = None,
                      threads: int | None = None,
                      dispositions: Dispositions | None = None) -> SendModel:
        """A model continuing ``snapshot`` from its month under ``scenario``.

        Running it to the end gives results identical bit for bit to running
        ``scenario`` from the start.

        Args:
            snapshot: A :class:`~sendabm.core.snapshot.Snapshot` (from :meth:`snapshot`
                or :func:`sendabm.experiments.snapshots.load_snapshot`).
            scenario: The scenario to continue under; default the snapshot's. It must
                have the snapshot's past: the same run settings and parameters, and the
                same policies among those starting before the snapshot month (later
                ones may be added, changed or removed).
            areas: The areas the snapshot was taken with (default the 152 English LAs).
            engine: Default the snapshot's.
            threads: Numba threads to use (None leaves numba's setting alone).
            dispositions: The dispositions the snapshot was taken with (default the
                packaged ones).

        Raises:
            SnapshotError: ``scenario`` (or the areas, dispositions or engine) differs
                from the snapshot's before its month (one line naming the difference).
        """
        scen = snapshot.scenario if scenario is None else _resolve_scenario(scenario)
        engine = snapshot.manifest["engine"] if engine is None else engine
        if not isinstance(areas, Areas):
            areas = synthetic_england() if areas is None else load_areas(Path(areas))
        dispositions = dispositions_mod.packaged() if dispositions is None else dispositions
        problem = snapshot_mod.past_difference(snapshot, scen, engine, areas, dispositions)
        if problem:
            raise snapshot_mod.SnapshotError(f"cannot continue the {snapshot.month} snapshot: "
                                             f"{problem}")
        return cls(scen, areas=areas, engine=engine, threads=threads,
                   dispositions=dispositions, snapshot=snapshot)

    def _build_views(self) -> None:
        """The Mesa views of the LAs, schools and providers, and the counting kernel's
        buffers, over the actors' state (at set-up, or on restoring a snapshot)."""
        self.la_agents = [LocalAuthority(self, k, name)
                          for k, name in enumerate(self.areas.names)]
        self.school_agents = [MainstreamSchool(self, k) for k in range(self.schools.n)]
        self.special_agents = [SpecialSchool(self, k) for k in range(self.special.n)]
        self.provider_agents = [IndependentProvider(self, k) for k in range(self.providers.n)]
        self._partials = partial_sums(self.areas.n, self.schools.n, self.special.n,
                                      self.providers.n)

    # ------------------------------------------------------------------- views --
    def family(self, row: int) -> Family:
        """The :class:`Family` view of ``row`` (created once, then reused)."""
        view = self._family_views.get(int(row))
        if view is None:
            view = self._family_views[int(row)] = Family(self, int(row))
        return view

    @property
    def phase_seconds(self) -> dict[str, float]:
        """Wall time spent so far in each phase of :meth:`step`, seconds."""
        return dict(self._clock.seconds)

    @property
    def date(self):
        """First day of the month being simulated."""
        return calendar.date_of(self.tick)

    # -------------------------------------------------------------------- step --
    def step(self) -> None:
        """Advance one month: run :data:`~sendabm.core.phases.PHASES` in order, timing each
        by its name (:attr:`phase_seconds`)."""
        if self.tick > self.end_tick:
            raise RuntimeError(f"the run ended in {calendar.label(self.end_tick)}; to simulate "
                               "further, start a model with a later end")
        clock = self._clock
        with backends.KERNEL_LOCK:
            clock.start()
            for phase in PHASES:
                getattr(self, phase.method)()
                clock.lap(phase.name)
        self.tick += 1
        self.running = self.tick <= self.end_tick

    def run(self, progress=None) -> None:
        """Step until the scenario's end month.

        Args:
            progress: Optional callable invoked after each month with the model.
        """
        while self.running:
            self.step()
            if progress is not None:
                progress(self)

    # ------------------------------------------------------------ the phases --
    def _calendar(self) -> None:
        """This month's policies; each LA's yearly practice (January, September), the
        school year in September, the allocation in April."""
        self._apply_policies()
        self.las.enter_month(calendar.month_of(self.tick), calendar.date_of(self.tick).year)
        if calendar.is_september(self.tick) and self.tick > 0:
            self._new_school_year()
        if calendar.is_april(self.tick):
            self._set_allocation()

    def _decide_cases(self) -> None:
        """LA decisions, assessments, mediation, appeals and placements, case by case."""
        self.backend.decide_cases(self.families, self._cases, self._case_world(), self.p)

    def _count_month(self) -> None:
        """Count the busy rows, applying each row's outcomes first in the same pass."""
        self._totals = self._count(self._busy, outcomes=True)

    def _money_and_measures(self) -> None:
        self._account_and_record(self._totals)

    def _adapt(self) -> None:
        """The yearly adaptation: August for most actors, March for LA gatekeeping."""
        if calendar.month_of(self.tick) == 8:
            self._adapt_school_year()
        if calendar.month_of(self.tick) == 3:
            self.las.adapt_year(self.p, self.tick >= self.override_end_tick,
                                pull=self.effects.threshold_pull,
                                target=self.effects.threshold_target,
                                from_current=self.effects.threshold_from_current)

    def _collect(self) -> None:
        self.datacollector.collect(self)

    def _new_school_year(self) -> None:
        p = self.p
        self._september_counts = self.backend.age_and_transfer(
            self.families, p, self.key, self.tick, self.schools, self.las.special_threshold,
            neet_logit_shift=self.effects.neet_logit_shift)
        self._intake()
        self.las.open_commissioned_places(self.special, self.tick)
        self.schools.funding_factor *= 1.0 + p.school_funding_real_growth_per_year
        self._count_static()
        self._onsets.rebuild(self.families.onset_tick, self.tick)

    def _intake(self) -> None:
        """September's cohort of two-year-olds, in early years: each LA's share of a school
        year of the pupils of the year they will start Reception (the fractions carried
        to next year), with their onsets."""
        year = calendar.date_of(self.tick).year + S.EARLY_YEARS_GROUPS
        expected = self._cohort(year) + self.intake_carry
        n_la = np.floor(expected).astype(np.int64)
        self.intake_carry = expected - n_la
        self.families, rows = cohorts.intake(self.families, n_la, self.next_uid, self.tick,
                                             self.p, self.key, self.las.plan_threshold,
                                             self.las.special_threshold,
                                             init_rows=self.backend.init_rows)
        self.next_uid += rows.size
        self.backend.schedule_onsets(self.families, rows.astype(np.int64), self.tick,
                                     self.key, self._onset_multipliers, self.p)
        # The cohort is in early years: its schools are given at the move into Reception.
        # Children who arrive with a need are busy from their first month.
        arriving = rows[self.families.need[rows] > 0].astype(np.int32)
        self._busy = merge_sorted(self._busy.astype(np.int32), arriving)

    def _cohort(self, school_year: int) -> np.ndarray:
        """Each LA's expected children (sample scale, fractional) in the Reception cohort
        of ``school_year``: its share of a school year of that year's pupils."""
        return (self.scale * self.areas.pupils * exogenous.pupils(school_year)
                / float(self.areas.pupils.sum()) / S.SCHOOL_YEARS)

    def _apply_policies(self) -> None:
        """This month's parameters and switches from the policies in force."""
        self.effects = policies.effects(self.scenario.policies, self.tick, self.params)
        if self.scenario.policies:
            self.p = as_vector(self.effects.parameters)
            self.override_end_tick = calendar.tick_of(
                self.effects.parameters["statutory_override_end"])

    def family_world(self) -> FamilyWorld:
        """The institution-level inputs families see this month."""
        return FamilyWorld(
            key=self.key, tick=np.int64(self.tick),
            onset_multiplier=float(self._onset_multipliers[self.tick]),
            school_support_ratio=self.schools.support_ratio,
            school_inclusiveness=self.schools.inclusiveness,
            school_mean_trust=self.schools.mean_trust,
            special_quality=self.special.quality() * self.effects.special_quality_factor,
            la_mean_trust=self.las.mean_trust,
            la_expected_success=self.las.expected_success,
            la_appeal_shift=self.las.appeal_shift, la_request_shift=self.las.request_shift,
            appeals_open=self.effects.appeals_open, mediation_open=self.effects.mediation_open,
            core_offer_units=self.effects.core_offer_units,
            fe_support_units=self.effects.fe_support_units,
            onset_multipliers=self._onset_multipliers,
            request_factor=exogenous.request_factor(self.tick, self.p))

    def _families_month(self) -> None:
        """Phases 2-4 over the busy rows; keeps the new busy rows (need, case or event this
        month) and those with an open case in ``_cases``."""
        self._busy, self._cases, rescheduled = self.backend.families_month(
            self.families, self.family_world(), self.p, self._busy, self._onsets.take(self.tick))
        self._onsets.add(rescheduled, self.families.onset_tick)

    def _case_world(self) -> case_kernels.CaseWorld:
        las, special, providers = self.las, self.special, self.providers
        return case_kernels.CaseWorld(
            key=self.key, tick=np.int64(self.tick), assess_threshold=las.assess_bar,
            plan_threshold=las.plan_threshold + self.effects.plan_threshold_add,
            special_threshold=las.special_threshold,
            la_loss_belief=las.loss_belief,
            assess_capacity=las.assess_capacity(self.p, self.tick),
            special_places=special.places, special_roll=special.roll,
            la_special_ptr=special.la_ptr, la_special_idx=special.la_idx,
            provider_places=providers.places, provider_roll=providers.roll,
            provider_over=providers.over, provider_referrals=providers.referrals,
            la_provider_ptr=providers.la_ptr, la_provider_idx=providers.la_idx,
            hearing_capacity=self.tribunal.capacity(self.effects.hearing_capacity_factor),
            appeals_open=self.effects.appeals_open, mediation_open=self.effects.mediation_open,
            wait_before_independent=las.wait_before_independent,
            binding=self.effects.binding, compliance=self.effects.compliance,
            independent_orders=self.effects.independent_orders, school_roll=self._school_roll,
            la_expected_success=las.expected_success, la_appeal_shift=las.appeal_shift)

    def cost_factor(self) -> float:
        """Nominal unit costs relative to September 2014."""
        return (1.0 + self.p.cost_inflation_per_year) ** (self.tick / 12.0)

    def _count_static(self) -> None:
        """Pupils, children in early years, school rolls and specialist rolls, counted
        from every child (they change in September and on placements)."""
        pupils, school_roll, special_roll, provider_roll, early_years = (
            self.backend.count_static(self.families, self._sizes()))
        self._static_pupils, self._school_roll = pupils, school_roll
        self._static_early_years = early_years
        self.special.roll[:] = special_roll
        self.providers.roll[:] = provider_roll

    def _count(self, busy: np.ndarray, outcomes: bool = False):
        """Count the busy rows (phase 9); with ``outcomes``, apply phase 8 to each row
        first in the same pass."""
        p, inflate = self.p, self.cost_factor()
        money = ((p.special_place_funding_gbp + p.special_topup_gbp) * inflate,
                 p.transport_gbp * inflate, p.tribunal_cost_gbp * inflate,
                 p.notional_threshold_gbp / NEED_UNIT_GBP, inflate)
        la_tot, school_tot, special_roll, provider_roll = self.backend.count(
            self.families, busy, p, self._sizes(), money, self.providers.fee, outcomes,
            partials=self._partials)
        la_tot[M["pupils"]] = self._static_pupils
        la_tot[M["early_years_children"]] = self._static_early_years
        # A plan before Reception costs the high-needs block what it pays the setting.
        la_tot[M["spend_early_years_gbp"]] = (p.early_years_plan_cost_gbp * inflate
                                              * la_tot[M["ehc_plans_early_years"]] / 12.0)
        school_tot[0] = self._school_roll
        la_tot[M["spend_other_high_needs_gbp"], :, 0] = (
            p.other_high_needs_gbp_per_pupil * inflate * la_tot[M["pupils"], :, 0] / 12.0)
        # New special places' capital is the DfE's, due when the LA commissions them.
        la_tot[M["spend_special_capital_gbp"], :, 0] = (
            p.special_place_capital_gbp * inflate * self.las.take_commissioned())
        self._charge_levers(la_tot, inflate)
        self.special.roll[:] = special_roll
        self.providers.roll[:] = provider_roll
        self._last_school_totals = school_tot
        return la_tot

    def _charge_levers(self, la_tot: np.ndarray, inflate: float) -> None:
        """Charge each lever in force to its payer, per LA (``policies.Charge``)."""
        factor = inflate * self.p.lever_cost_factor
        for payer, base, gbp in self.effects.charges:
            measure, _, stock = policies.BASES[base]
            units = la_tot[M[measure], :, 0] / (12.0 if stock else 1.0)
            la_tot[M[f"spend_levers_{payer}_gbp"], :, 0] += gbp * factor * units

    def _sizes(self) -> tuple[int, int, int, int]:
        """Numbers of LAs, mainstream schools, special schools and independent providers."""
        return self.areas.n, self.schools.n, self.special.n, self.providers.n

    def _set_allocation(self) -> None:
        """April: each LA's high-needs allocation for the financial year, and the transfer
        from its schools block its schools forum (or the Secretary of State) agrees, which
        comes out of its mainstream schools' budgets: the second loop."""
        effects, p, schools, n_la = self.effects, self.p, self.schools, self.areas.n
        self.las.set_allocation(self.tick, self.scale, self.areas.share(),
                                effects.allocation_growth_per_year,
                                effects.allocation_growth_start)
        block = (schools.rolls_by_la(n_la) * p.schools_block_gbp_per_pupil
                 * self.cost_factor() * schools.funding_factor)
        transfer = self.las.propose_transfers(p, block, schools.forum_agreement(p, n_la))
        with np.errstate(divide="ignore", invalid="ignore"):
            schools.take_transfers(p, np.where(block > 0, transfer / block, 0.0))

    def _account_and_record(self, la_tot: np.ndarray) -> None:
        p, las = self.p, self.las
        las.account_month(la_tot[[M[k] for k in SPEND], :, 0].sum(axis=0))
        las.record_disputes(
            appeals=la_tot[M["hearings"], :, 0] + la_tot[M["appeals_conceded"], :, 0],
            wins=(la_tot[M["hearings_won_by_family"], :, 0] + la_tot[M["appeals_conceded"], :, 0]
                  - la_tot[M["decisions_not_followed"], :, 0]),
            hearings=la_tot[[M[f"hearings_{k}"] for k in DECISION_KINDS], :, 0],
            lost_by_la=la_tot[[M[f"hearings_won_by_family_{k}"] for k in DECISION_KINDS], :, 0],
            conceded=la_tot[M["appeals_conceded"], :, 0],
            refusals=la_tot[[M[k] for k in REFUSALS_BY_KIND], :, 0],
            appeals_by_kind=la_tot[[M[f"appeals_{k}"] for k in DECISION_KINDS], :, 0],
            reversals=la_tot[[M[f"reversals_{k}"] for k in DECISION_KINDS], :, 0])
        with np.errstate(divide="ignore", invalid="ignore"):
            n_need = la_tot[M["with_need"], :, 0]
            las.mean_trust = np.where(n_need > 0, la_tot[M["trust_la_sum"], :, 0] / n_need,
                                      p.trust_initial)
        self.schools.update_month(self._last_school_totals, p, p.trust_initial)
        self.tribunal.record_month(float(la_tot[M["tribunal_backlog"], :, 0].sum()))
        self._year_totals.append(la_tot)
        # Until a year has passed, the 12-month flows are annualised from the months seen.
        last_year = np.sum(np.stack(self._year_totals), axis=0) * (12.0 / len(self._year_totals))
        panel = derive(la_tot, last_year, self.scale)
        national = derive(la_tot[:, :, 0].sum(axis=1), last_year[:, :, 0].sum(axis=1), self.scale)
        self._add_la_money(panel, national)
        self._add_institutions(national)
        self.current = {k: float(v) for k, v in national.items()}
        self.dates.append(self.date)
        for name, value in self.current.items():
            self.national.setdefault(name, []).append(value)
        for name, value in panel.items():
            self.panel.setdefault(name, []).append(np.asarray(value, dtype=np.float64))

    def _add_la_money(self, panel: dict, national: dict) -> None:
        las, n_la = self.las, self.areas.n
        over = (las.deficit_gbp > las.reserves_gbp).astype(np.float64)
        la_level = {
            "high_needs_allocation_gbp": las.allocation_year_gbp / 12.0 / self.scale,
            "schools_block_transfer_gbp": las.transfer_year_gbp / 12.0 / self.scale,
            "cumulative_deficit_gbp": las.deficit_gbp / self.scale,
            "las_overspending": las.overspending().astype(np.float64),
            "las_deficit_over_reserves": over,
            "assess_threshold": las.assess_bar,
            "plan_threshold": las.plan_threshold,
            "special_threshold": las.special_threshold,
            "las_at_bar_bound": las.at_bar_bound().astype(np.float64),
            "expected_success": las.expected_success,
        }
        for name, value in la_level.items():
            cell = np.full((n_la, 6), np.nan)
            cell[:, 0] = value
            panel[name] = cell
            # The registry says how each LA measure adds up to England, and its name there.
            m = MEASURES[name]
            national[m.national_name] = value.mean() if m.across_las == "mean" else value.sum()

    def _add_institutions(self, national: dict) -> None:
        scale = self.scale
        national["special_places"] = self.special.places.sum() / scale
        national["independent_places"] = self.providers.places.sum() / scale
        beyond = np.maximum(0, self.providers.roll - self.providers.places)
        national["independent_over_capacity"] = beyond.sum() / scale
        national["independent_placed_over_capacity"] = self.providers.over.sum() / scale
        national["mean_inclusiveness"] = float(self.schools.inclusiveness.mean())
        national["mean_school_support_ratio"] = float(self.schools.support_ratio.mean())
        factor = self.effects.hearing_capacity_factor
        national["hearing_capacity"] = self.tribunal.capacity(factor) / scale
        national["months_to_hearing"] = self.tribunal.months_to_hearing(factor)
        sept = calendar.is_september(self.tick) and self.tick > 0
        for name in ("leavers", "leavers_neet"):
            national[name] = self._september_counts[name] / scale if sept else 0.0

    def _adapt_school_year(self) -> None:
        """August: each actor's yearly adaptation, in the order of docs/ODD.md §3."""
        p, effects = self.p, self.effects
        self.schools.adapt_year(p, incentive=effects.inclusion_incentive_per_year)
        self.las.learn_success(p)
        self.providers.adapt_year(p, fee_cut=effects.fee_cut_per_year,
                                  fee_cut_years=effects.fee_cut_years)
        self.tribunal.adapt_year(p, effects.hearing_capacity_factor)
        placed_independent = np.sum(np.stack(self._year_totals), axis=0)[
            M["placed_independent"], :, 0]
        self.las.adapt_school_year(p, self.families, placed_independent,
                                   self.special.places_by_la(self.las.n), self.tick,
                                   effects.commissioning_lag_cut)


def _reporter(name: str):
    return lambda model: model.current.get(name, float("nan"))


def _month(model: SendModel):
    """The DataCollector's date: the first day of the month just recorded."""
    return model.dates[-1]


def _seed(model: SendModel) -> int:
    """The DataCollector's seed: the run's, so ``batch_run`` rows record it."""
    return model.seed_value
