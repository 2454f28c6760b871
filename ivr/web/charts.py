"""The wallboard's two charts as SVG geometry, made on the server (no chart script to load).

:func:`quarter_hours` stacks each quarter hour of today (answered, abandoned, the rest still
waiting or unknown) over a 24-hour axis; :func:`waiting_hour` draws the callers waiting over the
last hour as a step line. Both return plain numbers for ``_charts.html``; colours come from
``supervision.css`` (classes, never inline styles: the Content-Security-Policy forbids them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from ivr.core.wallboard import BUCKET, HISTORY, Bucket

WIDTH, HEIGHT = 960, 250
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 32   # margins for the axes' labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
HOUR_WIDTH = 600                            # the last hour's chart sits in a narrower box


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)      # x, w and the stacked parts: y, h, kind, title
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    path: str = ""                                       # the step line (waiting callers)
    area: str = ""
    now_x: float | None = None
    summary: str = ""
    plot: tuple[int, int, int, int] = (LEFT, TOP, PLOT_W, PLOT_H)


def nice_ceiling(value: float) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5, 10, 20, 50, ...), at least 5."""
    value = max(5.0, value)
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def _y_ticks(top: int) -> list[tuple[float, str]]:
    step = max(1, top // 5)
    return [(round(TOP + PLOT_H - PLOT_H * v / top, 1), str(v)) for v in range(0, top + 1, step)]


def quarter_hours(buckets: tuple[Bucket, ...], day_start: datetime, now: datetime) -> Chart:
    """Today's calls per quarter hour over 00:00-24:00; the current quarter is drawn too."""
    slots = 24 * 60 // int(BUCKET.total_seconds() // 60)
    slot_w = PLOT_W / slots
    top = nice_ceiling(max((b.offered for b in buckets), default=0))
    chart = Chart(y_ticks=_y_ticks(top))
    for hour in range(0, 25, 3):
        chart.x_ticks.append((LEFT + PLOT_W * hour / 24, f"{hour:02d}:00"))
    for index, bucket in enumerate(buckets[:slots]):
        x, base = LEFT + index * slot_w, TOP + PLOT_H
        parts = []
        other = bucket.offered - bucket.answered - bucket.abandoned
        for kind, count in (("answered", bucket.answered), ("abandoned", bucket.abandoned), ("other", other)):
            if count <= 0:
                continue
            h = PLOT_H * count / top
            base -= h
            parts.append({"kind": kind, "y": round(base, 1), "h": round(h, 1)})
        if parts:
            start = bucket.start.strftime("%H:%M")
            title = f"{start} 来电{bucket.offered} 接听{bucket.answered} 放弃{bucket.abandoned}"
            chart.bars.append({"x": round(x + 1, 1), "w": round(max(1.0, slot_w - 2), 1), "parts": parts,
                               "title": title})
    chart.now_x = round(LEFT + PLOT_W * (now - day_start).total_seconds() / 86400, 1)
    offered = sum(b.offered for b in buckets)
    answered = sum(b.answered for b in buckets)
    abandoned = sum(b.abandoned for b in buckets)
    chart.summary = f"今日来电{offered}，接听{answered}，放弃{abandoned}"
    return chart


def waiting_hour(points: tuple[tuple[datetime, int], ...], now: datetime) -> Chart:
    """Callers waiting over the last hour, as a step line with the area under it."""
    start = now - HISTORY
    top = nice_ceiling(max((n for _, n in points), default=0))
    plot_w = HOUR_WIDTH - LEFT - RIGHT
    chart = Chart(width=HOUR_WIDTH, y_ticks=_y_ticks(top), plot=(LEFT, TOP, plot_w, PLOT_H))
    for minutes in range(0, 61, 15):
        label = "现在" if minutes == 60 else f"{60 - minutes}分钟前"
        chart.x_ticks.append((LEFT + plot_w * minutes / 60, label))

    def x_of(moment: datetime) -> float:
        return round(LEFT + plot_w * max(0.0, (moment - start).total_seconds()) / HISTORY.total_seconds(), 1)

    def y_of(count: int) -> float:
        return round(TOP + PLOT_H - PLOT_H * count / top, 1)

    if points:
        steps = [f"M{x_of(points[0][0])},{y_of(points[0][1])}"]
        for (_, before), (moment, count) in zip(points, points[1:]):
            steps.append(f"L{x_of(moment)},{y_of(before)}")
            steps.append(f"L{x_of(moment)},{y_of(count)}")
        chart.path = " ".join(steps)
        chart.area = f"{chart.path} L{x_of(points[-1][0])},{TOP + PLOT_H} L{x_of(points[0][0])},{TOP + PLOT_H} Z"
    peak = max((n for _, n in points), default=0)
    since = "最近一小时" if points and points[0][0] <= start else \
        f"自 {points[0][0].strftime('%H:%M')} 起（此前未记录）" if points else "暂无记录，"
    chart.summary = f"{since}最多{peak}人排队，现在{points[-1][1] if points else 0}人"
    return chart
