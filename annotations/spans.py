"""A labelled character span, the unit every stage of the pipeline exchanges."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, order=True)
class Span:
    """``text[start:end]`` carries ``label``. Offsets are code points of NFC text."""

    start: int
    end: int
    label: str
    score: float | None = None

    def shifted(self, offset: int) -> "Span":
        return replace(self, start=self.start + offset, end=self.end + offset)


def overlapping_pairs(spans: list[Span]) -> list[tuple[Span, Span]]:
    """Pairs of spans that share at least one character (spans never overlap in gold data)."""
    ordered = sorted(spans)
    pairs = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.start >= first.end:
                break
            pairs.append((first, second))
    return pairs
