"""From gold examples to model features: words, IOB2 tags, windows of subword ids."""

from __future__ import annotations

from collections import Counter

from datasets import Dataset

from annotations.bio import spans_to_tags
from annotations.corpus import load_split
from annotations.errors import InputError
from annotations.labelstudio import Example, read_examples
from annotations.segmentation import Word
from inference.preprocess import Preprocessor
from inference.windows import IGNORE_INDEX
from training.config import TrainConfig

SPLITS = ("train", "dev", "test")


def gold_words(example: Example, preprocessor: Preprocessor) -> list[Word]:
    """The sentence's words, split wherever a gold span boundary falls inside one."""
    return preprocessor.words(example.text, example.spans)


def load_splits(config: TrainConfig) -> dict[str, list[Example]]:
    """Gold examples per split, following the fixed split file (unlisted articles are train)."""
    examples = read_examples(config.data_files())
    assignment = load_split(config.path(config.data.split))
    known = {example.article_id for example in examples}
    missing = sorted(set(assignment) - known)
    if missing:
        raise InputError(f"{config.data.split}: lists articles that are in no data file: {', '.join(missing[:10])}")
    splits: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for example in examples:
        splits[assignment.get(example.article_id, "train")].append(example)
    for name in ("train", "dev"):
        if not splits[name]:
            raise InputError(f"the {name} split is empty; check {config.data.split} and data.files")
    return splits


def features(examples: list[Example], preprocessor: Preprocessor, label2id: dict[str, int]) -> Dataset:
    """One row per window: ``input_ids`` and ``labels`` (label on each word's first subword)."""
    rows: dict[str, list] = {"input_ids": [], "labels": []}
    for example in examples:
        words = gold_words(example, preprocessor)
        tags = spans_to_tags(words, example.spans)
        for window in preprocessor.windows(words):
            labels = [IGNORE_INDEX] * len(window.input_ids)
            for offset, position in enumerate(window.first_piece):
                labels[position] = label2id[tags[window.first_word + offset]]
            rows["input_ids"].append(window.input_ids)
            rows["labels"].append(labels)
    return Dataset.from_dict(rows)


def label_counts(examples: list[Example]) -> Counter:
    return Counter(span.label for example in examples for span in example.spans)
