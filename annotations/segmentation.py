"""Words: the units the token classifier labels.

A segmenter turns a sentence into ``Word``s with character offsets. PhoBERT
was pre-trained on word-segmented text (``Biên_phòng``), so its words join
syllables with ``_``; SentencePiece models (e5, XLM-R) take plain syllables
(segmenter ``none``). Segmenters are looked up by name in ``SEGMENTERS``;
register another callable there to plug one in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from annotations.errors import BienphongError
from annotations.text import LETTER_RUN, Token, tokenize


@dataclass(frozen=True)
class Word:
    """``sentence[start:end]`` is the word; ``text`` is its model-facing form."""

    start: int
    end: int
    text: str


Segmenter = Callable[[str], list[Word]]


def _word(sentence: str, start: int, end: int) -> Word:
    return Word(start, end, re.sub(r"\s+", "_", sentence[start:end]))


def syllables(sentence: str) -> list[Word]:
    """One word per syllable, formatted number or punctuation mark."""
    return [Word(t.start, t.end, t.text) for t in tokenize(sentence)]


def underthesea_words(sentence: str) -> list[Word]:
    """Multi-syllable words found by underthesea, joined with ``_`` as PhoBERT expects.

    underthesea's words are located in the sentence and our syllable tokens are
    grouped by them; only runs of plain syllables separated by single spaces are
    joined, so numbers, codes and punctuation stay separate words whatever the
    segmenter returns.
    """
    from underthesea import word_tokenize

    tokens = tokenize(sentence)
    group_of: dict[int, int] = {}
    position = 0
    for group, chunk in enumerate(word_tokenize(sentence)):
        found = sentence.find(chunk, position)
        if found < 0:
            continue
        for index, token in enumerate(tokens):
            if found <= token.start and token.end <= found + len(chunk):
                group_of[index] = group
        position = found + len(chunk)

    words: list[Word] = []
    run: list[Token] = []

    def flush() -> None:
        if run:
            words.append(_word(sentence, run[0].start, run[-1].end))
            run.clear()

    for index, token in enumerate(tokens):
        joinable = (
            run
            and LETTER_RUN.fullmatch(token.text)
            and LETTER_RUN.fullmatch(run[-1].text)
            and group_of.get(index) is not None
            and group_of.get(index) == group_of.get(index - 1)
            and sentence[run[-1].end : token.start] == " "
        )
        if not joinable:
            flush()
        run.append(token)
    flush()
    return words


SEGMENTERS: dict[str, Segmenter] = {"underthesea": underthesea_words, "none": syllables}


def get_segmenter(name: str) -> Segmenter:
    try:
        return SEGMENTERS[name]
    except KeyError:
        raise BienphongError(f"unknown segmenter {name!r}; choose one of {sorted(SEGMENTERS)}") from None


def split_words_at(sentence: str, words: list[Word], boundaries: Iterable[int]) -> list[Word]:
    """Split every word that has a boundary strictly inside it, so spans align with words."""
    cuts = sorted(set(boundaries))
    result: list[Word] = []
    for word in words:
        inner = [c for c in cuts if word.start < c < word.end]
        if not inner:
            result.append(word)
            continue
        edges = [word.start, *inner, word.end]
        for left, right in zip(edges, edges[1:]):
            # Trim whitespace a cut may leave at either side of a piece.
            while left < right and sentence[left].isspace():
                left += 1
            while right > left and sentence[right - 1].isspace():
                right -= 1
            if left < right:
                result.append(_word(sentence, left, right))
    return result
