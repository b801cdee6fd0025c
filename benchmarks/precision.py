"""Training speed in fp32 and bf16 mixed precision, measured in the same run.

    .venv/bin/python benchmarks/precision.py --config configs/e5-small.yaml [--steps 80]

Each round builds the config's model afresh (same seed), then runs the
transformers Trainer for ``--steps`` optimiser steps on the config's training
windows, with the config's own arguments (``training.trainer.training_arguments``)
and no evaluation or checkpoints. The same batches come in the same order in
every round. Rounds go fp32, bf16, bf16, fp32 so that a drift of the machine's
speed during the run weighs on both alike. Prints seconds per step of each
round and the bf16 speed-up against fp32 (the baseline). Accuracy is not
measured here: train the config with each precision (``bienphong train``) and
compare with ``benchmarks/ood.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from transformers import DataCollatorForTokenClassification, Trainer, set_seed

from inference.preprocess import Preprocessor
from inference.windows import IGNORE_INDEX
from training import modeling
from training.config import load_config
from training.data import features, load_splits
from training.trainer import training_arguments


def seconds_per_step(config, splits, precision: str, steps: int, scratch: Path) -> float:
    # A fresh model each round, not one model reloaded: the Trainer prepares (wraps) the model it is given,
    # and one model reused across rounds measured no bf16 speed-up at all (1.29 against 1.31 s/step).
    set_seed(config.training.seed)
    texts = [example.text for examples in splits.values() for example in examples]
    model, tokenizer = modeling.build(config, [], texts)
    train_set = features(splits["train"], Preprocessor(tokenizer, config.run_settings("bench")), model.config.label2id)
    arguments = dataclasses.replace(
        training_arguments(config.training, scratch, precision),
        max_steps=steps,
        eval_strategy="no",
        save_strategy="no",
        load_best_model_at_end=False,
        logging_steps=steps,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=train_set,
        data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE_INDEX),
    )
    return trainer.train().metrics["train_runtime"] / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--steps", type=int, default=80)
    args = parser.parse_args()
    config = load_config(args.config)
    if config.model.scratch is not None:
        parser.error("a scratch model learns its vocabulary from the training words; give a pretrained config")
    splits = load_splits(config)
    timings: dict[str, list[float]] = {"fp32": [], "bf16": []}
    with tempfile.TemporaryDirectory() as scratch:
        for precision in ("fp32", "bf16", "bf16", "fp32"):
            seconds = seconds_per_step(config, splits, precision, args.steps, Path(scratch))
            timings[precision].append(seconds)
            print(f"{precision}: {seconds:.3f} s/step over {args.steps} steps", flush=True)
    fp32, bf16 = (sum(timings[p]) / len(timings[p]) for p in ("fp32", "bf16"))
    steps_per_epoch = -(-len(splits["train"]) // config.training.batch_size)
    epoch_minutes = {p: s * steps_per_epoch / 60 for p, s in (("fp32", fp32), ("bf16", bf16))}
    print(f"config {args.config}: {len(splits['train'])} training sentences, about {steps_per_epoch} steps per epoch")
    print("| precision | s/step | min per epoch | speed-up vs fp32 |")
    print("| --- | ---: | ---: | ---: |")
    for precision, seconds in (("fp32", fp32), ("bf16", bf16)):
        print(f"| {precision} | {seconds:.3f} | {epoch_minutes[precision]:.1f} | {fp32 / seconds:.2f}x |")


if __name__ == "__main__":
    main()
