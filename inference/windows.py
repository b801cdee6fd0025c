"""Word-to-subword alignment and sliding windows.

The model labels words, so each word is tokenised on its own and its pieces
are concatenated: a subword never straddles two words, the label goes on the
word's first piece, and the cache pays off because reports repeat the same
words. A sentence longer than the model's window is cut into overlapping
windows of whole words; nothing is truncated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from annotations.errors import BienphongError

IGNORE_INDEX = -100


class WordEncoder:
    """Subword ids of single words, cached (reports repeat the same words a lot)."""

    def __init__(self, tokenizer, max_pieces: int):
        self.tokenizer = tokenizer
        self.max_pieces = max_pieces
        self._encode = lru_cache(maxsize=200_000)(self._encode_uncached)

    def _encode_uncached(self, word: str) -> tuple[int, ...]:
        ids = self.tokenizer(word, add_special_tokens=False)["input_ids"]
        if not ids:  # a character the tokenizer normalises away entirely
            ids = [self.tokenizer.unk_token_id]
        # A single word longer than a window is cut; only its first piece carries a label.
        return tuple(ids[: self.max_pieces])

    def __call__(self, word: str) -> tuple[int, ...]:
        return self._encode(word)


@dataclass(frozen=True)
class Window:
    first_word: int
    end_word: int  # exclusive
    input_ids: list[int]
    first_piece: list[int]  # position of each word's first subword in input_ids


def special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a single sequence (``<s>``/``</s>``, ``[CLS]``/``[SEP]``).

    Found by encoding a probe word with and without special tokens, which works
    for slow and fast tokenizers alike."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    for at in range(len(full) - len(bare) + 1):
        if full[at : at + len(bare)] == bare:
            return list(full[:at]), list(full[at + len(bare) :])
    raise BienphongError("cannot locate the special tokens this tokenizer adds to a sequence")


def make_windows(
    pieces: list[tuple[int, ...]], prefix: list[int], suffix: list[int], max_length: int, stride: int
) -> list[Window]:
    """Cover all words with windows of at most ``max_length`` ids; consecutive windows
    share about ``stride`` subword positions of context."""
    budget = max_length - len(prefix) - len(suffix)
    windows: list[Window] = []
    start = 0
    n = len(pieces)
    while True:
        end, used = start, 0
        while end < n and used + len(pieces[end]) <= budget:
            used += len(pieces[end])
            end += 1
        ids = list(prefix)
        first_piece = []
        for word in range(start, end):
            first_piece.append(len(ids))
            ids.extend(pieces[word])
        ids.extend(suffix)
        windows.append(Window(start, end, ids, first_piece))
        if end >= n:
            return windows
        # Step back from the end until about `stride` pieces overlap, but always move forward.
        next_start, overlap = end, 0
        while next_start - 1 > start and overlap + len(pieces[next_start - 1]) <= stride:
            next_start -= 1
            overlap += len(pieces[next_start])
        start = next_start


def best_window_per_word(windows: list[Window], n_words: int) -> list[tuple[int, int]]:
    """For each word, (window index, position in window) of the window where it has the
    most context on both sides: predictions near a window's edge are the weakest."""
    best: list[tuple[int, int, int]] = [(-1, -1, -1)] * n_words
    for w, window in enumerate(windows):
        size = window.end_word - window.first_word
        for offset in range(size):
            word = window.first_word + offset
            margin = min(offset, size - 1 - offset)
            if margin > best[word][0]:
                best[word] = (margin, w, offset)
    return [(w, offset) for _, w, offset in best]
