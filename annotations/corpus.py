"""The gold corpus: build Label Studio files from markup, split it, describe it.

    python -m annotations.corpus build        # source/*/*.txt -> corpus/*.json
    python -m annotations.corpus check        # corpus/*.json are up to date with source/
    python -m annotations.corpus split        # write split.yaml (only when it does not exist)
    python -m annotations.corpus stats        # counts per label and split, sentence lengths
    python -m annotations.corpus consistency  # surface strings labelled inconsistently
    python -m annotations.corpus stats --ood  # the same for the out-of-style test set (ood/)

Source reports live in ``source/BATCH/ARTICLE_ID.txt`` in the inline markup of
``annotations.markup``; each report becomes one task per sentence in
``corpus/BATCH.json``. ``source/seeds/`` must reproduce ``seeds/`` exactly.
The out-of-style test set lives apart in ``ood/source/`` -> ``ood/corpus/``
(written by other writers, never trained on) and is built the same way.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from annotations.data import ANNOTATIONS
from annotations.io import atomic_open, read_yaml, write_json
from annotations.labelstudio import Example, gold_task, read_examples
from annotations.markup import parse
from annotations.schema import LABEL_NAMES
from annotations.text import InputError, normalize, read_article, split_sentences

ROOT = ANNOTATIONS.parent
SOURCE = ANNOTATIONS / "source"
CORPUS = ANNOTATIONS / "corpus"
SPLIT_FILE = ANNOTATIONS / "split.yaml"
OOD = ANNOTATIONS / "ood"
# (markup sources, generated Label Studio files) of the training corpus and of the out-of-style test set
TREES = {"corpus": (SOURCE, CORPUS), "ood": (OOD / "source", OOD / "corpus")}
SEEDS = ROOT / "seeds"
SPLITS = ("train", "dev", "test")


def article_examples(markup_path: Path) -> list[Example]:
    """One example per sentence of a markup report; spans must not cross sentences."""
    text, spans = parse(markup_path.read_text(encoding="utf-8"), str(markup_path))
    article_id = markup_path.stem
    examples = []
    placed = 0
    for sentence in split_sentences(text):
        inside = [s for s in spans if sentence.start <= s.start and s.end <= sentence.end]
        placed += len(inside)
        examples.append(
            Example(
                text=sentence.text,
                spans=[s.shifted(-sentence.start) for s in inside],
                article_id=article_id,
                sentence_index=sentence.index,
            )
        )
    if placed != len(spans):
        raise InputError(f"{markup_path}: {len(spans) - placed} span(s) cross a sentence boundary")
    return examples


def build_batches(source: Path = SOURCE) -> dict[str, list[dict]]:
    """Tasks per batch, computed from the markup sources."""
    batches = {}
    folders = sorted(p for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    for folder in folders:
        tasks = []
        for path in sorted(folder.glob("*.txt")):
            if folder.name == "seeds":
                plain, _ = parse(path.read_text(encoding="utf-8"), str(path))
                if plain != read_article(SEEDS / path.name):
                    raise InputError(f"{path}: text differs from {SEEDS / path.name}")
            for example in article_examples(path):
                tasks.append(gold_task(len(tasks) + 1, example))
        batches[folder.name] = tasks
    return batches


def corpus_files(tree: str = "corpus") -> list[Path]:
    return sorted(TREES[tree][1].glob("*.json"))


def load_split(path: Path = SPLIT_FILE) -> dict[str, str]:
    """article id -> split. ``split.yaml`` lists dev and test articles; all others are train.

    Only the keys ``dev`` and ``test`` are allowed: a typo (``tset:``) would silently
    turn the test articles into training data."""
    listed = read_yaml(path, "split file") or {}
    if not isinstance(listed, dict):
        raise InputError(f"{path}: expected a mapping with the keys dev and test")
    unknown = sorted(str(key) for key in listed if key not in ("dev", "test"))
    if unknown:
        raise InputError(f"{path}: unknown key(s) {unknown}; a split file has only 'dev' and 'test'")
    assignment = {}
    for split in ("dev", "test"):
        articles = listed.get(split) or []
        if not isinstance(articles, list) or not all(isinstance(a, (str, int)) for a in articles):
            raise InputError(f"{path}: '{split}' must be a list of article ids")
        for article in articles:
            article = normalize(str(article))
            if article in assignment:
                raise InputError(f"{path}: article {article} is listed in both {assignment[article]} and {split}")
            assignment[article] = split
    return assignment


def make_split(examples: list[Example], seed: int = 13, test_share: float = 0.18, dev_share: float = 0.1) -> dict:
    """Pick dev and test reports per batch (so every region is in test); seeds stay out of test."""
    by_batch: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        # Reports are named BATCH_NNN; seed articles are named NNN_HASH and form one group.
        prefix = example.article_id.split("_")[0]
        batch = "seeds" if prefix.isdigit() else prefix
        if example.article_id not in by_batch[batch]:
            by_batch[batch].append(example.article_id)
    rng = random.Random(seed)
    dev, test = [], []
    for batch, articles in sorted(by_batch.items()):
        articles = sorted(articles)
        rng.shuffle(articles)
        if batch == "seeds":  # gold seeds: one in dev, the rest train, never test
            dev += articles[:1]
            continue
        n_test = max(1, round(len(articles) * test_share))
        n_dev = max(1, round(len(articles) * dev_share))
        test += articles[:n_test]
        dev += articles[n_test : n_test + n_dev]
    return {"dev": sorted(dev), "test": sorted(test)}


def stats(examples: list[Example], split: dict[str, str]) -> str:
    labels = {s: Counter() for s in SPLITS}
    sentences = Counter()
    articles = {s: set() for s in SPLITS}
    lengths = []
    for example in examples:
        part = split.get(example.article_id, "train")
        sentences[part] += 1
        articles[part].add(example.article_id)
        lengths.append(len(example.text.split()))
        for span in example.spans:
            labels[part][span.label] += 1
    lines = ["| label | train | dev | test | total |", "| --- | ---: | ---: | ---: | ---: |"]
    for name in LABEL_NAMES:
        row = [labels[s][name] for s in SPLITS]
        lines.append(f"| {name} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    totals = [sum(labels[s].values()) for s in SPLITS]
    lines.append("| all spans | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    lines.append("| sentences | " + " | ".join(str(sentences[s]) for s in SPLITS) + f" | {sum(sentences.values())} |")
    lines.append(
        "| reports | " + " | ".join(str(len(articles[s])) for s in SPLITS) + f" | {sum(len(a) for a in articles.values())} |"
    )
    lengths.sort()
    if lengths:
        pick = lambda q: lengths[min(len(lengths) - 1, int(q * len(lengths)))]  # noqa: E731
        lines += [
            "",
            "Sentence length in whitespace-separated syllables:",
            f"min {lengths[0]}, 10% {pick(0.1)}, median {pick(0.5)}, 90% {pick(0.9)}, max {lengths[-1]}",
        ]
        buckets = Counter(min(n // 10, 10) for n in lengths)
        for bucket in range(11):
            label = f"{bucket * 10}-{bucket * 10 + 9}" if bucket < 10 else "100+"
            lines.append(f"  {label:>7}: {buckets[bucket]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m annotations.corpus", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["build", "check", "split", "stats", "consistency"])
    parser.add_argument("--ood", action="store_true", help="stats/consistency of the out-of-style test set")
    args = parser.parse_args(argv)
    try:
        if args.command in ("build", "check"):
            stale, batches = [], {}
            for source, corpus in TREES.values():
                built = build_batches(source)
                batches.update({f"{corpus.name}/{name}": tasks for name, tasks in built.items()})
                for name, tasks in built.items():
                    target = corpus / f"{name}.json"
                    if args.command == "build":
                        write_json(target, tasks)
                    elif not target.exists() or json.loads(target.read_text(encoding="utf-8")) != tasks:
                        stale.append(str(target))
            if stale:
                print("out of date with annotations/source (run `python -m annotations.corpus build`):\n  " + "\n  ".join(stale))
                return 1
            print(
                f"{sum(len(t) for t in batches.values())} sentences in {len(batches)} files"
                + (" written" if args.command == "build" else " up to date")
            )
            return 0
        examples = read_examples(corpus_files("ood" if args.ood else "corpus"))
        if args.ood and args.command in ("stats", "consistency"):
            if args.command == "stats":
                print(stats(examples, {}))
                return 0
            from annotations.consistency import report

            text, problems = report(examples, OOD / "consistency.yaml")
            print(text)
            return 1 if problems else 0
        if args.command == "split":
            if SPLIT_FILE.exists():
                print(f"{SPLIT_FILE} exists; the split is fixed. Delete it deliberately to draw a new one.")
                return 1
            chosen = make_split(examples)
            with atomic_open(SPLIT_FILE) as stream:
                stream.write("# Fixed split by report. Articles not listed here are train.\n")
                stream.write("# Drawn once by `python -m annotations.corpus split`; seeds are never in test.\n")
                yaml.safe_dump(chosen, stream, allow_unicode=True, sort_keys=True)
            print(stats(examples, load_split()))
        elif args.command == "stats":
            print(stats(examples, load_split()))
        else:
            from annotations.consistency import report

            text, problems = report(examples)
            print(text)
            return 1 if problems else 0
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
