"""Tests for inference/phobert.py: the fast PhoBERT tokenizer gives PhobertTokenizer's ids.

Needs PhoBERT's real tokenizer files, looked for in ``../shared/phobert-base-tokenizer``
beside the repository (or ``$PHOBERT_TOKENIZER_DIR``); the module is skipped without them.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
TOKENIZER_DIR = Path(
    os.environ.get("PHOBERT_TOKENIZER_DIR") or Path(__file__).resolve().parents[2] / "shared" / "phobert-base-tokenizer"
)
if not (TOKENIZER_DIR / "vocab.txt").is_file() or not (TOKENIZER_DIR / "bpe.codes").is_file():
    pytest.skip(
        f"PhoBERT tokenizer files (vocab.txt, bpe.codes) not found in {TOKENIZER_DIR}; "
        "set PHOBERT_TOKENIZER_DIR to a directory holding them",
        allow_module_level=True,
    )

from transformers import AutoTokenizer, PhobertTokenizer  # noqa: E402

from annotations.errors import BienphongError  # noqa: E402
from inference.phobert import PhobertTokenizerFast, build_fast_tokenizer, is_phobert_dir  # noqa: E402

TRICKY = [
    "",
    "Bộ_đội Biên_phòng <mask> tỉnh Lai_Châu </s>",
    "  nhiều   khoảng_trắng\tvà tab  ",
    "xuống\ndòng\n\n  rồi\r\nCRLF\n",
    "khoảng\u00a0trắng không\u2009ngắt",
    "nhớ_xyzq Las_Palmas Liechtenstein illersonx",
    "😀 👍 河口 ©®™ ½ km² 35°C",
    "1.344 lượt 0,128 kg 224/1.344 01/01/2024 100% CB324 33-NQ/TW",
    "ĐỒN BIÊN_PHÒNG SI_MA_CAI đồn biên_phòng si_ma_cai",
    "<unk> <pad> <s> a<s>b",
]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for line in text.splitlines() for s in line.split(". ") if s.strip()]


@lru_cache(maxsize=1)
def corpus_sentences() -> tuple[str, ...]:
    """Every sentence of the annotated corpus (Label Studio exports) and of the seed reports, word-segmented."""
    from underthesea import word_tokenize

    texts = []
    for path in sorted((REPO / "annotations" / "corpus").glob("*.json")):
        for task in json.loads(path.read_text(encoding="utf-8")):
            texts += split_sentences(task["data"]["text"])
    for path in sorted((REPO / "seeds").glob("*.txt")):
        texts += split_sentences(path.read_text(encoding="utf-8"))
    return tuple(word_tokenize(t, format="text") for t in dict.fromkeys(texts))


@pytest.fixture(scope="module")
def slow():
    return PhobertTokenizer.from_pretrained(TOKENIZER_DIR)


@pytest.fixture(scope="module")
def fast():
    return build_fast_tokenizer(TOKENIZER_DIR)


def test_is_phobert_dir(tmp_path):
    assert is_phobert_dir(TOKENIZER_DIR)
    assert not is_phobert_dir(tmp_path)
    (tmp_path / "vocab.txt").write_text("a 1\n")
    assert not is_phobert_dir(tmp_path)
    with pytest.raises(BienphongError, match="bpe.codes"):
        build_fast_tokenizer(tmp_path)


def test_ids_match_slow_on_every_corpus_sentence(slow, fast):
    sentences = list(corpus_sentences())
    assert sentences, "no corpus or seed sentences found"
    expected = [slow(s).input_ids for s in sentences]
    got = fast(sentences).input_ids
    mismatches = [(s, e, g) for s, e, g in zip(sentences, expected, got) if e != g]
    print(f"\nPhoBERT id parity: {len(sentences) - len(mismatches)} of {len(sentences)} sentences identical")
    assert not mismatches, mismatches[:3]
    assert fast.is_fast and any("_" in s for s in sentences)  # the text really was word-segmented


def test_ids_match_slow_word_by_word(slow, fast):
    words = sorted({w for s in corpus_sentences() for w in s.split()} | {w for t in TRICKY for w in t.split()})
    got = fast(words, add_special_tokens=False).input_ids
    mismatches = [(w, g) for w, g in zip(words, got) if slow(w, add_special_tokens=False).input_ids != g]
    print(f"\nPhoBERT word parity: {len(words) - len(mismatches)} of {len(words)} words identical")
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize("text", TRICKY)
def test_ids_tokens_and_decoding_match_slow_on_tricky_text(slow, fast, text):
    assert fast(text).input_ids == slow(text).input_ids
    ids = fast(text).input_ids
    assert fast.decode(ids) == slow.decode(ids)
    assert fast.decode(ids, skip_special_tokens=True) == slow.decode(ids, skip_special_tokens=True)
    # Where PhobertTokenizer shows an unknown character ("\n", "😀") as itself, this one shows <unk>.
    fast_tokens, slow_tokens = fast.tokenize(text), slow.tokenize(text)
    assert len(fast_tokens) == len(slow_tokens)
    for f, s in zip(fast_tokens, slow_tokens):
        assert f == s or f == "<unk>" and slow.convert_tokens_to_ids(s) == 3, (f, s)


def test_pieces_missing_from_vocab_become_unk(fast):
    # fastBPE merges "nhớ_xyzq" down to the piece "nhớ_@@", which is not in vocab.txt.
    assert fast.tokenize("nhớ_xyzq") == ["nhớ_@@", "xy@@", "z@@", "q"]
    assert "nhớ_@@" not in fast.get_vocab()
    backend_ids = fast.backend_tokenizer.encode("nhớ_xyzq", add_special_tokens=False).ids
    assert backend_ids[0] > fast.mask_token_id  # an extra id inside the backend ...
    assert fast("nhớ_xyzq", add_special_tokens=False).input_ids[0] == 3  # ... that callers see as <unk>
    assert fast("😀", add_special_tokens=False).input_ids == [3]
    ids = fast(list(TRICKY) + list(corpus_sentences())).input_ids
    assert max(max(x) for x in ids) <= fast.mask_token_id == 64000


def test_special_tokens_and_model_inputs(slow, fast):
    assert (fast.bos_token_id, fast.pad_token_id, fast.eos_token_id, fast.unk_token_id, fast.mask_token_id) == (
        0, 1, 2, 3, 64000,
    )  # fmt: skip
    assert (fast.cls_token_id, fast.sep_token_id) == (0, 2)
    assert (len(fast), fast.vocab_size, fast.model_max_length) == (len(slow), slow.vocab_size, 256)
    assert fast.get_vocab() == slow.get_vocab()
    assert fast("Bộ_đội", "Biên_phòng") == slow("Bộ_đội", "Biên_phòng")  # pairs: <s> A </s></s> B </s>

    batch = fast(["Bộ_đội Biên_phòng tỉnh", "x " * 300], padding=True, truncation=True, return_offsets_mapping=True)
    assert len(batch.input_ids[1]) == 256 and batch.input_ids[1][-1] == 2
    assert batch.input_ids[0][5:8] == [1, 1, 1] and batch.attention_mask[0][5] == 0
    assert batch.word_ids(0)[:6] == [None, 0, 1, 2, None, None]
    assert batch.offset_mapping[0][1:4] == [(0, 6), (7, 17), (18, 22)]
    assert set(batch) == {"input_ids", "attention_mask", "offset_mapping"}


def test_save_pretrained_writes_phobert_files(fast, tmp_path):
    fast.save_pretrained(tmp_path)
    assert is_phobert_dir(tmp_path) and not (tmp_path / "tokenizer.json").exists()
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PhobertTokenizer" and config["model_max_length"] == 256
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert type(reloaded) is PhobertTokenizer
    assert isinstance(build_fast_tokenizer(tmp_path), PhobertTokenizerFast)
    text = "Bộ_đội Biên_phòng nhớ_xyzq"
    assert reloaded(text).input_ids == fast(text).input_ids
