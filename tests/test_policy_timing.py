"""Two runs that differ only in a policy starting at month T are identical before T,
and the policy then changes what agents do (not an outcome directly)."""

import dataclasses

import numpy as np
import pytest

from sendabm.core import calendar
from sendabm.core.model import SendModel
from sendabm.core.scenario import default_scenario

START = "2015-06"
END = "2016-08"


def _with_policies(*policies):
    base = default_scenario()
    return dataclasses.replace(base, policies=tuple(policies))


@pytest.fixture(scope="module")
def runs():
    base = SendModel(_with_policies(), seed=3, scale=0.002, end=END)
    reform = SendModel(_with_policies(
        {"name": "tribunal", "start": START, "mode": "remove"},
        {"name": "core_offer", "start": START, "strength": 1.0}), seed=3, scale=0.002, end=END)
    base.run()
    reform.run()
    return base, reform


def test_identical_before_the_policy_starts(runs):
    base, reform = runs
    t = calendar.tick_of(START)
    for name, series in base.national.items():
        a = np.asarray(series[:t])
        b = np.asarray(reform.national[name][:t])
        np.testing.assert_array_equal(a, b, err_msg=f"{name} differs before {START}")


def test_policy_changes_behaviour_after_it_starts(runs):
    base, reform = runs
    t = calendar.tick_of(START)
    # With the tribunal removed no appeal is registered and no hearing held after T
    # (appeals registered before T may still be conceded).
    assert sum(reform.national["appeals_registered"][t:]) == 0
    assert sum(reform.national["hearings"][t:]) == 0
    assert sum(base.national["appeals_registered"][t:]) > 0
    # Families who were refused now mediate or give up instead.
    assert sum(reform.national["mediations"][t:]) > 0
    # The core offer adds support in mainstream, so less need goes unmet.
    assert np.mean(reform.national["mean_unmet_need"][t:]) < np.mean(
        base.national["mean_unmet_need"][t:])
