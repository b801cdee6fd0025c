"""The model card (README.md) of a trained run directory, built with huggingface_hub's ``ModelCard``."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

from annotations.io import atomic_open
from annotations.schema import LABEL_NAMES
from training.config import TrainConfig

SCORED_SPLITS = ("dev", "test", "ood")  # ood: the out-of-style test set (annotations/ood/)


def _table(metrics: dict) -> list[str]:
    splits = [name for name in SCORED_SPLITS if name in metrics]
    lines = [
        "| label | " + " | ".join(f"{s} P | {s} R | {s} F1 | {s} n" for s in splits) + " |",
        "| --- |" + " ---: |" * (4 * len(splits)),
    ]
    for label in LABEL_NAMES:
        cells = []
        for split in splits:
            row = metrics[split]["per_label"][label]
            cells += [f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", str(row["support"])]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for average in ("micro", "macro"):
        cells = []
        for split in splits:
            row = metrics[split][average]
            cells += [f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"**{row['f1']:.3f}**", ""]
        lines.append(f"| *{average}* | " + " | ".join(cells) + " |")
    return lines


def write_model_card(run_dir: Path, config: TrainConfig, metrics: dict) -> None:
    base = (
        config.model.name
        or f"a randomly initialised BERT ({config.model.scratch.num_layers} layers, hidden {config.model.scratch.hidden_size})"
    )
    data = ModelCardData(
        language="vi",
        library_name="transformers",
        pipeline_tag="token-classification",
        tags=["bienphong-ie", "ner", "vietnamese"],
    )
    lines = [
        f"# {config.run_name}",
        "",
        "Token classifier for the 15 slot types of Vietnamese Border Guard (BĐBP) reports",
        f"(bienphong-ie), fine-tuned from {base}.",
        "",
        f"- model version: `{metrics['model_version']}`",
        f"- word segmentation: `{config.text.segmenter}`; windows of {config.text.max_length} subword positions,"
        f" stride {config.text.stride}; decoding `{config.decoding}`",
        f"- training sentences: {metrics['sentences']['train']}, dev {metrics['sentences']['dev']},"
        f" test {metrics['sentences']['test']}; {metrics['steps']} steps in {metrics['train_seconds']:.0f} s",
        f"- learning rate {config.training.learning_rate}, batch {config.training.batch_size},"
        f" epochs {config.training.epochs}, seed {config.training.seed}, precision {metrics['precision']}",
        *_augmentation(config),
        "",
        "## Use",
        "```python",
        "from transformers import AutoModelForTokenClassification",
        f'model = AutoModelForTokenClassification.from_pretrained("{run_dir.name}")',
        "```",
        "Text must be prepared as in training (NFC, word segmentation, windows); the",
        f"`bienphong extract --model {run_dir.name} ...` command does that.",
        "",
        "## Scores (seqeval, strict span match)",
        "dev and test are the corpus's own splits (reports written by the team); ood is the out-of-style",
        "test set, written apart and never trained on: the better guess for unseen real reports.",
        "",
        *_table(metrics),
        "",
    ]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n" + "\n".join(lines))
    with atomic_open(run_dir / "README.md") as stream:
        stream.write(str(card))


def _augmentation(config: TrainConfig) -> list[str]:
    settings = config.augmentation
    lines = []
    if settings.share:
        lines.append(
            f"- augmentation: {settings.share:.0%} of the training sentences replaced by a variant (seed {settings.seed}):"
            " gazetteer places, generated names, other numbers, old/new tone placement"
        )
    if settings.casing:
        lines.append(
            f"- casing augmentation: {settings.casing:.0%} of the training sentences recased (seed {settings.seed}):"
            " capitals, every syllable capitalised, lower case, capitalised or lower-case unit names"
        )
    if settings.number_words:
        lines.append(
            f"- number words: in {settings.number_words:.0%} of the training sentences (seed {settings.seed})"
            " counts of 1 to 12 are written in words (`ba vụ`, `mười hai đối tượng`)"
        )
    return lines
