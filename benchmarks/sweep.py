"""Model choice, measured on the out-of-style set: one setting of the default config changed at a time.

    .venv/bin/python benchmarks/sweep.py --default-run runs/e5-small [--variants augmented lr-1e-4 ...]

Each variant is the default config (``configs/e5-small.yaml``) with the overrides below, trained
into ``runs/sweep/NAME`` (a variant whose folder already has ``metrics.json`` is not retrained, so
an interrupted sweep goes on where it stopped). ``--default-run`` scores an existing run of the
default config instead of training it again. Every run is then scored on the corpus test split and
on the out-of-style set with both decoders. Training minutes come from each run's ``metrics.json``
(1.2-1.4 s a step on this 2-core machine when a run has it alone; runs that shared it say so in the
README).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from annotations.corpus import corpus_files, load_split
from annotations.labelstudio import read_examples
from inference.evaluation import evaluate
from inference.tagger import Tagger
from training.config import TrainConfig, load_config
from training.trainer import train

VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "augmented": {"augmentation.share": 0.5},
    "trained-embeddings": {"model.freeze_embeddings": False},
    "lr-1e-4": {"training.learning_rate": 1e-4},
    "lr-6e-4": {"training.learning_rate": 6e-4},
    "epochs-4": {"training.epochs": 4},
    "seed-43": {"training.seed": 43},  # the default with another seed: how much of a difference is noise
}


def variant_config(base: TrainConfig, name: str) -> TrainConfig:
    config = base.model_copy(deep=True)
    config.run_name = f"{base.run_name}-{name}"
    for key, value in VARIANTS[name].items():
        section, field = key.split(".")
        setattr(getattr(config, section), field, value)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("configs/e5-small.yaml"))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--default-run", type=Path, help="an existing run of the default config (not retrained)")
    parser.add_argument("--output", type=Path, default=Path("runs/sweep"))
    parser.add_argument("--train-only", action="store_true", help="train the missing variants, score nothing")
    args = parser.parse_args()
    base = load_config(args.config)

    runs: dict[str, Path] = {}
    for name in args.variants:
        if name == "default" and args.default_run:
            runs[name] = args.default_run
            continue
        run_dir = args.output / name
        if not (run_dir / "metrics.json").is_file():
            print(f"training {name}: {VARIANTS[name] or 'the default config'}", flush=True)
            train(variant_config(base, name), run_dir)
        runs[name] = run_dir
    if args.train_only:
        return

    split = load_split(base.path(base.data.split))
    test = [e for e in read_examples(base.data_files()) if split.get(e.article_id) == "test"]
    ood = read_examples(base.ood_files() or corpus_files("ood"))
    print(f"test split: {len(test)} sentences; out-of-style: {len(ood)} sentences")
    print("| variant | change | train min | steps | decoding | test F1 | ood P | ood R | ood F1 | ood macro F1 |")
    print("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, run_dir in runs.items():
        metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        change = ", ".join(f"{k} = {v}" for k, v in VARIANTS[name].items()) or "(default config)"
        for decoding in ("argmax", "viterbi"):
            tagger = Tagger.load(run_dir, batch_size=64, decoding=decoding)
            on_test, on_ood = evaluate(tagger, test), evaluate(tagger, ood)
            cells = [f"{on_test['micro']['f1']:.3f}"]
            cells += [f"{on_ood['micro'][k]:.3f}" for k in ("precision", "recall", "f1")]
            cells.append(f"{on_ood['macro']['f1']:.3f}")
            minutes = f"{metrics['train_seconds'] / 60:.1f}"
            print(f"| {name} | {change} | {minutes} | {metrics['steps']} | {decoding} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
