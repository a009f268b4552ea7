"""SendModel: England's SEND system as a ``mesa.Model``.

The model owns the family columns, the institutions' arrays and their ``mesa.Agent``
views, the calendar and the measures. :meth:`SendModel.step` runs one month in the
order DESIGN §2 gives (and ``docs/ODD.md`` documents).
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from pathlib import Path
from typing import Any

import mesa
import numba
import numpy as np

from sendabm.core import calendar, exogenous, policies, rng
from sendabm.core import states as S
from sendabm.core.actors.family import Family
from sendabm.core.actors.independent import IndependentProvider, IndependentProviders
from sendabm.core.actors.local_authority import LocalAuthorities, LocalAuthority
from sendabm.core.actors.schools import (
    PRIMARY_SIZE,
    SECONDARY_SIZE,
    SPECIAL_SIZE,
    MainstreamSchool,
    MainstreamSchools,
    SpecialSchool,
    SpecialSchools,
)
from sendabm.core.actors.tribunal import Tribunal
from sendabm.core.areas import Areas, load_areas, synthetic_england
from sendabm.core.backends import BACKENDS
from sendabm.core.kernels import cases as case_kernels
from sendabm.core.kernels.aggregate import LA_MEASURES, M, partial_sums
from sendabm.core.kernels.family_month import FamilyWorld, busy_rows, merge_sorted
from sendabm.core.kernels.onset_schedule import OnsetSchedule
from sendabm.core.measures import NATIONAL_ORDER, derive
from sendabm.core.parameters import as_vector
from sendabm.core.population import allocate, free_rows
from sendabm.core.scenario import Scenario, default_scenario, load_scenario

ENGINES = tuple(BACKENDS)
INIT_SLICE = 1_000_000
"""Children set up at a time (bounds the set-up's temporary memory)."""
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
        seed: Random seed; overrides the scenario's.
        scale: Share of England modelled, 0.001-1.0; overrides the scenario's.
        end: Last simulated month 'YYYY-MM'; overrides the scenario's.
        areas: An :class:`~sendabm.core.areas.Areas`, a path to a CSV/GraphML areas file, or
            None for the 152 English LAs.
        engine: "numba" (kernels over all families) or "python" (every phase by the
            Python reference, family by family, for testing; slow). See
            :mod:`sendabm.core.backends`.
        threads: Numba threads to use (None leaves numba's setting alone).
        **parameters: Parameter overrides by name (see :mod:`sendabm.core.parameters`).
    """

    def __init__(self, scenario: Scenario | str | os.PathLike | None = None,
                 seed: int | None = None, scale: float | None = None, end: str | None = None,
                 areas: Areas | str | os.PathLike | None = None, engine: str = "numba",
                 threads: int | None = None, **parameters: Any):
        scen = _resolve_scenario(scenario).with_overrides(
            run={"seed": seed, "scale": scale, "end": end}, parameters=parameters or None)
        super().__init__(seed=int(scen.run["seed"]))
        if engine not in ENGINES:
            raise ValueError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")
        if threads is not None:
            numba.set_num_threads(int(threads))
        self.scenario = scen
        self.engine = engine
        self.params = dict(scen.parameters)
        self.p = as_vector(self.params)
        self.seed_value = int(scen.run["seed"])
        self.key = rng.seed_key(self.seed_value)
        self.scale = float(scen.run["scale"])
        self.tick = calendar.tick_of(scen.run["start"])
        self.end_tick = calendar.tick_of(scen.run["end"])
        self.override_end_tick = calendar.tick_of(self.params["statutory_override_end"])
        if isinstance(areas, Areas):
            self.areas = areas
        else:
            self.areas = synthetic_england() if areas is None else load_areas(Path(areas))
        self.national: dict[str, list[float]] = {}
        self.panel: dict[str, list[np.ndarray]] = {}
        self.dates: list = []
        self.current: dict[str, float] = {}
        self._year_totals: deque = deque(maxlen=12)
        self._family_views: dict[int, Family] = {}
        self._september_counts = {"leavers": 0.0, "leavers_neet": 0.0}
        self._clock = PhaseClock()
        self.backend = BACKENDS[engine](self.key, self.family)
        self.base_p = self.p
        self._apply_policies()
        self._setup()
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in NATIONAL_ORDER})
        self.running = self.tick <= self.end_tick

    # ------------------------------------------------------------------ set-up --
    def _setup(self) -> None:
        p, areas = self.p, self.areas
        n_la = areas.n
        factor = exogenous.pupils(calendar.date_of(self.tick).year) / areas.pupils.sum()
        la_pupils = np.round(self.scale * areas.pupils * factor).astype(np.int64)
        self.la_sample_pupils = la_pupils
        reserves = p.reserves_gbp_per_pupil * la_pupils
        self.las = LocalAuthorities(n_la, p, la_pupils, reserves, areas.neighbours_csr())
        la, year = _cohort_layout(la_pupils)
        n = la.size
        self.next_uid = n
        self.families = allocate(max(16, int(n * HEADROOM)))
        # In slices, so the set-up's temporary arrays stay small at full scale.
        for first in range(0, n, INIT_SLICE):
            rows = np.arange(first, min(n, first + INIT_SLICE))
            self.backend.init_rows(self.families, rows, la[rows], year[rows],
                                   rows.astype(np.int32), self.tick, p, self.key,
                                   self.las.plan_threshold, self.las.special_threshold,
                                   initial=True)
        self._build_onset_multipliers()
        self.backend.schedule_onsets(self.families, np.arange(n, dtype=np.int64), self.tick,
                                     self.key, self._onset_multipliers, p)
        self._onsets = OnsetSchedule(self.families.onset_tick, self.tick)
        self._build_schools(la, year)
        self._build_special(n_la)
        self._build_providers(n_la)
        self.tribunal = Tribunal(self, p.hearings_per_month_per_million_pupils
                                 * la_pupils.sum() / 1e6)
        self.intake_carry = np.zeros(n_la)
        self._set_allocation()
        self.la_agents = [LocalAuthority(self, k, name) for k, name in enumerate(areas.names)]
        self.school_agents = [MainstreamSchool(self, k) for k in range(self.schools.n)]
        self.special_agents = [SpecialSchool(self, k) for k in range(self.special.n)]
        self.provider_agents = [IndependentProvider(self, k) for k in range(self.providers.n)]
        self._count_static()
        self._partials = partial_sums(n_la, self.schools.n, self.special.n, self.providers.n)
        self._busy = busy_rows(self.families)
        self._count(self._busy)
        self.schools.update_month(self._last_school_totals, p, p.trust_initial)

    def _build_schools(self, la: np.ndarray, year: np.ndarray) -> None:
        n_la = self.areas.n
        primary = np.bincount(la[year <= 6], minlength=n_la)
        secondary = np.bincount(la[year >= 7], minlength=n_la)
        n_primary = np.maximum(1, np.round(primary / PRIMARY_SIZE)).astype(np.int64)
        n_secondary = np.maximum(1, np.round(secondary / SECONDARY_SIZE)).astype(np.int64)
        school_la = np.repeat(np.repeat(np.arange(n_la), 2), np.ravel(
            np.column_stack([n_primary, n_secondary])))
        phase = np.concatenate([np.r_[np.zeros(a, np.int8), np.ones(b, np.int8)]
                                for a, b in zip(n_primary, n_secondary, strict=True)])
        ids = np.arange(school_la.size, dtype=np.int64)
        u = rng.uniforms(self.key, rng.SCHOOL_INIT, ids, 0)
        inclusiveness = np.clip(self.p.inclusiveness_initial + 0.3 * (u - 0.5), 0.05, 1.0)
        self.schools = MainstreamSchools(school_la, phase, inclusiveness)
        fam = self.families
        rows = np.flatnonzero(fam.active)
        self._assign_schools(rows)

    def _assign_schools(self, rows: np.ndarray) -> None:
        for first in range(0, rows.size, INIT_SLICE):
            self._assign_schools_slice(rows[first:first + INIT_SLICE])

    def _assign_schools_slice(self, rows: np.ndarray) -> None:
        self.backend.assign_schools(self.families, rows, self.schools, self.key, self.tick)

    def _build_special(self, n_la: int) -> None:
        fam = self.families
        special_rows = np.flatnonzero(fam.active & (fam.setting == S.SPECIAL))
        la_of = fam.la[special_rows].astype(np.int64)
        placed = np.bincount(la_of, minlength=n_la)
        n_schools = np.maximum(1, np.round(placed / SPECIAL_SIZE)).astype(np.int64)
        school_la = np.repeat(np.arange(n_la), n_schools)
        places_la = np.maximum(1, np.ceil(placed * (1 + self.p.special_vacancy_initial)))
        first = np.concatenate([[0], np.cumsum(n_schools)[:-1]])
        k = np.arange(school_la.size) - first[school_la]
        places = (places_la[school_la] // n_schools[school_la]
                  + (k < places_la[school_la] % n_schools[school_la]))
        self.special = SpecialSchools(school_la, places)
        rank = np.zeros(special_rows.size, dtype=np.int64)
        order = np.argsort(la_of, kind="stable")
        starts = np.concatenate([[0], np.cumsum(placed)[:-1]])
        rank[order] = np.arange(special_rows.size) - starts[la_of[order]]
        fam.provider[special_rows] = first[la_of] + rank % n_schools[la_of]

    def _build_providers(self, n_la: int) -> None:
        p, fam = self.p, self.families
        n = max(9, int(round(p.providers_per_million_pupils * self.la_sample_pupils.sum() / 1e6)))
        ids = np.arange(n, dtype=np.int64)
        weights = np.cumsum(self.la_sample_pupils) / self.la_sample_pupils.sum()
        home = np.searchsorted(weights, rng.uniforms(self.key, rng.PROVIDER_INIT, ids, 0),
                               side="right")
        home = np.minimum(home, n_la - 1)
        rows = np.flatnonzero(fam.active & (fam.setting == S.INDEPENDENT))
        places = np.full(n, int(math.ceil(rows.size * 1.1 / n)) + 1, dtype=np.int64)
        fee_draw = rng.uniforms(self.key, rng.PROVIDER_INIT + rng.NORMAL_OFFSET, ids, 0)
        fee = p.independent_fee_gbp * (0.8 + 0.4 * fee_draw)
        self.providers = IndependentProviders(home, places, fee)
        self.providers.build_catchments(self.areas.graph)
        for row in rows:
            la = fam.la[row]
            order = self.providers.la_idx[self.providers.la_ptr[la]:self.providers.la_ptr[la + 1]]
            free = order[self.providers.roll[order] < self.providers.places[order]]
            v = free[0] if free.size else order[0]
            self.providers.roll[v] += 1
            fam.provider[row] = v

    def _cohort_pupils(self) -> float:
        return float(self.areas.pupils.sum())

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
        """Advance one month. The phases, in order (DESIGN §2, docs/ODD.md):

        1. Calendar: in September children move up a year, transfer at Year 7 and at
           16, leave after Year 13 (or with a plan, by 25) and a new Reception cohort
           arrives; in April the financial year starts and high-needs allocations
           arrive.
        2. Needs emerge by age (with the identification trend), drift, worsen when
           unmet and sometimes resolve (family kernel).
        3. Schools identify SEN support and provide within their notional SEN budget,
           workforce and inclusiveness (family kernel).
        4. Families appraise provision, update trust in school and LA (with their
           peers) and request an EHC needs assessment or a special setting; after a
           refusal they choose mediation, appeal or giving up (family kernel).
        5. LAs decide: agree or refuse to assess, assess within EP capacity, issue or
           refuse a plan and name a setting.
        6. Disputes: mediation outcomes; LAs concede weak defences; the tribunal hears
           appeals within its capacity and decides on the merits.
        7. Market and places: children awaiting a place enter a special school or an
           independent provider.
        8. Outcomes: progress and wellbeing follow met need (applied in the counting kernel's pass).
        9. Money and measures: spend by category against allocation, deficits; the
           month's national and per-LA measures are recorded.
        10. Adaptation: in August schools adapt inclusiveness, parents update the
            appeal success they expect, providers expand and set fees, LAs commission
            special places and the tribunal's capacity changes; in March LAs adjust
            gatekeeping and legal stance.
        """
        if self.tick > self.end_tick:
            raise RuntimeError(f"the run ended in {calendar.label(self.end_tick)}; to simulate "
                               "further, start a model with a later end")
        clock = self._clock
        clock.start()
        self._apply_policies()
        if calendar.is_september(self.tick) and self.tick > 0:
            self._new_school_year()
        if calendar.is_april(self.tick):
            self._set_allocation()
        clock.lap("calendar")
        busy = self._families_month()
        clock.lap("family_kernel")
        self.backend.decide_cases(self.families, self._cases, self._case_world(), self.p)
        clock.lap("institutions")
        # Outcomes are applied in the counting pass (one pass over the busy rows).
        totals = self._count(busy, outcomes=True)
        clock.lap("counting_kernel")
        self._account_and_record(totals)
        clock.lap("money_and_measures")
        if calendar.month_of(self.tick) == 8:
            self._adapt_school_year()
        if calendar.month_of(self.tick) == 3:
            self.las.adapt_year(self.p, self.tick >= self.override_end_tick,
                                pull=self.effects.threshold_pull,
                                target=self.effects.threshold_target)
        clock.lap("adaptation")
        self.datacollector.collect(self)
        clock.lap("data_collection")
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
    def _new_school_year(self) -> None:
        p = self.p
        self._september_counts = self.backend.age_and_transfer(
            self.families, p, self.key, self.tick, self.schools,
            neet_logit_shift=self.effects.neet_logit_shift)
        self._intake()
        self._open_commissioned_places()
        self.schools.funding_factor *= 1.0 + p.school_funding_real_growth_per_year
        self._count_static()
        self._onsets.rebuild(self.families.onset_tick, self.tick)

    def _intake(self) -> None:
        year = calendar.date_of(self.tick).year
        expected = (self.scale * self.areas.pupils * exogenous.pupils(year)
                    / self._cohort_pupils() / S.SCHOOL_YEARS) + self.intake_carry
        n_la = np.floor(expected).astype(np.int64)
        self.intake_carry = expected - n_la
        total = int(n_la.sum())
        self.families, rows = free_rows(self.families, total)
        la = np.repeat(np.arange(self.areas.n), n_la)
        uid = np.arange(self.next_uid, self.next_uid + total, dtype=np.int32)
        self.next_uid += total
        self.backend.init_rows(self.families, rows, la, np.zeros(total, np.int8), uid,
                               self.tick, self.p, self.key, self.las.plan_threshold,
                               self.las.special_threshold, initial=False)
        self.backend.schedule_onsets(self.families, rows.astype(np.int64), self.tick, self.key,
                                     self._onset_multipliers, self.p)
        self._assign_schools(rows)
        # Children who arrive with a need are busy from their first month.
        arriving = rows[self.families.need[rows] > 0].astype(np.int32)
        self._busy = merge_sorted(self._busy.astype(np.int32), arriving)

    def _apply_policies(self) -> None:
        """This month's parameters and switches from the policies in force."""
        self.effects = policies.effects(self.scenario.policies, self.tick, self.params)
        if self.scenario.policies:
            self.p = as_vector(self.effects.parameters)
            self.override_end_tick = calendar.tick_of(
                self.effects.parameters["statutory_override_end"])

    def _onset_multiplier(self) -> float:
        return float(self._onset_multipliers[self.tick])

    def _build_onset_multipliers(self) -> None:
        """Identification trend factor of each month, computed once (Python floats)."""
        trend = self.p.prevalence_trend_per_year
        # Only the run's months: onsets are scheduled up to its end and no later (a
        # child whose need would emerge after the run keeps NEVER), which spares the
        # intakes of later years drawing months that are never simulated.
        months = self.end_tick + 1
        self._onset_multipliers = np.array([(1.0 + trend) ** (t / 12.0) for t in range(months)])

    def family_world(self) -> FamilyWorld:
        """The institution-level inputs families see this month."""
        return FamilyWorld(
            key=self.key, tick=np.int64(self.tick), onset_multiplier=self._onset_multiplier(),
            school_support_ratio=self.schools.support_ratio,
            school_inclusiveness=self.schools.inclusiveness,
            school_mean_trust=self.schools.mean_trust,
            special_quality=self.special.quality() * self.effects.special_quality_factor,
            la_mean_trust=self.las.mean_trust,
            la_expected_success=self.las.expected_success,
            appeals_open=self.effects.appeals_open, mediation_open=self.effects.mediation_open,
            core_offer_units=self.effects.core_offer_units,
            fe_support_units=self.effects.fe_support_units,
            onset_multipliers=self._onset_multipliers)

    def _families_month(self) -> np.ndarray:
        """Phases 2-4; returns the busy rows (need, case or event this month) and
        keeps those with an open case in ``_cases``."""
        self._busy, self._cases, rescheduled = self.backend.families_month(
            self.families, self.family_world(), self.p, self._busy, self._onsets.take(self.tick))
        self._onsets.add(rescheduled, self.families.onset_tick)
        return self._busy

    def _case_world(self) -> case_kernels.CaseWorld:
        las, special, providers = self.las, self.special, self.providers
        return case_kernels.CaseWorld(
            key=self.key, tick=np.int64(self.tick), assess_threshold=las.assess_threshold,
            plan_threshold=las.plan_threshold + self.effects.plan_threshold_add,
            special_threshold=las.special_threshold,
            concede=las.concede, assess_capacity=las.assess_capacity(self.p),
            special_places=special.places, special_roll=special.roll,
            la_special_ptr=special.la_ptr, la_special_idx=special.la_idx,
            provider_places=providers.places, provider_roll=providers.roll,
            provider_over=providers.over, provider_referrals=providers.referrals,
            la_provider_ptr=providers.la_ptr, la_provider_idx=providers.la_idx,
            hearing_capacity=self.tribunal.capacity() * self.effects.hearing_capacity_factor,
            appeals_open=self.effects.appeals_open, mediation_open=self.effects.mediation_open,
            wait_before_independent=np.int64(self.p.wait_before_independent),
            binding=self.effects.binding, compliance=self.effects.compliance,
            independent_orders=self.effects.independent_orders, school_roll=self._school_roll)

    def cost_factor(self) -> float:
        """Nominal unit costs relative to September 2014."""
        return (1.0 + self.p.cost_inflation_per_year) ** (self.tick / 12.0)

    def _count_static(self) -> None:
        """Pupils, school rolls and specialist rolls, counted from every child (they
        change in September and on placements)."""
        pupils, school_roll, special_roll, provider_roll = self.backend.count_static(
            self.families, self._sizes())
        self._static_pupils, self._school_roll = pupils, school_roll
        self.special.roll[:] = special_roll
        self.providers.roll[:] = provider_roll

    def _count(self, busy: np.ndarray, outcomes: bool = False):
        """Count the busy rows (phase 9); with ``outcomes``, apply phase 8 to each row
        first in the same pass."""
        p, inflate = self.p, self.cost_factor()
        money = ((p.special_place_funding_gbp + p.special_topup_gbp) * inflate,
                 p.transport_gbp * inflate, p.tribunal_cost_gbp * inflate,
                 p.notional_threshold_gbp / 10_000.0, inflate)
        la_tot, school_tot, special_roll, provider_roll = self.backend.count(
            self.families, busy, p, self._sizes(), money, self.providers.fee, outcomes,
            partials=self._partials)
        la_tot[M["pupils"]] = self._static_pupils
        school_tot[0] = self._school_roll
        la_tot[M["spend_other_high_needs_gbp"], :, 0] = (
            p.other_high_needs_gbp_per_pupil * inflate * la_tot[M["pupils"], :, 0] / 12.0)
        # The core offer is paid by the LA for every child with a need in mainstream.
        la_tot[M["spend_core_offer_gbp"], :, 0] = (
            self.effects.core_offer_paid_units * 10_000.0 * inflate
            * la_tot[M["trust_school_n"], :, 0] / 12.0)
        self.special.roll[:] = special_roll
        self.providers.roll[:] = provider_roll
        self._last_school_totals = school_tot
        return la_tot

    def _sizes(self) -> tuple[int, int, int, int]:
        """Numbers of LAs, mainstream schools, special schools and independent providers."""
        return self.areas.n, self.schools.n, self.special.n, self.providers.n

    def _set_allocation(self) -> None:
        fy = calendar.financial_year(self.tick)
        national = exogenous.high_needs_allocation(fy)
        growth = self.effects.allocation_growth_per_year
        if growth:
            years = (self.tick - self.effects.allocation_growth_start) / 12.0
            national *= (1.0 + growth) ** max(0.0, years)
        self.las.allocation_year_gbp = national * self.scale * self.areas.share()

    def _account_and_record(self, la_tot: np.ndarray) -> None:
        p, las = self.p, self.las
        spend_keys = [M[k] for k in LA_MEASURES if k.startswith("spend_")]
        las.account_month(la_tot[spend_keys, :, 0].sum(axis=0))
        las.record_disputes(
            appeals=la_tot[M["hearings"], :, 0] + la_tot[M["appeals_conceded"], :, 0],
            wins=(la_tot[M["hearings_won_by_family"], :, 0] + la_tot[M["appeals_conceded"], :, 0]
                  - la_tot[M["decisions_not_followed"], :, 0]),
            hearings=la_tot[M["hearings"], :, 0],
            lost_by_la=la_tot[M["hearings_won_by_family"], :, 0],
            conceded=la_tot[M["appeals_conceded"], :, 0])
        with np.errstate(divide="ignore", invalid="ignore"):
            n_need = la_tot[M["with_need"], :, 0]
            las.mean_trust = np.where(n_need > 0, la_tot[M["trust_la_sum"], :, 0] / n_need,
                                      p.trust_initial)
        self.schools.update_month(self._last_school_totals, p, p.trust_initial)
        self.tribunal.backlog = float(la_tot[M["tribunal_backlog"], :, 0].sum())
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
            "cumulative_deficit_gbp": las.deficit_gbp / self.scale,
            "las_deficit_over_reserves": over,
            "assess_threshold": las.assess_threshold,
            "expected_success": las.expected_success,
        }
        for name, value in la_level.items():
            cell = np.full((n_la, 6), np.nan)
            cell[:, 0] = value
            panel[name] = cell
            national[name] = value.sum() if name not in ("assess_threshold", "expected_success") \
                else value.mean()
        national["mean_assess_threshold"] = national.pop("assess_threshold")
        national["mean_expected_success"] = national.pop("expected_success")

    def _add_institutions(self, national: dict) -> None:
        scale = self.scale
        national["special_places"] = self.special.places.sum() / scale
        national["independent_places"] = self.providers.places.sum() / scale
        beyond = np.maximum(0, self.providers.roll - self.providers.places)
        national["independent_over_capacity"] = beyond.sum() / scale
        national["independent_placed_over_capacity"] = self.providers.over.sum() / scale
        national["mean_inclusiveness"] = float(self.schools.inclusiveness.mean())
        national["mean_school_support_ratio"] = float(self.schools.support_ratio.mean())
        capacity = self.tribunal.capacity() * self.effects.hearing_capacity_factor
        national["hearing_capacity"] = capacity / scale
        national["months_to_hearing"] = self.tribunal.backlog / capacity if capacity > 0 else 0.0
        sept = calendar.is_september(self.tick) and self.tick > 0
        for name in ("leavers", "leavers_neet"):
            national[name] = self._september_counts[name] / scale if sept else 0.0

    def _adapt_school_year(self) -> None:
        p = self.p
        self.schools.adapt_year(p, incentive=self.effects.inclusion_incentive_per_year)
        self.las.learn_success(p)
        self.providers.adapt_year(p, fee_cut=self.effects.fee_cut_per_year)
        self.tribunal.adapt_year(p.tribunal_capacity_growth_per_year)
        fam = self.families
        queue = np.bincount(fam.la[(fam.active == 1) & (fam.stage == S.ASSESSING)],
                            minlength=self.areas.n)
        self.las.adapt_capacity(p, queue)
        self._commission_places()

    def _commission_places(self) -> None:
        p = self.p
        fam = self.families
        waiting = np.bincount(fam.la[(fam.active == 1) & (fam.stage == S.AWAITING_PLACE)],
                              minlength=self.areas.n)
        last_year = np.sum(np.stack(self._year_totals), axis=0)
        independent_year = last_year[M["placed_independent"], :, 0]
        demand = waiting + independent_year
        places = np.floor(p.commissioning_share * demand).astype(np.int64)
        lag = max(0, int(p.commissioning_lag_years) - self.effects.commissioning_lag_cut)
        opens = self.tick + 1 + lag * 12
        self.las.pipeline.append((opens, places))

    def _open_commissioned_places(self) -> None:
        due = [entry for entry in self.las.pipeline if entry[0] <= self.tick]
        self.las.pipeline = [entry for entry in self.las.pipeline if entry[0] > self.tick]
        for _, places in due:
            for la in np.flatnonzero(places):
                self.special.add_places(int(la), int(places[la]))


class PhaseClock:
    """Wall time spent in each phase of :meth:`SendModel.step`, seconds (for profiling)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = 0.0

    def start(self) -> None:
        """Start timing a month."""
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Charge the time since the last lap to ``phase``."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now


def _reporter(name: str):
    return lambda model: model.current.get(name, float("nan"))


def _cohort_layout(la_pupils: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LA and year group of each starting child: each LA's pupils spread evenly over
    Reception to Year 13 (earlier years get the remainder)."""
    n_la = la_pupils.size
    base, extra = la_pupils // S.SCHOOL_YEARS, la_pupils % S.SCHOOL_YEARS
    counts = base[:, None] + (np.arange(S.SCHOOL_YEARS)[None, :] < extra[:, None])
    la = np.repeat(np.repeat(np.arange(n_la), S.SCHOOL_YEARS), counts.ravel())
    year = np.repeat(np.tile(np.arange(S.SCHOOL_YEARS), n_la), counts.ravel()).astype(np.int8)
    return la.astype(np.int16), year
