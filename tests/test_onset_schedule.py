"""The onset schedule lists, every month, exactly the rows whose ``onset_tick`` is that
month: built once a year, and kept up to date as resolved needs are rescheduled."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendabm.core.kernels.family_month import merge_sorted
from sendabm.core.kernels.onset_schedule import OnsetSchedule
from sendabm.core.model import SendModel


def test_schedule_matches_the_column_every_month():
    model = SendModel(seed=4, scale=0.002, end="2016-12",
                      need_resolve_per_year=0.6)
    added = 0
    while model.running:
        schedule = model._onsets
        before = {t: schedule.take(t).size for t in range(model.tick + 1, schedule.start + 12)}
        model.step()
        # Every month still to come in the schedule's year (rebuilt each September).
        for month in range(model.tick, schedule.start + 12):
            expected = np.flatnonzero(model.families.onset_tick == month)
            assert np.array_equal(schedule.take(month), expected), (model.tick, month)
        if model.tick - 1 != schedule.start:  # not the September of a rebuild
            added += sum(schedule.take(t).size - n for t, n in before.items())
    # The comparison covered needs resolving and being rescheduled within the year.
    assert added > 0

def test_add_ignores_months_outside_the_year():
    onset_tick = np.full(10, -1000, dtype=np.int16)
    onset_tick[[2, 5]] = 14
    schedule = OnsetSchedule(onset_tick, 12)
    assert schedule.take(14).tolist() == [2, 5]
    onset_tick[[3, 7]] = [14, 30]
    schedule.add(np.array([7, 3], dtype=np.int32), onset_tick)
    assert schedule.take(14).tolist() == [2, 3, 5]
    assert schedule.take(30).size == 0
    assert schedule.take(11).size == 0


def test_onsets_stop_at_the_end_of_the_run_and_so_does_the_model():
    model = SendModel(seed=4, scale=0.002, end="2015-08")
    scheduled = model.families.onset_tick[model.families.onset_tick >= 0]
    assert scheduled.size > 0 and scheduled.max() <= model.end_tick
    model.run()
    with pytest.raises(RuntimeError, match="ended in 2015-08"):
        model.step()


@given(st.sets(st.integers(0, 5_000)), st.sets(st.integers(0, 5_000), max_size=50))
def test_merge_sorted_is_the_sorted_union(a, b):
    left = np.array(sorted(a), dtype=np.int32)
    right = np.array(sorted(b), dtype=np.int32)
    merged = merge_sorted(left, right)
    assert merged.dtype == np.int32
    assert merged.tolist() == sorted(a | b)
