"""Inference: a trained run directory -> tagged sentences -> events.

``from inference import Extractor`` is the Python API (see ``inference.extract``).
"""

from __future__ import annotations

__all__ = ["Extractor"]


def __getattr__(name: str):
    # Lazy, so that `import inference` (and the CLI's --help) does not load torch or transformers.
    if name == "Extractor":
        from inference.extract import Extractor

        return Extractor
    raise AttributeError(name)
