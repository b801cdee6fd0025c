"""The one path from text to model input, shared by training and tagging.

``Preprocessor`` holds the segmenter, the per-word subword encoder and the
tokenizer's special tokens of a model; training (``training.data``) and tagging
(``inference.tagger``) both call it, so the two cannot prepare text
differently.
"""

from __future__ import annotations

from annotations.segmentation import Segmenter, Word, get_segmenter, split_words_at
from annotations.spans import Span
from annotations.text import unshouted, untitled, usual_spellings
from inference.settings import RunSettings
from inference.windows import Window, WordEncoder, make_windows, special_tokens


def words_of(text: str, segment: Segmenter, gold_spans: list[Span] = ()) -> list[Word]:
    """Segmented words, split at every gold span boundary that falls inside one. The model reads a
    headline in capitals or a sentence in title case in lower case (``unshouted``, ``untitled``) and
    ``hêrôin`` as ``heroin`` (``usual_spellings``): same offsets, so every span stays put."""
    view = usual_spellings(untitled(unshouted(text)))
    words = segment(view)
    if gold_spans:
        words = split_words_at(view, words, [edge for span in gold_spans for edge in (span.start, span.end)])
    return words


class Preprocessor:
    def __init__(self, tokenizer, settings: RunSettings):
        self.settings = settings
        self.segment = get_segmenter(settings.segmenter)
        self.encoder = WordEncoder(tokenizer, settings.max_length - 2)
        self.prefix, self.suffix = special_tokens(tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def words(self, text: str, gold_spans: list[Span] = ()) -> list[Word]:
        """The sentence's words; with gold spans, split wherever a span boundary falls inside a word
        (so no gold span is ever lost to the segmenter)."""
        return words_of(text, self.segment, gold_spans)

    def windows(self, words: list[Word]) -> list[Window]:
        """Windows of at most ``max_length`` subword ids covering all words (nothing is truncated)."""
        pieces = [self.encoder(word.text) for word in words]
        return make_windows(pieces, self.prefix, self.suffix, self.settings.max_length, self.settings.stride)
