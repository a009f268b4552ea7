"""Each local authority's own dispositions: how it gatekeeps, assesses and places.

England has "152 different SEND systems" (Isos 2024): in 2022 the share of requests
refused ran from 7% to 35% across LAs, new plans within 20 weeks from 16% to 88%, the
share of plans in special schools from 25% to 45%. A :class:`Dispositions` holds, for
each LA code, its standing practice as log offsets from the national parameters:

- ``assess``: its bar to agree an assessment, ``assess_threshold_initial × e^assess``;
- ``plan``: its bar to issue a plan, ``plan_threshold_initial × e^plan``;
- ``special``: its bar to name a special setting, ``special_threshold × e^special``;
- ``capacity``: its assessment capacity, ``ep_fte_per_10k_pupils × e^capacity`` (what
  drives its share of plans within 20 weeks);
- ``independent``: its reliance on independent places: it waits
  ``wait_before_independent × e^-independent`` months for a state special place before
  buying an independent one, and commissions ``commissioning_share × e^-independent``
  (bounded to half or double) new state places per child waiting or placed
  independently;
- ``appeal``: log-odds added to its families' decision to appeal. It stands for the local
  conditions of appealing that the model does not otherwise represent (advice and
  advocacy, the quality of the LA's decision letters and plans, the disputes over a
  plan's contents), which keep an LA's appeal rate where it was: across LAs the 2019 and
  2022 appeal rates have a rank correlation of 0.72, and appeal rates barely follow
  refusal shares (0.24 in 2022).
- ``request``: log-odds added to its families' decision to request an assessment. It
  stands for the local conditions of requesting the model does not otherwise represent
  (what schools' SEN support offers before a plan, parent-carer advice, the LA's own
  local offer): in 2022 requests per pupil ran from 0.85% to 1.64% between the 10th and
  90th percentiles of LAs, and across LAs plans per pupil has a rank correlation of 0.48
  with requests per pupil and 0.10 with the refusal share. With ``appeal``, one of
  the two offsets not about the LA's own decisions.
- ``start_plans``: not a disposition but the correction of the LA's starting state: a
  log factor on the plans per pupil it holds in September 2014
  (:mod:`sendabm.core.starting_state`), England's starting plans kept. The back-cast
  keeps each LA's January 2019 position relative to England; the LA's own flows from
  2014 then move it, so without this factor the model's LAs reach January 2019
  compressed towards England (the log error of plans per pupil had a rank correlation of
  -0.67 with the record's level in 2019). ``sendabm calibrate`` fits it to the LA's plans
  per pupil only when the spec asks (``[las] start_plans = true``): the packaged table
  holds 0, because fitted it sets off a national catch-up of new plans
  (results/calibration/README.md).

Offsets are LA state, not constants: they set each LA's criteria (its 2014 bars), which
its yearly reckoning of what a refusal saves and costs scales, so its bars move with its
budget pressure and with the appeals and reversals its refusals draw
(:meth:`sendabm.core.actors.local_authority.LocalAuthorities.adapt_year`). The
packaged ``sendabm/data/la_dispositions.csv`` is estimated from each LA's 2019-2022
record by ``sendabm calibrate`` (:mod:`sendabm.experiments.la_offsets`), with the
national parameters; the parameter ``la_disposition_weight`` scales every offset
(0: 152 LAs alike but for size). Areas whose code is not in the table (user areas
files) get offset 0. The decision offsets govern decisions from September 2014 on; the
plans and placements each LA holds at the start are back-cast from its record separately
(:mod:`sendabm.core.starting_state`), corrected by ``start_plans``.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

DECISION_FIELDS: tuple[str, ...] = ("assess", "plan", "special", "capacity", "independent",
                                    "appeal", "request")
"""The offsets that govern decisions (the LA's and its families'): all but
``start_plans``, which sets the starting state only."""

FIELDS: tuple[str, ...] = (*DECISION_FIELDS, "start_plans")
"""The offsets, in file-column order (0 is the national value; log units, but log-odds for
``appeal`` and ``request``)."""

OFFSET_LIMIT = 3.0
"""Largest offset magnitude accepted (a factor of e^3 ~ 20 either way)."""

PACKAGED_FILE = "la_dispositions.csv"
"""The fitted table, in ``sendabm/data/``."""


class DispositionsError(ValueError):
    """A dispositions table that cannot be used."""


@dataclass(frozen=True)
class Dispositions:
    """LA offsets by code.

    Attributes:
        codes: LA codes, one per row.
        offsets: float64 array (len(codes), len(FIELDS)), log offsets in ``FIELDS`` order.
    """

    codes: tuple[str, ...]
    offsets: np.ndarray

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets, dtype=np.float64)
        if offsets.shape != (len(self.codes), len(FIELDS)):
            raise DispositionsError(
                f"dispositions need {len(FIELDS)} offsets ({', '.join(FIELDS)}) for each of "
                f"{len(self.codes)} codes, got shape {offsets.shape}")
        if len(set(self.codes)) != len(self.codes):
            raise DispositionsError("dispositions list a code twice; give each LA one row")
        if not np.all(np.isfinite(offsets)) or np.abs(offsets).max(initial=0) > OFFSET_LIMIT:
            raise DispositionsError(
                f"dispositions hold an offset that is not a number in -{OFFSET_LIMIT}.."
                f"{OFFSET_LIMIT}; refit with `sendabm calibrate`")
        offsets.setflags(write=False)
        object.__setattr__(self, "codes", tuple(self.codes))
        object.__setattr__(self, "offsets", offsets)

    @classmethod
    def none(cls, codes: Sequence[str]) -> Dispositions:
        """Every LA at the national practice (all offsets 0)."""
        return cls(tuple(codes), np.zeros((len(codes), len(FIELDS))))

    def for_codes(self, codes: Sequence[str]) -> np.ndarray:
        """Offsets aligned to ``codes`` (rows of zeros for codes not in the table)."""
        row = {c: i for i, c in enumerate(self.codes)}
        out = np.zeros((len(codes), len(FIELDS)))
        for k, code in enumerate(codes):
            if code in row:
                out[k] = self.offsets[row[code]]
        return out

    def to_csv(self) -> str:
        """The table as CSV text (``code`` then :data:`FIELDS`, 6 decimals)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("code", *FIELDS))
        for code, row in zip(self.codes, self.offsets, strict=True):
            writer.writerow((code, *(f"{v:.6f}" for v in row)))
        return out.getvalue()


def read(path: str | os.PathLike[str]) -> Dispositions:
    """Read a dispositions CSV (header ``code`` plus :data:`FIELDS`).

    Raises:
        DispositionsError: A missing file, column or value, with the fix.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise DispositionsError(f"cannot read dispositions file {path}: {e.strerror}; "
                                "give the path of a CSV written by `sendabm calibrate`") from e
    return parse(text, str(path))


def parse(text: str, where: str) -> Dispositions:
    """Parse dispositions CSV text (see :func:`read`); ``where`` names it in errors."""
    rows = list(csv.DictReader(io.StringIO(text)))
    missing = [f for f in ("code", *FIELDS) if rows and f not in rows[0]]
    if not rows or missing:
        raise DispositionsError(f"{where}: needs the columns code, {', '.join(FIELDS)} and a "
                                f"row per LA (missing: {', '.join(missing) or 'rows'})")
    try:
        offsets = [[float(r[f]) for f in FIELDS] for r in rows]
    except (TypeError, ValueError) as e:
        raise DispositionsError(f"{where}: an offset is not a number ({e}); "
                                "refit with `sendabm calibrate`") from e
    return Dispositions(tuple(r["code"] for r in rows), np.array(offsets))


@functools.lru_cache(maxsize=1)
def packaged() -> Dispositions:
    """The fitted dispositions the package ships (``sendabm/data/la_dispositions.csv``)."""
    ref = resources.files("sendabm") / "data" / PACKAGED_FILE
    return parse(ref.read_text(encoding="utf-8"), f"sendabm/data/{PACKAGED_FILE}")
