"""Extraction speed: sentences per second of `bienphong extract` on a model.

    .venv/bin/python benchmarks/extract.py --model runs/e5-small [INPUT...]

INPUT defaults to seeds/ plus every report of annotations/source (plain text).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from annotations.markup import parse
from inference.articles import Article, read_inputs
from inference.events import article_events
from inference.extract import tag_articles
from inference.tagger import Tagger

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("inputs", nargs="*")
    args = parser.parse_args()
    if args.inputs:
        articles = read_inputs(args.inputs)
    else:
        articles = read_inputs([ROOT / "seeds"]) + [
            Article(p.stem, parse(p.read_text(encoding="utf-8"))[0], str(p))
            for p in sorted((ROOT / "annotations" / "source").glob("b*/*.txt"))
        ]
    tagger = Tagger.load(args.model)
    started = time.time()
    tagged = tag_articles(tagger, articles)
    events = sum(len(article_events(t.article.id, t.sentences)) for t in tagged)
    seconds = time.time() - started
    sentences = sum(len(t.sentences) for t in tagged)
    print(
        f"{len(articles)} articles, {sentences} sentences, {events} events in {seconds:.1f} s:"
        f" {sentences / seconds:.1f} sentences/s; peak memory"
        f" {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )


if __name__ == "__main__":
    main()
