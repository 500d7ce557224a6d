"""Server-rendered horizontal bar charts (SVG geometry, no JS library)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ROW = 28      # px per bar
LABEL = 150   # px for the labels on the left
WIDTH = 560   # px of the whole chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int
    text: str      # the value as shown (count or money)
    y: int
    width: float   # px of the bar


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = LABEL
    width: int = WIDTH


def bar_chart(title: str, items: list[tuple[str, Decimal | int, str]]) -> Chart:
    """``items`` of (label, value, text); bars scaled to the largest value."""
    top = max((v for _, v, _ in items), default=0) or 1
    room = WIDTH - LABEL - 80
    bars = [Bar(label, value, text, i * ROW, round(float(max(value, 0)) / float(top) * room, 1))
            for i, (label, value, text) in enumerate(items)]
    return Chart(title, bars, max(ROW, len(bars) * ROW))
