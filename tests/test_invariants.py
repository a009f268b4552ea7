"""Conservation invariants (:mod:`sendabm.core.invariants`) hold every month, and each check
can fail: a corrupted model is caught, with the invariant and the offender named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendabm.core import invariants
from sendabm.core import states as S
from sendabm.core.model import SendModel


def test_invariants_hold_every_month_for_30_months():
    model = SendModel(seed=1, scale=0.002, end="2017-02")
    invariants.check(model)  # before the first step: state only
    full_special_months = 0
    while model.running:
        model.step()
        invariants.check(model)
        full_special_months += int(np.sum(model.special.roll >= model.special.places))
    months = {day.isoformat()[:7] for day in model.dates}
    assert len(model.dates) == 30
    assert {"2015-04", "2015-09", "2016-04", "2016-09"} <= months  # two Aprils, two Septembers
    # The checks were exercised, not vacuous: capacity bound somewhere, money flowed,
    # children joined and left.
    assert full_special_months > 0
    assert min(model.national["high_needs_spend_gbp"]) > 0
    assert model.next_uid > model.families.active.sum()


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       scale=st.sampled_from([0.001, 0.0015, 0.002, 0.003]))
def test_invariants_hold_for_any_seed_and_scale(seed, scale):
    model = SendModel(seed=seed, scale=scale, end="2015-09")  # 13 months
    while model.running:
        model.step()
        invariants.check(model)
    assert len(model.dates) == 13


# ------------------------------------------------------- each check can fail --


@pytest.fixture(scope="module")
def stepped():
    model = SendModel(seed=2, scale=0.002, end="2015-08")
    for _ in range(4):
        model.step()
    invariants.check(model)
    return model


def _rows(model, mask=None):
    fam = model.families
    active = fam.active == 1
    return np.flatnonzero(active if mask is None else active & mask)


def _set_column(mp, model, name, row, value):
    column = getattr(model.families, name).copy()
    column[row] = value
    mp.setattr(model, "families", model.families._replace(**{name: column}))


def _last_panel(mp, model, name, la, factor):
    cells = list(model.panel[name])
    cells[-1] = cells[-1].copy()
    cells[-1][la, 0] *= factor
    mp.setitem(model.panel, name, cells)


def _series(mp, model, name, month, delta):
    values = list(model.national[name])
    values[month] += delta
    mp.setitem(model.national, name, values)


def duplicate_uid(m, mp):
    rows = _rows(m)
    _set_column(mp, m, "uid", rows[1], m.families.uid[rows[0]])


def drop_child(m, mp):
    _set_column(mp, m, "active", _rows(m)[10], 0)


def bad_setting_code(m, mp):
    _set_column(mp, m, "setting", _rows(m)[3], 9)


def special_child_without_school(m, mp):
    _set_column(mp, m, "provider", _rows(m, m.families.setting == S.SPECIAL)[0], -1)


def special_child_without_plan(m, mp):
    _set_column(mp, m, "sen", _rows(m, m.families.setting == S.SPECIAL)[0], S.SEN_SUPPORT)


def special_school_over_capacity(m, mp):
    places = m.special.places.copy()
    k = int(np.flatnonzero(m.special.roll > 0)[0])
    places[k] = m.special.roll[k] - 1
    mp.setattr(m.special, "places", places)


def provider_over_capacity_unrecorded(m, mp):
    v = int(np.flatnonzero(m.providers.roll > 0)[0])
    places, over = m.providers.places.copy(), m.providers.over.copy()
    places[v], over[v] = m.providers.roll[v] - 1, 0
    mp.setattr(m.providers, "places", places)
    mp.setattr(m.providers, "over", over)


def roll_out_of_step(m, mp):
    roll = m.special.roll.copy()
    roll[0] += 1
    mp.setattr(m.special, "roll", roll)


def national_spend_category_off(m, mp):
    _series(mp, m, "spend_special_gbp", -1, 1e6)


def la_spend_not_sum_of_categories(m, mp):
    _last_panel(mp, m, "high_needs_spend_gbp", 3, 1.5)


def allocation_off_the_books(m, mp):
    books = m.las.cumulative_allocation_gbp.copy()
    books[7] += 1000.0
    mp.setattr(m.las, "cumulative_allocation_gbp", books)


def national_deficit_drift(m, mp):
    _series(mp, m, "cumulative_deficit_gbp", 0, 1e6)


CORRUPTIONS = [
    (duplicate_uid, invariants.COUNTED_ONCE, "held by two active rows"),
    (drop_child, invariants.COUNTED_ONCE, "active rows"),
    (bad_setting_code, invariants.COUNTED_ONCE, "setting = 9"),
    (special_child_without_school, invariants.COUNTED_ONCE, "special school but its index"),
    (special_child_without_plan, invariants.COUNTED_ONCE, "without an EHC plan"),
    (special_school_over_capacity, invariants.CAPACITY, "places"),
    (provider_over_capacity_unrecorded, invariants.CAPACITY, "recorded over capacity"),
    (roll_out_of_step, invariants.CAPACITY, "children are placed there"),
    (national_spend_category_off, invariants.SPEND_SUM, "categories"),
    (la_spend_not_sum_of_categories, invariants.SPEND_SUM, "LA 3 "),
    (allocation_off_the_books, invariants.DEFICIT, "LA 7 "),
    (national_deficit_drift, invariants.DEFICIT, "running sum"),
]


@pytest.mark.parametrize("corrupt, invariant, detail", CORRUPTIONS,
                         ids=[c[0].__name__ for c in CORRUPTIONS])
def test_corruption_is_caught(stepped, monkeypatch, corrupt, invariant, detail):
    corrupt(stepped, monkeypatch)
    with pytest.raises(AssertionError) as caught:
        invariants.check(stepped)
    message = str(caught.value)
    assert invariant in message
    assert stepped.dates[-1].isoformat()[:7] in message
    assert detail in message
