"""Conservation checks on a running model (LASER's discipline: check the books each step).

:func:`check` is called after :meth:`SendModel.step` (tests call it every month) and
raises ``AssertionError`` naming the invariant, the month and the first offending LA,
school, provider or family row. Four invariants:

(a) **each child is counted once** — the family columns are well formed and the
    measures recorded this month count every active row exactly once;
(b) **capacity is respected, or over-capacity is recorded** — special-school rolls
    never exceed places; independent providers only exceed places by the children a
    tribunal ordered in over capacity (``providers.over``);
(c) **spend is the sum of its categories** — nationally and per LA, and the national
    total is the sum of the LAs';
(d) **deficit is cumulative spend minus cumulative allocation** — per LA and
    nationally, month by month.

Money in ``model.national`` and ``model.panel`` is at England scale (divided by
``model.scale``); the LA accounts (``model.las``) are at sample scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendabm.core import calendar
from sendabm.core import states as S
from sendabm.core.measures import SPEND

if TYPE_CHECKING:
    from sendabm.core.model import SendModel

RTOL = 1e-6
"""Relative tolerance for sums of money taken in different orders."""
COUNT_TOL = 1e-6
"""Largest distance from a whole number of a count rescaled to the sample."""

COUNTED_ONCE = "(a) each child counted once"
CAPACITY = "(b) capacity respected or over-capacity recorded"
SPEND_SUM = "(c) spend equals the sum of its categories"
DEFICIT = "(d) deficit equals cumulative spend minus cumulative allocation"

_CODES = {
    # column: (lowest valid, highest valid)
    "active": (0, 1),
    "sen": (S.SEN_NONE, S.EHCP),
    "setting": (S.MAINSTREAM, S.EARLY_YEARS),
    "stage": (S.IDLE, len(S.STAGE_NAMES) - 1),
    "kind": (S.KIND_NONE, S.KIND_PLACEMENT),
    "year": (S.FIRST_YEAR, S.FINAL_YEAR),
    "quintile": (1, 5),
    "need_type": (-1, len(S.NEED_NAMES) - 1),
}


def check(model: SendModel) -> None:
    """Check every invariant on ``model`` as it stands after a step.

    Before the first step only the invariants on the model's state are checked (there
    are no recorded measures yet).

    Raises:
        AssertionError: naming the invariant, the month and the first offender.
    """
    month = _month(model)
    check_rows(model, month)
    check_counted_once(model, month)
    check_capacity(model, month)
    check_spend(model, month)
    check_deficit(model, month)


# ----------------------------------------------------------------------- helpers --


def _month(model: SendModel) -> str:
    """Label of the last recorded month ('YYYY-MM'), or the coming month before any."""
    if model.dates:
        return model.dates[-1].isoformat()[:7]
    return f"{calendar.label(model.tick)} (before the first step)"


def _fail(invariant: str, month: str, detail: str) -> None:
    raise AssertionError(f"invariant {invariant} violated in {month}: {detail}")


def _la_name(model: SendModel, la: int) -> str:
    return f"LA {la} ({model.areas.names[la]})"


def _row(model: SendModel, row: int) -> str:
    fam = model.families
    return (f"row {row} (uid {int(fam.uid[row])}, {_la_name(model, int(fam.la[row]))}, "
            f"year {int(fam.year[row])}, sen {int(fam.sen[row])}, "
            f"setting {int(fam.setting[row])}, stage {int(fam.stage[row])})")


def _num(value) -> str:
    """A number for a message: exact (repr of the float), without numpy's wrapper."""
    return repr(float(value))


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _mismatch(a, b, ref=0.0, rtol: float = RTOL) -> np.ndarray:
    """Boolean mask where ``a`` and ``b`` differ by more than ``rtol`` of the larger of
    |a|, |b| and ``ref`` (``ref`` keeps differences of near-zero values in proportion)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    size = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.abs(np.asarray(ref, np.float64)))
    return ~(np.abs(a - b) <= rtol * size) | ~np.isfinite(a) | ~np.isfinite(b)


def _panel(model: SendModel, name: str) -> np.ndarray:
    """This month's panel of ``name``: shape (n_la, 6), England scale."""
    return model.panel[name][-1]


def _sample_counts(model: SendModel, name: str, month: str) -> np.ndarray:
    """This month's panel counts of ``name`` rescaled to whole children in the sample."""
    values = _panel(model, name) * model.scale
    whole = np.rint(values)
    bad = np.argwhere(np.abs(values - whole) > COUNT_TOL)
    if bad.size:
        la, q = (int(v) for v in bad[0])
        _fail(COUNTED_ONCE, month, f"panel '{name}' for {_la_name(model, la)}, quintile {q} "
              f"is {_num(values[la, q])} children at sample scale, not a whole number")
    return whole.astype(np.int64)


# ------------------------------------------------------------- (a) rows and counts --


def check_rows(model: SendModel, month: str) -> None:
    """(a), part 1: the family columns are well formed.

    Why: the kernels index institution arrays with these columns without bounds checks
    (numba), so an invalid code or index silently reads or writes another entry; and
    the counting pass relies on each active row being one child, identified by a uid
    no other active row has (a row reused by an intake must get a fresh uid, or two
    children would share random draws and could be double counted).

    Checked on active rows: codes of ``active``, ``sen``, ``setting``, ``stage``,
    ``kind``, ``year``, ``quintile`` and ``need_type`` in range; ``uid`` unique and
    below ``model.next_uid``; ``la`` a valid LA; a child in mainstream school has a
    valid school; a child in a state special school has a valid special-school index,
    one in an independent setting a valid provider index; a child in a special or
    independent setting holds an EHC plan (they are only placed there through a plan,
    and the results contract, results/README.md, counts placements as stocks of
    children *with plans*); and every row past Year 13 holds a plan (children without
    one leave after Year 13, so pupils + post-19 plans cover every row).
    """
    fam = model.families
    bad = _first((fam.active != 0) & (fam.active != 1))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"row {bad} has active = {int(fam.active[bad])}")
    rows = np.flatnonzero(fam.active == 1)
    for name, (low, high) in _CODES.items():
        values = getattr(fam, name)[rows]
        bad = _first((values < low) | (values > high))
        if bad is not None:
            _fail(COUNTED_ONCE, month, f"{_row(model, int(rows[bad]))} has {name} = "
                  f"{int(values[bad])}, outside {low}..{high}")
    uid = fam.uid[rows]
    bad = _first((uid < 0) | (uid >= model.next_uid))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"row {int(rows[bad])} has uid {int(uid[bad])}, outside "
              f"0..{model.next_uid - 1} (uids handed out so far)")
    order = np.argsort(uid, kind="stable")
    repeated = _first(np.diff(uid[order]) == 0)
    if repeated is not None:
        first, second = int(rows[order[repeated]]), int(rows[order[repeated + 1]])
        _fail(COUNTED_ONCE, month, f"uid {int(uid[order[repeated]])} is held by two active "
              f"rows: {_row(model, first)} and {_row(model, second)}")
    la = fam.la[rows]
    bad = _first((la < 0) | (la >= model.areas.n))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"row {int(rows[bad])} has la {int(la[bad])}, outside "
              f"0..{model.areas.n - 1}")
    setting, year = fam.setting[rows], fam.year[rows]
    _check_index(model, month, rows, (setting == S.MAINSTREAM) & (year < S.SCHOOL_YEARS),
                 fam.school, model.schools.n, "mainstream school")
    _check_index(model, month, rows, setting == S.SPECIAL, fam.provider, model.special.n,
                 "special school")
    _check_index(model, month, rows, setting == S.INDEPENDENT, fam.provider,
                 model.providers.n, "independent provider")
    placed = (setting == S.SPECIAL) | (setting == S.INDEPENDENT)
    bad = _first(placed & (fam.sen[rows] != S.EHCP))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"{_row(model, int(rows[bad]))} is in a special or "
              "independent setting without an EHC plan")
    bad = _first((setting == S.EARLY_YEARS) != (year < 0))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"{_row(model, int(rows[bad]))}: a child is in early years "
              "if and only if it is before Reception (year < 0)")
    bad = _first((year >= S.SCHOOL_YEARS) & (fam.sen[rows] != S.EHCP))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"{_row(model, int(rows[bad]))} is past Year 13 without "
              "an EHC plan (should have left)")


def _check_index(model, month, rows, mask, column, n, what) -> None:
    index = column[rows]
    bad = _first(mask & ((index < 0) | (index >= n)))
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"{_row(model, int(rows[bad]))} is in a {what} but its "
              f"index is {int(index[bad])}, outside 0..{n - 1}")


def check_counted_once(model: SendModel, month: str) -> None:
    """(a), part 2: this month's measures count every active row exactly once.

    Why: every output (the results contract, results/README.md) is a sum over
    children; a child missed or counted twice (e.g. a row left active after leaving, a
    quintile slot wrong, a chunk of rows summed twice by a parallel loop) biases every
    rate built on it.

    Per LA, from the panel recorded this month (rescaled to the sample):
    pupils + children in early years + (EHC plans - school-age EHC plans - early-years
    EHC plans) == active rows, i.e. school-age rows, early-years rows and post-19 rows
    (which all hold plans, see :func:`check_rows`); pupils, SEN support (school age and
    early years), plans and placements equal the rows with that state; EHC plans equal
    the sum of plans by setting (mainstream, special, independent, further education,
    home education, early years);
    and for each count the five family-resources quintiles add up to the total. The
    national series equals the sum of the LA panel.
    """
    if not model.panel:
        return
    fam = model.families
    rows = np.flatnonzero(fam.active == 1)
    n_la = model.areas.n
    la, year, sen, setting = (fam.la[rows].astype(np.int64), fam.year[rows], fam.sen[rows],
                              fam.setting[rows])
    plan = sen == S.EHCP
    early = year < 0
    school_age = ~early & (year < S.SCHOOL_YEARS)
    expected = {
        "pupils": school_age,
        "early_years_children": early,
        "sen_support": (sen == S.SEN_SUPPORT) & ~early,
        "early_years_sen_support": (sen == S.SEN_SUPPORT) & early,
        "ehc_plans": plan,
        "ehc_plans_school_age": plan & school_age,
        "ehc_plans_early_years": plan & early,
        "placements_mainstream": plan & (setting == S.MAINSTREAM),
        "placements_special": setting == S.SPECIAL,
        "placements_independent": setting == S.INDEPENDENT,
        "placements_further_education": plan & (setting == S.FURTHER_EDUCATION),
        "placements_home_education": plan & (setting == S.HOME_EDUCATION),
        "home_educated": (setting == S.HOME_EDUCATION) & (fam.need[rows] > 0),
    }
    counts = {name: _sample_counts(model, name, month) for name in expected}
    rows_per_la = np.bincount(la, minlength=n_la)
    counted = (counts["pupils"][:, 0] + counts["early_years_children"][:, 0]
               + counts["ehc_plans"][:, 0] - counts["ehc_plans_school_age"][:, 0]
               - counts["ehc_plans_early_years"][:, 0])
    bad = _first(counted != rows_per_la)
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"{_la_name(model, bad)} has {rows_per_la[bad]} active rows "
              f"but the panel counts {counted[bad]} children (pupils, early years and post-19 "
              "plans)")
    for name, mask in expected.items():
        have = np.bincount(la[mask], minlength=n_la)
        bad = _first(counts[name][:, 0] != have)
        if bad is not None:
            _fail(COUNTED_ONCE, month, f"{_la_name(model, bad)}: panel '{name}' counts "
                  f"{counts[name][bad, 0]} children, the family columns hold {have[bad]}")
        by_quintile = counts[name][:, 1:].sum(axis=1)
        bad = _first(by_quintile != counts[name][:, 0])
        if bad is not None:
            _fail(COUNTED_ONCE, month, f"{_la_name(model, bad)}: panel '{name}' by quintile "
                  f"adds up to {by_quintile[bad]}, the total is {counts[name][bad, 0]}")
    by_setting = sum(counts[k][:, 0] for k in ("placements_mainstream", "placements_special",
                                               "placements_independent",
                                               "placements_further_education",
                                               "placements_home_education",
                                               "ehc_plans_early_years"))
    bad = _first(by_setting != counts["ehc_plans"][:, 0])
    if bad is not None:
        _fail(COUNTED_ONCE, month, f"{_la_name(model, bad)}: plans by setting add up to "
              f"{by_setting[bad]}, EHC plans are {counts['ehc_plans'][bad, 0]}")
    for name in ("pupils", "sen_support", "ehc_plans", "placements_mainstream",
                 "placements_special", "placements_independent"):
        national, panel_sum = model.national[name][-1], _panel(model, name)[:, 0].sum()
        if _mismatch(national, panel_sum):
            _fail(COUNTED_ONCE, month, f"national '{name}' is {_num(national)} but the LA panel "
                  f"adds up to {_num(panel_sum)}")


# ------------------------------------------------------------------- (b) capacity --


def check_capacity(model: SendModel, month: str) -> None:
    """(b): places are respected, and over-capacity placements are recorded.

    Why: the market feedback (full special schools push children to independent
    providers; providers expand where referrals go unplaced) only means something if
    capacity binds. Children enter a state special school only where its roll is
    below its places, so roll <= places must hold after the month's placements.
    Independent providers may exceed their places only by tribunal-ordered placements,
    each recorded in ``providers.over`` (cumulative; places never shrink), so
    roll <= places + over.

    Also: each roll equals the children the family columns place there (the rolls the
    placement kernel rations against are the real ones), and places and ``over`` are
    not negative.
    """
    fam = model.families
    active = fam.active == 1
    institutions = (("special school", model.special, S.SPECIAL, None),
                    ("independent provider", model.providers, S.INDEPENDENT,
                     model.providers.over))
    for what, inst, setting, over in institutions:
        mask = active & (fam.setting == setting)
        children = np.bincount(fam.provider[mask], minlength=inst.n)[:inst.n]
        bad = _first(inst.roll != children)
        if bad is not None:
            home = inst.la[bad] if over is None else inst.home[bad]
            _fail(CAPACITY, month, f"{what} {bad} in {_la_name(model, int(home))} has roll "
                  f"{int(inst.roll[bad])} but {int(children[bad])} children are placed there")
        extra = np.zeros(inst.n, dtype=np.int64) if over is None else over
        bad = _first((inst.places < 0) | (extra < 0))
        if bad is not None:
            _fail(CAPACITY, month, f"{what} {bad} has places {int(inst.places[bad])} and "
                  f"over-capacity count {int(extra[bad])}; neither may be negative")
        bad = _first(inst.roll > inst.places + extra)
        if bad is not None:
            home = inst.la[bad] if over is None else inst.home[bad]
            allowed = "" if over is None else f" + {int(extra[bad])} recorded over capacity"
            _fail(CAPACITY, month, f"{what} {bad} in {_la_name(model, int(home))} has "
                  f"{int(inst.roll[bad])} children on roll for {int(inst.places[bad])} "
                  f"places{allowed}")


# ---------------------------------------------------------------------- (c) spend --


def check_spend(model: SendModel, month: str) -> None:
    """(c): spend is the sum of its categories, and high-needs spend of the DSG's.

    Why: the deficit, gatekeeping pressure and every cost result are built on
    ``high_needs_spend_gbp`` and ``send_spend_gbp``; a category left out of a total (or
    counted twice), or an LA's spend missing from the national total, would shift the
    feedback loops silently.

    Checked (relative tolerance 1e-6): national ``send_spend_gbp`` == sum of every
    recorded ``spend_*_gbp`` measure (so a category added to the counting but not to the
    total is caught) and ``high_needs_spend_gbp`` == sum of the high-needs categories
    (:data:`SPEND`); per LA, the panel's two totals == the sums of their categories;
    national == sum of the LA panel; every category >= 0. (The numbers of children each
    category pays for are checked under (a).)
    """
    if not model.panel:
        return
    categories = spend_categories(model)
    missing = [name for name in SPEND if name not in categories]
    if missing:
        _fail(SPEND_SUM, month, f"spend category '{missing[0]}' was not recorded")
    for total_name, parts in (("send_spend_gbp", categories),
                              ("high_needs_spend_gbp", list(SPEND))):
        _check_spend_total(model, month, total_name, parts)
    for name in categories:
        values = _panel(model, name)[:, 0]
        bad = _first(values < 0)
        if bad is not None:
            _fail(SPEND_SUM, month, f"{_la_name(model, bad)}: {name} is negative "
                  f"({_num(values[bad])})")


def _check_spend_total(model: SendModel, month: str, total_name: str,
                       categories: list[str]) -> None:
    national = model.national
    total = national[total_name][-1]
    parts = sum(national[name][-1] for name in categories)
    if _mismatch(total, parts):
        _fail(SPEND_SUM, month, f"national {total_name} is {_num(total)} but its "
              f"categories {', '.join(categories)} add up to {_num(parts)}")
    panel_total = _panel(model, total_name)[:, 0]
    panel_parts = sum(_panel(model, name)[:, 0] for name in categories)
    bad = _first(_mismatch(panel_total, panel_parts))
    if bad is not None:
        _fail(SPEND_SUM, month, f"{_la_name(model, bad)}: {total_name} {_num(panel_total[bad])} "
              f"is not the sum of its categories {_num(panel_parts[bad])}")
    if _mismatch(total, panel_total.sum()):
        _fail(SPEND_SUM, month, f"national {total_name} is {_num(total)} but the LA "
              f"panel adds up to {_num(panel_total.sum())}")


def spend_categories(model: SendModel) -> list[str]:
    """Names of the spend categories recorded: every ``spend_*_gbp`` national measure."""
    return [name for name in model.national
            if name.startswith("spend_") and name.endswith("_gbp")]


# -------------------------------------------------------------------- (d) deficit --


def check_deficit(model: SendModel, month: str) -> None:
    """(d): the deficit is cumulative spend minus cumulative allocation and transfers.

    Why: the deficit drives gatekeeping (and, once the statutory override ends, the
    count of LAs past their reserves); it must be exactly the money recorded month by
    month, with nothing spent or allocated off the books.

    Checked (relative tolerance 1e-6 of the cumulative spend): per LA,
    ``las.deficit_gbp == las.cumulative_spend_gbp - las.cumulative_allocation_gbp -
    las.cumulative_transfer_gbp``; cumulative spend, allocation and transfers equal the
    sums over recorded months of the LA's panel spend, allocation and schools-block
    transfers (rescaled to the sample); nationally, for every month,
    ``cumulative_deficit_gbp`` equals the running sum of ``high_needs_spend_gbp -
    high_needs_allocation_gbp - schools_block_transfer_gbp``; the last month's national
    deficit equals the sum of the LAs' deficits; and ``las_deficit_over_reserves``
    counts the LAs whose deficit exceeds their reserves.
    """
    las, scale = model.las, model.scale
    spend, allocation = las.cumulative_spend_gbp, las.cumulative_allocation_gbp
    transfer = las.cumulative_transfer_gbp
    bad = _first(_mismatch(las.deficit_gbp, spend - allocation - transfer, ref=spend))
    if bad is not None:
        _fail(DEFICIT, month, f"{_la_name(model, bad)}: deficit {_num(las.deficit_gbp[bad])} "
              f"!= cumulative spend {_num(spend[bad])} - cumulative allocation "
              f"{_num(allocation[bad])} - cumulative transfers {_num(transfer[bad])}")
    if not model.panel:
        bad = _first((spend != 0) | (allocation != 0) | (transfer != 0))
        if bad is not None:
            _fail(DEFICIT, month, f"{_la_name(model, bad)} has money on its books before "
                  "any month was recorded")
        return
    for what, books, name in (("spend", spend, "high_needs_spend_gbp"),
                              ("allocation", allocation, "high_needs_allocation_gbp"),
                              ("transfers", transfer, "schools_block_transfer_gbp")):
        recorded = np.sum([cell[:, 0] for cell in model.panel[name]], axis=0) * scale
        bad = _first(_mismatch(books, recorded, ref=spend))
        if bad is not None:
            _fail(DEFICIT, month, f"{_la_name(model, bad)}: cumulative {what} on the books is "
                  f"{_num(books[bad])} but the months recorded add up to {_num(recorded[bad])}")
    national = model.national
    flows = (np.asarray(national["high_needs_spend_gbp"])
             - np.asarray(national["high_needs_allocation_gbp"])
             - np.asarray(national["schools_block_transfer_gbp"]))
    running = np.cumsum(flows)
    cumulative_spend = np.cumsum(national["high_needs_spend_gbp"])
    deficit = np.asarray(national["cumulative_deficit_gbp"])
    bad = _first(_mismatch(deficit, running, ref=cumulative_spend))
    if bad is not None:
        _fail(DEFICIT, f"{month} (recorded month {model.dates[bad].isoformat()[:7]})",
              f"national cumulative_deficit_gbp is {_num(deficit[bad])} but the running sum of "
              f"spend - allocation - transfers is {_num(running[bad])}")
    la_sum = las.deficit_gbp.sum() / scale
    if _mismatch(deficit[-1], la_sum, ref=cumulative_spend[-1]):
        _fail(DEFICIT, month, f"national cumulative_deficit_gbp is {_num(deficit[-1])} but the "
              f"LAs' deficits add up to {_num(la_sum)}")
    over = int(np.sum(las.deficit_gbp > las.reserves_gbp))
    if national["las_deficit_over_reserves"][-1] != over:
        _fail(DEFICIT, month, f"las_deficit_over_reserves is "
              f"{_num(national['las_deficit_over_reserves'][-1])} but {over} LAs have a deficit "
              "above their reserves")
