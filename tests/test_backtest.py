"""The backtest's trend projection, its error table, and the command's bad input."""

from __future__ import annotations

import math

import pytest

from sendabm.cli import main
from sendabm.experiments import backtest as B


def test_trend_is_the_least_squares_line():
    assert B.trend_projection({2019: 0.1, 2020: 0.2, 2021: 0.3}, log=False) == pytest.approx(0.4)
    # Shares are clipped to 0-1.
    assert B.trend_projection({2019: 0.6, 2020: 0.8, 2021: 1.0}, log=False) == 1.0
    # Counts grow on the log scale: 100, 110, 121 -> 133.1.
    got = B.trend_projection({2019: 100.0, 2020: 110.0, 2021: 121.0}, log=True)
    assert got == pytest.approx(133.1)


def test_errors_compare_model_and_trend_per_la():
    rows = (("A", "refusal_share", 0.20, 0.21, 0.30, 0.25),
            ("B", "refusal_share", 0.10, 0.20, 0.12, 0.10),
            ("C", "refusal_share", 0.30, 0.31, 0.20, 0.30),
            ("A", "plans_per_pupil", 100.0, 110.0, 95.0, 90.0))
    result = B.Backtest(rows, (1,), 0.1, 1)
    e = result.errors("refusal_share")
    assert e["las"] == 3
    assert e["model"] == pytest.approx(0.01)
    assert e["trend"] == pytest.approx(0.10)
    assert e["model_closer"] == pytest.approx(2 / 3)
    plans = result.errors("plans_per_pupil")
    assert plans["model"] == pytest.approx(0.10) and plans["trend"] == pytest.approx(0.05)
    assert result.errors("appeal_rate") == {}
    text = B.report_text(result, "sendabm backtest")
    assert "| Share of requests refused | 3 | 1.0 pp | 10.0 pp |" in text
    assert not math.isnan(plans["persistence"])


def test_a_zero_record_leaves_relative_measures_but_counts_in_absolute_ones():
    rows = (("A", "requests_per_pupil", 0.0, 0.01, 0.01, 0.01),
            ("B", "requests_per_pupil", 0.01, 0.011, 0.012, 0.01),
            ("A", "refusal_share", 0.0, 0.05, 0.02, 0.0),
            ("B", "refusal_share", 0.2, 0.21, 0.25, 0.2))
    result = B.Backtest(rows, (1,), 0.1, 1)
    requests = result.errors("requests_per_pupil")
    assert requests["las"] == 1 and requests["model"] == pytest.approx(0.1)
    assert result.errors("refusal_share")["las"] == 2


@pytest.mark.parametrize("args, words", [
    (["--seeds", "0"], "--seeds must be at least 1"),
    (["--scale", "2"], "--scale must be in"),
])
def test_bad_options_exit_2_with_one_line(args, words, capsys):
    assert main(["backtest", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err
