"""Snapshot folders: a model's state on disk (``sendabm run --save-snapshot / --from-snapshot``).

A snapshot folder holds one ``.npy`` file per array of a
:class:`~sendabm.core.snapshot.Snapshot` and ``snapshot.json``, its manifest: the
snapshot format, package version and git commit, the month, seed, scale, engine, the
scenario (and its hash), the hash of its past, the state tree and, for every array,
its file, dtype, shape and size in bytes. Nothing is pickled: the arrays are read
with ``allow_pickle=False`` and the rest is JSON.

**Atomic.** The folder is written under a temporary name beside it, every file is
flushed to disk (``fsync``) with the manifest last, and only then is it renamed into
place (:func:`sendabm.experiments.results.write_folder`), so a writer killed at any
moment (``kill -9``) leaves either the previous folder or the complete new one. A
folder without its manifest, or with an array file shorter or longer than the
manifest says, is refused.

**Same code.** A snapshot is read only by the package version and git commit that
wrote it (the state it holds is that code's); another is refused in one line.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

import sendabm
from sendabm.core.snapshot import FORMAT, Snapshot, SnapshotError
from sendabm.experiments.results import check_folder, write_folder

MANIFEST = "snapshot.json"
"""File name of a snapshot folder's manifest (written last)."""


@functools.lru_cache(maxsize=1)
def _commit() -> str:
    from sendabm.experiments.run import git_commit

    return git_commit()


def check_snapshot_dir(out_dir: Path) -> None:
    """Raise :class:`ResultsError` unless ``out_dir`` is absent, empty or a snapshot."""
    check_folder(out_dir, MANIFEST, "snapshot")


def save_snapshot(snapshot: Snapshot, out_dir: str | os.PathLike,
                  durable: bool = True) -> Path:
    """Write ``snapshot`` as the folder ``out_dir``, atomically (see the module docstring).

    Args:
        snapshot: The snapshot.
        out_dir: The folder (absent, empty, or an earlier snapshot, replaced).
        durable: Flush every file to disk before the rename (``fsync``), so even a
            crash of the machine leaves no partial snapshot. A temporary snapshot
            that dies with its process (a comparison's shared past) can skip it: the
            rename alone keeps a killed writer's folder from being read.

    Returns:
        ``out_dir``.

    Raises:
        ResultsError: ``out_dir`` holds something other than a snapshot (nothing written).
    """
    out_dir = Path(out_dir)
    write_folder(out_dir, check_snapshot_dir, lambda folder: _write(snapshot, folder, durable))
    if durable:
        _fsync_dir(out_dir.parent)
    return out_dir


def _write(snapshot: Snapshot, folder: Path, durable: bool) -> None:
    files: dict[str, dict[str, Any]] = {}
    for k, (name, array) in enumerate(snapshot.arrays.items()):
        file = f"{k:04d}.npy"
        with open(folder / file, "wb") as handle:
            np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
            _flush(handle, durable)
        files[name] = {"file": file, "dtype": array.dtype.str, "shape": list(array.shape),
                       "bytes": (folder / file).stat().st_size}
    manifest = {**snapshot.manifest, "git_commit": _commit(), "arrays": files}
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)
        _flush(handle, durable)
    if durable:
        _fsync_dir(folder)


def _flush(handle: Any, durable: bool) -> None:
    handle.flush()
    if durable:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load_snapshot(folder: str | os.PathLike) -> Snapshot:
    """Read the snapshot folder ``folder``.

    Raises:
        SnapshotError: One line: not a snapshot folder, incomplete (an interrupted
            write), or written by another version or commit of sendabm.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"'{folder}' is not a complete snapshot folder (no {MANIFEST}); "
                            "give a folder written by sendabm run --save-snapshot")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SnapshotError(f"cannot read '{path}' ({error}); save the snapshot again") from None
    _check_version(manifest, folder)
    files = manifest.pop("arrays")
    manifest.pop("git_commit", None)
    arrays = {}
    for name, entry in files.items():
        file = folder / entry["file"]
        size = file.stat().st_size if file.is_file() else -1
        if size != entry["bytes"]:
            raise SnapshotError(f"snapshot '{folder}' is incomplete ({entry['file']} has "
                                f"{max(size, 0)} bytes, not {entry['bytes']}); save it again")
        array = np.load(file, allow_pickle=False)
        if array.dtype.str != entry["dtype"] or list(array.shape) != entry["shape"]:
            raise SnapshotError(f"snapshot '{folder}': {entry['file']} does not hold the "
                                f"array its manifest describes; save it again")
        arrays[name] = array
    return Snapshot(manifest=manifest, arrays=arrays)


def _check_version(manifest: dict[str, Any], folder: Path) -> None:
    version, commit = manifest.get("version"), manifest.get("git_commit", "unknown")
    if manifest.get("format") != FORMAT or manifest.get("package") != "sendabm":
        raise SnapshotError(f"'{folder}' is not a sendabm snapshot of format {FORMAT}; save "
                            "it again with this version")
    here = _commit()
    if version != sendabm.__version__ or "unknown" not in (commit, here) and commit != here:
        raise SnapshotError(
            f"snapshot '{folder}' was written by sendabm {version} (commit {commit[:12]}), "
            f"this is {sendabm.__version__} (commit {here[:12]}); save it again with this "
            "version")


__all__ = ["MANIFEST", "check_snapshot_dir", "load_snapshot", "save_snapshot"]
