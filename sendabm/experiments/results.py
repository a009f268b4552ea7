"""Run results: the in-memory :class:`RunOutput` and the on-disk results contract.

A finished run is written by :func:`write_run` into one folder:

- ``manifest.json`` — what was run (package version, git commit, scenario, seed,
  scale, dates, wall time: filled by the model) plus ``files`` (every file written),
  ``measures`` (national measures, in column order) and ``panel_measures``.
- ``national.csv`` — one row per month: ``date`` (ISO, first of the month), then one
  column per measure at England scale. Floats are written so they read back exactly;
  whole numbers without a trailing ``.0``; a missing value is an empty cell.
- ``panel.parquet`` — tidy long table ``date, la, quintile, measure, value`` (timestamp
  in milliseconds at midnight of the first of the month, dictionary string, int8,
  dictionary string, float64), zstd; quintile 0 is all
  families and 1..5 the family-resources quintiles (1 = least); NaN cells are left out.
- ``summary.png`` and ``equity.png`` — the figures the caller asks for (drawn into the
  same folder before it appears; the command line draws
  :data:`sendabm.presentation.figures.RUN_FIGURES` unless ``--no-figures``).

The folder appears complete or not at all: everything is written into a hidden
sibling folder that is renamed into place, and a previous run in the same folder is
replaced only once the new one is complete. The hidden folders of killed runs are
removed by the next successful write into the same parent folder. :func:`read_run`
reads a folder back.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sendabm.core import la_record
from sendabm.core.param import unknown_key_message

MANIFEST = "manifest.json"
NATIONAL = "national.csv"
PANEL = "panel.parquet"

N_GROUPS = 6
"""Size of the panel's last axis: 0 = all families, 1..5 = family-resources quintiles."""

PANEL_SCHEMA = pa.schema(
    [
        # Midnight timestamps, not date32: pandas reads date32 as Python date objects (no
        # .dt, no comparison with strings or Timestamps); a timestamp reads as datetime64
        # in pandas, Datetime in polars, timestamp[ms] in pyarrow.
        ("date", pa.timestamp("ms")),
        ("la", pa.dictionary(pa.int32(), pa.string())),
        ("quintile", pa.int8()),
        ("measure", pa.dictionary(pa.int32(), pa.string())),
        ("value", pa.float64()),
    ]
)
"""Arrow schema of ``panel.parquet``."""

_META_LAS = b"sendabm.la_names"
_META_MEASURES = b"sendabm.measures"
_RERUN = "re-run `sendabm run` to regenerate it"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ResultsError(Exception):
    """A run folder cannot be written or read; the message is one line for the user."""


@dataclass(eq=False)
class RunOutput:
    """Everything a run produces, held in memory until :func:`write_run`.

    Attributes:
        dates: First day of each simulated month, length T, increasing.
        national: Measure name -> float64 array of length T, at England scale.
        panel: Measure name -> float64 array of shape (T, n_la, 6); the last axis is
            0 = all families, 1..5 = family-resources quintile 1 (least) to 5 (most).
            NaN where a cell is not defined (e.g. LA-level money by quintile).
        la_names: Local-authority names, length n_la, in the panel's axis-1 order.
        manifest: JSON-able run description filled by the model (package version,
            git commit, scenario name and hash, seed, scale, start, end, wall time).
    """

    dates: list[datetime.date]
    national: dict[str, np.ndarray]
    panel: dict[str, np.ndarray]
    la_names: list[str]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def n_months(self) -> int:
        """Number of simulated months T."""
        return len(self.dates)

    def check(self) -> None:
        """Raise :class:`ResultsError` (one line) if the arrays do not fit the contract."""
        n_months, n_la = len(self.dates), len(self.la_names)
        if n_months == 0:
            raise ResultsError("run output has no months")
        for day in self.dates:
            if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
                raise ResultsError(f"run output date {day!r} is not a datetime.date")
            if day.day != 1:
                raise ResultsError(f"run output date {day} is not the first of a month")
        if any(b <= a for a, b in pairwise(self.dates)):
            raise ResultsError("run output dates are not strictly increasing")
        if len(set(self.la_names)) != n_la or not all(isinstance(n, str) for n in self.la_names):
            raise ResultsError("run output LA names must be distinct strings")
        for name, values in self.national.items():
            _check_measure_name(name)
            if np.shape(values) != (n_months,):
                raise ResultsError(
                    f"national measure '{name}' has shape {np.shape(values)}, "
                    f"expected ({n_months},)"
                )
        for name, values in self.panel.items():
            _check_measure_name(name)
            if np.shape(values) != (n_months, n_la, N_GROUPS):
                raise ResultsError(
                    f"panel measure '{name}' has shape {np.shape(values)}, "
                    f"expected ({n_months}, {n_la}, {N_GROUPS})"
                )


    def la(self, name_or_code: str) -> LASeries:
        """One LA's monthly model series (all families, quintile 0) beside its record.

        Args:
            name_or_code: The LA's name as in the run (e.g. "Kent") or, for the built-in
                areas, its ONS code (e.g. "E10000016"); names ignore case.

        Returns:
            An :class:`LASeries`: every panel measure for the LA (arrays of length T,
            in the panel's units, NaN where undefined) and, when
            the LA is one of the built-in areas, its published record
            (:func:`sendabm.core.la_record.record`), else an empty record.

        Raises:
            ValueError: The LA is not in this run; the message names close matches.
        """
        index = _la_index(self.la_names, name_or_code)
        name = self.la_names[index]
        code = _built_in_code(name)
        return LASeries(
            code=code, name=name, dates=list(self.dates),
            model={m: np.array(values[:, index, 0]) for m, values in self.panel.items()},
            record=la_record.record(code) if code else {})


@dataclass(frozen=True, eq=False)
class LASeries:
    """One LA of a run: its model series and its published record side by side.

    Attributes:
        code: The LA's ONS code if it is one of the built-in areas, else None.
        name: The LA's name as in the run.
        dates: First day of each simulated month, length T.
        model: Panel measure -> float64 array of length T (all families).
        record: Record measure -> period (``2019-01`` January, ``2019`` calendar year)
            -> published value (:mod:`sendabm.core.la_record`); empty for other areas.
    """

    code: str | None
    name: str
    dates: list[datetime.date]
    model: dict[str, np.ndarray]
    record: dict[str, dict[str, float]]


def _la_index(la_names: list[str], name_or_code: str) -> int:
    """Position of an LA in the run, by name (ignoring case) or built-in code."""
    folded = [name.casefold() for name in la_names]
    key = name_or_code.casefold()
    if key in folded:
        return folded.index(key)
    built_in = la_record.names_by_code()
    if name_or_code in built_in and built_in[name_or_code].casefold() in folded:
        return folded.index(built_in[name_or_code].casefold())
    codes = [code for code, name in built_in.items() if name in la_names]
    raise ValueError(unknown_key_message("LA", name_or_code, [*la_names, *codes]))


def _built_in_code(name: str) -> str | None:
    """The built-in area code of an LA name, or None for a name of the user's areas."""
    return next((code for code, known in la_record.names_by_code().items() if known == name),
                None)


def _check_measure_name(name: object) -> None:
    if not isinstance(name, str) or not name or name == "date" or "\n" in name:
        raise ResultsError(f"invalid measure name {name!r}")


# --------------------------------------------------------------------------- writing


FigureDrawer = Callable[[RunOutput, Path], Any]
"""Draws one figure of a run into the given PNG path."""


def write_run(output: RunOutput, out_dir: Path,
              figures: Mapping[str, FigureDrawer] | None = None) -> Path:
    """Write a run folder atomically and return its path.

    Args:
        output: The finished run.
        out_dir: Folder to create. It may not exist yet, be empty, or hold a previous
            sendabm run (which is replaced only once the new folder is complete).
        figures: File name -> drawing function of each figure to add, e.g.
            :data:`sendabm.presentation.figures.RUN_FIGURES` (``summary.png`` and
            ``equity.png``); none if None. They are drawn into the folder before it
            appears, so a figure that fails leaves no folder.

    Returns:
        ``out_dir``.

    Raises:
        ResultsError: ``out_dir`` holds something other than a sendabm run (nothing is
            written), or ``output`` does not fit the contract. Any other error while
            writing propagates after the temporary folder is removed; an existing
            folder is then left untouched.
    """
    output.check()
    return write_folder(Path(out_dir), check_out_dir,
                        lambda folder: _write_files(output, folder, figures))


def write_folder(out_dir: Path, check: Callable[[Path], None],
                 write: Callable[[Path], Any]) -> Path:
    """Create ``out_dir`` complete or not at all.

    ``write`` fills a temporary sibling folder, which is renamed into place; a previous
    folder is swapped out only at the end. ``check`` (e.g. :func:`check_out_dir`) runs
    before and again just before the swap. On any error the temporary folder is removed
    and an existing ``out_dir`` is left untouched. After a success, the temporary folders
    that killed writers left in the same parent are removed
    (:func:`remove_stale_leftovers`).
    """
    check(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    _remove(tmp)
    try:
        tmp.mkdir()
        write(tmp)
        check(out_dir)
        _move_into_place(tmp, out_dir)
    except BaseException:
        _remove(tmp)
        raise
    remove_stale_leftovers(out_dir.parent)
    return out_dir


def replace_files(out: Path, write: Callable[[Path], Any]) -> list[Path]:
    """Write some files into the folder ``out``, keeping its other files.

    ``write`` fills a temporary folder inside ``out``; only once it has returned are its
    files moved into place, one by one (each move atomic), so a failure leaves the
    previous files untouched and nothing half-written.

    Returns:
        The files written, in name order.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".sendabm-") as tmp:
        stage = Path(tmp)
        write(stage)
        written = []
        for file in sorted(stage.iterdir()):
            os.replace(file, out / file.name)
            written.append(out / file.name)
    return written


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>[0-9]+)")
"""Name of a writer's temporary folder (``.<out>.tmp-<pid>``) or of the previous folder
it swaps out (``.<out>.old-<pid>``)."""


def remove_stale_leftovers(parent: Path) -> None:
    """Remove the temporary folders in ``parent`` of writers whose process has ended.

    A writer killed mid-run leaves its ``.<out>.tmp-<pid>`` folder (or, killed during
    the swap, ``.<out>.old-<pid>``). Only folders of a process that no longer exists
    are removed, never those of a live process (nor of this one), and an ``.old``
    folder only when ``<out>`` exists, since it may otherwise hold the only copy of the
    previous folder. Nothing is removed where liveness cannot be asked (not POSIX).
    """
    if os.name != "posix":  # os.kill(pid, 0) would not be a harmless probe there
        return
    for path in Path(parent).iterdir():
        match = _LEFTOVER.fullmatch(path.name)
        if match is None or path.is_symlink() or not path.is_dir():
            continue
        if match["kind"] == "old" and not (path.parent / match["name"]).exists():
            continue
        if not _process_alive(int(match["pid"])):
            _remove(path)


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` may exist (True when unsure, so nothing live is removed)."""
    if pid <= 0 or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:  # too large to be a process id
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def safe_name(name: str, fallback: str = "output") -> str:
    """``name`` as one folder name that stays where it is put: every run of characters
    other than letters, digits and ``_.+-`` becomes ``_``, and leading or trailing dots
    and underscores go, so ``../../x`` or ``/abs/x`` cannot leave ``results/``
    (``fallback`` if nothing is left)."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name).strip("._") or fallback


def check_folder(out_dir: Path, marker: str, what: str) -> None:
    """Raise :class:`ResultsError` unless ``out_dir`` is absent, empty or holds ``marker``.

    Args:
        out_dir: The folder about to be written.
        marker: The file that shows it holds an earlier sendabm ``what`` (replaceable).
        what: "run" or "comparison", for the message.
    """
    out_dir = Path(out_dir)
    if not out_dir.name or out_dir.name in (".", ".."):
        raise ResultsError(f"cannot write a {what} into '{out_dir}'; give a named --out folder")
    check_writable(out_dir.parent, "--out")  # the temporary sibling is written there
    if not (out_dir.exists() or out_dir.is_symlink()):
        return
    if not out_dir.is_dir():
        raise ResultsError(f"'{out_dir}' exists and is not a folder; choose another --out")
    if (out_dir / marker).is_file():
        return
    if any(out_dir.iterdir()):
        raise ResultsError(
            f"'{out_dir}' is not empty and is not a sendabm {what} folder (no {marker}); "
            "choose another --out or empty it"
        )


def check_writable(folder: Path, option: str) -> None:
    """Raise :class:`ResultsError` unless ``folder`` can be created and written into.

    Missing folders are created, a probe file is written and removed, and the folders
    created are removed again, so nothing is left behind either way. This finds a
    read-only or impossible output before a long simulation, not after it.

    Args:
        folder: The folder the output is written into (created if absent).
        option: The command-line option that names it (e.g. "--out"), for the message.
    """
    folder = Path(folder)
    missing: list[Path] = []  # innermost first
    existing = folder
    while not (existing.exists() or existing.is_symlink()):
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise ResultsError(f"'{existing}' is a file, so no folder can be made under it for "
                           f"'{folder}'; choose another {option}")
    created: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
        probe = folder / f".sendabm-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ResultsError(f"cannot write into '{folder}' ({error.strerror or error}); choose "
                           f"another {option} or make that folder writable") from None
    finally:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.rmdir()


def check_out_dir(out_dir: Path) -> None:
    """Raise :class:`ResultsError` unless ``out_dir`` is absent, empty or a previous run.

    Called before a simulation starts, so a bad ``--out`` fails at once, and again
    before writing.
    """
    check_folder(out_dir, MANIFEST, "run")


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename ``tmp`` to ``out_dir``, swapping out any previous folder only at the end."""
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    backup = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    _remove(backup)
    out_dir.rename(backup)
    try:
        tmp.rename(out_dir)
    except BaseException:
        backup.rename(out_dir)
        raise
    _remove(backup)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _write_files(output: RunOutput, folder: Path,
                 figures: Mapping[str, FigureDrawer] | None) -> list[str]:
    """Write every file of the contract into ``folder``; the manifest goes last."""
    files = [NATIONAL, PANEL]
    write_national_csv(output, folder / NATIONAL)
    write_panel_parquet(output, folder / PANEL)
    for name, draw in (figures or {}).items():
        draw(output, folder / name)
        files.append(name)
    files.append(MANIFEST)
    manifest = dict(output.manifest)
    manifest["files"] = files
    manifest["measures"] = list(output.national)
    manifest["panel_measures"] = list(output.panel)
    text = json.dumps(manifest, indent=2, sort_keys=True, default=_json_default)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return files


def _json_default(value: Any) -> Any:
    """Convert the few non-JSON types a model is likely to put in its manifest."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"manifest value {value!r} of type {type(value).__name__} is not JSON-able")


def format_float(value: float) -> str:
    """Shortest text that reads back as the same float; whole numbers without '.0'."""
    if math.isnan(value):
        return ""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def write_national_csv(output: RunOutput, path: Path) -> None:
    """Write ``national.csv``: ``date`` then one column per national measure."""
    names = list(output.national)
    table = np.column_stack(
        [np.asarray(output.national[n], dtype=np.float64) for n in names]
        or [np.empty((output.n_months, 0))]
    )
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["date", *names])
        for day, row in zip(output.dates, table.tolist(), strict=True):
            writer.writerow([day.isoformat(), *map(format_float, row)])


def panel_table(output: RunOutput) -> pa.Table:
    """Build the tidy panel table from the numpy panels, vectorised per measure.

    Rows are ordered by measure, date, LA and quintile; NaN cells are dropped.
    """
    names = list(output.panel)
    days = np.array(output.dates, dtype="datetime64[D]")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("t", "la", "q", "m", "v")}
    for index, name in enumerate(names):
        values = np.asarray(output.panel[name], dtype=np.float64)
        month, la, quintile = np.nonzero(~np.isnan(values))
        parts["t"].append(month.astype(np.int32))
        parts["la"].append(la.astype(np.int32))
        parts["q"].append(quintile.astype(np.int8))
        parts["m"].append(np.full(month.size, index, dtype=np.int32))
        parts["v"].append(values[month, la, quintile])
    empty = {"t": np.int32, "la": np.int32, "q": np.int8, "m": np.int32, "v": np.float64}
    cols = {k: np.concatenate(v) if v else np.empty(0, empty[k]) for k, v in parts.items()}
    columns = [
        pa.array(days[cols["t"]].astype("datetime64[ms]"), type=PANEL_SCHEMA.field("date").type),
        pa.DictionaryArray.from_arrays(cols["la"], pa.array(output.la_names, pa.string())),
        pa.array(cols["q"], type=pa.int8()),
        pa.DictionaryArray.from_arrays(cols["m"], pa.array(names, pa.string())),
        pa.array(cols["v"], type=pa.float64()),
    ]
    metadata = {_META_LAS: json.dumps(output.la_names), _META_MEASURES: json.dumps(names)}
    return pa.Table.from_arrays(columns, schema=PANEL_SCHEMA.with_metadata(metadata))


def write_panel_parquet(output: RunOutput, path: Path) -> None:
    """Write ``panel.parquet`` (zstd) from :func:`panel_table`."""
    pq.write_table(panel_table(output), path, compression="zstd")


# --------------------------------------------------------------------------- reading


def read_run(out_dir: Path) -> RunOutput:
    """Read a run folder written by :func:`write_run` back into a :class:`RunOutput`.

    Args:
        out_dir: The run folder.

    Returns:
        The run, with the manifest as stored (including ``files`` and ``measures``).

    Raises:
        ResultsError: The folder is missing, its manifest is missing or invalid, or a
            listed file is missing or corrupt. The message is one line naming the file.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ResultsError(f"run folder '{out_dir}' not found; run `sendabm run` first")
    manifest = _read_manifest(out_dir / MANIFEST)
    listed = manifest.get("files", [NATIONAL, PANEL])
    if not isinstance(listed, list) or not all(isinstance(f, str) for f in listed):
        raise ResultsError(f"'{out_dir / MANIFEST}' has an invalid 'files' list; {_RERUN}")
    for name in dict.fromkeys([*listed, NATIONAL, PANEL]):
        if not (out_dir / name).is_file():
            raise ResultsError(f"'{out_dir / name}' is missing; {_RERUN}")
        if name.endswith(".png"):
            _check_png(out_dir / name)
    dates, national = _guarded(out_dir / NATIONAL, _read_national_csv)
    if "measures" in manifest and manifest["measures"] != list(national):
        raise ResultsError(
            f"'{out_dir / NATIONAL}' columns do not match {MANIFEST} 'measures'; {_RERUN}"
        )
    la_names, panel = _guarded(out_dir / PANEL, lambda p: _read_panel(p, dates))
    return RunOutput(dates, national, panel, la_names, manifest)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _guarded(path: Path, reader: Any) -> Any:
    """Call ``reader(path)``, turning any failure into a one-line :class:`ResultsError`."""
    try:
        return reader(path)
    except ResultsError:
        raise
    except Exception as error:
        raise ResultsError(
            f"'{path}' is corrupt or unreadable ({_one_line(error)}); {_RERUN}"
        ) from error


def _read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ResultsError(f"'{path}' is missing, so this is not a sendabm run folder; {_RERUN}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ResultsError(f"'{path}' is not valid JSON ({_one_line(error)}); {_RERUN}") from None
    if not isinstance(manifest, dict):
        raise ResultsError(f"'{path}' is not a JSON object; {_RERUN}")
    return manifest


def _check_png(path: Path) -> None:
    with path.open("rb") as fh:
        if fh.read(len(_PNG_SIGNATURE)) != _PNG_SIGNATURE:
            raise ResultsError(f"'{path}' is not a PNG image; {_RERUN}")


def _read_national_csv(path: Path) -> tuple[list[datetime.date], dict[str, np.ndarray]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or not rows[0] or rows[0][0] != "date":
        raise ValueError("first column must be 'date'")
    header, body = rows[0], rows[1:]
    if not body:
        raise ValueError("no months")
    values = np.full((len(body), len(header) - 1), np.nan)
    dates = []
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise ValueError(f"row {i + 2} has {len(row)} cells, expected {len(header)}")
        dates.append(datetime.date.fromisoformat(row[0]))
        values[i] = [float(cell) if cell else math.nan for cell in row[1:]]
    national = {name: values[:, j].copy() for j, name in enumerate(header[1:])}
    return dates, national


def _dictionary_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Integer codes and their labels for a (possibly dictionary-encoded) string column."""
    array = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    return array.indices.to_numpy(zero_copy_only=False), array.dictionary.to_pylist()


def _relabel(codes: np.ndarray, labels: list[str], order: list[str], what: str) -> np.ndarray:
    """Map codes over ``labels`` onto positions in ``order``."""
    position = {name: i for i, name in enumerate(order)}
    unknown = [name for name in labels if name not in position]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}")
    lookup = np.array([position[name] for name in labels], dtype=np.int64)
    return lookup[codes] if codes.size else codes.astype(np.int64)


def _read_panel(path: Path, dates: list[datetime.date]) -> tuple[list[str], dict[str, np.ndarray]]:
    table = pq.read_table(path)
    missing = [name for name in PANEL_SCHEMA.names if name not in table.column_names]
    if missing:
        raise ValueError(f"missing column '{missing[0]}'")
    meta = table.schema.metadata or {}
    la_codes, la_labels = _dictionary_codes(table.column("la"))
    m_codes, m_labels = _dictionary_codes(table.column("measure"))
    la_names = json.loads(meta[_META_LAS]) if _META_LAS in meta else la_labels
    names = json.loads(meta[_META_MEASURES]) if _META_MEASURES in meta else m_labels
    la_index = _relabel(la_codes, la_labels, la_names, "LA")
    m_index = _relabel(m_codes, m_labels, names, "measure")

    month_days = np.array(dates, dtype="datetime64[D]").astype(np.int64)
    # Days since 1970, from the timestamps (or the date32 of folders written before them).
    days = pc.cast(pc.cast(table.column("date"), pa.date32()), pa.int32()).to_numpy()
    days = days.astype(np.int64)
    t_index = np.searchsorted(month_days, days)
    if np.any(t_index >= month_days.size) or np.any(month_days[t_index] != days):
        raise ValueError(f"dates not in {NATIONAL}")
    quintile = table.column("quintile").to_numpy().astype(np.int64)
    if quintile.size and (quintile.min() < 0 or quintile.max() >= N_GROUPS):
        raise ValueError("quintile out of range 0..5")

    cube = np.full((len(names), len(dates), len(la_names), N_GROUPS), np.nan)
    cube[m_index, t_index, la_index, quintile] = table.column("value").to_numpy()
    return la_names, {name: cube[i] for i, name in enumerate(names)}
