"""``sendabm dashboard``: move a lever and watch the system respond (Mesa ``SolaraViz``).

The app builds a small :class:`DashboardModel` (by default 1% of England, about
90,000 children, September 2014 to August 2030) from the controls in the sidebar:
the main policy levers (inclusion incentives, the tribunal kept, removed or replaced,
right first time, high-needs funding) and uncertainties (the rise in identified need,
families' base propensity to appeal), the scale and the seed. Levers act from the
first month, so their effect shows from the first steps (a counterfactual history).

Mesa's controller gives *Reset* (build the model again from the controls: press it
after moving a control), *Play/Pause* and *Step* (one month). The main panel shows
live plots of key national series, read from the model's Mesa ``DataCollector``,
with the latest values in words, and a map of the local areas coloured by a
measure chosen in the panel.

The server binds to localhost unless told otherwise and then answers only requests
addressed to localhost or 127.0.0.1 (so a web page elsewhere cannot reach it through a
name of its own that resolves here: DNS rebinding); it sends no telemetry and does not
look for newer Solara versions, so it runs offline (:func:`serve`).
"""

from __future__ import annotations

import datetime
import functools
import os
from typing import Any

import matplotlib as mpl
import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from sendabm.core.model import SendModel
from sendabm.core.parameters import PARAMETERS
from sendabm.core.scenario import default_scenario
from sendabm.experiments.compare_folder import format_value
from sendabm.experiments.evaluate import build_scenario
from sendabm.presentation import areamap
from sendabm.presentation.style import (
    DPI,
    MUTED,
    OKABE_ITO,
    STYLE,
    MoneyFormatter,
    ThousandsFormatter,
    axis_unit,
    floor_at_zero,
)

END = "2030-08"
START = "2014-09"

MODEL_PARAMS: dict[str, Any] = {
    "tribunal_mode": {"type": "Select", "value": "keep", "values": ["keep", "remove", "replace"],
                      "label": "SEND Tribunal"},
    "inclusion_incentives": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 1.0,
                             "step": 0.1, "label": "Inclusion incentives"},
    "right_first_time": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 1.0,
                         "step": 0.1, "label": "Right first time"},
    "high_needs_funding": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 1.0,
                           "step": 0.1, "label": "High-needs funding"},
    # The two uncertainties start at the package's (calibrated) defaults.
    "prevalence_trend_per_year": {"type": "SliderFloat",
                                  "value": round(PARAMETERS["prevalence_trend_per_year"].default
                                                 / 0.005) * 0.005,
                                  "min": 0.0, "max": 0.08, "step": 0.005,
                                  "label": "Need trend (/year)"},
    "appeal_base_logit": {"type": "SliderFloat",
                          "value": round(PARAMETERS["appeal_base_logit"].default, 1),
                          "min": -6.0, "max": -1.0, "step": 0.1,
                          "label": "Appeal propensity"},
    "scale": {"type": "SliderFloat", "value": 0.01, "min": 0.005, "max": 0.03, "step": 0.005,
              "label": "Scale"},
    "seed": {"type": "SliderInt", "value": 1, "min": 1, "max": 50, "step": 1,
             "label": "Seed"},
}
"""The sidebar controls (Mesa ``model_params``), labelled briefly because Solara puts the
slider beside its label: the tribunal mode; the strengths (0-1) of the inclusion
incentives, right first time and high-needs funding levers; the rise in identified
need (1/year) and families' base appeal propensity (logit); the share of England
simulated and the seed (see :class:`DashboardModel`)."""

SERIES: tuple[tuple[str, str, str], ...] = tuple(
    (name, title, axis_unit(name, flow="per month")) for name, title in (
        ("ehc_plans", "Children with EHC plans"),
        ("appeals_registered", "Tribunal appeals registered"),
        ("adversarial_index", "Adversarial index"),
        ("cumulative_deficit_gbp", "Cumulative high-needs deficit")))
"""Live national series: measure, title and y-axis label (the registry's unit)."""


class DashboardModel(SendModel):
    """A :class:`~sendabm.core.model.SendModel` built from the dashboard's controls.

    Args:
        tribunal_mode: "keep", "remove" or "replace" the SEND Tribunal.
        inclusion_incentives: Strength (0-1) of the inclusion incentives lever.
        right_first_time: Strength (0-1) of the right-first-time lever.
        high_needs_funding: Strength (0-1) of the high-needs funding lever.
        prevalence_trend_per_year: Rise in identified need (1/year); default: the
            package's (calibrated) default.
        appeal_base_logit: Families' base propensity to appeal (logit); default: the
            package's (calibrated) default.
        scale: Share of England simulated (0.001-1).
        seed: Random seed.
    """

    def __init__(self, tribunal_mode: str = "keep", inclusion_incentives: float = 0.0,
                 right_first_time: float = 0.0, high_needs_funding: float = 0.0,
                 prevalence_trend_per_year: float | None = None,
                 appeal_base_logit: float | None = None,
                 scale: float = 0.01, seed: int = 1):
        if prevalence_trend_per_year is None:
            prevalence_trend_per_year = PARAMETERS["prevalence_trend_per_year"].default
        if appeal_base_logit is None:
            appeal_base_logit = PARAMETERS["appeal_base_logit"].default
        inputs = {"inclusion_incentives": float(inclusion_incentives),
                  "right_first_time": float(right_first_time),
                  "high_needs_funding": float(high_needs_funding),
                  "tribunal": 0.0 if tribunal_mode == "keep" else 1.0,
                  "tribunal__mode": tribunal_mode,
                  "prevalence_trend_per_year": float(prevalence_trend_per_year),
                  "appeal_base_logit": float(appeal_base_logit),
                  "policy_start": START, "scale": float(scale), "seed": int(seed), "end": END}
        scenario, _ = build_scenario(default_scenario(), inputs)
        super().__init__(scenario)


# --------------------------------------------------------------------------- components


def _collected(model: SendModel) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Months and the collected series, from the model's Mesa DataCollector."""
    frame = model.datacollector.get_model_vars_dataframe()
    dates = np.array(model.dates[:len(frame)], dtype="datetime64[D]")
    return dates, {name: frame[name].to_numpy(dtype=float) for name, _, _ in SERIES
                   if name in frame}


def series_figure(model: SendModel) -> Figure:
    """Four live national series against the month, drawn from the DataCollector."""
    dates, series = _collected(model)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(9.0, 5.6), dpi=DPI * 0.6, layout="constrained")
        axes = fig.subplots(2, 2, sharex=True)
        for ax, (name, title, unit) in zip(axes.flat, SERIES, strict=True):
            ax.set_title(title)
            ax.set_ylabel(unit)
            values = series.get(name, np.array([]))
            values = values / 1e9 if name.endswith("_gbp") else values
            if dates.size:
                ax.plot(dates, values, color=OKABE_ITO["blue"], marker="." if dates.size < 24
                        else None)
                floor_at_zero(ax, values)
            else:
                ax.text(0.5, 0.5, "press Step or Play", transform=ax.transAxes, ha="center",
                        color=MUTED, style="italic")
            ax.yaxis.set_major_formatter(MoneyFormatter() if name.endswith("_gbp")
                                         else ThousandsFormatter())
        # The run's whole span from the start, so an empty plot shows the run's years
        # (not matplotlib's default of 1970) and the lines grow across it.
        span = [np.datetime64(f"{month}-01") for month in (model.scenario.run["start"],
                                                          model.scenario.run["end"])]
        axes[0, 0].set_xlim(span[0], span[1] + np.timedelta64(31, "D"))
        for ax in axes[1]:
            locator = mpl.dates.AutoDateLocator(minticks=3, maxticks=6)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(locator))
        fig.suptitle(_run_title(model), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def _run_title(model: SendModel) -> str:
    months = len(model.dates)
    when = f"{model.dates[-1]:%b %Y}" if months else "before the first month"
    return f"National series (England scale), {when}: {months} months simulated"


def latest_text(model: SendModel) -> str:
    """The latest collected values in words (also what the browser test reads)."""
    dates, series = _collected(model)
    if not dates.size:
        return "No months simulated yet."
    when = datetime.date.fromisoformat(str(dates[-1]))
    parts = [f"{when:%B %Y}", f"step {dates.size}"]
    for name, title, _ in SERIES:
        value = series[name][-1]
        shown = (format_value(value, "gbp").replace("-", "\N{MINUS SIGN}")
                 if name.endswith("_gbp") else f"{value:,.0f}")
        parts.append(f"{title.lower()}: {shown}")
    return " · ".join(parts)


SLIDER_CSS = """
.v-slider .v-slider__thumb-container .v-slider__thumb-label {
  transform: translateY(26px) translateX(-50%) !important;
  background-color: transparent !important; color: #444 !important;
  width: auto !important; height: auto !important; border-radius: 0 !important;
  font-size: 11px; box-shadow: none !important;
}
.v-slider .v-slider__thumb-container .v-slider__thumb-label > * { transform: none !important; }
"""
"""The sliders' values (:func:`_sliders_show_values`) as small plain numbers under
their thumbs, instead of Vuetify's bubble over the control above."""


def SeriesPanel(model: SendModel) -> None:  # noqa: N802 - a Solara component's name
    """Live plots of the key national series, with the latest values in words."""
    solara.Style(SLIDER_CSS)
    with solara.Column():
        solara.FigureMatplotlib(series_figure(model), format="png")
        solara.Text(latest_text(model), classes=["sendabm-latest"])


def AreaMapPanel(model: SendModel) -> None:  # noqa: N802 - a Solara component's name
    """The local areas coloured by a chosen per-LA measure of the latest months."""
    measure, set_measure = solara.use_state(areamap.DEFAULT_MEASURE)
    with solara.Column():
        solara.Select("Map measure", value=measure, values=list(areamap.MAP_MEASURES),
                      on_value=set_measure)
        if not model.dates:
            solara.Text("The map appears after the first month.")
            return
        spec = areamap.MAP_MEASURES[measure]
        panel = {name: np.asarray(model.panel[name]) for name in (measure, "pupils")}
        values = areamap.la_values(panel, measure)
        fig = areamap.area_map_figure(model.areas, values, spec.label,
                                      f"By local area, {model.dates[-1]:%b %Y}",
                                      size=(6.4, 6.6))
        fig.set_dpi(DPI * 0.6)
        solara.FigureMatplotlib(fig, format="png")


@solara.component
def Page() -> Any:  # noqa: N802 - the name Solara looks for
    """The SolaraViz page: controls, the live series and the area map.

    Each browser session builds its own model (memoised, so re-renders keep it).
    """
    _sliders_show_values()
    model = solara.use_memo(DashboardModel, [])
    return SolaraViz(model, components=[SeriesPanel, AreaMapPanel],
                     model_params=MODEL_PARAMS, name="sendabm: England's SEND system")


def _sliders_show_values() -> None:
    """Make the sidebar's sliders show their value beside the thumb at all times.

    Mesa's controls call ``solara.SliderFloat`` and ``solara.SliderInt`` without a
    ``thumb_label``, and Solara's default shows the value only while a slider is
    dragged; this wraps both (once) to default to ``thumb_label="always"``.
    """
    for name in ("SliderFloat", "SliderInt"):
        slider = getattr(solara, name)
        if getattr(slider, "_sendabm_labelled", False):
            continue

        @functools.wraps(slider)
        def labelled(*args: Any, _slider: Any = slider, **kwargs: Any) -> Any:
            kwargs.setdefault("thumb_label", "always")
            return _slider(*args, **kwargs)

        labelled._sendabm_labelled = True
        setattr(solara, name, labelled)


LOCAL_NAMES = ("localhost", "127.0.0.1")
"""The Host headers a dashboard bound to this machine only answers."""


def allowed_hosts(host: str) -> list[str]:
    """The Host headers the server answers when bound to ``host``.

    Bound to localhost (or 127.0.0.1): only those names. Bound to every interface
    (``0.0.0.0`` or ``::``): any name, as the user asked to be reachable by any.
    Bound to another address or name: that one, and the local names.
    """
    if host in LOCAL_NAMES:
        return list(LOCAL_NAMES)
    if host in ("0.0.0.0", "::"):
        return ["*"]
    return [host, *LOCAL_NAMES]


def _offline_and_host_checked(host: str) -> None:
    """Turn Solara's telemetry off and restrict the Host header (:func:`allowed_hosts`).

    Solara's settings read ``SOLARA_*`` variables when first imported; the server
    module is imported here, with the app it will serve, so the check can be added to
    the same Starlette app that uvicorn then runs.
    """
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_APP"] = __name__
    import solara.server.settings
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    solara.server.settings.telemetry.mixpanel_enable = False
    import solara.server.starlette as solara_starlette

    solara_starlette.app.add_middleware(TrustedHostMiddleware,
                                        allowed_hosts=allowed_hosts(host))


def serve(host: str = "localhost", port: int = 8765) -> int:
    """Run the dashboard's Solara server in this process until interrupted.

    Args:
        host: Address to bind; "localhost" keeps it private to this machine (and the
            server then answers requests addressed to localhost or 127.0.0.1 only).
        port: TCP port.

    Returns:
        Exit status (0 after Ctrl+C).
    """
    _offline_and_host_checked(host)
    from solara.__main__ import cli

    print(f"sendabm dashboard on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    try:
        # --no-check-version: no request for Solara's latest version (offline, and the
        # version is pinned to match solara-assets, so its advice to upgrade is wrong).
        cli.main(["run", __name__, "--host", host, "--port", str(port), "--no-open",
                  "--no-check-version", "--production", "--log-level", "warning"],
                 standalone_mode=False)
    except KeyboardInterrupt:
        return 0
    return 0
