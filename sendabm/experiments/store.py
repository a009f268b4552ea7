"""The run store of a sweep: a folder that survives crashes and resumes.

Layout::

    STORE/
      manifest.json           the spec, design matrix, every run's seed and spawn key,
                              package version and git commit (written once, atomically)
      runs/run-000042.parquet one row per finished run: run_id, point, replication,
                              seed, the varied inputs and the outcomes
      failed/run-000017.json  a run that raised: its inputs, seed and traceback

Every file is written to a temporary file in the same folder, flushed to disk
(``fsync``) and renamed into place (``os.replace``), so a part either exists whole or
not at all, whenever the process dies (even ``kill -9``). Temporary files left by a
killed sweep start with a dot and end in ``.tmp``; they are ignored by :func:`load`
and removed when the sweep is opened again. A failed run is retried on the next
invocation and its ``failed/`` record removed once it succeeds.

A run is finished when its part is **valid** (:func:`check_part`): a readable
Parquet file with the store's columns and types, one row whose run id, point,
replication and seed are the manifest's for that file's run, and whose values match
the SHA-256 digest recorded in the part's own metadata (``sendabm.row_sha256``,
written in the same atomic rename; parts written before it was recorded are checked
without it). Re-running the sweep skips the finished runs and removes and re-runs a
part that is damaged (garbage, empty, truncated, another schema or another run), so
an interrupted, resumed or repaired sweep ends with exactly the store an
uninterrupted one would have. :func:`load` refuses a store with a damaged part,
naming it and the repair.

One sweep at a time may write to a store.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

import sendabm
from sendabm.experiments.results import ResultsError, check_writable
from sendabm.experiments.sweep import Design, Factor, RunTask, SweepError, SweepSpec

MANIFEST = "manifest.json"
RUNS = "runs"
FAILED = "failed"
ID_COLUMNS = ("run_id", "point", "replication", "seed")
_PART = re.compile(r"run-(\d+)\.parquet")
DIGEST_KEY = b"sendabm.row_sha256"
"""Schema-metadata key of a part: SHA-256 of its row's values (:func:`row_digest`)."""


def run_name(run_id: int) -> str:
    """File stem of a run: ``run-000042``."""
    return f"run-{run_id:06d}"


def spec_hash(spec: SweepSpec) -> str:
    """Content hash of a specification (16 hex characters)."""
    text = json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file in its folder, fsync, then rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not supported on some systems
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _arrow_type(factor: Factor) -> pa.DataType:
    values = factor.choices if factor.choices is not None else factor.levels
    if values is not None:
        if all(isinstance(v, bool) for v in values):
            return pa.bool_()
        if all(isinstance(v, str) for v in values):
            return pa.string()
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return pa.int64() if factor.integer else pa.float64()
        return pa.string()
    return pa.int64() if factor.integer else pa.float64()


def schema_of(spec: SweepSpec) -> pa.Schema:
    """Columns of a run part: ids, varied inputs, outcomes."""
    return _schema(spec.factors, spec.outcomes)


def manifest_schema(manifest: dict[str, Any]) -> pa.Schema:
    """Columns of a run part of the store whose manifest this is (as :func:`schema_of`)."""
    spec = manifest["spec"]
    return _schema([Factor.from_dict(f) for f in spec["factors"]], spec["outcomes"])


def _schema(factors: Iterable[Factor], outcomes: Iterable[str]) -> pa.Schema:
    fields = [pa.field(name, pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(f.name, _arrow_type(f)) for f in factors]
    fields += [pa.field(name, pa.float64()) for name in outcomes]
    return pa.schema(fields)


def row_digest(table: pa.Table) -> str:
    """SHA-256 of a part's values (JSON of its rows; floats as their shortest repr)."""
    text = json.dumps(table.to_pylist(), separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_part(path: Path, schema: pa.Schema,
                 runs: list[dict[str, Any]]) -> tuple[pa.Table | None, str | None]:
    """Read and check one part against the store's columns and planned runs.

    Args:
        path: ``runs/run-<id>.parquet``.
        schema: The store's columns (:func:`schema_of`).
        runs: The manifest's ``runs`` entries (run_id, point, replication, seed), by id.

    Returns:
        (the part's table without its metadata, None) if it is valid, else
        (None, what is wrong in a few words).
    """
    run_id = int(_PART.fullmatch(path.name)[1])
    if not 0 <= run_id < len(runs):
        return None, f"not a run of this sweep (it plans runs 0 to {len(runs) - 1})"
    try:
        table = pq.read_table(path)
    except Exception as error:  # noqa: BLE001 - any reader failure is a damaged part
        reason = str(error).strip().splitlines()
        return None, f"not a readable Parquet file ({reason[0] if reason else 'empty'})"
    if not table.schema.equals(schema, check_metadata=False):
        return None, "other columns than the sweep's"
    if table.num_rows != 1:
        return None, f"{table.num_rows} rows, not 1"
    digest = (table.schema.metadata or {}).get(DIGEST_KEY)
    table = table.replace_schema_metadata(None)
    row = table.to_pylist()[0]
    planned = runs[run_id]
    if any(row[key] != planned[key] for key in ID_COLUMNS):
        return None, "ids or seed of another run"
    if digest is not None and digest.decode("ascii", "replace") != row_digest(table):
        return None, "values do not match their checksum"
    return table, None


def damaged_message(root: Path, damaged: list[tuple[str, str]]) -> str:
    """One line naming the damaged parts of a store (the first three) and the repair."""
    shown = "; ".join(f"{name}: {why}" for name, why in damaged[:3])
    more = f"; and {len(damaged) - 3} more" if len(damaged) > 3 else ""
    return (f"store '{root}' has {len(damaged)} damaged part(s) ({shown}{more}); re-run "
            f"sendabm sweep with its spec and --store {root} to repair it")


class Store:
    """An open run store (see the module docstring)."""

    def __init__(self, root: Path, spec: SweepSpec, done: set[int],
                 repaired: list[tuple[str, str]]) -> None:
        self.root = root
        self.spec = spec
        self.schema = schema_of(spec)
        self.runs = root / RUNS
        self.failed = root / FAILED
        self.done = done
        self.repaired = repaired
        """The damaged parts removed when the store was opened: (file name, problem)."""

    def part(self, run_id: int) -> Path:
        return self.runs / f"{run_name(run_id)}.parquet"

    def has(self, run_id: int) -> bool:
        """True if run ``run_id`` has finished (its part is valid)."""
        return run_id in self.done

    def count_done(self) -> int:
        return len(self.done)

    def write_run(self, task: RunTask, outcomes: dict[str, float]) -> None:
        """Write the run's part atomically and drop any earlier failure record."""
        row: dict[str, list[Any]] = {"run_id": [task.run_id], "point": [task.point],
                                     "replication": [task.replication], "seed": [task.seed]}
        for factor in self.spec.factors:
            value = task.inputs[factor.name]
            kind = self.schema.field(factor.name).type
            row[factor.name] = [str(value) if kind == pa.string() else value]
        for name in self.spec.outcomes:
            row[name] = [float(outcomes[name])]
        table = pa.Table.from_pydict(row, schema=self.schema)
        table = table.replace_schema_metadata({DIGEST_KEY: row_digest(table).encode("ascii")})
        atomic_write(self.part(task.run_id), lambda handle: pq.write_table(table, handle))
        self.done.add(task.run_id)
        (self.failed / f"{run_name(task.run_id)}.json").unlink(missing_ok=True)

    def write_failure(self, task: RunTask, traceback: str) -> None:
        """Record a run that raised, with its inputs and traceback."""
        record = {"run_id": task.run_id, "point": task.point, "replication": task.replication,
                  "seed": task.seed, "inputs": _jsonable(task.inputs), "traceback": traceback}
        text = json.dumps(record, indent=2).encode("utf-8")
        atomic_write(self.failed / f"{run_name(task.run_id)}.json",
                     lambda handle: handle.write(text))


def open_store(root: str | os.PathLike, spec: SweepSpec, design: Design,
               tasks: Iterable[RunTask]) -> Store:
    """Create the store (with its manifest) or reopen it for the same sweep.

    Temporary files left by an interrupted sweep are removed, and so are damaged parts
    (:func:`check_part`), so that their runs are run again.

    Raises:
        SweepError: ``root`` is a file, cannot be created or written into (checked before
            anything is written), is a folder that is not a store, or is the store of a
            different sweep.
    """
    root = Path(root)
    check_store(root, spec)
    manifest_path = root / MANIFEST
    for folder in (root, root / RUNS, root / FAILED):
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
    if not manifest_path.is_file():
        manifest = build_manifest(spec, design, tasks)
        text = json.dumps(manifest, indent=1).encode("utf-8")
        atomic_write(manifest_path, lambda handle: handle.write(text))
    runs, schema = read_manifest(root)["runs"], schema_of(spec)
    done, repaired = set(), []
    for path in parts(root):
        table, problem = check_part(path, schema, runs)
        if problem is None:
            done.add(int(table.column("run_id")[0].as_py()))
        else:
            path.unlink()
            repaired.append((path.name, problem))
    if repaired:
        _fsync_dir(root / RUNS)
    return Store(root, spec, done, repaired)


def check_store(root: Path, spec: SweepSpec) -> None:
    """Raise :class:`SweepError` unless ``root`` can hold the store of ``spec``; write
    nothing (see :func:`open_store`)."""
    if root.exists() and not root.is_dir():
        raise SweepError(f"store '{root}' is a file; give a folder for --store")
    try:
        check_writable(root, "--store")
    except ResultsError as error:
        raise SweepError(str(error)) from None
    if (root / MANIFEST).is_file():
        manifest = read_manifest(root)
        if manifest.get("spec_hash") != spec_hash(spec):
            raise SweepError(
                f"store '{root}' holds a different sweep ('{manifest['spec']['name']}', spec "
                f"{manifest.get('spec_hash')}); give another --store or the same spec")
    elif root.is_dir() and any(p.name not in (RUNS, FAILED) for p in root.iterdir()):
        raise SweepError(f"'{root}' is not empty and is not a sweep store (no {MANIFEST}); "
                         "give an empty or new --store folder")


def build_manifest(spec: SweepSpec, design: Design, tasks: Iterable[RunTask]) -> dict[str, Any]:
    """The manifest: spec, design, seeds, version and commit (no timestamps)."""
    from sendabm.experiments.run import git_commit

    return {"package": "sendabm", "version": sendabm.__version__, "git_commit": git_commit(),
            "spec_hash": spec_hash(spec), "spec": spec.to_dict(),
            "base_scenario": spec.base.to_dict(),
            "seed_sequence": {"entropy": spec.seed, "design_child": [0], "runs_child": [1]},
            "design": {"names": design.names, "problem": design.problem,
                       "matrix": design.matrix.tolist(),
                       "second_order": False, "morris_levels": 4},
            "runs": [{"run_id": t.run_id, "point": t.point, "replication": t.replication,
                      "seed": t.seed, "spawn_key": list(t.spawn_key)} for t in tasks]}


def read_manifest(root: str | os.PathLike) -> dict[str, Any]:
    """The store's manifest.

    Raises:
        SweepError: No readable manifest, or one without the spec, design and runs
            that sendabm sweep writes (a damaged store).
    """
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise SweepError(f"'{root}' is not a sweep store (no {MANIFEST}); give the folder "
                         "written by sendabm sweep")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        raise SweepError(f"cannot read {path} ({reason}); run the sweep again into a new "
                         "--store") from None
    shape = {"spec": dict, "design": dict, "runs": list}
    missing = ([] if not isinstance(manifest, dict) else
               [key for key, kind in shape.items() if not isinstance(manifest.get(key), kind)])
    if not isinstance(manifest, dict) or missing:
        what = "is not a JSON object" if not isinstance(manifest, dict) else \
            f"has no valid {', '.join(missing)}"
        raise SweepError(f"{path} {what}, so the store is damaged; run the sweep again into "
                         "a new --store")
    return manifest


def parts(root: str | os.PathLike) -> list[Path]:
    """The finished runs' parts, in run-id order."""
    folder = Path(root) / RUNS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _PART.fullmatch(p.name))


def load(root: str | os.PathLike) -> pa.Table:
    """Every finished run of the store as one table, one row per run, by run id.

    Raises:
        SweepError: No manifest, no finished run, or a damaged part (one line naming
            the parts and the repair: re-run the sweep).
    """
    manifest = read_manifest(root)
    files = parts(root)
    if not files:
        raise SweepError(f"store '{root}' has no finished runs yet; run sendabm sweep first")
    try:
        schema, runs = manifest_schema(manifest), list(manifest["runs"])
    except (KeyError, TypeError, ValueError) as error:
        raise SweepError(f"{Path(root) / MANIFEST} is not a sweep manifest ({error!r}); "
                         "give the folder written by sendabm sweep") from None
    tables, damaged = [], []
    for path in files:
        table, problem = check_part(path, schema, runs)
        if problem is None:
            tables.append(table)
        else:
            damaged.append((path.name, problem))
    if damaged:
        raise SweepError(damaged_message(Path(root), damaged))
    return pa.concat_tables(tables)


def failures(root: str | os.PathLike) -> list[dict[str, Any]]:
    """The failure records of the store, by run id."""
    folder = Path(root) / FAILED
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("run-*.json"))]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
