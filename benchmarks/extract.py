"""Batch extraction at scale: peak memory and speed of `bienphong extract` as the input grows.

    .venv/bin/python benchmarks/extract.py --model runs/e5-small [--articles 1000 10000 100000] [--workers 1 2]

For each size N it writes a JSON Lines input of N articles (the team's reports,
seeds and ``annotations/source``, repeated under new ids), then runs the real
command (``bienphong extract --model DIR INPUT --output OUT --quiet --workers W``)
in a subprocess and samples the resident memory of that process and all its
workers every 0.2 s. It prints, per run: articles, sentences, events, seconds,
articles/s, sentences/s and the peak of the summed RSS. Flat memory means the
peak does not grow with N; the worker speed-up is printed against 1 worker on
the same input.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from annotations.markup import parse  # noqa: E402
from annotations.text import read_article  # noqa: E402
from inference.extract import json_line  # noqa: E402

SAMPLE_SECONDS = 0.2


def report_texts() -> list[str]:
    """The plain text of every team-written report and seed article."""
    texts = [read_article(path) for path in sorted((ROOT / "seeds").glob("*.txt"))]
    for path in sorted((ROOT / "annotations" / "source").glob("b*/*.txt")):
        texts.append(parse(path.read_text(encoding="utf-8"))[0])
    return texts


def write_input(path: Path, articles: int, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for number in range(articles):
            stream.write(json_line({"id": f"a{number:07d}", "text": texts[number % len(texts)]}))


def tree_rss(process: psutil.Process) -> int:
    """Bytes resident in a process and all its descendants (the --workers processes)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # a worker that just ended
            pass
    return total


def run(model: Path, source: Path, output: Path, workers: int) -> dict:
    command = [sys.executable, "-m", "inference.cli", "extract", "--model", str(model), str(source)]
    command += ["--output", str(output), "--quiet", "--workers", str(workers)]
    output.unlink(missing_ok=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        time.sleep(SAMPLE_SECONDS)
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"extract failed ({child.returncode}): {stderr.strip()[-500:]}")
    # "N events from N articles (N sentences) written to ..."
    words = stdout.split()
    events, articles, sentences = int(words[0]), int(words[3]), int(words[5].strip("("))
    return {"articles": articles, "sentences": sentences, "events": events, "seconds": seconds, "peak_mb": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="worker counts to run at each size")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    texts = report_texts()
    rows = []
    columns = ("articles", 9), ("workers", 7), ("sentences", 10), ("events", 8), ("seconds", 8), ("art/s", 7), ("sent/s", 7)
    print(" ".join(f"{name:>{width}}" for name, width in columns), f"{'peak RSS':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.articles:
            source = Path(folder) / f"input-{size}.jsonl"
            write_input(source, size, texts)
            base = None
            for workers in args.workers:
                row = run(args.model, source, Path(folder) / "events.jsonl", workers) | {"workers": workers}
                base = base or row["seconds"]
                row["speedup"] = base / row["seconds"]
                rows.append(row)
                print(
                    f"{row['articles']:>9,} {workers:>7} {row['sentences']:>10,} {row['events']:>8,} {row['seconds']:>8.1f}"
                    f" {row['articles'] / row['seconds']:>7.1f} {row['sentences'] / row['seconds']:>7.1f}"
                    f" {row['peak_mb']:>6,.0f} MB" + (f"  {row['speedup']:.2f}x 1 worker" if workers != args.workers[0] else ""),
                    flush=True,
                )
            source.unlink()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
