"""The geometry of the dashboard's small bar charts, drawn as inline SVG by the page.

No chart library: a horizontal bar per item, its length proportional to
the largest value, with the label and the number as text inside the SVG so
the chart reads without colour and a screen reader gets the numbers from
the table beside it. Inline SVG attributes (not ``style``) keep the page
within a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 120
BAR_SPACE = 190
VALUE_WIDTH = 110


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, the value shown, where it sits and how long it is."""

    label: str
    value: str
    y: int
    length: int
    tone: str


@dataclass(frozen=True, slots=True)
class BarChart:
    """Bars and the chart's size in SVG user units."""

    bars: tuple[Bar, ...]
    width: int
    height: int
    bar_x: int = LABEL_WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not self.bars


def bar_chart(
    items: Sequence[tuple[str, float, str]], *, tone: str = "neutral", scale: float | None = None
) -> BarChart:
    """A chart of ``(label, value, shown value)`` items, longest bar = ``scale`` or the largest.

    Items keep their order; a zero value gets no bar but keeps its row.
    """
    top = scale if scale is not None else max((value for _, value, _ in items), default=0.0)
    bars = tuple(
        Bar(
            label=label,
            value=shown,
            y=index * (BAR_HEIGHT + GAP),
            length=round(BAR_SPACE * value / top) if top > 0 else 0,
            tone=tone,
        )
        for index, (label, value, shown) in enumerate(items)
    )
    height = max(len(bars) * (BAR_HEIGHT + GAP) - GAP, 0)
    return BarChart(bars, LABEL_WIDTH + BAR_SPACE + VALUE_WIDTH, height)
