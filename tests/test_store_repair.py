"""Stores that repair themselves (issue 17): a damaged part is named by `report` and
`sensitivity` (one line, exit 2, nothing written) and run again by `sweep`, which then
gives the store an undamaged sweep gives, byte for byte; an incomplete store is refused
by `sensitivity` unless asked; a scheduler that cannot be reached leaves no store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sweep_hooks

from sendabm.cli import main
from sendabm.experiments import engines, sensitivity, store
from sendabm.experiments.sweep import SweepError, parse_spec
from sendabm.experiments.sweep_run import run_sweep

SPEC = {"sweep": {"name": "repair", "design": "lhs", "samples": 4, "replications": 2,
                  "seed": 7, "scale": 0.001, "end": "2015-06", "policy_start": "2015-01"},
        "levers": [{"name": "right_first_time", "range": [0.0, 1.0]},
                   {"name": "workforce", "range": [0.0, 1.0]},
                   {"name": "tribunal__mode", "choices": ["keep", "replace"]}],
        "outcomes": {"names": ["adversarial_index", "ehc_plans"]}}

SPEC_TOML = """
[sweep]
name = "repair"
design = "lhs"
samples = 2
replications = 1
scale = 0.001
end = "2015-03"
policy_start = "2015-01"

[[levers]]
name = "right_first_time"
range = [0.0, 1.0]
"""


def contents(folder: Path) -> dict[Path, bytes | None]:
    """Every file and folder under ``folder``, with the files' bytes."""
    return {p.relative_to(folder): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def one_line_error(argv: list[str], capsys) -> str:
    assert main([str(a) for a in argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def clean(tmp_path) -> Path:
    """An undamaged store of the 8 runs of SPEC."""
    run_sweep(parse_spec(SPEC), tmp_path / "clean", workers=1, run_function=sweep_hooks.linear)
    return tmp_path / "clean"


def damage(root: Path) -> list[str]:
    """Damage six of the eight parts, each a different way, and add a stray one; return
    the damaged file names."""
    runs = root / "runs"

    def part(i: int) -> Path:
        return runs / f"run-{i:06d}.parquet"

    part(1).write_bytes(b"this is not a parquet file")
    part(2).write_bytes(b"")
    data = part(3).read_bytes()
    part(3).write_bytes(data[: len(data) // 2])
    pq.write_table(pa.table({"run_id": [4], "something": ["else"]}), part(4))
    shutil.copyfile(part(6), part(5))  # another run's part under this run's name
    table = pq.read_table(part(6))  # readable, right columns, but a value changed
    changed = table.set_column(table.schema.get_field_index("ehc_plans"), "ehc_plans",
                               pa.array([123.0]))
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), part(6))
    shutil.copyfile(part(0), part(99))  # not a run of this sweep
    return [part(i).name for i in (1, 2, 3, 4, 5, 6, 99)]


def test_damaged_parts_are_named_refused_and_repaired_byte_for_byte(clean, tmp_path,
                                                                    capsys):
    spec = parse_spec(SPEC)
    damaged = tmp_path / "damaged"
    shutil.copytree(clean, damaged)
    names = damage(damaged)
    before = contents(damaged)
    for argv in (["report", damaged], ["sensitivity", damaged]):
        line = one_line_error(argv, capsys)
        assert "7 damaged part(s)" in line and names[0] in line and "and 4 more" in line
        assert f"re-run sendabm sweep with its spec and --store {damaged} to repair" in line
        assert contents(damaged) == before
    summary = run_sweep(spec, damaged, workers=1, run_function=sweep_hooks.linear)
    assert (summary.skipped, summary.done, summary.failed, summary.repaired) == (2, 6, 0, 7)
    assert contents(damaged) == contents(clean)
    again = run_sweep(spec, damaged, workers=1, run_function=sweep_hooks.linear)
    assert (again.skipped, again.done, again.repaired) == (8, 0, 0)


def _load_only(root: Path, keep: str) -> None:
    """Load a copy of ``root`` holding only the part ``keep`` (one damage at a time)."""
    copy = root.parent / f"only-{keep}"
    shutil.copytree(root, copy)
    for path in (copy / "runs").iterdir():
        if path.name != f"{keep}.parquet":
            path.unlink()
    store.load(copy)


@pytest.mark.parametrize("run, problem", [
    (1, "not a readable Parquet file"), (2, "not a readable Parquet file"),
    (3, "not a readable Parquet file"), (4, "other columns than the sweep's"),
    (5, "ids or seed of another run"), (6, "values do not match their checksum"),
    (99, "not a run of this sweep")])
def test_each_kind_of_damage_is_named(clean, tmp_path, run, problem):
    damaged = tmp_path / "damaged"
    shutil.copytree(clean, damaged)
    damage(damaged)
    name = f"run-{run:06d}"
    with pytest.raises(SweepError, match=f"{name}.parquet: {problem}"):
        _load_only(damaged, keep=name)


def test_a_part_written_before_checksums_is_still_finished(clean):
    part = clean / "runs" / "run-000000.parquet"
    table = pq.read_table(part)
    pq.write_table(table.replace_schema_metadata(None), part)
    assert store.load(clean).num_rows == 8
    summary = run_sweep(parse_spec(SPEC), clean, workers=1, run_function=sweep_hooks.linear)
    assert (summary.skipped, summary.done, summary.repaired) == (8, 0, 0)


def test_sensitivity_refuses_an_incomplete_store_unless_asked(clean, tmp_path, capsys):
    for path in store.parts(clean)[::2]:
        path.unlink()
    out = tmp_path / "sens"
    line = one_line_error(["sensitivity", clean, "--out", out], capsys)
    assert "4 of its 8 runs finished (4 missing, 0 failed)" in line
    assert "re-run sendabm sweep" in line and "--allow-incomplete" in line
    assert not out.exists()
    assert main(["sensitivity", str(clean), "--out", str(out), "--allow-incomplete"]) == 0
    assert "incomplete: 4 of 8 runs" in capsys.readouterr().out
    assert "**Incomplete:** from 4 of the sweep's 8 runs" in (out / "sensitivity.md").read_text()


def test_sensitivity_output_appears_whole_or_not_at_all(clean, tmp_path, monkeypatch,
                                                        capsys):
    out = tmp_path / "sens"
    result = sensitivity.analyse(clean)
    sensitivity.write_sensitivity(result, out)
    before = contents(out)

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(sensitivity, "sensitivity_figure", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        sensitivity.write_sensitivity(result, out)
    assert contents(out) == before
    (tmp_path / "afile").write_text("x")
    line = one_line_error(["sensitivity", clean, "--out", tmp_path / "afile"], capsys)
    assert "afile' is a file" in line and "choose another --out" in line


def test_an_unreachable_scheduler_leaves_no_store(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(engines, "SCHEDULER_TIMEOUT", "1s")
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC_TOML, encoding="utf-8")
    line = one_line_error(["sweep", spec, "--store", tmp_path / "s", "--scheduler",
                           "tcp://127.0.0.1:1", "--quiet"], capsys)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in line
    assert not (tmp_path / "s").exists()
