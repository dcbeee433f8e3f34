"""Server-rendered SVG charts: a timeline, a sprint burn-up, velocity and duration bars.

Pure functions from plain rows to SVG markup (a `Markup`, every text escaped here), readable
without JavaScript: each chart has a title and a description for screen readers and each
mark a `<title>` that shows on hover; the figures are also in the page's tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

STATE_COLOURS = {
    "closed": "#108548",
    "active": "#1f75cb",
    "overdue": "#c91c00",
    "upcoming": "#89888d",
    "missing": "#dcdcde",
}
GATE_COLOURS = {"passed": "#108548", "open": "#89888d", "overdue": "#c91c00", "none": "#dcdcde"}
INK, MUTED, GRID = "#1f1e24", "#626168", "#ececef"
CHAR = 7.2
"""A generous width of one character at the charts' 12 px (labels are laid out by it, so
none overlaps another or runs past the chart's edge)."""


def text_width(text: str) -> float:
    return CHAR * len(text)


@dataclass(frozen=True)
class Bar:
    label: str
    start: date
    end: date
    state: str
    href: str | None = None


@dataclass(frozen=True)
class Gate:
    label: str
    on: date
    state: str
    """passed, open, overdue (open past its phase's end)."""
    href: str | None = None


@dataclass(frozen=True)
class Lane:
    """One row of the timeline: a phase (or pilot, or waves) with its time-boxes and gate."""

    name: str
    bars: tuple[Bar, ...]
    gate: Gate | None = None
    current: bool = False


def _svg(width: int, height: int, title: str, desc: str, body: Sequence[str]) -> Markup:
    ident = "c" + str(abs(hash((title, desc))) % 10**8)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="group" aria-labelledby="{ident}t {ident}d" '
        f'font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _linked(mark: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{mark}</a>' if href else mark


def timeline(lanes: Sequence[Lane], today: date, width: int = 960) -> Markup:
    """Lanes of dated bars, gates as diamonds at their phase's end, today as a red line."""
    dates = [d for lane in lanes for b in lane.bars for d in (b.start, b.end)]
    dates += [lane.gate.on for lane in lanes if lane.gate]
    title = "Timeline of phases, pilots, sprints and waves"
    if not dates:
        return _svg(width, 40, title, "No dated time-box yet.", [_text(8, 24, "No dated time-box")])
    first, last = min([*dates, today]), max([*dates, today]) + timedelta(days=1)
    left, right, row = 170, 16, 34
    span = max((last - first).days, 1)
    height = 30 + row * len(lanes) + 26  # the last 16: the row where "today" is written

    def x(day: date) -> float:
        return left + (width - left - right) * (day - first).days / span

    body = _month_ticks(first, last, x, height - 16, width - right)
    for i, lane in enumerate(lanes):
        top = 24 + i * row
        weight = "700" if lane.current else "400"
        body.append(_text(8, top + 17, _clip(lane.name, int((left - 14) / CHAR)), weight=weight))
        for bar in lane.bars:
            start, end = x(bar.start), x(bar.end + timedelta(days=1))
            colour = STATE_COLOURS.get(bar.state, MUTED)
            tip = f"{bar.label}: {bar.start} to {bar.end}, {bar.state}"
            rect = (
                f'<rect x="{start:.1f}" y="{top + 5}" width="{max(end - start, 2):.1f}" '
                f'height="18" rx="3" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
            body.append(_linked(rect, bar.href))
        if lane.gate:
            body.append(_diamond(x(lane.gate.on + timedelta(days=1)), top + 14, lane.gate))
    now = x(today)
    body.append(
        f'<line x1="{now:.1f}" y1="14" x2="{now:.1f}" y2="{height - 18}" stroke="#c91c00" '
        f'stroke-width="2"><title>Today, {today}</title></line>'
    )
    label = f"today {today}"
    # below the lanes, on its own row (never over a month's name), kept inside the chart
    at = min(max(now - text_width(label) / 2, 2), width - right - text_width(label))
    body.append(_text(at, height - 4, label, colour="#c91c00"))
    desc = "; ".join(
        f"{lane.name}: "
        + ", ".join(f"{b.label} {b.start} to {b.end} ({b.state})" for b in lane.bars)
        + (f"; gate {lane.gate.label} {lane.gate.state}" if lane.gate else "")
        for lane in lanes
    )
    return _svg(width, height, title, f"Today is {today}. {desc}", body)


def _month_ticks(first: date, last: date, x: object, height: int, edge: float) -> list[str]:
    """A line per month; its name where it fits: after the previous name, before `edge`."""
    marks: list[str] = []
    free_from = 0.0
    day = date(first.year, first.month, 1)
    while day <= last:
        if day >= first:
            pos = x(day)  # type: ignore[operator]
            marks.append(
                f'<line x1="{pos:.1f}" y1="14" x2="{pos:.1f}" y2="{height - 4}" stroke="{GRID}"/>'
            )
            name = day.strftime("%b %Y")
            if pos + 2 >= free_from and pos + 2 + text_width(name) <= edge:
                marks.append(_text(pos + 2, 12, name, colour=MUTED))
                free_from = pos + 2 + text_width(name) + 6
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return marks


def _diamond(cx: float, cy: float, gate: Gate) -> str:
    size = 7
    points = f"{cx},{cy - size} {cx + size},{cy} {cx},{cy + size} {cx - size},{cy}"
    colour = GATE_COLOURS.get(gate.state, MUTED)
    tip = f"{gate.label}: {gate.state}, due {gate.on}"
    mark = (
        f'<polygon points="{points}" fill="{colour}" stroke="#fff" stroke-width="1.5">'
        f"<title>{escape(tip)}</title></polygon>"
    )
    return _linked(mark, gate.href)


def _text(x: float, y: float, text: str, *, weight: str = "400", colour: str = INK) -> str:
    return f'<text x="{x:.1f}" y="{y}" fill="{colour}" font-weight="{weight}">{escape(text)}</text>'


@dataclass(frozen=True)
class SprintPoint:
    label: str
    committed: int
    done: int
    finished: bool


def burnup(points: Sequence[SprintPoint], forecast: Sequence[int], unit: str) -> Markup:
    """Cumulative scope and done per sprint; `forecast` extends done past the last sprint."""
    width, height, left, bottom = 480, 220, 44, 40
    title = f"Sprint burn-up ({unit})"
    if not points:
        return _svg(width, 40, title, "No sprint yet.", [_text(8, 24, "No sprint yet")])
    scope, done, total, finished = [], [], 0, 0
    for point in points:
        total += point.committed
        finished += point.done
        scope.append(total)
        done.append(finished)
    steps = len(points) + len(forecast)
    top = max([*scope, *forecast, 1])

    def px(i: int) -> float:
        return left + (width - left - 12) * (i + 1) / steps

    def py(value: float) -> float:
        return height - bottom - (height - bottom - 16) * value / top

    body = _axes(width, height, left, bottom, top)
    body.append(_polyline([(px(i), py(v)) for i, v in enumerate(scope)], "#89888d", "scope"))
    body.append(_polyline([(px(i), py(v)) for i, v in enumerate(done)], "#108548", "done"))
    if forecast:
        path = [(px(len(points) - 1), py(done[-1]))]
        path += [(px(len(points) + i), py(v)) for i, v in enumerate(forecast)]
        body.append(_polyline(path, "#1f75cb", "forecast", dashed=True))
    body += _axis_labels([_short(p.label) for p in points], px, height - bottom + 16, width)
    body += _legend(left, height - 8, [("scope", "#89888d"), ("done", "#108548")])
    desc = "; ".join(
        f"{p.label}: scope {s}, done {d}" for p, s, d in zip(points, scope, done, strict=True)
    )
    if forecast:
        desc += f"; forecast reaches {forecast[-1]} in {len(forecast)} more sprint(s)"
    return _svg(width, height, title, desc, body)


def _short(label: str) -> str:
    return label if len(label) <= 10 else label[:9] + "…"


def _axis_labels(labels: Sequence[str], px: object, y: float, width: int) -> list[str]:
    """Labels centred under their points, every k-th one so that none touches the next,
    the last always shown and none past the chart's edges."""
    if not labels:
        return []
    spacing = px(1) - px(0) if len(labels) > 1 else float(width)  # type: ignore[operator]
    widest = max(text_width(label) for label in labels) + 8
    step = max(1, -(-int(widest) // max(int(spacing), 1)))
    shown = list(range(0, len(labels), step))
    if shown[-1] != len(labels) - 1:
        shown[-1] = len(labels) - 1  # the last sprint, in place of the one before it
    marks = []
    for i in shown:
        size = text_width(labels[i])
        at = min(max(px(i) - size / 2, 2), width - 2 - size)  # type: ignore[operator]
        marks.append(_text(at, y, labels[i], colour=MUTED))
    return marks


def _axes(width: int, height: int, left: int, bottom: int, top: float) -> list[str]:
    base = height - bottom
    return [
        f'<line x1="{left}" y1="16" x2="{left}" y2="{base}" stroke="{MUTED}"/>',
        f'<line x1="{left}" y1="{base}" x2="{width - 12}" y2="{base}" stroke="{MUTED}"/>',
        _text(4, 24, f"{top:g}", colour=MUTED),
        _text(4, base, "0", colour=MUTED),
    ]


def _polyline(points: Sequence[tuple[float, float]], colour: str, name: str, **kw: bool) -> str:
    dash = ' stroke-dasharray="6 4"' if kw.get("dashed") else ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (
        f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}>'
        f"<title>{escape(name)}</title></polyline>"
    )


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    marks = []
    for name, colour in items:
        marks.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        marks.append(_text(x + 14, y, name))
        x += 22 + 7 * len(name)
    return marks


@dataclass(frozen=True)
class Measure:
    label: str
    value: float | None
    note: str = ""


def bars(measures: Sequence[Measure], title: str, unit: str, mean: float | None = None) -> Markup:
    """Horizontal bars, one per measure; a measure without a value says why in its note."""
    width, row, left = 480, 26, 150
    height = 12 + row * max(len(measures), 1) + 8
    if not measures:
        return _svg(width, 40, title, "Nothing measured yet.", [_text(8, 24, "Nothing yet")])
    top = max([m.value or 0 for m in measures] + [mean or 0, 1])
    body: list[str] = []
    for i, measure in enumerate(measures):
        y = 10 + i * row
        body.append(_text(4, y + 14, _clip(measure.label, int((left - 12) / CHAR))))
        if measure.value is None:
            body.append(_text(left, y + 14, measure.note or "not measured", colour=MUTED))
            continue
        length = (width - left - 70) * measure.value / top
        tip = f"{measure.label}: {measure.value:g} {unit}"
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{max(length, 1):.1f}" height="16" '
            f'fill="#1f75cb"><title>{escape(tip)}</title></rect>'
        )
        figure = f"{measure.value:g} {unit}"
        body.append(_text(min(left + length + 4, width - 2 - text_width(figure)), y + 15, figure))
    if mean is not None:
        at = left + (width - left - 70) * mean / top
        body.append(
            f'<line x1="{at:.1f}" y1="4" x2="{at:.1f}" y2="{height - 4}" stroke="#c17d10" '
            f'stroke-dasharray="4 3" stroke-width="2"><title>mean {mean:g} {unit}</title></line>'
        )
    desc = "; ".join(
        f"{m.label}: {m.value:g} {unit}" if m.value is not None else f"{m.label}: {m.note}"
        for m in measures
    )
    if mean is not None:
        desc += f"; mean {mean:g} {unit}"
    return _svg(width, height, title, desc, body)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
