"""Training a token classifier from a config with the transformers Trainer.

The run directory holds the model (``save_pretrained``), ``metrics.json``,
the model card ``README.md``, the resolved ``config.yaml``, ``train.log`` and
``checkpoints/``. A run whose directory already has checkpoints resumes from
the last one.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np
from transformers import (
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

from annotations.errors import InputError
from annotations.io import atomic_open, write_json
from annotations.labelstudio import read_examples
from annotations.segmentation import get_segmenter
from inference import run_directory
from inference.evaluation import evaluate, score
from inference.preprocess import Preprocessor, words_of
from inference.tagger import Tagger
from inference.windows import IGNORE_INDEX
from training import modeling
from training.augmentation import augment
from training.config import TrainConfig, TrainingSettings, dump_config
from training.data import features, label_counts, load_splits
from training.model_card import write_model_card

logger = logging.getLogger("bienphong.train")


class _LogToFile(TrainerCallback):
    """Every Trainer log record (loss, learning rate, eval scores) as one JSON line in train.log."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps({"step": state.global_step, "epoch": state.epoch, **(logs or {})}) + "\n")


def _window_metrics(id2label: dict[int, str]):
    """Eval metric during training: strict span F1 on the window labels (for early stopping)."""

    def compute(prediction) -> dict:
        predicted = np.argmax(prediction.predictions, axis=-1)
        gold_tags, predicted_tags = [], []
        for gold_row, predicted_row in zip(prediction.label_ids, predicted):
            keep = gold_row != IGNORE_INDEX
            gold_tags.append([id2label[int(i)] for i in gold_row[keep]])
            predicted_tags.append([id2label[int(i)] for i in predicted_row[keep]])
        result = score(gold_tags, predicted_tags)
        return {"f1": result["micro"]["f1"], "macro_f1": result["macro"]["f1"]}

    return compute


def train(config: TrainConfig, output_dir: Path | None = None, fresh: bool = False) -> Path:
    run_dir = Path(output_dir) if output_dir else config.path(config.output_dir)
    _check_folder(run_dir)
    checkpoints = run_dir / "checkpoints"
    last_checkpoint = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() and not fresh else None
    if fresh and checkpoints.is_dir():
        raise InputError(f"{run_dir}: --fresh was given but checkpoints exist; choose another --output-dir or delete it")
    _refuse_other_run(run_dir, config)
    # Bad data (training or out-of-style) fails before the run directory is made, not after training.
    splits = load_splits(config)
    ood = read_examples(config.ood_files()) if config.data.ood else []
    precision = resolve_precision(config.training.precision)  # a precision the machine lacks fails here too
    # The outermost folder this run makes: removed again if the model settings fail (no partial output).
    made = next((path for path in reversed([run_dir, *run_dir.parents]) if not path.exists()), None)
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "train.log"
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("bienphong", "transformers"):
        logging.getLogger(name).addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        try:
            return _train(config, splits, ood, run_dir, checkpoints, last_checkpoint, log_path, precision)
        finally:
            for name in ("bienphong", "transformers"):
                logging.getLogger(name).removeHandler(handler)
            handler.close()
    except InputError:  # a setting the model cannot take (text.max_length, model.freeze_layers)
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise


def _check_folder(run_dir: Path) -> None:
    """The run directory, or its nearest existing parent, must be a folder; its name must be possible."""
    for path in (run_dir, *run_dir.parents):
        try:
            found = path.exists() or path.is_symlink()
        except OSError as error:  # a name too long
            raise InputError(f"{str(run_dir)[:120]}: --output-dir cannot be made ({error.strerror})") from None
        if found:
            if not path.is_dir():
                what = "--output-dir" if path == run_dir else str(path)
                raise InputError(f"{run_dir}: {what} is a file, not a folder")
            return


def _refuse_other_run(run_dir: Path, config: TrainConfig) -> None:
    """Never overwrite another config's run (its config.yaml, train.log, model) or a file."""
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"{run_dir}: --output-dir is a file, not a folder")
    previous = run_dir / "config.yaml"
    if previous.is_file():
        import yaml

        try:
            name = (yaml.safe_load(previous.read_text(encoding="utf-8")) or {}).get("run_name")
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError):
            name = None
        if name != config.run_name:
            raise InputError(f"{run_dir}: holds the run {name!r}, not {config.run_name!r}; choose another --output-dir")


def _train(
    config: TrainConfig,
    splits: dict,
    ood: list,
    run_dir: Path,
    checkpoints: Path,
    last_checkpoint: str | None,
    log_path: Path,
    precision: str,
) -> Path:
    started = time.time()
    settings = config.training
    set_seed(settings.seed)
    with atomic_open(run_dir / "config.yaml") as stream:
        stream.write(dump_config(config))
    augmentation = config.augmentation
    splits["train"] = augment(
        splits["train"], augmentation.share, augmentation.seed, augmentation.casing, augmentation.number_words
    )
    logger.info("data: %s", {name: len(examples) for name, examples in splits.items()})
    # A scratch model learns its vocabulary from the training words, before any tokenizer exists.
    train_words = []
    if config.model.scratch is not None:  # only a scratch vocabulary needs them
        segment = get_segmenter(config.text.segmenter)
        train_words = [w.text for example in splits["train"] for w in words_of(example.text, segment, example.spans)]
    all_texts = [example.text for examples in splits.values() for example in examples]
    model, tokenizer = modeling.build(config, train_words, all_texts)
    preprocessor = Preprocessor(tokenizer, config.run_settings("training"))
    train_set = features(splits["train"], preprocessor, model.config.label2id)
    dev_set = features(splits["dev"], preprocessor, model.config.label2id)
    logger.info("windows: train %d, dev %d", len(train_set), len(dev_set))

    logger.info("precision: %s", precision)
    arguments = training_arguments(settings, checkpoints, precision)
    callbacks: list[TrainerCallback] = [_LogToFile(log_path)]
    if settings.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=settings.early_stopping_patience))
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=train_set,
        eval_dataset=dev_set,
        data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE_INDEX),
        compute_metrics=_window_metrics(model.config.id2label),
        callbacks=callbacks,
    )
    if last_checkpoint:
        logger.info("resuming from %s", last_checkpoint)
        print(f"Resuming from {last_checkpoint}")
    trainer.train(resume_from_checkpoint=last_checkpoint)
    train_seconds = time.time() - started

    version = f"{config.run_name}@{time.strftime('%Y-%m-%dT%H:%M:%S')}"
    run_directory.save(model, tokenizer, run_dir, config.run_settings(version))
    tagger = Tagger.load(run_dir, batch_size=settings.eval_batch_size)
    metrics = {
        "model_version": version,
        "base_model": config.model.name or "scratch",
        "train_seconds": round(train_seconds, 1),
        "steps": trainer.state.global_step,
        "precision": precision,
        "sentences": {name: len(examples) for name, examples in splits.items()},
        "train_label_counts": dict(label_counts(splits["train"])),
    }
    if ood:
        splits["ood"] = ood
        metrics["sentences"]["ood"] = len(splits["ood"])
    for name in ("dev", "test", "ood"):
        if splits.get(name):
            metrics[name] = evaluate(tagger, splits[name], progress=True)
            logger.info("%s micro F1 %.4f", name, metrics[name]["micro"]["f1"])
    write_json(run_dir / "metrics.json", metrics)
    write_model_card(run_dir, config, metrics)
    return run_dir


def training_arguments(settings: TrainingSettings, checkpoints: Path, precision: str) -> TrainingArguments:
    """The Trainer's arguments for these settings (also used by ``benchmarks/precision.py``)."""
    by_steps = settings.eval_steps is not None
    return TrainingArguments(
        output_dir=str(checkpoints),
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps or -1,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.eval_batch_size,
        weight_decay=settings.weight_decay,
        warmup_steps=settings.warmup_ratio,  # a float below 1 is a ratio of the total steps
        eval_strategy="steps" if by_steps else "epoch",
        save_strategy="steps" if by_steps else "epoch",
        eval_steps=settings.eval_steps,
        save_steps=settings.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=settings.model_at_end == "best",
        metric_for_best_model="f1",
        greater_is_better=True,
        logging_steps=settings.logging_steps,
        seed=settings.seed,
        data_seed=settings.seed,
        report_to=[],
        use_cpu=not _cuda_available(),
        bf16=precision == "bf16",
        dataloader_num_workers=0,
        # Batches of similar-length windows waste little compute on padding (most sentences are short).
        train_sampling_strategy="group_by_length",
    )


def resolve_precision(setting: str) -> str:
    """``auto`` is bf16 where the hardware multiplies bf16 natively (a recent GPU, a CPU with AVX512-BF16 or AMX).

    Elsewhere bf16 is emulated and slower than fp32, so ``auto`` falls back to fp32."""
    import torch

    gpu_bf16 = torch.cuda.is_bf16_supported() if _cuda_available() else None
    if setting == "bf16" and gpu_bf16 is False:
        raise InputError("training.precision: bf16, but this GPU cannot compute in bf16; use auto or fp32")
    if setting != "auto":
        return setting
    if gpu_bf16 is not None:
        return "bf16" if gpu_bf16 else "fp32"
    # Private torch helpers (no public API says this); a torch without them gets fp32, never an error.
    checks = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    native = any(check() for check in checks if check is not None)
    return "bf16" if native else "fp32"


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
