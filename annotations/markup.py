"""Inline markup for writing annotated reports by hand.

A span is written ``[span text](LABEL)``; everything else is plain article
text. ``\\[``, ``\\]`` and ``\\\\`` stand for literal brackets and backslash.
Offsets are computed here, never typed by hand::

    Đồn đã tổ chức [224 buổi tuần tra](PATROL_COUNT).

``python -m annotations.markup check FILE...`` parses files, prints every
problem and the sentences with their spans, and counts spans per label.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from annotations.schema import LABEL_NAMES
from annotations.spans import Span
from annotations.text import InputError, normalize, split_sentences

_SPAN = re.compile(r"\[((?:[^\[\]\\]|\\.)+)\]\(([A-Z_]+)\)")
_ESCAPE = re.compile(r"\\(.)")


def parse(markup: str, source: str = "<markup>") -> tuple[str, list[Span]]:
    """Return the plain NFC text and its spans; raise ``InputError`` naming every problem."""
    markup = normalize(markup)
    text_parts: list[str] = []
    spans: list[Span] = []
    problems: list[str] = []
    position = 0
    length = 0

    def plain(chunk: str, chunk_offset: int) -> str:
        for stray in re.finditer(r"(?<!\\)[\[\]]", chunk):
            line = markup.count("\n", 0, chunk_offset + stray.start()) + 1
            problems.append(f"{source}:{line}: stray '{stray.group()}' (escape it as \\{stray.group()})")
        return _ESCAPE.sub(r"\1", chunk)

    for match in _SPAN.finditer(markup):
        before = plain(markup[position : match.start()], position)
        text_parts.append(before)
        length += len(before)
        span_text = _ESCAPE.sub(r"\1", match.group(1))
        label = match.group(2)
        line = markup.count("\n", 0, match.start()) + 1
        if label not in LABEL_NAMES:
            problems.append(f"{source}:{line}: unknown label {label!r} on {span_text!r}")
        elif span_text != span_text.strip():
            problems.append(f"{source}:{line}: span {span_text!r} starts or ends with whitespace")
        else:
            spans.append(Span(length, length + len(span_text), label))
        text_parts.append(span_text)
        length += len(span_text)
        position = match.end()
    text_parts.append(plain(markup[position:], position))
    if problems:
        raise InputError("\n".join(problems))
    return "".join(text_parts), spans


def _check(paths: list[Path], show: bool) -> int:
    counts: Counter[str] = Counter()
    failed = 0
    sentence_total = 0
    for path in paths:
        try:
            text, spans = parse(path.read_text(encoding="utf-8"), str(path))
        except InputError as error:
            print(error)
            failed += 1
            continue
        sentences = split_sentences(text)
        sentence_total += len(sentences)
        for span in spans:
            counts[span.label] += 1
            inside = [s for s in sentences if s.start <= span.start and span.end <= s.end]
            if not inside:
                print(f"{path}: span {text[span.start : span.end]!r} crosses a sentence boundary")
                failed += 1
        if show:
            print(f"== {path} ({len(sentences)} sentences)")
            for sentence in sentences:
                print(f"  [{sentence.index}] {sentence.text}")
                for span in spans:
                    if sentence.start <= span.start < sentence.end:
                        print(f"      {span.label:16} {text[span.start : span.end]}")
    print(f"{len(paths)} files, {sentence_total} sentences, {sum(counts.values())} spans")
    for name in LABEL_NAMES:
        print(f"  {name:16} {counts[name]}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m annotations.markup", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="parse markup files and report problems and counts")
    check.add_argument("paths", nargs="+", type=Path)
    check.add_argument("--show", action="store_true", help="print sentences and their spans")
    args = parser.parse_args(argv)
    return _check(args.paths, args.show)


if __name__ == "__main__":
    sys.exit(main())
