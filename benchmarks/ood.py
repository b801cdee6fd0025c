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
    batches = sorted({e.article_id.split("_")[0] for e in ood})
    per_label, per_batch = {}, {}
    for run in args.runs:
        for decoding in ("argmax", "viterbi"):
            tagger = Tagger.load(run, batch_size=64, decoding=decoding)
            tagged = tagger.predict([e.text for e in ood])
            on_test, on_ood = evaluate(tagger, test), score_tagged(ood, tagged)
            per_label[(run.name, decoding)] = on_ood["per_label"]
            for batch in batches:
                chosen = [i for i, e in enumerate(ood) if e.article_id.split("_")[0] == batch]
                on_batch = score_tagged([ood[i] for i in chosen], [tagged[i] for i in chosen])
                per_batch[(run.name, decoding, batch)] = (on_batch["micro"]["f1"], len(chosen))
            cells = [f"{on_test['micro'][k]:.3f}" for k in ("precision", "recall", "f1")]
            cells += [f"{on_ood['micro'][k]:.3f}" for k in ("precision", "recall", "f1")]
            cells.append(f"{on_ood['macro']['f1']:.3f}")
            print(f"| {run.name} | {decoding} | " + " | ".join(cells) + " |", flush=True)
    if args.per_label:
        keys = list(per_label)
        print("\n| label | " + " | ".join(f"{name} {decoding}" for name, decoding in keys) + " | n |")
        print("| --- |" + " ---: |" * (len(keys) + 1))
        for label in LABEL_NAMES:
            cells = [f"{per_label[key][label]['f1']:.3f}" for key in keys]
            print(f"| {label} | " + " | ".join(cells) + f" | {per_label[keys[0]][label]['support']} |")

    if args.by_batch:
        keys = list(per_label)
        print("\n| batch | " + " | ".join(f"{name} {decoding}" for name, decoding in keys) + " | sentences |")
        print("| --- |" + " ---: |" * (len(keys) + 1))
        for batch in batches:
            cells = [f"{per_batch[(*key, batch)][0]:.3f}" for key in keys]
            print(f"| {batch} | " + " | ".join(cells) + f" | {per_batch[(*keys[0], batch)][1]} |")


if __name__ == "__main__":
    main()
