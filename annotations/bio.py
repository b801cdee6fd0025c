"""Exact mapping between character spans and word-level IOB2 tags."""

from __future__ import annotations

from annotations.segmentation import Word
from annotations.spans import Span


class AlignmentError(ValueError):
    pass


def spans_to_tags(words: list[Word], spans: list[Span]) -> list[str]:
    """IOB2 tags for ``words``. Words must already be split at span boundaries
    (``split_words_at``); a span that does not cover whole words is an error."""
    tags = ["O"] * len(words)
    for span in sorted(spans):
        inside = [i for i, w in enumerate(words) if span.start <= w.start and w.end <= span.end]
        partial = [
            w for w in words if w.start < span.end and span.start < w.end and not (span.start <= w.start and w.end <= span.end)
        ]
        if not inside or partial or words[inside[0]].start != span.start or words[inside[-1]].end != span.end:
            raise AlignmentError(f"span {span.start}:{span.end} {span.label} does not align with word boundaries")
        for position, index in enumerate(inside):
            tags[index] = ("B-" if position == 0 else "I-") + span.label
    return tags


def tag_runs(tags: list[str]) -> list[tuple[int, int, str]]:
    """``(first word, last word, label)`` of each span of IOB2 tags, in order. A stray ``I-X`` (no ``B-X``
    before it) opens a span, as a model may predict it."""
    runs: list[tuple[int, int, str]] = []
    for index, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and runs and runs[-1][1] == index - 1 and runs[-1][2] == label:
            runs[-1] = (runs[-1][0], index, label)
        elif prefix in ("B", "I"):
            runs.append((index, index, label))
    return runs


def tags_to_spans(words: list[Word], tags: list[str], scores: list[float] | None = None) -> list[Span]:
    """Spans from IOB2 tags (see ``tag_runs``). A span's score is the mean of its words' scores."""
    spans = []
    for first, last, label in tag_runs(tags):
        score = None if scores is None else sum(scores[first : last + 1]) / (last + 1 - first)
        spans.append(Span(words[first].start, words[last].end, label, score))
    return spans
