"""What a trained run directory is, and how it is opened for inference.

A run directory is a ``save_pretrained`` token classifier (``config.json``,
``model.safetensors``) with its tokenizer and the ``RunSettings`` inside
``config.json``. Training writes it with ``save``; everything that tags text
opens it with ``load``, which checks it first so that a wrong, incomplete or
corrupt directory is one clear error instead of a traceback from transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from annotations.errors import BienphongError
from annotations.io import check_name
from annotations.schema import bio_tags
from inference import phobert
from inference.settings import CONFIG_KEY, RunSettings

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"


@dataclass
class RunModel:
    """A loaded run directory: the model (in eval mode), its tokenizer and its settings."""

    model: object
    tokenizer: object
    settings: RunSettings
    id2label: dict[int, str]


def load_tokenizer(directory: str | Path):
    """The tokenizer of a model directory; PhoBERT's slow BPE tokenizer is replaced by an identical fast one."""
    from transformers import AutoTokenizer

    directory = Path(directory)
    if phobert.is_phobert_dir(directory):
        return phobert.build_fast_tokenizer(directory)
    return AutoTokenizer.from_pretrained(str(directory))


def save(model, tokenizer, directory: Path, settings: RunSettings) -> None:
    """``save_pretrained`` of model and tokenizer, with the settings inference needs in ``config.json``."""
    setattr(model.config, CONFIG_KEY, settings.to_dict())
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def read_settings(directory: str | Path) -> tuple[RunSettings, dict[int, str]]:
    """The settings and label map of a run directory, checked against the schema before any model loads."""
    directory = Path(directory)
    config_path = directory / "config.json"
    check_name(config_path, shown=directory)
    if not directory.is_dir():
        raise BienphongError(f"{directory}: no such model directory; train one with `bienphong train`")
    if not config_path.is_file():
        raise BienphongError(f"{directory}: not a trained model directory (no config.json); train one with `bienphong train`")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BienphongError(f"{config_path}: not valid JSON ({error})") from None
    except RecursionError:
        raise BienphongError(f"{config_path}: not valid JSON (nested too deeply)") from None
    except ValueError as error:  # a number of thousands of digits
        raise BienphongError(f"{config_path}: not valid JSON ({str(error).split(';')[0]})") from None
    if not isinstance(config, dict):
        raise BienphongError(f"{config_path}: expected a JSON object")
    if CONFIG_KEY not in config:
        raise BienphongError(f"{config_path}: no '{CONFIG_KEY}' settings; was it trained by `bienphong train`?")
    settings = RunSettings.from_dict(config[CONFIG_KEY], str(config_path))
    return settings, _labels(config, config_path)


def _labels(config: dict, config_path: Path) -> dict[int, str]:
    raw = config.get("id2label")
    if not isinstance(raw, dict) or not raw:
        raise BienphongError(f"{config_path}: 'id2label' is missing or not an object")
    try:
        id2label = {int(key): value for key, value in raw.items()}
    except (TypeError, ValueError):
        raise BienphongError(f"{config_path}: 'id2label' keys must be integers") from None
    expected = bio_tags()
    if sorted(id2label) != list(range(len(id2label))) or sorted(map(str, id2label.values())) != sorted(expected):
        unknown = sorted(set(map(str, id2label.values())) - set(expected))
        detail = (
            f"labels outside the schema: {unknown[:5]}"
            if unknown
            else f"expected the {len(expected)} IOB2 tags of the schema with ids 0..{len(expected) - 1}"
        )
        raise BienphongError(f"{config_path}: 'id2label' does not match the slot schema ({detail})")
    return id2label


def _check_files(directory: Path) -> None:
    weights = directory / WEIGHTS_FILE
    if not weights.is_file() or weights.stat().st_size == 0:
        raise BienphongError(f"{directory}: {WEIGHTS_FILE} is missing or empty")
    if not (directory / TOKENIZER_FILE).is_file() and not phobert.is_phobert_dir(directory):
        raise BienphongError(f"{directory}: no tokenizer files ({TOKENIZER_FILE}, or PhoBERT's vocab.txt and bpe.codes)")


def load(directory: str | Path) -> RunModel:
    """Open a run directory for tagging; any problem with it is one ``BienphongError``."""
    from safetensors import SafetensorError
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # our own bars say what is going on; "Loading weights" is noise

    directory = Path(directory)
    settings, id2label = read_settings(directory)
    _check_files(directory)
    try:
        model = AutoModelForTokenClassification.from_pretrained(str(directory))
    except SafetensorError as error:
        raise BienphongError(f"{directory}: {WEIGHTS_FILE} is corrupt ({error})") from None
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BienphongError(f"{directory}: cannot load the model ({first_line})") from None
    try:
        tokenizer = load_tokenizer(directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:  # a tokenizer.json of another shape
        raise BienphongError(f"{directory}: cannot load the tokenizer ({error})") from None
    return RunModel(model.eval(), tokenizer, settings, id2label)
