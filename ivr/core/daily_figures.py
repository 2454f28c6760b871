"""The daily summary's arithmetic: what one call or one work order adds to its day's figures.

The year's report cannot read ten million rows in two seconds, so the store keeps, per day (the
centre's calendar day) and per line, department and unit, the additive figures of
:class:`ivr.core.kpi.Figures` (Wazo's ``stat_queue_periodic``, VICIdial's daily tables). Each write
that changes a call or an order hands its **share** before and after the change to
:func:`changes`, which says what to add to which day's group: a late fact (a reply, a rating, a
re-dispatch to another unit) lands on the day the call or order belongs to, the day it was taken
in, exactly where the report counts it from the raw rows. The rates are never stored: they come
from the sums (:class:`~ivr.core.kpi.Figures`).

Pure: the store passes in the row's values and the centre's day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ivr.core import kpi

NO_UNIT = ""   # the unit of a group of calls and of orders not dispatched


@dataclass(frozen=True, order=True)
class DayKey:
    """A group of the summary: the centre's day, the line dialled, its department, the unit."""

    day: date
    line: str
    department: str
    unit: str = NO_UNIT


@dataclass(frozen=True)
class DayShare:
    """The figures one call or order adds to its group."""

    key: DayKey
    figures: kpi.Figures


def call_share(day: date, *, line: str, department: str | None, outcome: str, stage: str | None,
               wait_seconds: int | None, offered: bool) -> DayShare | None:
    """An offered call's share (None for a call never offered: the centre's own callbacks).
    Counted as :func:`ivr.store.calls.report_facts` counts the raw rows: same keys, same stage."""
    if not offered:
        return None
    answered = outcome == "answered"
    wait = wait_seconds or 0
    fact = kpi.CallFact(line, department or "", outcome, stage=stage if stage in kpi.STAGES else None,
                        answered_within=int(answered and wait_seconds is not None
                                            and wait_seconds <= kpi.SERVICE_LEVEL_S),
                        answer_wait=wait if answered else 0)
    return DayShare(DayKey(day, line, department or ""), kpi.call_figures(fact))


def order_share(day: date, fact: kpi.OrderFact) -> DayShare:
    """A work order's share, in its line's group and, once dispatched, its unit's."""
    group = kpi.order_group(fact)
    return DayShare(DayKey(day, group.line, group.department, group.unit or NO_UNIT), group.figures)


def changes(before: DayShare | None, after: DayShare | None) -> list[DayShare]:
    """What to add to the summary when a call or order goes from ``before`` to ``after``: the
    difference on one group, or the old share taken off one group and the new put on another
    (a re-dispatch to another unit). Nothing when nothing counted changed; sorted by group, so
    that concurrent writers lock the summary's rows in one order."""
    out: dict[DayKey, kpi.Figures] = {}
    if before is not None:
        out[before.key] = kpi.Figures() - before.figures
    if after is not None:
        out[after.key] = out.get(after.key, kpi.Figures()) + after.figures
    return [DayShare(key, figures) for key, figures in sorted(out.items()) if figures]
