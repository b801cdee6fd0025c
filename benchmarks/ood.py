"""Score run directories on the corpus test split and the out-of-style test set, with both decoders.

    .venv/bin/python benchmarks/ood.py runs/e5-small-wave1 runs/e5-small [--per-label]

The out-of-style set (annotations/ood/) was written apart from the training
corpus and is never trained on: its score is the team's gauge of how a model
does on unseen real reports. Prints one row per run and decoder, and with
``--per-label`` the out-of-style F1 of every label.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotations.corpus import corpus_files, load_split
from annotations.labelstudio import read_examples
from annotations.schema import LABEL_NAMES
from inference.evaluation import evaluate
from inference.tagger import Tagger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--per-label", action="store_true")
    args = parser.parse_args()
    split = load_split()
    test = [e for e in read_examples(corpus_files()) if split.get(e.article_id) == "test"]
    ood = read_examples(corpus_files("ood"))
    print(f"test split: {len(test)} sentences; out-of-style: {len(ood)} sentences")
    print("| run | decoding | test P | test R | test F1 | ood P | ood R | ood F1 | ood macro F1 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    per_label = {}
    for run in args.runs:
        for decoding in ("argmax", "viterbi"):
            tagger = Tagger.load(run, batch_size=64, decoding=decoding)
            on_test, on_ood = evaluate(tagger, test), evaluate(tagger, ood)
            per_label[(run.name, decoding)] = on_ood["per_label"]
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


if __name__ == "__main__":
    main()
