"""Command-line pieces shared by the ``bienphong`` commands and the ``ls`` commands."""

from __future__ import annotations

import argparse
import datetime
import os
import re
from pathlib import Path

from annotations.errors import BienphongError

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


def int_in(low: int, high: int):
    """argparse type: an integer in ``low..high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, not {value}")
        return value

    return parse


# Windows per forward pass. Small batches of windows sorted by length pad least: on CPU, 8 tags about 15% faster
# than 32 with ONNX int8 and the same with torch (benchmarks/speed.py); a GPU wants more (--batch-size).
DEFAULT_BATCH_SIZE = 8
# At most 4096 windows per pass: more would only pad a whole input into one batch and exhaust memory.
batch_size = int_in(1, 4096)
# Processes each holding a model: more than this is a fork bomb, not a speed-up.
workers = int_in(1, 64)


# torch: the run's own weights; onnx / onnx-int8: its `bienphong export` files through ONNX Runtime.
RUNTIMES = ("torch", "onnx", "onnx-int8")


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit 2, like every other user error (subcommands inherit it)."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def iso_date(text: str) -> datetime.date:
    """argparse type: a calendar date written YYYY-MM-DD."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return datetime.date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, not {text!r}")


def check_output(output: Path, inputs: list) -> None:
    """Refuse an output path that would destroy data: an input itself, or something that is not a plain file."""
    if str(output).strip() == "":
        raise BienphongError("--output is empty")
    # The longest name written beside it is OUTPUT.errors.jsonl.part (18 more bytes); most file systems allow 255.
    if len(os.fsencode(output.name)) + 18 > 255:
        raise BienphongError(f"--output {str(output)[:80]}...: file name too long ({len(os.fsencode(output.name))} bytes)")
    target = output.resolve()
    for item in map(Path, inputs):
        if _exists(item) and item.resolve() == target:
            raise BienphongError(f"--output {output} is also an input; it would be overwritten")
    if output.exists() and not output.is_file():
        raise BienphongError(f"--output {output} exists and is not a plain file (a folder or a device)")
    for parent in output.parents:  # a/b.txt/out.json: a/b.txt is a file
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise BienphongError(f"--output {output}: {parent} is not a folder")
            break


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long: the reader says so
        return False
