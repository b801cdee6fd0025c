"""Span-level scores with seqeval (strict IOB2: a span counts only if label and both ends match).

The model tags its own segmentation of each sentence, as it would in
production. Gold and predicted spans are then both written as IOB2 tags over
one common word sequence (the words split at every gold and predicted
boundary), so seqeval's strict scores equal exact span matching.
"""

from __future__ import annotations

import math

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from annotations.bio import spans_to_tags
from annotations.errors import InputError
from annotations.labelstudio import Example
from annotations.schema import LABEL_NAMES
from annotations.segmentation import split_words_at
from inference.tagger import Tagger


def _rounded(value) -> float:
    """A score for metrics.json: seqeval's macro average over no gold label at all is nan, which is not JSON."""
    value = float(value)
    return round(value, 4) if math.isfinite(value) else 0.0


def score(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    report = classification_report(gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    per_label = {}
    for name in LABEL_NAMES:
        row = report.get(name, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        per_label[name] = {
            "precision": _rounded(row["precision"]),
            "recall": _rounded(row["recall"]),
            "f1": _rounded(row["f1-score"]),
            "support": int(row["support"]),
        }
    summary = {}
    for key, name in (("micro avg", "micro"), ("macro avg", "macro")):
        row = report.get(key, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        summary[name] = {
            "precision": _rounded(row["precision"]),
            "recall": _rounded(row["recall"]),
            "f1": _rounded(row["f1-score"]),
        }
    return {**summary, "per_label": per_label}


def evaluate(tagger: Tagger, examples: list[Example], progress: bool = False) -> dict:
    """Strict span scores of the tagger on gold sentences (per label, micro, macro)."""
    if not examples:
        raise InputError("no annotated sentences to evaluate on (every task lacks a finished annotation)")
    return score_tagged(examples, tagger.predict([example.text for example in examples], progress=progress))


def score_tagged(examples: list[Example], tagged: list) -> dict:
    """Strict span scores of sentences the tagger already tagged (``tagged[i]`` is ``examples[i]`` tagged)."""
    gold_tags, predicted_tags = [], []
    for example, sentence in zip(examples, tagged):
        boundaries = {edge for span in [*example.spans, *sentence.spans] for edge in (span.start, span.end)}
        words = split_words_at(example.text, sentence.words, boundaries)
        gold_tags.append(spans_to_tags(words, example.spans))
        predicted_tags.append(spans_to_tags(words, sentence.spans))
    result = score(gold_tags, predicted_tags)
    result["sentences"] = len(examples)
    return result
