"""Batch extraction: articles -> sentences -> tagged spans -> events (JSON Lines)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from annotations.io import atomic_open
from annotations.text import split_sentences
from inference.articles import Article
from inference.events import ArticleSentence, article_events
from training.tagger import TaggedSentence, Tagger


@dataclass
class TaggedArticle:
    article: Article
    sentences: list[ArticleSentence]
    tagged: list[TaggedSentence]


def tag_articles(tagger: Tagger, articles: list[Article], progress: bool = True) -> list[TaggedArticle]:
    """Tag every sentence of every article in one batched pass."""
    split = [split_sentences(article.text) for article in articles]
    flat = [sentence.text for sentences in split for sentence in sentences]
    tagged = iter(tagger.predict(flat, progress=progress))
    results = []
    for article, sentences in zip(articles, split):
        tags = [next(tagged) for _ in sentences]
        units = [ArticleSentence(s.index, s.start, s.text, t.spans) for s, t in zip(sentences, tags)]
        results.append(TaggedArticle(article, units, tags))
    return results


def tag_inputs(model: Path, inputs: list[str], batch_size: int = 32,
               progress: bool = True) -> tuple[Tagger, list[TaggedArticle]]:
    """Read INPUTs (files, folders, .jsonl) and tag them with the model in ``model``."""
    from inference.articles import read_inputs

    articles = read_inputs(inputs)  # read first: bad input fails before the model loads
    tagger = Tagger.load(model, batch_size=batch_size)
    return tagger, tag_articles(tagger, articles, progress=progress)


def write_events(tagged: list[TaggedArticle], output: Path, model_version: str) -> int:
    count = 0
    with atomic_open(output) as stream:
        for item in tagged:
            for event in article_events(item.article.id, item.sentences, model_version):
                stream.write(json.dumps(event, ensure_ascii=False) + "\n")
                count += 1
    return count
