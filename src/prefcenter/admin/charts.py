"""Charts for the insights page, drawn by the server as SVG: the geometry only (no I/O, no markup).

A chart is built from an insights series (``insights.schemas.InsightSeries``): a line chart follows one
figure of every group over the periods, a bar chart and a donut compare the groups by one count summed over
the periods (counts add up; rates and means do not, so those are lines). Templates turn the shapes into SVG
(``admin/templates/chart.html``); each chart keeps its data table beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from prefcenter.insights.schemas import InsightSeries

# Colours that keep 4.5:1 against white and stay apart for the common colour-vision deficiencies
# (Okabe-Ito, darkened), each series also named in the legend and the table.
PALETTE = ("#0b57d0", "#b3261e", "#0d7a3e", "#8a4b00", "#6a1b9a", "#00687a", "#5c5c66", "#a0006d")
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, str]]  # each point and its value as text (the dot's title)


@dataclass(frozen=True)
class Bar:
    name: str
    colour: str
    x: float
    y: float
    width: float
    height: float
    value: str


@dataclass(frozen=True)
class Slice:
    name: str
    colour: str
    path: str  # an SVG path: the ring segment
    share: str  # "42%"
    value: str


@dataclass(frozen=True)
class Chart:
    kind: str  # line | bar | donut
    width: int
    height: int
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    lines: list[Line]
    bars: list[Bar]
    slices: list[Slice]
    empty: bool
    summary: str  # one sentence for the chart's description (screen readers)


def figure_text(value: float | int | None, percent: bool = False) -> str:
    if value is None:
        return "suppressed"
    if percent:
        return f"{value * 100:.0f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def _nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _scale(low: float, high: float, percent: bool) -> tuple[float, float, list[Tick]]:
    """The axis from a round number at or below ``min(low, 0)`` to one at or above ``high``, in round steps."""
    low = min(low, 0.0)
    if percent and low >= 0 and high <= 1:
        bottom, top, step = 0.0, 1.0, 0.25
    else:
        step = _nice_top((high - low) / 4 or 1)
        bottom = math.floor(low / step) * step
        top = max(math.ceil(high / step) * step, bottom + step)
    plot = HEIGHT - TOP - BOTTOM
    count = round((top - bottom) / step)
    ticks = [
        Tick(round(TOP + plot - plot * n / count, 1), figure_text(bottom + step * n, percent))
        for n in range(count + 1)
    ]
    return bottom, top, ticks


def _y(value: float, bottom: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot - plot * (value - bottom) / (top - bottom), 1)


def _period_label(period: date, interval: str) -> str:
    if interval == "month":
        return period.strftime("%b %Y")
    return period.strftime("%d %b")


def line_chart(series: InsightSeries, figure: str, *, percent: bool = False, title: str = "") -> Chart:
    """One line per group (or one line without grouping) of ``figure`` over the periods; a suppressed
    figure breaks no line: that point is left out."""
    periods = sorted({row.period for row in series.rows})
    groups: dict[str | None, dict[date, float | None]] = {}
    for row in series.rows:
        groups.setdefault(row.group, {})[row.period] = row.figures.get(figure)
    values = [v for g in groups.values() for v in g.values() if v is not None]
    if not periods or not values:
        return _empty("line", title)
    bottom, top, y_ticks = _scale(min(values), max(values), percent)
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(periods) - 1, 1)
    x_of = {p: round(LEFT + (step * i if len(periods) > 1 else span / 2), 1) for i, p in enumerate(periods)}
    every = max(1, math.ceil(len(periods) / 6))
    x_ticks = [Tick(x_of[p], _period_label(p, series.interval)) for p in periods[::every]]
    lines = []
    for n, (group, by_period) in enumerate(sorted(groups.items(), key=lambda g: (g[0] is None, g[0] or ""))):
        dots = [
            (x_of[p], _y(v, bottom, top), f"{_period_label(p, series.interval)}: {figure_text(v, percent)}")
            for p, v in sorted(by_period.items())
            if v is not None
        ]
        lines.append(
            Line(group or "all", PALETTE[n % len(PALETTE)], " ".join(f"{x},{y}" for x, y, _ in dots), dots)
        )
    latest = periods[-1]
    said = ", ".join(
        f"{line.name} {figure_text(groups[None if line.name == 'all' else line.name].get(latest), percent)}"
        for line in lines
    )
    return Chart(
        "line",
        WIDTH,
        HEIGHT,
        y_ticks,
        x_ticks,
        lines,
        [],
        [],
        False,
        f"{title}: {len(periods)} periods from {_period_label(periods[0], series.interval)}; "
        f"in the latest, {said}.",
    )


def totals(series: InsightSeries, figure: str) -> list[tuple[str, float | None]]:
    """``figure`` summed over the periods per group, largest first (None: some period was suppressed)."""
    summed: dict[str, float | None] = {}
    for row in series.rows:
        name = row.group or "all"
        value = row.figures.get(figure)
        if name not in summed:
            summed[name] = 0
        summed[name] = None if value is None or summed[name] is None else summed[name] + value
    return sorted(summed.items(), key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))


def bar_chart(series: InsightSeries, figure: str, *, title: str = "") -> Chart:
    """One bar per group: ``figure`` summed over the periods (a suppressed group has no bar)."""
    summed = totals(series, figure)
    shown = [(name, value) for name, value in summed if value is not None]
    if not shown:
        return _empty("bar", title)
    bottom, top, y_ticks = _scale(0, max(v for _, v in shown), False)
    span = WIDTH - LEFT - RIGHT
    slot = span / len(summed)
    width = min(slot * 0.7, 72)
    bars, x_ticks = [], []
    for n, (name, value) in enumerate(summed):
        x = LEFT + slot * n + (slot - width) / 2
        x_ticks.append(Tick(round(x + width / 2, 1), name))
        if value is None:
            continue
        y = _y(value, bottom, top)
        bars.append(
            Bar(
                name,
                PALETTE[0],
                round(x, 1),
                y,
                round(width, 1),
                round(_y(0, bottom, top) - y, 1),
                figure_text(value),
            )
        )
    said = ", ".join(f"{name} {figure_text(value)}" for name, value in summed)
    return Chart("bar", WIDTH, HEIGHT, y_ticks, x_ticks, [], bars, [], False, f"{title}: {said}.")


def donut_chart(series: InsightSeries, figure: str, *, title: str = "") -> Chart:
    """Each group's share of ``figure`` summed over the periods, as a ring (suppressed groups left out)."""
    shown = [(name, value) for name, value in totals(series, figure) if value]
    whole = sum(v for _, v in shown)
    if not whole:
        return _empty("donut", title)
    cx, cy, outer, inner = 140, 140, 120, 70
    slices, start = [], -math.pi / 2
    for n, (name, value) in enumerate(shown):
        sweep = 2 * math.pi * value / whole
        slices.append(
            Slice(
                name,
                PALETTE[n % len(PALETTE)],
                _ring(cx, cy, outer, inner, start, min(sweep, 2 * math.pi - 1e-4)),
                f"{value / whole * 100:.0f}%",
                figure_text(value),
            )
        )
        start += sweep
    said = ", ".join(f"{s.name} {s.share}" for s in slices)
    return Chart("donut", 280, 280, [], [], [], [], slices, False, f"{title}: {said}.")


def _ring(cx: float, cy: float, outer: float, inner: float, start: float, sweep: float) -> str:
    end = start + sweep
    large = 1 if sweep > math.pi else 0

    def at(radius: float, angle: float) -> str:
        return f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}"

    return (
        f"M{at(outer, start)} A{outer},{outer} 0 {large} 1 {at(outer, end)} "
        f"L{at(inner, end)} A{inner},{inner} 0 {large} 0 {at(inner, start)} Z"
    )


def _empty(kind: str, title: str) -> Chart:
    return Chart(kind, WIDTH, HEIGHT, [], [], [], [], [], True, f"{title}: nothing to show for these dates.")
