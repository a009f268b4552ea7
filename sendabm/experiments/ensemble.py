"""Series over time of several runs of several scenarios: what the report plots.

An :class:`Ensemble` holds, for each scenario, every run's national series (at
England scale) and its totals by family-resources quintile. A single run is an
ensemble of one scenario and one run (:meth:`Ensemble.from_run`); a comparison
folder stores its ensemble as ``series.parquet`` (:func:`write_series`,
:func:`read_series`), a tidy table

    scenario, seed, date, quintile, measure, value

with quintile 0 for the national series and 1..5 for the quintile totals (1 = least
resources), the same convention as a run's ``panel.parquet``. ``date`` is midnight on the
first of the month as a millisecond timestamp, as in ``panel.parquet``, so it reads as
datetimes in pandas, polars and pyarrow (folders written before hold ``date32``, which
:func:`read_series` reads too).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sendabm.experiments.outcomes import summarise
from sendabm.experiments.results import RunOutput

SERIES = "series.parquet"
"""File name of a comparison's series in its folder."""

SERIES_SCHEMA = pa.schema(
    [
        ("scenario", pa.dictionary(pa.int32(), pa.string())),
        ("seed", pa.int64()),
        ("date", pa.timestamp("ms")),  # as panel.parquet's (results.PANEL_SCHEMA)
        ("quintile", pa.int8()),
        ("measure", pa.dictionary(pa.int32(), pa.string())),
        ("value", pa.float64()),
    ]
)
"""Arrow schema of ``series.parquet``."""


@dataclass(eq=False)
class Ensemble:
    """Every run's series, by scenario.

    Attributes:
        scenarios: Scenario names; the first is the base (or the only one).
        seeds: Seed of each run (the same runs, paired, for every scenario).
        dates: First day of each month, length T.
        national: Scenario -> measure -> array (n_runs, T), England scale.
        quintiles: Scenario -> measure -> array (n_runs, T, 5), quintile 1..5 totals
            summed over LAs (``mean_unmet_need`` is a mean weighted by children with
            a need).
    """

    scenarios: list[str]
    seeds: list[int]
    dates: list[datetime.date]
    national: dict[str, dict[str, np.ndarray]]
    quintiles: dict[str, dict[str, np.ndarray]]

    @property
    def n_runs(self) -> int:
        """Runs per scenario."""
        return len(self.seeds)

    def runs(self, scenario: str, measure: str) -> np.ndarray | None:
        """National series of ``measure`` (n_runs, T), or None if absent or all NaN."""
        values = self.national.get(scenario, {}).get(measure)
        if values is None or not np.isfinite(values).any():
            return None
        return np.asarray(values, dtype=np.float64)

    @classmethod
    def from_run(cls, output: RunOutput) -> Ensemble:
        """One run as an ensemble of one scenario and one run."""
        record = summarise(output)
        name = record.scenario or "run"
        return cls(scenarios=[name], seeds=[record.seed], dates=list(record.dates),
                   national={name: {k: v[None, :] for k, v in record.national.items()}},
                   quintiles={name: {k: v[None, :, :] for k, v in record.quintiles.items()}})


def write_series(ensemble: Ensemble, path: Path) -> Path:
    """Write ``ensemble`` as the tidy Parquet table of the module docstring."""
    columns: dict[str, list] = {name: [] for name in SERIES_SCHEMA.names}
    days = np.array(ensemble.dates, dtype="datetime64[D]").astype("datetime64[ms]")
    n_months = days.size
    for scenario in ensemble.scenarios:
        blocks = [(0, m, v) for m, v in ensemble.national[scenario].items()]
        for measure, values in ensemble.quintiles.get(scenario, {}).items():
            blocks += [(q + 1, measure, values[:, :, q]) for q in range(5)]
        for quintile, measure, values in blocks:
            for k, seed in enumerate(ensemble.seeds):
                columns["scenario"] += [scenario] * n_months
                columns["seed"] += [seed] * n_months
                columns["date"].append(days)
                columns["quintile"] += [quintile] * n_months
                columns["measure"] += [measure] * n_months
                columns["value"].append(np.asarray(values[k], dtype=np.float64))
    arrays = {
        "scenario": pa.array(columns["scenario"]).dictionary_encode(),
        "seed": pa.array(columns["seed"], pa.int64()),
        "date": pa.array(np.concatenate(columns["date"]) if columns["date"] else days),
        "quintile": pa.array(columns["quintile"], pa.int8()),
        "measure": pa.array(columns["measure"]).dictionary_encode(),
        "value": pa.array(np.concatenate(columns["value"]) if columns["value"] else []),
    }
    table = pa.table(arrays).cast(SERIES_SCHEMA)
    pq.write_table(table, path, compression="zstd")
    return path


def read_series(path: Path, scenarios: list[str] | None = None) -> Ensemble:
    """Read ``series.parquet`` back into an :class:`Ensemble`.

    Args:
        path: The file.
        scenarios: Scenario order (base first); default: the order in the file.

    Raises:
        ValueError: A column is missing or the runs do not share one set of months.
    """
    table = pq.read_table(path)
    missing = [n for n in SERIES_SCHEMA.names if n not in table.column_names]
    if missing:
        raise ValueError(f"missing column '{missing[0]}'")
    s_codes, s_labels = _codes(table.column("scenario"))
    m_codes, m_labels = _codes(table.column("measure"))
    seed = table.column("seed").to_numpy()
    # Timestamps, or the date32 of folders written before them: days either way.
    day = table.column("date").to_numpy().astype("datetime64[D]")
    quintile = table.column("quintile").to_numpy().astype(np.int64)
    value = table.column("value").to_numpy()
    order = scenarios or list(dict.fromkeys(s_labels[c] for c in np.unique(s_codes)))
    seeds, seed_index = np.unique(seed, return_inverse=True)
    days, time_index = np.unique(day, return_inverse=True)
    national: dict[str, dict[str, np.ndarray]] = {s: {} for s in order}
    quintiles: dict[str, dict[str, np.ndarray]] = {s: {} for s in order}
    key = s_codes * len(m_labels) + m_codes
    sort = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[sort])) + 1
    for rows in np.split(sort, bounds) if sort.size else []:
        name, measure = s_labels[s_codes[rows[0]]], m_labels[m_codes[rows[0]]]
        if name not in national:
            continue
        cube = np.full((seeds.size, days.size, 6), np.nan)
        cube[seed_index[rows], time_index[rows], quintile[rows]] = value[rows]
        if np.any(quintile[rows] == 0):
            national[name][measure] = cube[:, :, 0]
        if np.any(quintile[rows] > 0):
            quintiles[name][measure] = cube[:, :, 1:]
    dates = [datetime.date.fromisoformat(str(d)) for d in days]
    return Ensemble(scenarios=order, seeds=[int(s) for s in seeds], dates=dates,
                    national=national, quintiles=quintiles)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Integer codes and labels of a (possibly dictionary-encoded) string column."""
    array = column.combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    return array.indices.to_numpy(zero_copy_only=False).astype(np.int64), \
        array.dictionary.to_pylist()
