"""Fit behavioural parameters to the national record: the engine of ``sendabm calibrate``.

A calibration specification (TOML; the packaged one is
``sendabm/data/calibration_spec.toml``) names the parameters to fit with their
plausible ranges, the weight of each target series and the budget. Optuna's TPE
sampler proposes candidates; each is run over the same seeds (common random numbers,
so candidates differ by their parameters, not their luck), and scored by the weighted
mean of the per-series mean absolute percentage errors (MAPE) of the seed-mean series
against the record for 2015-2022 (:mod:`sendabm.experiments.targets`).

The study lives in ``STUDY/study.db`` (SQLite), so an interrupted calibration resumes
where it stopped: running the same command again counts the finished trials against
the budget. When the budget is spent, the best candidate is written as
``STUDY/calibrated.toml`` (the form the package ships as its default,
``sendabm/data/calibrated.toml``) with ``STUDY/REPORT.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.core.param import is_finite_number, is_whole
from sendabm.core.parameters import PARAMETERS, PRIORS
from sendabm.core.tomlfile import read_toml
from sendabm.experiments import targets as T
from sendabm.experiments.extras import require
from sendabm.experiments.pool import WorkerPool
from sendabm.experiments.results import check_writable, replace_files
from sendabm.experiments.run import run_national

SPEC_KEYS = ("name", "scenario", "scale", "seeds", "trials", "end", "sampler_seed")
LAS_KEYS = ("scale", "seeds", "iterations", "start_plans", "yearly", "standing")
"""Keys of the spec's ``[las]`` section: the LA offsets' fit (:mod:`la_offsets`);
``start_plans = true`` also fits each LA's starting-stock correction (off by default:
results/calibration/README.md says why); ``yearly = ["assess"]`` also fits each LA's
yearly deviations of its stance to assess (and ``"capacity"`` of its assessment staffing;
the packaged spec fits ``assess`` only); ``standing = false`` fits only those, keeping
the packaged standing offsets."""
LAS_DEFAULTS = {"scale": 0.05, "seeds": 4, "iterations": 16, "start_plans": False,
                "yearly": [], "standing": True}


class CalibrationError(ValueError):
    """A calibration specification or study folder that cannot be used (one line)."""


def _yearly_fields(value, file) -> list[str]:
    """The spec's ``[las] yearly``: a list of yearly fields, each at most once."""
    from sendabm.core.dispositions import YEARLY_FIELDS

    if not (isinstance(value, list) and all(v in YEARLY_FIELDS for v in value)
            and len(set(value)) == len(value)):
        raise CalibrationError(f"[las] yearly = {value!r} in {file} must be a list of "
                               f"distinct names among {list(YEARLY_FIELDS)}, e.g. [\"assess\"]")
    return list(value)


@dataclass(frozen=True)
class FitParameter:
    """One fitted parameter: its search range, and whether to search on a log scale."""

    name: str
    low: float
    high: float
    log: bool = False

    @property
    def integer(self) -> bool:
        """True for whole-number parameters (e.g. months)."""
        return isinstance(PARAMETERS[self.name].default, int)


@dataclass(frozen=True)
class Spec:
    """A calibration specification (see ``sendabm/data/calibration_spec.toml``)."""

    name: str
    scenario: str
    scale: float
    seeds: int
    trials: int
    end: str
    sampler_seed: int
    weights: dict[str, float]
    parameters: tuple[FitParameter, ...]
    bounds: dict[str, float] = field(default_factory=dict)
    las: dict[str, float] = field(default_factory=lambda: dict(LAS_DEFAULTS))
    source: str = "packaged"
    extra: dict[str, Any] = field(default_factory=dict)

    def seed_list(self) -> list[int]:
        """The seeds every candidate is run with: 1..seeds."""
        return list(range(1, self.seeds + 1))


def packaged_spec_path() -> Path:
    """Path of the packaged calibration specification."""
    return Path(str(resources.files("sendabm.data").joinpath("calibration_spec.toml")))


def load_spec(path: str | os.PathLike | None = None) -> Spec:
    """Read and check a calibration specification.

    Everything is checked here, the base scenario and end month included, so a bad
    specification fails before any study folder is made.

    Raises:
        CalibrationError: If the file is missing, not UTF-8 or malformed, names an
            unknown parameter, target or scenario, or gives a value outside its range.
    """
    file = Path(path) if path is not None else packaged_spec_path()
    if not file.is_file():
        raise CalibrationError(f"calibration spec '{file}' not found; give the path of a TOML "
                               "file like sendabm/data/calibration_spec.toml")
    try:
        data = read_toml(file)
    except ValueError as error:
        raise CalibrationError(f"calibration spec '{file}': {error}") from None
    _reject_unknown(data, ("calibration", "weights", "bounds", "parameters", "las"), "section",
                    file)
    for section in ("calibration", "weights", "bounds", "las"):
        if not isinstance(data.get(section, {}), dict):
            raise CalibrationError(f"'{section}' in {file} must be a [{section}] table")
    if not isinstance(data.get("parameters", []), list):
        raise CalibrationError(f"'parameters' in {file} must be written as [[parameters]] "
                               "tables")
    head = data.get("calibration", {})
    _reject_unknown(head, SPEC_KEYS, "[calibration] key", file)
    for key in ("name", "scenario", "end"):
        if key in head and not isinstance(head[key], str):
            raise CalibrationError(f"[calibration] {key} = {head[key]!r} in {file} must be "
                                   "a string in quotes")
    las_head = data.get("las", {})
    _reject_unknown(las_head, LAS_KEYS, "[las] key", file)
    las = {"scale": _number(las_head.get("scale", LAS_DEFAULTS["scale"]), "las.scale", file,
                            low=0.001, high=1.0),
           "seeds": int(_number(las_head.get("seeds", LAS_DEFAULTS["seeds"]), "las.seeds", file,
                                low=1, high=100, whole=True)),
           "iterations": int(_number(las_head.get("iterations", LAS_DEFAULTS["iterations"]),
                                     "las.iterations", file, low=0, high=200, whole=True)),
           "start_plans": las_head.get("start_plans", LAS_DEFAULTS["start_plans"]),
           "standing": las_head.get("standing", LAS_DEFAULTS["standing"]),
           "yearly": _yearly_fields(las_head.get("yearly", LAS_DEFAULTS["yearly"]), file)}
    for key in ("start_plans", "standing"):
        if not isinstance(las[key], bool):
            raise CalibrationError(f"[las] {key} = {las[key]!r} in {file} must be "
                                   "true or false")
    weights = {k: _number(v, f"weight '{k}'", file, low=0.0) for k, v in
               _table(data, "weights", file).items()}
    _reject_unknown(weights, tuple(T.BY_NAME), "target", file)
    if weights and not sum(weights.values()) > 0:
        raise CalibrationError(f"[weights] in {file} are all 0; give at least one target a "
                               "positive weight")
    bounds = {k: _number(v, f"bound '{k}'", file, low=0.0) for k, v in
              _table(data, "bounds", file).items()}
    _reject_unknown(bounds, tuple(weights or T.BY_NAME), "bounded target", file)
    entries = data.get("parameters", [])
    if not isinstance(entries, list):
        raise CalibrationError(f"parameters in {file} must be [[parameters]] tables with "
                               "name, low and high")
    fitted = tuple(_fit_parameter(entry, file) for entry in entries)
    if not fitted:
        raise CalibrationError(f"calibration spec '{file}' fits no parameters; add "
                               "[[parameters]] entries with name, low and high")
    names = [fp.name for fp in fitted]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise CalibrationError(f"[[parameters]] name {twice!r} is listed twice in {file}; "
                               "list each parameter once")
    name = head.get("name", file.stem)
    if not isinstance(name, str) or not name.strip():
        raise CalibrationError(f"[calibration] name in {file} must be a non-empty string")
    spec = Spec(
        name=name,
        scenario=str(head.get("scenario", "baseline")),
        scale=_number(head.get("scale", 0.01), "scale", file, low=0.001, high=1.0),
        seeds=int(_number(head.get("seeds", 4), "seeds", file, low=1, high=1000, whole=True)),
        trials=int(_number(head.get("trials", 100), "trials", file, low=1, high=100000,
                           whole=True)),
        end=str(head.get("end", "2022-12")),
        sampler_seed=int(_number(head.get("sampler_seed", 1), "sampler_seed", file, low=0,
                                 high=2**32 - 1, whole=True)),
        weights=weights or {t.name: 1.0 for t in T.TARGETS if t.fitted},
        parameters=fitted,
        bounds=bounds,
        las=las,
        source="sendabm/data/calibration_spec.toml (packaged)" if path is None else str(file),
    )
    try:
        base_scenario(spec)  # the scenario and the end month, checked before any trial
    except ValueError as error:  # ScenarioError: a missing scenario or a bad end month
        raise CalibrationError(f"[calibration] in {file}: {error}") from None
    return spec


def _table(data: Mapping[str, Any], key: str, file: Path) -> Mapping[str, Any]:
    """The section ``[key]`` of the spec (empty if absent)."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise CalibrationError(f"{key} in {file} must be a [{key}] table, got {value!r}")
    return value


def _reject_unknown(values: Mapping[str, Any], valid: Sequence[str], what: str,
                    file: Path) -> None:
    for key in values:
        if key not in valid:
            raise CalibrationError(f"unknown {what} '{key}' in {file}; valid: "
                                   f"{', '.join(valid)}")


def _number(value: Any, what: str, file: Path, low: float | None = None,
            high: float | None = None, whole: bool = False) -> float:
    if not is_finite_number(value):
        raise CalibrationError(f"{what} in {file} must be a number, got {value!r}")
    if whole and not is_whole(value):
        raise CalibrationError(f"{what} in {file} must be a whole number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high) \
            or abs(value) > sys.float_info.max:
        raise CalibrationError(f"{what} = {value!r} in {file} is out of range "
                               f"[{low}, {high}]; choose a value inside it")
    return float(value)


def _fit_parameter(entry: Any, file: Path) -> FitParameter:
    if not isinstance(entry, dict):
        raise CalibrationError(f"[[parameters]] entries in {file} must be tables")
    _reject_unknown(entry, ("name", "low", "high", "log"), "[[parameters]] key", file)
    name = entry.get("name")
    param = PARAMETERS.get(name) if isinstance(name, str) else None
    if param is None or param.choices is not None or isinstance(param.default, str):
        raise CalibrationError(f"[[parameters]] name {name!r} in {file} is not a numeric "
                               "model parameter; see docs/parameters.md")
    low = _number(entry.get("low"), f"{name}.low", file, param.low, param.high)
    high = _number(entry.get("high"), f"{name}.high", file, param.low, param.high)
    if not low < high:
        raise CalibrationError(f"{name}: low {low} must be below high {high} in {file}")
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise CalibrationError(f"{name}: log = {log!r} in {file} must be true or false")
    if log and low <= 0:
        raise CalibrationError(f"{name}: a log-scale range needs low > 0 in {file}")
    return FitParameter(name, low, high, log)


def _optuna():
    """The optuna module, or a one-line :class:`MissingExtra` naming the extra to install."""
    require("calibrate", "calibration (sendabm calibrate)")
    import optuna

    return optuna


def base_scenario(spec: Spec):
    """The scenario candidates are built on, with the spec's scale and end month."""
    from sendabm.core.scenario import default_scenario, load_scenario

    scen = default_scenario() if spec.scenario == "baseline" else load_scenario(spec.scenario)
    return scen.with_overrides(run={"scale": spec.scale, "end": spec.end})


def score(outputs: Sequence[tuple[Sequence[dt.date], Mapping[str, np.ndarray]]],
          weights: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """Score runs of one candidate against the record.

    Each target's model series is averaged over the runs (seeds) first, then compared
    with the record over 2015-2022.

    Args:
        outputs: (dates, national measures) of each run.
        weights: Weight of each target's MAPE.

    Returns:
        The weighted mean MAPE (percent) and the MAPE of each target.
    """
    per_series = {}
    for name in weights:
        years = T.fit_years(name)
        runs = [T.model_series(T.BY_NAME[name], d, n, years) for d, n in outputs]
        with warnings.catch_warnings():
            # A period no run simulated whole (a run ending inside the fitting window) is
            # NaN in every run: its mean stays NaN, and the score is the sentinel below.
            warnings.simplefilter("ignore", RuntimeWarning)
            model = np.nanmean(np.stack(runs), axis=0)
        data = np.array([T.record()[name][y] for y in years])
        per_series[name] = T.mape(model, data)
    total = sum(weights.values())
    value = sum(w * per_series[k] for k, w in weights.items()) / total
    return (float(value) if math.isfinite(value) else 1e9), per_series


def candidate_scenarios(spec: Spec, base, values: Mapping[str, Any]) -> list:
    """The candidate's scenario once per seed."""
    scen = base.with_overrides(parameters=dict(values))
    return [scen.with_overrides(run={"seed": s}) for s in spec.seed_list()]


def evaluate(spec: Spec, values: Mapping[str, Any], pool: WorkerPool,
             base=None) -> tuple[float, dict[str, float]]:
    """Score one candidate parameter set over the spec's seeds, run in ``pool``."""
    base = base if base is not None else base_scenario(spec)
    runs = pool.ordered(run_national, candidate_scenarios(spec, base, values))
    return score(list(runs), spec.weights)


def suggest(trial, spec: Spec) -> dict[str, Any]:
    """Candidate values for an Optuna trial."""
    values: dict[str, Any] = {}
    for fp in spec.parameters:
        if fp.integer:
            values[fp.name] = trial.suggest_int(fp.name, int(fp.low), int(fp.high), log=fp.log)
        else:
            values[fp.name] = trial.suggest_float(fp.name, fp.low, fp.high, log=fp.log)
    return values


START_POINT = "start_point"
"""User attribute of an enqueued starting trial: :data:`PRIORS_POINT` or
:data:`CURRENT_POINT`."""
PRIORS_POINT = "priors"
CURRENT_POINT = "current defaults"


def check_study_dir(study_dir: Path) -> None:
    """Raise a one-line error unless ``study_dir`` can be (or is) a study folder; write
    nothing."""
    study_dir = Path(study_dir)
    if study_dir.exists() and not study_dir.is_dir():
        raise CalibrationError(f"--study '{study_dir}' is a file; give a folder (the study is "
                               "kept in FOLDER/study.db)")
    check_writable(study_dir, "--study")


def open_study(spec: Spec, study_dir: Path):
    """Create or resume the study stored in ``study_dir/study.db``.

    A new study records its starting points (the registry's priors and, if different,
    the defaults the package ships now) and enqueues them. On resume, a trial left
    running by a killed process is marked failed and queued again with the same
    parameters, and a starting point that has not completed is queued again, so the
    resumed study runs what an uninterrupted one would.
    """
    optuna = _optuna()
    study_dir = Path(study_dir)
    check_study_dir(study_dir)
    study_dir.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{(study_dir / 'study.db').resolve()}"
    try:
        study = optuna.create_study(study_name=spec.name, storage=storage,
                                    sampler=trial_sampler(spec, 0), direction="minimize",
                                    load_if_exists=True)
    except Exception as error:  # a corrupt or foreign database
        raise CalibrationError(f"cannot open study in '{study_dir}' ({error}); use another "
                               "--study folder or delete this one to start afresh") from error
    stored = study.user_attrs.get("spec_parameters")
    names = [fp.name for fp in spec.parameters]
    if stored is not None and stored != names:
        raise CalibrationError(f"the study in '{study_dir}' fits other parameters than this "
                               "spec; use another --study folder")
    if stored is None:
        # Starting points: the registry's priors (the reference the report compares
        # with) and, if different, the defaults the package ships now, so a
        # re-calibration can only improve on the current set. Recorded, so a resumed
        # study queues the same ones even if the package's defaults have changed since.
        priors = {fp.name: _clip(PRIORS[fp.name], fp) for fp in spec.parameters}
        current = {fp.name: _clip(PARAMETERS[fp.name].default, fp) for fp in spec.parameters}
        points = {PRIORS_POINT: priors}
        if current != priors:
            points[CURRENT_POINT] = current
        study.set_user_attr("start_points", points)
        study.set_user_attr("spec_parameters", names)
    _requeue_stale(study)
    _enqueue_start_points(study)
    return study


def _requeue_stale(study) -> None:
    """Mark the trials a killed process left running as failed, and queue their
    parameters again (one calibration at a time may use a study)."""
    optuna = _optuna()
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        if START_POINT not in trial.user_attrs:  # starting points: _enqueue_start_points
            study.enqueue_trial(dict(trial.params), user_attrs={"requeued_from": trial.number})


def _enqueue_start_points(study) -> None:
    """Queue each recorded starting point that is neither completed nor queued."""
    optuna = _optuna()
    State = optuna.trial.TrialState
    live = {t.user_attrs.get(START_POINT) for t in study.get_trials(
        deepcopy=False, states=(State.COMPLETE, State.WAITING, State.RUNNING))}
    for role, values in study.user_attrs.get("start_points", {}).items():
        if role not in live:
            study.enqueue_trial(values, user_attrs={START_POINT: role})


def trial_sampler(spec: Spec, position: int):
    """The TPE sampler that proposes the trial asked when ``position`` trials are complete.

    Its seed comes from ``SeedSequence([sampler_seed, position])``, so a proposal depends
    on the seed and the trials before it only, not on how often the study was resumed.
    """
    optuna = _optuna()
    seed = int(np.random.SeedSequence([spec.sampler_seed, position]).generate_state(1)[0])
    return optuna.samplers.TPESampler(seed=seed, multivariate=True)


def ask(study, spec: Spec) -> tuple[Any, dict[str, Any]]:
    """The next trial (a queued one first) and its candidate values."""
    study.sampler = trial_sampler(spec, finished_trials(study))
    trial = study.ask()
    return trial, suggest(trial, spec)


def _clip(value: float, fp: FitParameter) -> float:
    clipped = min(max(float(value), fp.low), fp.high)
    return int(round(clipped)) if fp.integer else clipped


def finished_trials(study) -> int:
    """Trials completed so far (trials of a killed process, failed and queued again, do
    not count)."""
    optuna = _optuna()
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


@dataclass
class Result:
    """Outcome of a calibration."""

    values: dict[str, Any]
    score: float
    number: int
    per_series: dict[str, float]
    trials: int
    prior_score: float | None
    prior_per_series: dict[str, float] | None
    prior_number: int | None = None
    current_number: int | None = None


def run_study(spec: Spec, study_dir: Path, workers: int = 1, trials: int | None = None,
              progress: bool = True,
              on_trial: Callable[[int, float], None] | None = None) -> Result:
    """Run (or resume) the study until ``trials`` trials are done; return the best.

    Args:
        spec: The calibration specification.
        study_dir: Folder holding ``study.db``; created if missing.
        workers: Processes running a candidate's seeds side by side.
        trials: Total budget (default: the spec's).
        progress: Show a progress bar on stderr.
        on_trial: Called after each trial with (trials done, best score).
    """
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    budget = int(trials if trials is not None else spec.trials)
    study = open_study(spec, Path(study_dir))
    base = base_scenario(spec)
    pool = WorkerPool(workers)
    bar = None
    try:
        done = finished_trials(study)
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=budget, initial=min(done, budget), unit="trial",
                       desc=f"calibrate {spec.name}", dynamic_ncols=True)
        while done < budget:
            trial, values = ask(study, spec)
            value, per_series = evaluate(spec, values, pool, base)
            _record(study, trial, value, per_series, Path(study_dir))
            done += 1
            best = study.best_value
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"best {best:.1f}% (this {value:.1f}%)")
            if on_trial is not None:
                on_trial(done, best)
    finally:
        if bar is not None:
            bar.close()
        pool.close()
    return best_result(study, spec.bounds)


def _record(study, trial, value: float, per_series: Mapping[str, float],
            study_dir: Path) -> None:
    """Store a finished trial, or stop in one line if the study file cannot take it."""
    optuna = _optuna()
    try:
        trial.set_user_attr("per_series", dict(per_series))
        study.tell(trial, value)
    except optuna.exceptions.StorageInternalError as error:
        cause = error.__cause__ or error
        raise CalibrationError(
            f"cannot write the study {study_dir / 'study.db'} ({str(cause).splitlines()[0]}): "
            "was it moved, replaced or made read-only while the study ran? Restore it, or "
            "give a new --study folder; re-running the command resumes the trials stored"
        ) from error


def fit_las(spec: Spec, values: Mapping[str, Any], study_dir: Path, workers: int = 1,
            progress: Callable[[str], None] | None = None) -> Path:
    """Fit every LA's offsets (:func:`la_offsets.fit`) under the national set ``values``,
    starting from the packaged offsets; write ``STUDY/la_dispositions.csv`` (atomically)
    and add the fit's course to ``STUDY/REPORT.md``.

    Returns:
        The path written.
    """
    from sendabm.core import dispositions
    from sendabm.experiments import la_offsets

    check_study_dir(study_dir)
    scen = base_scenario(spec).with_overrides(
        run={"scale": spec.las["scale"]}, parameters=dict(values))
    history: list[tuple[int, dict[str, float]]] = []

    def step(it: int, rho: dict[str, float]) -> None:
        history.append((it, rho))
        if progress is not None:
            progress(f"LA offsets, step {it + 1}/{spec.las['iterations']}: rank correlation "
                     + ", ".join(f"{k} {v:.2f}" for k, v in rho.items()))

    seeds = list(range(1, int(spec.las["seeds"]) + 1))
    with WorkerPool(workers) as pool:
        fitted = la_offsets.fit(scen, seeds, int(spec.las["iterations"]), pool,
                                start=dispositions.packaged(), progress=step,
                                fit_start=spec.las["start_plans"],
                                fit_yearly=spec.las["yearly"],
                                fit_standing=spec.las["standing"])
    report = Path(study_dir) / "REPORT.md"

    def write(stage: Path) -> None:
        (stage / dispositions.PACKAGED_FILE).write_text(fitted.to_csv(), encoding="utf-8")
        # A study of the offsets alone (--las-only) has no national report to extend.
        head = (report.read_text(encoding="utf-8") if report.is_file() else
                f"# Calibration report: {spec.name}, LA offsets only\n\nUnder the packaged "
                "calibrated set (`sendabm calibrate --las-only`).\n")
        (stage / report.name).write_text(head + las_report_text(spec, history),
                                         encoding="utf-8")

    replace_files(study_dir, write)
    return Path(study_dir) / dispositions.PACKAGED_FILE


def las_report_text(spec: Spec, history: Sequence[tuple[int, Mapping[str, float]]]) -> str:
    """The LA offsets' section of REPORT.md: rank correlation with the record by step."""
    from sendabm.experiments.la_offsets import START_TARGETS, TARGETS

    names = [*TARGETS, *(START_TARGETS if spec.las["start_plans"] else ())]
    lines = ["", "## LA offsets", "",
             f"Fitted to each LA's 2019-2022 record under the calibrated set: "
             f"{spec.las['iterations']} steps of {spec.las['seeds']} runs at scale "
             f"{spec.las['scale']:g}, from the packaged offsets (docs/calibration.md); "
             f"standing offsets {'fitted' if spec.las['standing'] else 'kept'}; yearly "
             f"deviations fitted: {', '.join(spec.las['yearly']) or 'none'}. "
             "Rank correlation of model and record over LAs, pooled 2019-2022, before "
             "each step:", "",
             "| step | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for it, rho in history:
        lines.append(f"| {it + 1} | " + " | ".join(f"{rho.get(k, float('nan')):.2f}"
                                                   for k in names) + " |")
    return "\n".join(lines) + "\n"


def within(trial, bounds: Mapping[str, float]) -> bool:
    """True if the trial's MAPE of every bounded series is at most its bound."""
    per_series = trial.user_attrs.get("per_series", {})
    return all(per_series.get(k, math.inf) <= v for k, v in bounds.items())


def best_result(study, bounds: Mapping[str, float] | None = None) -> Result:
    """The trial with the lowest score among those within ``bounds`` (any trial if none
    is), with the priors' trial's score for reference (None if it has not completed)."""
    optuna = _optuna()
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise CalibrationError("the study has no completed trial; run it with a budget of "
                               "at least one trial")
    admissible = [t for t in complete if within(t, bounds or {})] or complete
    best = min(admissible, key=lambda t: t.value)
    points = start_point_trials(study, complete)
    prior = points.get(PRIORS_POINT)
    current = points.get(CURRENT_POINT)
    return Result(values=dict(best.params), score=float(best.value), number=best.number,
                  per_series=dict(best.user_attrs.get("per_series", {})),
                  trials=len(complete),
                  prior_score=None if prior is None else float(prior.value),
                  prior_per_series=None if prior is None else dict(
                      prior.user_attrs.get("per_series", {})),
                  prior_number=None if prior is None else prior.number,
                  current_number=None if current is None else current.number)


def start_point_trials(study, complete: Sequence[Any]) -> dict[str, Any]:
    """The completed trials of the starting points, by role (:data:`START_POINT`).

    Studies begun before the role was recorded enqueued the priors first and the
    current defaults second: their enqueued trials (those with fixed parameters) are
    read in that order.
    """
    if "start_points" in study.user_attrs:
        return {t.user_attrs[START_POINT]: t for t in complete if START_POINT in t.user_attrs}
    queued = sorted((t for t in study.get_trials(deepcopy=False)
                     if "fixed_params" in t.system_attrs), key=lambda t: t.number)
    roles = dict(zip((PRIORS_POINT, CURRENT_POINT), queued, strict=False))
    done = {t.number for t in complete}
    return {role: t for role, t in roles.items() if t.number in done}


def report_text(result: Result, spec: Spec, info: Mapping[str, Any]) -> str:
    """Markdown fit report of a calibration."""
    lines = [f"# Calibration report: {spec.name}", "",
             f"- Command: `{info['command']}`",
             f"- Date: {info['date']}; trials: {result.trials} (budget {spec.trials}); "
             f"seeds per candidate: {spec.seeds} (1..{spec.seeds}); scale {spec.scale:g}; "
             f"simulated {base_start()} to {spec.end}",
             f"- Specification: `{info['spec']}`; sampler: Optuna TPE "
             f"(multivariate, seed {spec.sampler_seed})",
             f"- Selection: the lowest score among trials with a MAPE within "
             f"{_bounds_text(spec.bounds)}; chosen: trial {result.number} "
             f"({_start_points_text(result)})",
             f"- Score (weighted mean of per-series MAPE, seed-mean series, 2015-2022): "
             f"{result.score:.1f}% calibrated, against {_prior_score_text(result)}", "",
             "## Fit per series (MAPE %, mean of seeds, over the years of the record "
             "2015-2022)", "",
             "| series | weight | prior | calibrated |", "|---|---|---|---|"]
    prior = result.prior_per_series or {}
    for name, weight in spec.weights.items():
        lines.append(f"| {T.BY_NAME[name].label} (`{name}`) | {weight:g} | "
                     f"{prior.get(name, float('nan')):.1f} | "
                     f"{result.per_series.get(name, float('nan')):.1f} |")
    lines += ["", "## Parameters", "", "| parameter | prior | search range | calibrated |",
              "|---|---|---|---|"]
    for fp in spec.parameters:
        value = result.values[fp.name]
        shown = f"{value}" if fp.integer else f"{value:.4g}"
        scale = ", log" if fp.log else ""
        lines.append(f"| `{fp.name}` | {PRIORS[fp.name]} | [{fp.low:g}, {fp.high:g}{scale}] "
                     f"| {shown} |")
    lines += ["", "Validation over more seeds and a larger sample, with the projection to "
              "2039/40, is `sendabm validate` (see results/calibration/).", ""]
    return "\n".join(lines)


def _start_points_text(result: Result) -> str:
    prior = ("the priors have not completed" if result.prior_number is None
             else f"trial {result.prior_number} is the priors")
    current = ("" if result.current_number is None else
               f", trial {result.current_number} the defaults shipped when the study began")
    return prior + current


def _prior_score_text(result: Result) -> str:
    if result.prior_score is None:
        return "no score for the priors (their trial has not completed)"
    return f"{result.prior_score:.1f}% for the priors (trial {result.prior_number})"


def _bounds_text(bounds: Mapping[str, float]) -> str:
    if not bounds:
        return "no bounds (the lowest score overall)"
    return ", ".join(f"{v:g}% for {k}" for k, v in bounds.items()) + \
        " (the lowest score overall if no trial is)"


def base_start() -> str:
    """First month of the baseline run."""
    from sendabm.core.scenario import default_scenario

    return default_scenario().run["start"]


def write_outputs(result: Result, spec: Spec, study_dir: Path, out: Path | None,
                  command: str) -> tuple[Path, Path]:
    """Write the calibrated set (``out``, default ``STUDY/calibrated.toml``) and
    ``STUDY/REPORT.md``; return both paths."""
    from sendabm.core import calibrated

    info = {"command": command, "date": calibrated.today(), "spec": spec.source,
            "trials": result.trials, "seeds": spec.seeds, "scale": spec.scale,
            "end": spec.end, "score_mape_percent": round(result.score, 3)}
    values = {k: (int(v) if isinstance(v, int) else float(v)) for k, v in result.values.items()}
    target = out if out is not None else study_dir / "calibrated.toml"
    calibrated.write(target, info, values)
    report = study_dir / "REPORT.md"
    tmp = report.with_name(".REPORT.md.tmp")
    tmp.write_text(report_text(result, spec, info), encoding="utf-8")
    os.replace(tmp, report)
    return target, report
