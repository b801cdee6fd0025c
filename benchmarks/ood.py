"""Score run directories on the corpus test split and the out-of-style test set, with both decoders.

    .venv/bin/python benchmarks/ood.py runs/e5-small-wave1 runs/e5-small [--per-label] [--by-batch]

The out-of-style set (annotations/ood/) was written apart from the training
corpus and is never trained on: its score is the team's gauge of how a model
does on unseen real reports. Prints one row per run and decoder, and with
``--per-label`` the out-of-style F1 of every label, with ``--by-batch`` the
out-of-style F1 of each writer's batch (o1, o2, ...).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotations.corpus import corpus_files, load_split
from annotations.labelstudio import read_examples
from annotations.schema import LABEL_NAMES
from inference.evaluation import evaluate, score_tagged
from inference.tagger import Tagger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--per-label", action="store_true")
    parser.add_argument("--by-batch", action="store_true", help="out-of-style F1 of each batch (o1, o2, ...)")
    args = parser.parse_args()
    split = load_split()
    test = [e for e in read_examples(corpus_files()) if split.get(e.article_id) == "test"]
    ood = read_examples(corpus_files("ood"))
    print(f"test split: {len(test)} sentences; out-of-style: {len(ood)} sentences")
    print("| run | decoding | test P | test R | test F1 | ood P | ood R | ood F1 | ood macro F1 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    # sentence indices of each writer's batch (o1, o2, ...), only when asked for
    batches: dict[str, list[int]] = {}
    for i, example in enumerate(ood if args.by_batch else []):
        batches.setdefault(example.article_id.split("_")[0], []).append(i)
    per_label, per_batch = {}, {}
    for run in args.runs:
        for decoding in ("argmax", "viterbi"):
            tagger = Tagger.load(run, batch_size=64, decoding=decoding)
            tagged = tagger.predict([e.text for e in ood])
            on_test, on_ood = evaluate(tagger, test), score_tagged(ood, tagged)
            per_label[(run.name, decoding)] = on_ood["per_label"]
            for batch, chosen in batches.items():
                on_batch = score_tagged([ood[i] for i in chosen], [tagged[i] for i in chosen])
                per_batch[(run.name, decoding, batch)] = on_batch["micro"]["f1"]
            cells = [f"{on_test['micro'][k]:.3f}" for k in ("precision", "recall", "f1")]
            cells += [f"{on_ood['micro'][k]:.3f}" for k in ("precision", "recall", "f1")]
            cells.append(f"{on_ood['macro']['f1']:.3f}")
            print(f"| {run.name} | {decoding} | " + " | ".join(cells) + " |", flush=True)
    keys = list(per_label)
    if args.per_label:
        rows = [
            (label, [per_label[key][label]["f1"] for key in keys], per_label[keys[0]][label]["support"]) for label in LABEL_NAMES
        ]
        _print_table("label", "n", keys, rows)
    if args.by_batch:
        rows = [(batch, [per_batch[(*key, batch)] for key in keys], len(chosen)) for batch, chosen in sorted(batches.items())]
        _print_table("batch", "sentences", keys, rows)


def _print_table(first: str, last: str, keys: list[tuple[str, str]], rows: list[tuple[str, list[float], int]]) -> None:
    """A Markdown table: one row per label or batch, one F1 column per (run, decoder), then a count."""
    print(f"\n| {first} | " + " | ".join(f"{name} {decoding}" for name, decoding in keys) + f" | {last} |")
    print("| --- |" + " ---: |" * (len(keys) + 1))
    for name, scores, count in rows:
        print(f"| {name} | " + " | ".join(f"{score:.3f}" for score in scores) + f" | {count} |")


if __name__ == "__main__":
    main()
