"""What inference needs to prepare text exactly as in training, stored in the model's ``config.json``.

A run directory is a ``save_pretrained`` model; these settings travel inside
its ``config.json`` under the key ``bienphong``, so the directory stays one
self-describing artefact that ``AutoModelForTokenClassification`` opens as it
is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Literal, get_args

from annotations.errors import BienphongError
from annotations.segmentation import SEGMENTERS

CONFIG_KEY = "bienphong"
Decoding = Literal["viterbi", "argmax"]
DECODINGS: tuple[str, ...] = get_args(Decoding)
# A window of more subword positions than this is no real model's (and would allocate terabytes).
MAX_POSITIONS = 8192


@dataclass(frozen=True)
class RunSettings:
    """How text becomes model input and how tags become spans.

    - ``segmenter``: the name of the word segmenter (``annotations.segmentation.SEGMENTERS``);
    - ``max_length``: subword positions per window, special tokens included;
    - ``stride``: subword positions shared by consecutive windows of a long sentence;
    - ``model_version``: run name and training time, written into every output;
    - ``decoding``: ``viterbi`` (the best valid IOB2 path) or ``argmax`` (each word's best tag).
    """

    segmenter: str
    max_length: int
    stride: int
    model_version: str = "unknown"
    decoding: Decoding = "viterbi"

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.segmenter, str) or self.segmenter not in SEGMENTERS:
            problems.append(f"segmenter {self.segmenter!r} is not one of {sorted(SEGMENTERS)}")
        for name in ("max_length", "stride"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(f"{name} must be an integer, not {value!r}")
        if not problems:
            if not 16 <= self.max_length <= MAX_POSITIONS:
                problems.append(f"max_length {self.max_length} is outside 16..{MAX_POSITIONS}")
            if not 0 <= self.stride < self.max_length - 2:
                problems.append(f"stride {self.stride} must be in 0..max_length - 3")
        if not isinstance(self.model_version, str):
            problems.append(f"model_version must be a string, not {self.model_version!r}")
        if not isinstance(self.decoding, str) or self.decoding not in DECODINGS:
            problems.append(f"decoding {self.decoding!r} is not one of {list(DECODINGS)}")
        if problems:
            raise BienphongError("; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: object, source: str = "config.json") -> "RunSettings":
        """Settings from the ``bienphong`` entry of a ``config.json``; a bad entry is one clear error."""
        if not isinstance(raw, dict):
            raise BienphongError(f"{source}: '{CONFIG_KEY}' must be an object of settings, not {type(raw).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        missing = sorted(f.name for f in fields(cls) if f.name in ("segmenter", "max_length", "stride") and f.name not in raw)
        if unknown or missing:
            parts = ([f"unknown keys {unknown}"] if unknown else []) + ([f"missing keys {missing}"] if missing else [])
            raise BienphongError(f"{source}: '{CONFIG_KEY}' settings: {', '.join(parts)}")
        try:
            return cls(**raw)
        except BienphongError as error:
            raise BienphongError(f"{source}: '{CONFIG_KEY}' settings: {error}") from None
