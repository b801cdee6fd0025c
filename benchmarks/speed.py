"""Tagging speed and memory on one thread: HF pipeline vs Tagger (torch fp32, ONNX fp32, ONNX int8).

    .venv/bin/python benchmarks/speed.py --model runs/e5-small [--data annotations/corpus/*.json] [--batch-size N]

Every variant tags the same sentences (the test split of --data, by
annotations/split.yaml) with the same model on one thread
(``torch.set_num_threads(1)``, ONNX Runtime ``intra_op_num_threads=1``), each in
a fresh subprocess so that its peak RSS is its own (``resource.getrusage`` in
the child, loading included). Timing covers tagging only, after a short warm-up.

- ``pipeline bN``: transformers ``pipeline("token-classification",
  aggregation_strategy="first")`` at batch N (1, 8, 32), with the model's own
  window length and stride so that long sentences are tagged whole too;
- ``tagger torch`` / ``tagger onnx`` / ``tagger onnx-int8``: ``inference.tagger.Tagger``
  at --batch-size, with its test-split span F1 (``inference.evaluation.evaluate``,
  strict seqeval). The pipeline has no F1: it tags subword pieces, not the Tagger's spans.

Ratios are against the fastest pipeline setting. A missing ONNX export is made
first (``bienphong export --model DIR --onnx --int8``, in its own process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from inference.options import DEFAULT_BATCH_SIZE  # noqa: E402

PIPELINE_BATCHES = (1, 8, 32)
TAGGER_RUNTIMES = ("torch", "onnx", "onnx-int8")
WARMUP = 8  # sentences tagged once before the clock starts (first-call allocations, lazy init)


def test_sentences(data: list[Path]) -> list:
    from annotations.corpus import load_split
    from annotations.labelstudio import read_examples

    split = load_split()
    return [example for example in read_examples(data) if split.get(example.article_id) == "test"]


class _Recorded:
    """The timed predictions, handed to ``evaluate`` so that F1 scores exactly the run that was timed."""

    def __init__(self, tagged: list):
        self.tagged = tagged

    def predict(self, texts: list[str], progress: bool = False) -> list:
        return self.tagged


def _pipeline_worker(model: Path, texts: list[str], batch: int) -> dict:
    from transformers import AutoModelForTokenClassification, pipeline

    from inference import run_directory

    settings, _ = run_directory.read_settings(model)
    tokenizer = run_directory.load_tokenizer(model)
    tokenizer.model_max_length = settings.max_length  # the pipeline windows with stride at this length, as the Tagger
    classifier = AutoModelForTokenClassification.from_pretrained(str(model)).eval()
    tagger = pipeline(
        "token-classification",
        model=classifier,
        tokenizer=tokenizer,
        aggregation_strategy="first",
        stride=settings.stride,
        device=-1,
    )
    tagger(texts[:WARMUP], batch_size=batch)
    started = time.perf_counter()
    entities = tagger(texts, batch_size=batch)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "entities": sum(map(len, entities))}


def _tagger_worker(model: Path, data: list[Path], runtime: str, batch: int) -> dict:
    from inference.evaluation import evaluate
    from inference.tagger import Tagger

    examples = test_sentences(data)
    texts = [example.text for example in examples]
    tagger = Tagger.load(model, batch_size=batch, runtime=runtime)
    tagger.predict(texts[:WARMUP])
    started = time.perf_counter()
    tagged = tagger.predict(texts)
    seconds = time.perf_counter() - started
    result = evaluate(_Recorded(tagged), examples)
    return {"seconds": seconds, "entities": sum(len(s.spans) for s in tagged), "f1": result["micro"]["f1"]}


def worker(args) -> None:
    """One variant in this (fresh) process; prints one JSON line."""
    import torch

    torch.set_num_threads(1)
    kind, _, setting = args.worker.partition(":")
    if kind == "pipeline":
        texts = [example.text for example in test_sentences(args.data)]
        result = _pipeline_worker(args.model, texts, int(setting))
        result["sentences"] = len(texts)
    else:
        result = _tagger_worker(args.model, args.data, setting, args.batch_size)
        result["sentences"] = len(test_sentences(args.data))
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result))


def run_variant(args, variant: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, __file__, "--worker", variant, "--model", str(args.model), "--batch-size", str(args.batch_size)]
    command += ["--data", *map(str, args.data)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(lines[-1])


def ensure_export(model: Path) -> None:
    from inference.onnx_runtime import onnx_file

    if onnx_file(model).is_file() and onnx_file(model, int8=True).is_file():
        return
    print(f"exporting {model} to ONNX (fp32 and int8) ...", flush=True)
    command = [sys.executable, "-m", "inference.cli", "export", "--model", str(model), "--onnx", "--int8"]
    subprocess.run(command, check=True, cwd=ROOT)


def table(results: dict[str, dict], batch_size: int) -> str:
    pipelines = {name: r for name, r in results.items() if name.startswith("pipeline") and "error" not in r}
    best_name = max(pipelines, key=lambda name: pipelines[name]["sentences"] / pipelines[name]["seconds"]) if pipelines else None
    best = pipelines.get(best_name)
    rows = [
        "| variant | batch | sentences/s | x best pipeline | peak RSS MB | x best pipeline | spans | test F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        kind, _, setting = name.partition(":")
        label = f"pipeline b{setting}" + (" (best)" if name == best_name else "") if kind == "pipeline" else f"tagger {setting}"
        batch = setting if kind == "pipeline" else str(batch_size)
        if "error" in r:
            rows.append(f"| {label} | {batch} | failed: {r['error']} | | | | | |")
            continue
        speed = r["sentences"] / r["seconds"]
        speed_ratio = f"{speed / (best['sentences'] / best['seconds']):.2f}" if best else "-"
        rss_ratio = f"{r['rss_mb'] / best['rss_mb']:.2f}" if best else "-"
        f1 = f"{r['f1']:.4f}" if "f1" in r else "-"
        cells = [label, batch, f"{speed:.1f}", speed_ratio, f"{r['rss_mb']:,.0f}", rss_ratio, str(r["entities"]), f1]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path, help="trained run directory")
    parser.add_argument("--data", nargs="+", type=Path, default=sorted((ROOT / "annotations" / "corpus").glob("*.json")))
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Tagger batch size (default: the CLI's)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one variant in a child process
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    ensure_export(args.model)
    sentences = len(test_sentences(args.data))
    print(f"{args.model}: {sentences} test-split sentences, one thread", flush=True)
    variants = [f"pipeline:{batch}" for batch in PIPELINE_BATCHES] + [f"tagger:{runtime}" for runtime in TAGGER_RUNTIMES]
    results = {}
    for variant in variants:
        results[variant] = run_variant(args, variant)
        print(f"  {variant}: {results[variant]}", flush=True)
    print(table(results, args.batch_size))


if __name__ == "__main__":
    main()
