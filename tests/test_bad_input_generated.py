"""Bad input, generated systematically (issue 17): every key of a scenario file and of a
sweep specification given a value of the wrong type or out of range, unknown keys at
each level, bad policy names and dates, damaged folders and bad command-line options.

Each case calls the ``sendabm`` entry point in this process and checks: exit status 2,
exactly one line on stderr (no traceback) that names the problem, nothing written (the
output folder absent, the current folder, the inputs and the temporary folder as
they were) and no simulation started (validation happens before any run)."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sendabm.cli import main
from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import LATEST_END, MODEL_START, RUN_KEYS, SCENARIO_KEYS
from sendabm.experiments.sweep import SWEEP_KEYS

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
POLICY = ROOT / "experiments" / "scenarios" / "tribunal_remove.toml"
SWEEP = ROOT / "experiments" / "sweeps" / "lhs_example.toml"

IN = "{in}"
"""Placeholder in a case's arguments for the folder holding its input files."""
OUT = "{out}"
"""Placeholder for an output path that must not appear."""


@dataclass(frozen=True)
class Case:
    """One bad input: the files to write, the command, and words the error must hold."""

    id: str
    argv: tuple[str, ...]
    words: tuple[str, ...] = ()
    files: dict[str, str | bytes] = field(default_factory=dict)


# --- TOML values of the wrong kind ---------------------------------------------------

NOT_A_NUMBER = {
    "string": '"0.5"', "list": "[0.5]", "table": "{ value = 0.5 }", "bool": "true",
    "nan": "nan", "inf": "inf", "-inf": "-inf", "date": "2020-01-01",
}
"""TOML literals that are not a finite number, by kind."""

HUGE = "1" + "0" * 400
"""A TOML integer beyond any float (TOML integers have no size limit in Python)."""

NOT_A_MONTH = {
    "int": "2026", "float": "2026.09", "list": '["2026-09"]', "table": '{ month = "2026-09" }',
    "bool": "true", "date": "2026-09-01", "month13": '"2026-13"', "short": '"2026-9"',
    "words": '"September 2026"', "empty": '""',
}
"""TOML literals that are not a month "YYYY-MM", by kind."""

NOT_A_STRING = {"int": "1", "list": '["x"]', "table": '{ name = "x" }', "bool": "true",
                "date": "2020-01-01"}
"""TOML literals that are not a string, by kind."""


def toml_number(value: float) -> str:
    """A number as a TOML literal (TOML floats need a decimal point or exponent)."""
    return repr(float(value))


def beyond(bound: float, direction: int, default: object) -> str:
    """A TOML literal just past ``bound`` (by one for whole numbers, else by 1% or 0.001)."""
    if isinstance(default, int):
        return str(int(bound) + direction)
    return toml_number(bound + direction * max(abs(bound) * 0.01, 1e-3))


def scenario(body: str = "", head: str = 'name = "bad"', end: str = '"2030-08"') -> str:
    """A scenario file with ``body`` appended after its [scenario] and [run] sections."""
    return f'[scenario]\n{head}\n\n[run]\nend = {end}\n\n{body}\n'


def run_case(id_: str, text: str, *words: str, extra: tuple[str, ...] = ()) -> Case:
    """``sendabm run`` of a scenario file holding ``text``."""
    return Case(f"run-{id_}", ("run", f"{IN}/bad.toml", "--out", OUT, *extra), words,
                {"bad.toml": text})


def policy(name: str = '"tribunal"', start: str = '"2026-09"', **options: str) -> str:
    lines = [f"name = {name}", f"start = {start}"] + [f"{k} = {v}" for k, v in options.items()]
    return "[[policies]]\n" + "\n".join(lines) + "\n"


# --- scenario files --------------------------------------------------------------------


def scenario_section_cases() -> list[Case]:
    """[scenario] keys, sections of the wrong kind, unknown keys at each level."""
    assert set(SCENARIO_KEYS) == {"name", "description", "inherits"}, "a new key needs cases"
    cases = []
    for kind, literal in NOT_A_STRING.items():
        cases.append(run_case(f"name-{kind}", scenario(head=f"name = {literal}"), "name"))
        cases.append(run_case(f"description-{kind}",
                              scenario(head=f'name = "bad"\ndescription = {literal}'),
                              "description"))
        cases.append(run_case(f"inherits-{kind}",
                              scenario(head=f'name = "bad"\ninherits = {literal}'), "inherits"))
    cases += [
        run_case("name-empty", scenario(head='name = "  "'), "name"),
        run_case("name-missing", scenario(head='description = "x"'), "name"),
        run_case("no-scenario-section", '[run]\nseed = 1\n', "[scenario]"),
        run_case("empty-file", "", "[scenario]"),
        run_case("inherits-missing", scenario(head='name = "bad"\ninherits = "nope.toml"'),
                 "nope.toml"),
        run_case("inherits-itself", scenario(head='name = "bad"\ninherits = "bad.toml"'),
                 "cycle"),
        run_case("inherits-a-folder", scenario(head='name = "bad"\ninherits = "."'),
                 "inherits"),
    ]
    for section in ("scenario", "run", "parameters"):
        cases.append(run_case(f"{section}-not-a-table", f'{section} = 1\n', section))
    cases.append(run_case("policies-a-table", scenario('[policies]\nname = "tribunal"\n'),
                          "policies"))
    cases.append(run_case("policies-a-number", f"policies = 3\n{scenario()}", "policies"))
    cases.append(run_case("policies-entry-not-a-table",
                          scenario().replace("[scenario]", "policies = [1]\n[scenario]"),
                          "policies"))
    for where, text in {
        "top-level": "colour = 1\n" + scenario(),
        "top-level-section": scenario("[settings]\nx = 1\n"),
        "scenario": scenario(head='name = "bad"\nauthor = "me"'),
        "run": scenario().replace("[run]\n", "[run]\nyears = 5\n"),
        "parameters": scenario("[parameters]\nneed_onset_per_yr = 0.02\n"),
        "policies": scenario(policy(mode='"remove"', colour='"red"')),
    }.items():
        word = {"top-level": "colour", "top-level-section": "settings", "scenario": "author",
                "run": "years", "parameters": "need_onset_per_yr", "policies": "colour"}[where]
        cases.append(run_case(f"unknown-key-{where}", text, word))
    # keys written in the wrong section
    cases.append(run_case("seed-under-scenario", scenario(head='name = "bad"\nseed = 3'),
                          "seed", "[run]"))
    cases.append(run_case("parameter-under-run",
                          scenario().replace("[run]\n", "[run]\nneed_onset_per_year = 0.02\n"),
                          "need_onset_per_year", "[parameters]"))
    cases.append(run_case("name-under-run",
                          scenario().replace("[run]\n", '[run]\nname = "x"\n'),
                          "name", "[scenario]"))
    return cases


def run_section_cases() -> list[Case]:
    """[run] start, end, scale and seed of the wrong kind or out of range."""
    assert set(RUN_KEYS) == {"start", "end", "scale", "seed"}, "a new [run] key needs cases"
    cases = []
    for key in ("start", "end"):
        for kind, literal in NOT_A_MONTH.items():
            body = f"{key} = {literal}"
            text = scenario(end='"2030-08"' if key == "start" else literal)
            if key == "start":
                text = text.replace("[run]\n", f"[run]\n{body}\n")
            cases.append(run_case(f"{key}-{kind}", text, key))
    cases += [
        run_case("start-unsupported", scenario().replace("[run]\n", '[run]\nstart = "2016-09"\n'),
                 "start", MODEL_START),
        run_case("start-before-model", scenario().replace("[run]\n",
                                                          '[run]\nstart = "2000-09"\n'),
                 "start", MODEL_START),
        run_case("end-before-start", scenario(end='"2013-08"'), "end"),
        run_case("end-at-start", scenario(end=f'"{MODEL_START}"'), "end"),
        run_case("end-too-late", scenario(end='"2041-01"'), "end", LATEST_END),
        run_case("end-2099", scenario(end='"2099-08"'), "end", LATEST_END),
    ]
    out_of_range = {"scale": {"below": "0.0009", "zero": "0", "above": "1.5", "negative": "-1",
                              "huge": HUGE},
                    "seed": {"below": "-1", "above": str(2**64), "huge": HUGE}}
    for key, sides in out_of_range.items():
        kinds = dict(NOT_A_NUMBER)
        if key == "seed":
            kinds["float"] = "1.5"
            kinds["whole-float"] = "1.0"
        for kind, literal in {**kinds, **sides}.items():
            text = scenario().replace("[run]\n", f"[run]\n{key} = {literal}\n")
            cases.append(run_case(f"{key}-{kind}", text, key))
    return cases


def parameter_cases() -> list[Case]:
    """Every parameter given values of the wrong kind, and values out of its range."""
    cases = []
    for name, param in PARAMETERS.items():
        def case(kind: str, literal: str, *words: str, name: str = name) -> Case:
            return run_case(f"param-{name}-{kind}", scenario(f"[parameters]\n{name} = {literal}\n"),
                            name, *words)

        if isinstance(param.default, str):  # a month
            cases += [case(kind, literal) for kind, literal in NOT_A_MONTH.items()]
            continue
        cases += [case(kind, literal) for kind, literal in NOT_A_NUMBER.items()]
        cases += [case("huge", HUGE, "range"), case("minus-huge", f"-{HUGE}", "range")]
        if isinstance(param.default, int):
            cases.append(case("fraction", toml_number(param.default + 0.5), "whole number"))
        if param.low is not None:
            cases.append(case("below-min", beyond(param.low, -1, param.default), "range"))
        if param.high is not None:
            cases.append(case("above-max", beyond(param.high, 1, param.default), "range"))
    return cases


def policy_cases() -> list[Case]:
    """Policy names, starts, strengths and every lever option, wrong."""
    remove = {"mode": '"remove"'}
    cases = [
        run_case("policy-unknown", scenario(policy('"tribunals"', **remove)), "tribunals"),
        run_case("policy-name-list", scenario(policy('["tribunal"]', **remove)), "name"),
        run_case("policy-name-table", scenario(policy('{ lever = "tribunal" }', **remove)),
                 "name"),
        run_case("policy-name-number", scenario(policy("4", **remove)), "name"),
        run_case("policy-name-bool", scenario(policy("true", **remove)), "name"),
        run_case("policy-name-empty", scenario(policy('""', **remove)), "name"),
        run_case("policy-no-name", scenario('[[policies]]\nstart = "2026-09"\n'), "name"),
        run_case("policy-no-start", scenario('[[policies]]\nname = "tribunal"\n'), "start"),
        run_case("policy-start-2000", scenario(policy(start='"2000-09"', **remove)),
                 "2000-09", MODEL_START),
        run_case("policy-start-2099", scenario(policy(start='"2099-09"', **remove)),
                 "2099-09"),
        run_case("policy-start-after-run", scenario(policy(start='"2035-09"', **remove)),
                 "2035-09", "2030-08"),
        run_case("policy-start-after-end-option", scenario(policy(start='"2029-09"', **remove)),
                 "2029-09", "2026-08", extra=("--end", "2026-08")),
        run_case("policy-twice", scenario(policy(**remove) + policy(**remove)), "tribunal"),
        run_case("policy-override-not-bool", scenario(policy(override="1", **remove)),
                 "override"),
        run_case("policy-override-nothing", scenario(policy(override="true", **remove)),
                 "override"),
        run_case("policy-strength-for-switch",
                 scenario(policy(strength="0.5", **remove)), "strength"),
    ]
    for kind, literal in NOT_A_MONTH.items():
        cases.append(run_case(f"policy-start-{kind}", scenario(policy(start=literal, **remove)),
                              "start"))
    with_strength = next(name for name, lever in LEVERS.items() if lever.has_strength)
    for kind, literal in {**NOT_A_NUMBER, "below": "-0.1", "above": "1.5", "huge": HUGE}.items():
        cases.append(run_case(f"policy-strength-{kind}",
                              scenario(policy(f'"{with_strength}"', strength=literal)),
                              "strength"))
    for lever_name, lever in LEVERS.items():
        for key, option in lever.options.items():
            for kind, literal in bad_option_values(option).items():
                entry = policy(f'"{lever_name}"', **{key: literal})
                cases.append(run_case(f"lever-{lever_name}-{key}-{kind}", scenario(entry),
                                      lever_name, key))
        cases.append(run_case(f"lever-{lever_name}-unknown-option",
                              scenario(policy(f'"{lever_name}"', colour='"red"')),
                              lever_name, "colour"))
    return cases


def bad_option_values(option) -> dict[str, str]:
    """TOML literals a lever option must reject, by kind."""
    kind = option.kind
    if kind == "boolean":
        return {"int": "1", "zero": "0", "string": '"true"', "list": "[true]"}
    if kind == "choice":
        return {"unknown": '"bogus"', "bool": "true", "list": f'["{option.choices[0]}"]'}
    if kind == "month":
        return {k: NOT_A_MONTH[k] for k in ("int", "list", "month13", "date")}
    out = {k: NOT_A_NUMBER[k] for k in ("string", "bool", "nan", "list")}
    out["huge"] = HUGE
    out["below"] = beyond(option.low, -1, option.default)
    out["above"] = beyond(option.high, 1, option.default)
    if kind == "integer":
        out["fraction"] = toml_number(option.default + 0.5)
    return out


def file_cases() -> list[Case]:
    """Files that are not TOML, not UTF-8, nested past any sensible depth, or absent."""
    deep = "[" * 20_000 + "]" * 20_000
    return [
        run_case("toml-syntax", '[scenario]\nname = "x"\nseed = = 1\n', "TOML", "line 3"),
        run_case("toml-unclosed", '[scenario\nname = "x"\n', "TOML"),
        run_case("toml-deep-array", scenario(f"[parameters]\nneed_onset_per_year = {deep}\n"),
                 "nested"),
        run_case("toml-deep-inline-table",
                 scenario("[parameters]\nneed_onset_per_year = " + "{a=" * 20_000 + "1"
                          + "}" * 20_000 + "\n"), "nested"),
        Case("run-not-utf8", ("run", f"{IN}/bad.toml", "--out", OUT), ("UTF-8",),
             {"bad.toml": b'[scenario]\nname = "\xff\xfe"\n'}),
        Case("run-missing-file", ("run", f"{IN}/absent.toml", "--out", OUT), ("not found",)),
        Case("run-folder-as-file", ("run", IN, "--out", OUT), ("directory",)),
    ]


# --- command-line options ----------------------------------------------------------------


def option_cases() -> list[Case]:
    """Bad values of each command's options."""
    base, pol = str(BASELINE), str(POLICY)
    compare = ("compare", base, pol, "--end", "2030-08", "--out", OUT)
    cases: list[Case] = []

    def add(id_: str, argv: tuple[str, ...], *words: str, files=None) -> None:
        cases.append(Case(f"option-{id_}", argv, words, files or {}))

    for value in ("abc", "1.5", "-1", str(2**64), "", "0x10"):
        add(f"run-seed-{value or 'empty'}", ("run", base, "--out", OUT, "--seed", value),
            "seed")
    for value in ("abc", "nan", "inf", "-inf", "0", "0.0009", "1.5", "-1", "", "1e400"):
        add(f"run-scale-{value or 'empty'}", ("run", base, "--out", OUT, "--scale", value),
            "scale")
        add(f"compare-scale-{value or 'empty'}", (*compare, "--seeds", "2", "--scale", value),
            "scale")
    for value in ("2025-13", "2025-8", "abc", "2014-08", "2014-09", "2041-01", "2099-01", ""):
        add(f"run-end-{value or 'empty'}", ("run", base, "--out", OUT, "--end", value), "end")
        add(f"compare-end-{value or 'empty'}", (*compare, "--seeds", "2", "--end", value),
            "end")
    add("compare-end-before-policy", (*compare, "--seeds", "2", "--end", "2025-08"),
        "tribunal_remove", "2026-09", "2014-09 to 2025-08")
    for value in ("0", "-1", "abc", "1.5", str(10**12), ""):
        add(f"compare-seeds-{value or 'empty'}", (*compare, "--seeds", value), "--seeds")
    add("compare-no-seeds", compare, "--seeds")
    for value in ("0", "-1", "abc", ""):
        add(f"compare-workers-{value or 'empty'}",
            (*compare, "--seeds", "2", "--workers", value), "--workers")
        add(f"run-threads-{value or 'empty'}", ("run", base, "--out", OUT, "--threads", value),
            "--threads")
        add(f"sweep-workers-{value or 'empty'}",
            ("sweep", str(SWEEP), "--store", OUT, "--workers", value), "--workers")
    add("run-unknown-option", ("run", base, "--out", OUT, "--colour", "red"), "--colour")
    add("run-no-scenario", ("run", "--out", OUT), "scenario")
    add("unknown-command", ("walk", base), "walk")
    add("no-command", (), "COMMAND")
    add("run-areas-missing", ("run", base, "--out", OUT, "--areas", f"{IN}/absent.csv"),
        "absent.csv")
    add("compare-same-scenario-twice", (*compare[:2], base, "--out", OUT, "--seeds", "2"),
        "baseline")
    add("sweep-engine-bogus", ("sweep", str(SWEEP), "--store", OUT, "--engine", "slurm"),
        "--engine")
    # outputs that cannot be written
    for command, flag in (("run", "--out"), ("compare", "--out"), ("sweep", "--store")):
        argv = {"run": ("run", base), "compare": (*compare[:5], "--seeds", "2"),
                "sweep": ("sweep", str(SWEEP))}[command]
        add(f"{command}-out-under-a-file", (*argv, flag, f"{IN}/afile/sub"), "afile",
            files={"afile": "x"})
        add(f"{command}-out-is-a-file", (*argv, flag, f"{IN}/afile"), "afile",
            files={"afile": "x"})
        add(f"{command}-out-under-proc", (*argv, flag, "/proc/sendabm-x/sub"), "/proc")
    add("run-out-holds-other-files", ("run", base, "--out", IN), "--out",
        files={"notes.txt": "mine"})
    # validate, backtest, calibrate, dashboard
    for value in ("0", "-1", "abc"):
        add(f"validate-seeds-{value}", ("validate", "--out", OUT, "--seeds", value), "--seeds")
        add(f"validate-workers-{value}", ("validate", "--out", OUT, "--workers", value),
            "--workers")
        add(f"backtest-seeds-{value}", ("backtest", "--out", OUT, "--seeds", value), "--seeds")
        add(f"backtest-iterations-{value}", ("backtest", "--out", OUT, "--iterations", value),
            "--iterations")
        add(f"backtest-workers-{value}", ("backtest", "--out", OUT, "--workers", value),
            "--workers")
        add(f"calibrate-trials-{value}", ("calibrate", "--study", OUT, "--trials", value),
            "--trials")
        add(f"calibrate-workers-{value}", ("calibrate", "--study", OUT, "--workers", value),
            "--workers")
    for value in ("0", "2", "nan", "abc"):
        add(f"validate-scale-{value}", ("validate", "--out", OUT, "--scale", value), "scale")
        add(f"backtest-scale-{value}", ("backtest", "--out", OUT, "--scale", value), "scale")
    for value in ("2022-12", "2041-01", "2025-13", "abc"):
        add(f"validate-end-{value}", ("validate", "--out", OUT, "--end", value), "end")
    add("validate-out-is-a-file", ("validate", "--out", f"{IN}/afile"), "afile",
        files={"afile": "x"})
    add("backtest-out-under-a-file", ("backtest", "--out", f"{IN}/afile/sub"), "afile",
        files={"afile": "x"})
    add("calibrate-spec-missing", ("calibrate", "--study", OUT, "--spec", f"{IN}/absent.toml"),
        "absent.toml")
    for value in ("0", "70000", "-1", "abc"):
        add(f"dashboard-port-{value}", ("dashboard", "--port", value), "port")
    return cases


# --- sweep specifications ------------------------------------------------------------------

SPEC_HEAD = {"name": '"bad"', "design": '"lhs"', "samples": "4", "replications": "1",
             "seed": "1", "scale": "0.01", "end": '"2030-08"', "policy_start": '"2026-09"',
             "common_seeds": "false"}
SPEC_FACTORS = ('[[levers]]\nname = "core_offer"\nrange = [0.0, 1.0]\n\n'
                '[[uncertainties]]\nname = "need_onset_per_year"\nrange = [0.015, 0.025]\n')


def spec(head: dict[str, str | None] | None = None, factors: str = SPEC_FACTORS,
         tail: str = "") -> str:
    """A sweep specification with some [sweep] keys replaced (None drops a key)."""
    merged = {**SPEC_HEAD, **(head or {})}
    lines = "\n".join(f"{k} = {v}" for k, v in merged.items() if v is not None)
    return f"[sweep]\n{lines}\n\n{factors}\n{tail}"


def sweep_case(id_: str, text: str, *words: str) -> Case:
    return Case(f"sweep-{id_}", ("sweep", f"{IN}/spec.toml", "--store", OUT), words,
                {"spec.toml": text})


def factorial_of(n_factors: int) -> str:
    """Uncertainties with two levels each: 2**n_factors design points."""
    bounded = [(name, p) for name, p in PARAMETERS.items() if p.low is not None
               and p.high is not None and isinstance(p.default, float)][:n_factors]
    assert len(bounded) == n_factors
    return "".join(f'[[uncertainties]]\nname = "{name}"\nlevels = '
                   f'[{toml_number(p.low)}, {toml_number(p.high)}]\n' for name, p in bounded)


def sweep_cases() -> list[Case]:
    """Every [sweep] key wrong, bad levers and uncertainties, sizes beyond any machine."""
    assert set(SWEEP_KEYS) == set(SPEC_HEAD) | {"base"}, "a new [sweep] key needs cases"
    wrong = {
        "name": {**NOT_A_STRING, "empty": '""'},
        "design": {"unknown": '"random"', "int": "1", "list": '["lhs"]'},
        "samples": {**NOT_A_NUMBER, "zero": "0", "negative": "-3", "fraction": "2.5",
                    "huge": str(10**12)},
        "replications": {**NOT_A_NUMBER, "zero": "0", "fraction": "1.5", "huge": str(10**12)},
        "seed": {**NOT_A_NUMBER, "negative": "-1", "fraction": "1.5"},
        "scale": {**NOT_A_NUMBER, "zero": "0", "above": "1.5"},
        "end": {**NOT_A_MONTH, "too-late": '"2041-01"', "at-start": f'"{MODEL_START}"'},
        "policy_start": {**NOT_A_MONTH, "after-end": '"2031-09"', "before-model": '"2000-09"'},
        "base": {**NOT_A_STRING, "missing": '"absent.toml"'},
        "common_seeds": {"int": "1", "string": '"yes"', "list": "[true]"},
    }
    cases = []
    for key, kinds in wrong.items():
        for kind, literal in kinds.items():
            cases.append(sweep_case(f"{key}-{kind}", spec({key: literal}), key))
    cases += [
        sweep_case("no-name", spec({"name": None}), "name"),
        sweep_case("no-samples", spec({"samples": None}), "samples"),
        sweep_case("no-sweep-section", SPEC_FACTORS, "[sweep]"),
        sweep_case("sweep-not-a-table", "sweep = 1\n" + SPEC_FACTORS, "[sweep]"),
        sweep_case("unknown-section", spec(tail="[extras]\nx = 1\n"), "extras"),
        sweep_case("unknown-sweep-key", spec({"colour": '"red"'}), "colour"),
        sweep_case("unknown-factor-key",
                   spec(factors='[[levers]]\nname = "core_offer"\nrange = [0.0, 1.0]\n'
                                'step = 0.1\n'), "step"),
        sweep_case("no-factors", spec(factors=""), "levers"),
        sweep_case("levers-a-table", spec(factors='[levers]\nname = "core_offer"\n'), "levers"),
        sweep_case("huge-sobol", spec({"design": '"sobol"', "samples": str(10**9)}), "samples"),
        sweep_case("huge-factorial", spec({"design": '"factorial"', "samples": None},
                                          factors=factorial_of(40)), "runs"),
        sweep_case("toml-deep", spec(tail="[outcomes]\nnames = " + "[" * 20_000 + "]" * 20_000
                                     + "\n"), "nested"),
        sweep_case("toml-syntax", "[sweep\nname = 1\n", "TOML"),
        sweep_case("not-utf8", '[sweep]\nname = "\xff"\n'.encode("latin-1"), "UTF-8"),
        sweep_case("outcome-unknown", spec(tail='[outcomes]\nnames = ["happiness"]\n'),
                   "happiness"),
        sweep_case("outcome-not-a-list", spec(tail='[outcomes]\nnames = "ehc_plans"\n'),
                   "names"),
        sweep_case("outcome-name-list", spec(tail='[outcomes]\nnames = [["ehc_plans"]]\n'),
                   "outcome"),
        sweep_case("outcomes-unknown-key", spec(tail='[outcomes]\nlist = ["ehc_plans"]\n'),
                   "[outcomes]"),
        sweep_case("input-twice", spec(factors=SPEC_FACTORS + SPEC_FACTORS), "twice"),
        Case("sweep-spec-missing", ("sweep", f"{IN}/absent.toml", "--store", OUT),
             ("absent.toml",)),
    ]
    factor_cases = {
        "lever-name-list": ('[[levers]]\nname = ["core_offer"]\nrange = [0.0, 1.0]\n', "name"),
        "lever-name-table": ('[[levers]]\nname = { a = 1 }\nrange = [0.0, 1.0]\n', "name"),
        "lever-name-number": ('[[levers]]\nname = 3\nrange = [0.0, 1.0]\n', "name"),
        "lever-name-unknown": ('[[levers]]\nname = "core_offers"\nrange = [0.0, 1.0]\n',
                               "core_offers"),
        "lever-no-name": ('[[levers]]\nrange = [0.0, 1.0]\n', "name"),
        "lever-parameter-as-lever": ('[[levers]]\nname = "need_onset_per_year"\n'
                                     'range = [0.01, 0.02]\n', "need_onset_per_year"),
        "lever-range-above-1": ('[[levers]]\nname = "core_offer"\nrange = [0.0, 1.5]\n',
                                "range"),
        "lever-range-reversed": ('[[levers]]\nname = "core_offer"\nrange = [1.0, 0.0]\n',
                                 "range"),
        "lever-range-strings": ('[[levers]]\nname = "core_offer"\nrange = ["0", "1"]\n',
                                "range"),
        "lever-range-nan": ('[[levers]]\nname = "core_offer"\nrange = [nan, 1.0]\n', "range"),
        "lever-range-huge": (f'[[levers]]\nname = "core_offer"\nrange = [0, {HUGE}]\n',
                             "range"),
        "uncertainty-levels-huge": (f'[[uncertainties]]\nname = "need_onset_per_year"\n'
                                    f'choices = [0.02, {HUGE}]\n', "need_onset_per_year"),
        "lever-range-inf": ('[[levers]]\nname = "tribunal__capacity_factor"\n'
                            'range = [1.0, inf]\n', "range"),
        "lever-range-three": ('[[levers]]\nname = "core_offer"\nrange = [0.0, 0.5, 1.0]\n',
                              "range"),
        "lever-range-a-number": ('[[levers]]\nname = "core_offer"\nrange = 1.0\n', "range"),
        "lever-switch-range": ('[[levers]]\nname = "tribunal"\nrange = [0.0, 1.0]\n',
                               "tribunal"),
        "lever-choice-unknown": ('[[levers]]\nname = "tribunal__mode"\n'
                                 'choices = ["keep", "abolish"]\n', "abolish"),
        "lever-choice-repeated": ('[[levers]]\nname = "tribunal__mode"\n'
                                  'choices = ["keep", "keep"]\n', "twice"),
        "lever-binding-int": ('[[levers]]\nname = "tribunal__binding"\nchoices = [1, 0]\n',
                              "binding"),
        "lever-months-fraction": ('[[levers]]\nname = "tribunal__months_to_decision"\n'
                                  'choices = [2.5, 3]\n', "months_to_decision"),
        "lever-no-values": ('[[levers]]\nname = "core_offer"\n', "range"),
        "lever-range-and-choices": ('[[levers]]\nname = "core_offer"\nrange = [0.0, 1.0]\n'
                                    'choices = [0.0, 1.0]\n', "range"),
        "lever-empty-choices": ('[[levers]]\nname = "tribunal__mode"\nchoices = []\n',
                                "choices"),
        "lever-unknown-option": ('[[levers]]\nname = "tribunal__colour"\n'
                                 'choices = ["red"]\n', "tribunal__colour"),
        "levels-outside-factorial": ('[[levers]]\nname = "core_offer"\nlevels = [0.0, 1.0]\n',
                                     "levels"),
        "uncertainty-unknown": ('[[uncertainties]]\nname = "need_onset"\n'
                                'range = [0.01, 0.02]\n', "need_onset"),
        "uncertainty-name-list": ('[[uncertainties]]\nname = ["need_onset_per_year"]\n'
                                  'range = [0.01, 0.02]\n', "name"),
        "uncertainty-lever-as-parameter": ('[[uncertainties]]\nname = "core_offer"\n'
                                           'range = [0.0, 1.0]\n', "core_offer"),
    }
    for id_, (factors, word) in factor_cases.items():
        cases.append(sweep_case(id_, spec(factors=factors), word))
    for name, param in PARAMETERS.items():
        if param.low is None or param.high is None or isinstance(param.default, str):
            continue
        step = max(abs(param.high) * 0.01, 1e-3)
        text = (f"[[uncertainties]]\nname = \"{name}\"\nrange = [{toml_number(param.low)}, "
                f"{toml_number(param.high + step)}]\n")
        cases.append(sweep_case(f"uncertainty-{name}-above-max", spec(factors=text), name))
    return cases


# --- damaged folders -------------------------------------------------------------------------


VALID_STORE_MANIFEST = ('{"spec": {"name": "s", "design": "lhs", "samples": 1, '
                        '"replications": 1, "factors": [], "outcomes": []}, "design": '
                        '{"names": [], "problem": {}, "matrix": []}, "runs": [], '
                        '"spec_hash": "x"}')
"""A store manifest of the right shape, so that what is damaged is a run's part."""


def folder_cases() -> list[Case]:
    """Sweep stores, results folders and calibration specs that are damaged."""
    cases: list[Case] = []
    manifests = {"empty-object": "{}", "empty-file": "", "not-json": "{runs: [",
                 "a-list": "[1, 2]", "a-number": "3", "spec-not-a-table": '{"spec": 1}',
                 "deep": "[" * 100_000 + "]" * 100_000, "runs-missing": '{"spec": {}}'}
    for kind, text in manifests.items():
        files = {"store/manifest.json": text, "store/runs/.keep": ""}
        cases.append(Case(f"sensitivity-manifest-{kind}",
                          ("sensitivity", f"{IN}/store", "--out", OUT), ("manifest",), files))
        cases.append(Case(f"report-manifest-{kind}", ("report", f"{IN}/store", "--out", OUT),
                          ("store",), files))
    cases += [
        Case("sensitivity-store-missing", ("sensitivity", f"{IN}/absent", "--out", OUT),
             ("absent",)),
        Case("sensitivity-store-a-file", ("sensitivity", f"{IN}/afile", "--out", OUT),
             ("afile",), {"afile": "x"}),
        Case("sensitivity-method-bogus", ("sensitivity", f"{IN}/absent", "--method", "fast"),
             ("--method",)),
        Case("report-folder-missing", ("report", f"{IN}/absent", "--out", OUT), ("absent",)),
        Case("report-folder-empty", ("report", f"{IN}/empty", "--out", OUT), ("empty",),
             {"empty/.keep": ""}),
        Case("report-map-bogus", ("report", f"{IN}/absent", "--map", "joy"), ("--map",)),
        Case("sensitivity-run-part-damaged", ("sensitivity", f"{IN}/store", "--out", OUT),
             ("run-000000",), {"store/manifest.json": VALID_STORE_MANIFEST,
                               "store/runs/run-000000.parquet": "not parquet"}),
        Case("report-compare-empty-object", ("report", f"{IN}/cmp", "--out", OUT),
             ("compare.json",),
             {"cmp/compare.json": "{}"}),
        Case("report-compare-not-json", ("report", f"{IN}/cmp", "--out", OUT),
             ("compare.json",),
             {"cmp/compare.json": "{base: "}),
        Case("report-compare-policies-not-a-list", ("report", f"{IN}/cmp", "--out", OUT),
             ("compare.json",),
             {"cmp/compare.json": '{"base": {"name": "b"}, "policies": 3}'}),
        Case("report-run-manifest-empty", ("report", f"{IN}/run", "--out", OUT), ("run",),
             {"run/manifest.json": "{}", "run/national.csv": "date,ehc_plans\n"}),
        Case("report-run-manifest-a-list", ("report", f"{IN}/run", "--out", OUT), ("run",),
             {"run/manifest.json": "[]", "run/national.csv": "date,ehc_plans\n"}),
        Case("report-run-national-damaged", ("report", f"{IN}/run", "--out", OUT),
             ("run",),
             {"run/manifest.json": '{"scenario": {"name": "x"}, "files": ["national.csv"]}',
              "run/national.csv": "date,ehc_plans\nnot-a-date,x\n"}),
    ]
    calibration = {
        "deep": ("[calibration]\nname = " + "[" * 20_000 + "]" * 20_000 + "\n", "nested"),
        "syntax": ("[calibration\n", "TOML"),
        "not-utf8": ('[calibration]\nname = "\xff"\n'.encode("latin-1"), "UTF-8"),
        "parameter-name-list": ('[[parameters]]\nname = ["need_onset_per_year"]\nlow = 0.01\n'
                                'high = 0.02\n', "name"),
        "parameter-name-unknown": ('[[parameters]]\nname = "need_onset"\nlow = 0.01\n'
                                   'high = 0.02\n', "need_onset"),
        "parameter-low-missing": ('[[parameters]]\nname = "need_onset_per_year"\n'
                                  'high = 0.02\n', "low"),
        "parameter-log-string": ('[[parameters]]\nname = "need_onset_per_year"\nlow = 0.01\n'
                                 'high = 0.02\nlog = "no"\n', "log"),
        "parameters-a-table": ('[parameters]\nname = "need_onset_per_year"\n', "parameters"),
        "weights-not-a-table": ('weights = 1\n', "weights"),
        "weight-string": ('[weights]\nehc_plans = "high"\n', "ehc_plans"),
        "seeds-zero": ('[calibration]\nseeds = 0\n', "seeds"),
        "sampler-seed-huge": (f'[calibration]\nsampler_seed = {HUGE}\n', "sampler_seed"),
        "weight-huge": (f'[weights]\nehc_plans = {HUGE}\n', "ehc_plans"),
        "low-huge": (f'[[parameters]]\nname = "need_onset_per_year"\nlow = -{HUGE}\n'
                     'high = 0.02\n', "low"),
        "trials-fraction": ('[calibration]\ntrials = 2.5\n', "trials"),
        "end-bad-month": ('[calibration]\nend = "2022-13"\n', "end"),
        "end-number": ('[calibration]\nend = 2022\n', "end"),
        "name-list": ('[calibration]\nname = ["x"]\n', "name"),
        "scenario-missing": ('[calibration]\nscenario = "absent.toml"\n', "absent.toml"),
        "unknown-key": ('[calibration]\nbudget = 3\n', "budget"),
    }
    good = ('[[parameters]]\nname = "need_onset_per_year"\nlow = 0.01\nhigh = 0.02\n')
    for kind, (text, word) in calibration.items():
        body = text if isinstance(text, bytes) or "[[parameters]]" in text else text + good
        if kind == "parameters-a-table":
            body = text
        cases.append(Case(f"calibrate-spec-{kind}",
                          ("calibrate", "--spec", f"{IN}/spec.toml", "--study", OUT),
                          (word,), {"spec.toml": body}))
    return cases


CASES = [*scenario_section_cases(), *run_section_cases(), *parameter_cases(), *policy_cases(),
         *file_cases(), *option_cases(), *sweep_cases(), *folder_cases()]
XFAIL: dict[str, str] = {}
"""Case ids known to fail, with the reason."""


def test_the_cases_are_many_and_distinct():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(CASES) >= 150
    assert set(XFAIL) <= set(ids)


# --- the check --------------------------------------------------------------------------------


class SimulationStarted(BaseException):
    """Raised by the patched entry points: a bad input got as far as running something.

    A BaseException, so that no ``except Exception`` of the code under test hides it."""


SIMULATION_ENTRY_POINTS = [
    ("sendabm.experiments.run", "run_scenario"),
    ("sendabm.experiments.compare", "compare"),
    ("sendabm.experiments.engines", "connect"),
    ("sendabm.experiments.sweep_run", "run_model"),
    ("sendabm.experiments.validate", "run_validation"),
    ("sendabm.experiments.calibrate", "run_study"),
    ("sendabm.experiments.calibrate", "fit_las"),
    ("sendabm.experiments.backtest", "backtest"),
    ("sendabm.experiments.pool", "WorkerPool"),
]
"""Functions through which every command starts simulating (the dashboard's server is
not imported here: its port is checked before it is imported)."""


@pytest.fixture
def no_simulation(monkeypatch):
    """Every way into a simulation raises :class:`SimulationStarted`."""
    import importlib

    for module_name, attribute in SIMULATION_ENTRY_POINTS:
        module = importlib.import_module(module_name)

        def started(*args, _name=f"{module_name}.{attribute}", **kwargs):
            raise SimulationStarted(_name)

        monkeypatch.setattr(module, attribute, started)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its content (None for folders)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def expand(arg: str, inputs: Path, out: Path) -> str:
    return arg.replace(OUT, str(out)).replace(IN, str(inputs))


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=XFAIL[c.id], strict=True)]
                          if c.id in XFAIL else []) for c in CASES])
def test_bad_input_fails_cleanly(case: Case, tmp_path, monkeypatch, capsys, no_simulation):
    inputs, work, temp = tmp_path / "in", tmp_path / "work", tmp_path / "tmp"
    for folder in (inputs, work, temp):
        folder.mkdir()
    for name, content in case.files.items():
        path = inputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    monkeypatch.chdir(work)  # default outputs (results/...) would appear here
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    before = snapshot(inputs)
    out = work / "out"

    status = main([expand(a, inputs, out) for a in case.argv])

    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    for word in case.words:
        assert word in lines[0], lines[0]
    assert captured.out == ""
    assert not out.exists()
    assert snapshot(work) == {}
    assert snapshot(temp) == {}
    assert snapshot(inputs) == before


def test_numbers_in_the_cases_are_valid_toml():
    """The generator writes floats TOML can read (a test of the test)."""
    import tomllib

    for value in (0.5, 3.0, -2.25, 1e-5, 10.0):
        assert math.isclose(tomllib.loads(f"x = {toml_number(value)}")["x"], value)


@pytest.mark.parametrize("argv", [
    ("run", str(BASELINE), "--out", OUT, "--end", "2015-01"),
    ("compare", str(BASELINE), str(POLICY), "--seeds", "1", "--end", "2030-08", "--out", OUT),
    ("sweep", str(SWEEP), "--store", OUT),
], ids=["run", "compare", "sweep"])
def test_the_guard_stops_a_good_input_at_its_first_run(argv, tmp_path, monkeypatch,
                                                      no_simulation):
    """The cases above would be caught if they got as far as running (a test of the test)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SimulationStarted):
        main([expand(a, tmp_path, tmp_path / "out") for a in argv])


COMMANDS = ("run", "compare", "sweep", "sensitivity", "report", "dashboard", "calibrate",
            "validate", "backtest")


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_percent_signs_once(command, capsys):
    """argparse formats option help with %, not descriptions: no '%%' may show."""
    with pytest.raises(SystemExit) as exit_info:
        main([*([command] if command else []), "--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    assert "%%" not in shown
    if command in ("sensitivity", "validate"):
        assert {"sensitivity": "95% confidence", "validate": "90% band"}[command] in \
            " ".join(shown.split())


def test_a_sweep_may_have_max_runs_and_no_more():
    """The bound on a sweep's size counts runs before the design is built, exactly."""
    import tomllib

    from sendabm.experiments.sweep import MAX_RUNS, SweepError, parse_spec

    def parsed(samples: int, replications: int, design: str = "lhs"):
        text = spec({"design": f'"{design}"', "samples": str(samples),
                     "replications": str(replications)})
        return parse_spec(tomllib.loads(text), "spec.toml")

    assert parsed(MAX_RUNS // 2, 2).samples == MAX_RUNS // 2
    with pytest.raises(SweepError, match="1,000,002 runs"):
        parsed(MAX_RUNS // 2 + 1, 2)
    # sobol: samples x (inputs + 2) points, here two inputs
    assert parsed(MAX_RUNS // 4, 1, "sobol").design == "sobol"
    with pytest.raises(SweepError, match="more than the 1,000,000"):
        parsed(MAX_RUNS // 4 + 1, 1, "sobol")


def test_a_comparison_may_have_max_seeds_and_no_more():
    from sendabm.core.scenario import ScenarioError, load_scenario
    from sendabm.experiments.compare import MAX_SEEDS, plan_runs

    base, policy = load_scenario(BASELINE), load_scenario(POLICY)
    assert len(plan_runs(base, [policy], MAX_SEEDS, end="2030-08")[1]) == MAX_SEEDS
    with pytest.raises(ScenarioError, match="fewer --seeds"):
        plan_runs(base, [policy], MAX_SEEDS + 1, end="2030-08")
