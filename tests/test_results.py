"""Tests for the results contract (:mod:`sendabm.experiments.results`) and figures
(:mod:`sendabm.presentation.figures`)."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sendabm.experiments import results
from sendabm.experiments.results import ResultsError, RunOutput, read_run, write_run
from sendabm.presentation import figures

COUNTS = [
    "pupils",
    "sen_support",
    "ehc_plans",
    "placements_mainstream",
    "placements_special",
    "placements_independent",
    "assessment_requests",
    "appeals_registered",
    "hearings",
    "hearings_won_by_family",
]
MONEY = ["high_needs_allocation_gbp", "high_needs_spend_gbp", "cumulative_deficit_gbp"]


def synthetic_output(n_months: int = 24, n_la: int = 3, seed: int = 0) -> RunOutput:
    """A plausible-looking run from 2015 onwards, for tests and figure checks."""
    rng = np.random.default_rng(seed)
    dates = [datetime.date(2015 + m // 12, m % 12 + 1, 1) for m in range(n_months)]
    years = np.arange(n_months) / 12.0
    ehc_plans = np.round(240_000 * 1.09**years + rng.normal(0, 800, n_months))
    appeals = rng.poisson(380 * 1.18**years).astype(float)
    hearings = rng.binomial(appeals.astype(int), 0.4).astype(float)
    allocation = 5.0e9 * 1.065**years / 12
    spend = allocation * (1 + 0.012 * years + rng.normal(0, 0.004, n_months))
    national = {
        "pupils": np.round(8.2e6 * 1.005**years),
        "sen_support": np.round(1.0e6 * 1.02**years + rng.normal(0, 2_000, n_months)),
        "ehc_plans": ehc_plans,
        "placements_mainstream": np.round(ehc_plans * (0.46 - 0.004 * years)),
        "placements_special": np.round(ehc_plans * (0.38 + 0.002 * years)),
        "placements_independent": np.round(ehc_plans * (0.06 + 0.002 * years)),
        "assessment_requests": rng.poisson(5_000 * 1.1**years).astype(float),
        "plans_issued_within_20_weeks": np.r_[np.nan, rng.uniform(0.5, 0.6, n_months - 1)],
        "appeals_registered": appeals,
        "hearings": hearings,
        "hearings_won_by_family": rng.binomial(hearings.astype(int), 0.93).astype(float),
        "high_needs_allocation_gbp": allocation,
        "high_needs_spend_gbp": spend,
        "cumulative_deficit_gbp": np.cumsum(spend - allocation),
        "las_deficit_over_reserves": np.floor(np.linspace(0, 45, n_months)),
        "mean_trust_in_school": 0.72 - 0.015 * years + rng.normal(0, 0.004, n_months),
        "mean_trust_in_la": 0.55 - 0.025 * years + rng.normal(0, 0.004, n_months),
        "adversarial_index": 0.2 + 0.04 * years + rng.normal(0, 0.006, n_months),
    }
    la_share = rng.dirichlet(np.ones(n_la) * 5)
    quintile_share = np.array([0.14, 0.17, 0.2, 0.23, 0.26])
    panel = {}
    for name in COUNTS + MONEY:
        cube = np.full((n_months, n_la, 6), np.nan)
        cube[:, :, 0] = national[name][:, None] * la_share[None, :]
        if name in COUNTS:
            cube[:, :, 1:] = cube[:, :, :1] * quintile_share[None, None, :]
        panel[name] = cube
    manifest = {
        "package_version": "0.0.0",
        "scenario_name": "baseline",
        "seed": 7,
        "scale": 0.01,
        "start": dates[0].isoformat(),
        "end": dates[-1].isoformat(),
    }
    la_names = ["Barnsley", "Camden", "Cornwall", "Derby", "Essex"][:n_la]
    la_names += [f"LA {i}" for i in range(len(la_names), n_la)]
    return RunOutput(dates, national, panel, la_names, manifest)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunOutput, Path]:
    """One run written with figures, shared by the read-only tests."""
    output = synthetic_output()
    out_dir = tmp_path_factory.mktemp("runs") / "baseline"
    return output, write_run(output, out_dir, figures=figures.RUN_FIGURES)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_write_run_writes_files_and_manifest(written: tuple[RunOutput, Path]) -> None:
    output, out_dir = written
    text = (out_dir / "manifest.json").read_text()
    manifest = json.loads(text)
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    assert sorted(manifest["files"]) == sorted(p.name for p in out_dir.iterdir())
    assert {"manifest.json", "national.csv", "panel.parquet", "summary.png"} <= set(
        manifest["files"]
    )
    assert manifest["measures"] == list(output.national)
    assert manifest["seed"] == 7
    assert not [p for p in out_dir.parent.iterdir() if p.name.startswith(".")]


def test_national_csv_columns_and_dates(written: tuple[RunOutput, Path]) -> None:
    output, out_dir = written
    with (out_dir / "national.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["date", *output.national]
    assert [r[0] for r in rows[1:]] == [d.isoformat() for d in output.dates]
    assert rows[1][0] == "2015-01-01" and rows[13][0] == "2016-01-01"
    ehc = rows[0].index("ehc_plans")
    assert all(not r[ehc].endswith(".0") and r[ehc].lstrip("-").isdigit() for r in rows[1:])
    assert rows[1][rows[0].index("plans_issued_within_20_weeks")] == ""


def test_panel_parquet_schema_and_rows(written: tuple[RunOutput, Path]) -> None:
    output, out_dir = written
    parquet = pq.ParquetFile(out_dir / "panel.parquet")
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    table = parquet.read()
    assert table.schema.names == ["date", "la", "quintile", "measure", "value"]
    assert table.schema.field("date").type == pa.timestamp("ms")
    assert table.schema.field("la").type == pa.dictionary(pa.int32(), pa.string())
    assert table.schema.field("quintile").type == pa.int8()
    assert table.schema.field("measure").type == pa.dictionary(pa.int32(), pa.string())
    assert table.schema.field("value").type == pa.float64()
    expected = sum(int(np.count_nonzero(~np.isnan(v))) for v in output.panel.values())
    assert table.num_rows == expected == (len(COUNTS) * 6 + len(MONEY)) * 24 * 3
    assert not np.isnan(table.column("value").to_numpy()).any()
    money = table.filter(pa.compute.equal(table.column("measure").cast(pa.string()), MONEY[0]))
    assert set(money.column("quintile").to_pylist()) == {0}


def test_read_run_round_trip(written: tuple[RunOutput, Path]) -> None:
    output, out_dir = written
    back = read_run(out_dir)
    assert back.dates == output.dates
    assert back.la_names == output.la_names
    assert list(back.national) == list(output.national)
    for name, values in output.national.items():
        np.testing.assert_array_equal(back.national[name], values)
    assert list(back.panel) == list(output.panel)
    for name, values in output.panel.items():
        np.testing.assert_array_equal(back.panel[name], values)
    assert back.manifest.items() >= output.manifest.items()


def test_panel_dates_read_as_datetimes(written: tuple[RunOutput, Path]) -> None:
    output, out_dir = written
    path = out_dir / "panel.parquet"
    first, second = output.dates[0], output.dates[1]
    days = pq.read_table(path).column("date")
    assert pa.compute.min(days).as_py() == datetime.datetime(first.year, first.month, 1)
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(path)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert set(frame["date"].dt.day) == {1}
    assert (frame["date"] == second.isoformat()).sum() == (frame["date"] == pd.Timestamp(
        second)).sum() > 0
    later = frame["date"] > pd.Timestamp(first)
    assert (frame["date"] >= pd.Timestamp(first)).all() and later.any() and not later.all()


def test_panel_dates_read_as_datetimes_in_polars(written: tuple[RunOutput, Path]) -> None:
    polars = pytest.importorskip("polars")
    assert polars.read_parquet(written[1] / "panel.parquet").schema["date"] == polars.Datetime(
        "ms")


def test_panels_written_with_date32_still_read(written: tuple[RunOutput, Path],
                                               tmp_path: Path) -> None:
    output, out_dir = written
    old = tmp_path / "old"
    old.mkdir()
    for path in out_dir.iterdir():
        (old / path.name).write_bytes(path.read_bytes())
    table = pq.read_table(out_dir / "panel.parquet")
    dates = pa.compute.cast(table.column("date"), pa.date32())
    pq.write_table(table.set_column(0, "date", dates), old / "panel.parquet")
    back = read_run(old)
    for name, values in output.panel.items():
        np.testing.assert_array_equal(back.panel[name], values)


def test_pngs_are_non_trivial(written: tuple[RunOutput, Path]) -> None:
    _, out_dir = written
    for name in ("summary.png", "equity.png"):
        assert (out_dir / name).stat().st_size > 10_000


def test_refuses_non_run_folder(tmp_path: Path) -> None:
    target = tmp_path / "thesis"
    target.mkdir()
    (target / "chapter1.txt").write_text("precious")
    before = _snapshot(target)
    with pytest.raises(ResultsError) as info:
        write_run(synthetic_output(), target)
    message = str(info.value)
    assert "\n" not in message and "thesis" in message and "choose another --out" in message
    assert _snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_replaces_previous_run_and_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "run"
    target.mkdir()
    write_run(synthetic_output(seed=1), target)
    newer = synthetic_output(seed=2)
    write_run(newer, target)
    np.testing.assert_array_equal(
        read_run(target).national["ehc_plans"], newer.national["ehc_plans"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failure_mid_write_keeps_previous_run(tmp_path: Path) -> None:
    target = tmp_path / "run"
    write_run(synthetic_output(seed=1), target)
    before = _snapshot(target)

    def explode(output: RunOutput, path: Path) -> Path:
        raise RuntimeError("figure failed")

    with pytest.raises(RuntimeError, match="figure failed"):
        write_run(synthetic_output(seed=2), target, figures={figures.SUMMARY_FIGURE: explode})
    assert _snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_truncated_parquet_is_reported(tmp_path: Path) -> None:
    target = write_run(synthetic_output(), tmp_path / "run")
    parquet = target / "panel.parquet"
    parquet.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])
    with pytest.raises(ResultsError) as info:
        read_run(target)
    message = str(info.value)
    assert "\n" not in message and "panel.parquet" in message and "sendabm run" in message


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda d: (d / "manifest.json").unlink(), "manifest.json"),
        (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json"),
        (lambda d: (d / "national.csv").unlink(), "national.csv"),
        (lambda d: (d / "national.csv").write_text("date,x\n2015-01-01,oops\n"), "national.csv"),
    ],
)
def test_damaged_folder_is_reported(
    tmp_path: Path, damage: Callable[[Path], object], named: str
) -> None:
    target = write_run(synthetic_output(n_months=3), tmp_path / "run")
    damage(target)
    with pytest.raises(ResultsError, match=named) as info:
        read_run(target)
    assert "\n" not in str(info.value)


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not found"):
        read_run(tmp_path / "nowhere")


def test_bad_shape_is_rejected_before_writing(tmp_path: Path) -> None:
    output = synthetic_output()
    output.panel["ehc_plans"] = output.panel["ehc_plans"][:, :, :5]
    with pytest.raises(ResultsError, match="ehc_plans"):
        write_run(output, tmp_path / "run")
    assert not list(tmp_path.iterdir())


def test_figures_skip_missing_measures(tmp_path: Path) -> None:
    full = synthetic_output(n_months=6)
    sparse = RunOutput(full.dates, {"ehc_plans": full.national["ehc_plans"]}, {}, full.la_names, {})
    assert figures.summary_figure(sparse, tmp_path / "s.png").stat().st_size > 0
    assert figures.equity_figure(sparse, tmp_path / "e.png").stat().st_size > 0


def test_rolling_sum_needs_a_full_year() -> None:
    yearly = figures.rolling_sum(np.ones(14))
    assert np.isnan(yearly[:11]).all() and (yearly[11:] == 12).all()


def test_panel_table_small() -> None:
    output = synthetic_output(n_months=2, n_la=2)
    table = results.panel_table(output)
    assert table.num_rows == (len(COUNTS) * 6 + len(MONEY)) * 2 * 2
