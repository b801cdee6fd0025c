"""Command-line pieces shared by the ``bienphong`` commands and the ``ls`` commands."""

from __future__ import annotations

import argparse

INPUT_HELP = 'a .txt article, a folder of .txt articles, or a .jsonl file of {"id", "text"} objects'


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# torch: the run's own weights; onnx / onnx-int8: its `bienphong export` files through ONNX Runtime.
RUNTIMES = ("torch", "onnx", "onnx-int8")
