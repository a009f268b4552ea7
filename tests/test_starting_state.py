"""Each LA's starting state, back-cast from its record (sendabm.core.starting_state)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from sendabm.core import la_record, starting_state
from sendabm.core import states as S
from sendabm.core.areas import synthetic_england
from sendabm.core.model import SendModel
from sendabm.core.parameters import as_vector, defaults


@pytest.fixture(scope="module")
def england():
    return synthetic_england()


@pytest.fixture(scope="module")
def start():
    """A model at set-up (scale 0.02) and each LA's starting pupils (and post-19 young
    people, none at the start), their plans and placements."""
    model = SendModel(scale=0.02, seed=3)
    fam, n = model.families, model.areas.n
    # The pupils: the bars are solved for them (the children before Reception are drawn
    # against the same bars with their own prevalence, and hold few plans).
    active = (fam.active == 1) & (fam.year >= 0)
    plan = active & (fam.sen == S.EHCP)
    special = plan & np.isin(fam.setting, (S.SPECIAL, S.INDEPENDENT))
    counts = {name: np.bincount(fam.la[rows], minlength=n)
              for name, rows in (("pupils", active), ("plans", plan), ("special", special))}
    return model, counts


def test_positions_persist_in_the_record(england):
    # The back-cast keeps each LA's 2019 position: the record shows it persists.
    assert starting_state.persistence(england.codes, england.pupils) > 0.7


def test_england_starts_at_its_plan_share(start):
    model, counts = start
    share = counts["plans"].sum() / counts["pupils"].sum()
    assert share == pytest.approx(model.p.initial_plan_share, rel=0.05)


def test_each_la_starts_near_its_2019_position(start):
    model, counts = start
    record, ours, record_special, our_special = [], [], [], []
    for k, code in enumerate(model.areas.codes):
        plans = la_record.value(code, "ehc_plans", "2019-01")
        if plans:
            record.append(plans / model.areas.pupils[k])
            ours.append(counts["plans"][k] / counts["pupils"][k])
            record_special.append(la_record.value(code, "ehc_special_pct", "2019-01"))
            our_special.append(counts["special"][k] / max(counts["plans"][k], 1))
    # Sampled at 2% of England, a small LA's starting plans are a few dozen children.
    assert spearmanr(record, ours).statistic > 0.5
    assert spearmanr(record_special, our_special).statistic > 0.5


def test_bars_order_las_as_their_record(england):
    # The back-cast itself (no sampling): a higher 2019 plans per pupil, a lower bar.
    p = as_vector(defaults())
    bars = starting_state.starting_bars(p, england.codes, england.pupils)
    relative = starting_state.relative_positions(england.codes, england.pupils)
    assert spearmanr(relative["plans_per_pupil"], bars.plan).statistic < -0.99
    # The special bar also depends on who holds a plan: compare the shares it implies.
    special = starting_state._share_of_plans_above(starting_state._grid(p, bars.plan),
                                                   bars.special)
    assert spearmanr(relative["special_share"], special).statistic > 0.99


def test_weight_zero_starts_every_la_alike(england):
    p = as_vector({**defaults(), "la_disposition_weight": 0.0})
    bars = starting_state.starting_bars(p, england.codes, england.pupils)
    for values in (bars.plan, bars.special, bars.independent):
        assert np.ptp(values) == pytest.approx(0.0, abs=1e-12)


def test_bar_for_share_inverts_share_above(england):
    p = as_vector(defaults())
    plan_bar = np.array([0.5, 1.0, 2.0])
    shares = np.array([0.1, 0.4, 0.7])
    bars = starting_state._bar_for_share(starting_state._grid(p, plan_bar), shares)
    for k in range(3):
        got = starting_state._share_of_plans_above(starting_state._grid(p, plan_bar[k:k + 1]),
                                                   bars[k:k + 1])
        assert got[0] == pytest.approx(shares[k], abs=0.01)


def test_a_higher_plan_share_lowers_every_bar(england):
    p = as_vector(defaults())
    low = starting_state.starting_bars(p, england.codes, england.pupils).plan
    p = as_vector({**defaults(), "initial_plan_share": 1.5 * p.initial_plan_share})
    high = starting_state.starting_bars(p, england.codes, england.pupils).plan
    assert np.all(high < low)


def test_areas_without_a_record_start_at_the_national_shares():
    relative = starting_state.relative_positions(["X1", "X2"], np.array([100.0, 200.0]))
    assert all(np.array_equal(v, np.ones(2)) for v in relative.values())


def test_start_plans_moves_las_and_keeps_englands_plans(england):
    # The fitted correction raises one LA's starting plans against the others', while
    # England's starting plans (relative position times pupils) stay the national ones.
    relative = starting_state.relative_positions(england.codes, england.pupils)
    r = relative["plans_per_pupil"]
    start = np.zeros(england.n)
    start[0] = 0.5
    corrected = starting_state.corrected(r, start, england.pupils)
    assert np.sum(corrected * england.pupils) == pytest.approx(np.sum(r * england.pupils))
    assert corrected[0] / r[0] == pytest.approx(np.exp(0.5) * corrected[1] / r[1])
    assert np.array_equal(starting_state.corrected(r, np.zeros(england.n), england.pupils), r)
    p = as_vector(defaults())
    bars = starting_state.starting_bars(p, england.codes, england.pupils, start)
    plain = starting_state.starting_bars(p, england.codes, england.pupils)
    # More plans at the start: a lower bar for LA 0, a slightly higher one elsewhere.
    assert bars.plan[0] < plain.plan[0]
    assert np.all(bars.plan[1:] >= plain.plan[1:])
