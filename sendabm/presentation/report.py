"""``sendabm report DIR``: a self-contained HTML report of a run, a comparison or a sweep.

The kind of folder is detected from its files (:func:`detect`):

- **run** (``manifest.json`` + ``national.csv``): the run's national series,
  placements by setting, the dispute funnel per school year, money, equity by
  family-resources quintile and a map of the local areas coloured by a measure;
- **comparison** (``compare.json``): the same series for every scenario as medians
  with 5–95% bands over replications (from ``series.parquet``; older folders without
  it show their own figures instead), the key outcomes of every replication, and the
  headline table;
- **sweep** (a store's ``manifest.json`` + ``runs/``, or a folder with a sweep's
  ``store_manifest.json`` or ``sensitivity.csv``): the design, each outcome's
  distribution over runs, headline outcomes against every input and the sensitivity
  indices, when present.

With ``la`` (``--la NAME_OR_CODE``, run folders only) the report is one LA's page
instead (:mod:`sendabm.presentation.report_la`), by default in ``DIR/report-<la>``.

The report folder (default ``DIR/report``) holds ``report.html`` with every figure
embedded (it can be mailed on its own) and the same figures as PNG files. It is
written atomically (:func:`sendabm.experiments.results.write_folder`): it appears complete or
not at all. A folder of no known kind, or one whose files cannot be read, raises
:class:`~sendabm.experiments.results.ResultsError` with one line naming the problem and the fix.
"""

from __future__ import annotations

import base64
import datetime
import html
from pathlib import Path

from sendabm.experiments.results import ResultsError, check_folder, write_folder
from sendabm.presentation.report_base import Report
from sendabm.presentation.report_compare import build_comparison
from sendabm.presentation.report_la import build_la, default_name, slug
from sendabm.presentation.report_run import build_run
from sendabm.presentation.report_sweep import build_sweep

REPORT_HTML = "report.html"
KINDS = ("run", "comparison", "sweep")


# --------------------------------------------------------------------------- detection


def detect(folder: Path) -> str:
    """The kind of results folder: "run", "comparison" or "sweep".

    Raises:
        ResultsError: The folder is missing or of no known kind.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"'{folder}' is not a folder; give a folder written by "
                           "sendabm run, compare or sweep")
    if (folder / "compare.json").is_file():
        return "comparison"
    if (folder / "manifest.json").is_file() and (folder / "national.csv").is_file():
        return "run"
    if (folder / "manifest.json").is_file() and (folder / "runs").is_dir():
        return "sweep"
    if (folder / "store_manifest.json").is_file() or (folder / "sensitivity.csv").is_file():
        return "sweep"
    raise ResultsError(
        f"'{folder}' is not a sendabm results folder (no manifest.json with national.csv, "
        "compare.json, or sweep manifest.json with runs/); give a folder written by "
        "sendabm run, compare or sweep")


# --------------------------------------------------------------------------- building


def build(folder: Path, out: Path, map_measure: str | None = None,
          la: str | None = None) -> Report:
    """Draw the figures of ``folder`` into ``out`` and return the report's content.

    Raises:
        ResultsError: As :func:`write_report` says.
    """
    kind = detect(folder)
    if la is not None:
        if kind != "run":
            raise ResultsError(f"--la needs a run folder (written by sendabm run); '{folder}' "
                               f"is a {kind} folder")
        return build_la(folder, out, la, map_measure)
    if kind == "run":
        return build_run(folder, out, map_measure)
    if kind == "comparison":
        return build_comparison(folder, out)
    return build_sweep(folder, out)


# --------------------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 1180px; margin: 2rem auto; padding: 0 1.2rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.kind { color: #6b6b6b; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
           background: #f6f6f6; padding: .8rem 1rem; border-radius: 6px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
nav ol { columns: 2; } figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; font-size: .9rem; margin: .6rem 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f3f3; }
footer { color: #6b6b6b; font-size: .85rem; margin-top: 3rem; }
"""


def render_html(report: Report, out: Path) -> str:
    """The report page, with the figures in ``out`` embedded as data URIs."""
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{esc(report.title)}</h1>",
             f'<p class="kind">sendabm report of a {esc(report.kind)} folder</p>',
             '<dl class="facts">']
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in report.facts]
    parts.append("</dl><nav><ol>")
    parts += [f'<li><a href="#s{i}">{esc(s.title)}</a></li>'
              for i, s in enumerate(report.sections)]
    parts.append("</ol></nav>")
    for i, section in enumerate(report.sections):
        parts += [f'<section id="s{i}"><h2>{esc(section.title)}</h2>',
                  f"<p>{esc(section.text)}</p>"]
        if section.figure:
            data = base64.b64encode((out / section.figure).read_bytes()).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{data}" '
                         f'alt="{esc(section.title)}: {esc(section.text)}">'
                         f"<figcaption>{esc(section.figure)}</figcaption></figure>")
        if section.table:
            parts.append(_table(section.table))
        parts.append("</section>")
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts.append(f"<footer>Written by sendabm report on {stamp}. Figures use the "
                 "Okabe–Ito colour-blind-safe palette.</footer></body></html>")
    return "\n".join(parts)


def _table(rows: list[list[str]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                   for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --------------------------------------------------------------------------- writing


def default_out(folder: Path, la: str | None = None) -> Path:
    """Where the report goes by default: ``DIR/report``, or ``DIR/report-<la>`` for an
    LA's page (e.g. ``DIR/report-kent``)."""
    if la is not None:
        return Path(folder) / f"report-{slug(default_name(la))}"
    return Path(folder) / "report"


def check_report_out(out: Path) -> None:
    """Raise :class:`ResultsError` unless ``out`` is absent, empty or an earlier report."""
    check_folder(out, REPORT_HTML, "report")


def write_report(folder: str | Path, out: str | Path | None = None,
                 map_measure: str | None = None, la: str | None = None) -> tuple[Path, Report]:
    """Write the report of ``folder`` atomically.

    Args:
        folder: A run, comparison or sweep folder.
        out: The report folder; default ``folder/report`` (``folder/report-<la>`` with
            ``la``). It may be absent, empty or hold an earlier report (replaced only
            once the new one is complete).
        map_measure: Measure of the area map (run folders only); see
            :data:`sendabm.presentation.areamap.MAP_MEASURES`. Default: appeals per 10,000 pupils.
        la: Name or code of one LA (run folders only): write that LA's page instead.

    Returns:
        The report folder and the report's content.

    Raises:
        ResultsError: One line: the folder is of no known kind or cannot be read, ``la``
            is given for a folder that is not a run or is not an LA of the run, or
            ``out`` holds something else. Nothing is written then.
    """
    folder = Path(folder)
    out = default_out(folder, la) if out is None else Path(out)
    detect(folder)
    check_report_out(out)
    holder: list[Report] = []

    def write(tmp: Path) -> None:
        report = build(folder, tmp, map_measure, la)
        (tmp / REPORT_HTML).write_text(render_html(report, tmp), encoding="utf-8")
        holder.append(report)

    write_folder(out, check_report_out, write)
    return out, holder[0]
