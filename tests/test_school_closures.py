"""School closures in the pandemic: requests fall by ``closure_request_factor`` in the
months schools were closed to most pupils, and only then."""

from __future__ import annotations

import numpy as np
import pytest

from sendabm.core import calendar, exogenous
from sendabm.core.model import SendModel
from sendabm.core.parameters import as_vector, defaults
from sendabm.core.scenario import default_scenario
from sendabm.experiments.run import output_of, run_national


def test_factor_applies_in_closure_months_only():
    p = as_vector({**defaults(), "closure_request_factor": 0.4})
    closed = {calendar.tick_of(m) for m in exogenous.SCHOOL_CLOSURES}
    for tick in range(calendar.tick_of("2019-09"), calendar.tick_of("2021-09")):
        assert exogenous.request_factor(tick, p) == (0.4 if tick in closed else 1.0)


def _requests(factor: float) -> tuple[list, np.ndarray]:
    scen = default_scenario().with_overrides(
        run={"scale": 0.01, "end": "2020-08", "seed": 3},
        parameters={"closure_request_factor": factor})
    dates, national = run_national(scen)
    return [d.strftime("%Y-%m") for d in dates], np.asarray(national["assessment_requests"])


def test_closures_cut_requests_in_those_months_and_not_before():
    months, open_ = _requests(1.0)
    _, closed = _requests(0.3)
    april, august = months.index("2020-04"), months.index("2020-08")
    np.testing.assert_array_equal(open_[:april], closed[:april])
    # The factor scales the base chance inside the request log-odds (and the schools'
    # and settings' chances), so requests fall by less than the factor for children
    # whose need makes a request likely anyway.
    assert closed[april:august].sum() < 0.8 * open_[april:august].sum()



@pytest.mark.slow
def test_no_requests_while_closed_at_factor_zero_in_both_engines():
    """A factor of 0 (in range) stops requests in the closure months, in the kernels and
    in the plain-Python twin alike."""
    scen = default_scenario().with_overrides(
        run={"scale": 0.002, "end": "2020-06", "seed": 3},
        parameters={"closure_request_factor": 0.0})
    for engine in ("numba", "python"):
        model = SendModel(scen, engine=engine)
        model.run()
        out = output_of(model, 0.0)
        months = [d.strftime("%Y-%m") for d in out.dates]
        requests = np.asarray(out.national["assessment_requests"])
        assert np.all(requests[months.index("2020-04"):] == 0), engine
        assert requests[:months.index("2020-04")].sum() > 0, engine
