"""Batch extraction: articles -> sentences -> tagged spans -> events (JSON Lines).

The Python entry point is ``Extractor``::

    from inference import Extractor
    extractor = Extractor("runs/e5-small")
    for event in extractor.extract(["Ngày 12/3, Đồn Biên phòng ... bắt giữ 02 đối tượng ..."]):
        print(event.event_type, event.to_dict()["slots"])
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from annotations.text import normalize, split_sentences
from inference.articles import Article, read_inputs
from inference.events import Event, article_events
from inference.options import DEFAULT_BATCH_SIZE
from inference.tagger import TaggedSentence, Tagger


@dataclass
class TaggedArticle:
    article: Article
    sentences: list[TaggedSentence]  # each with its index and offset in the article


def tag_articles(tagger: Tagger, articles: list[Article], progress: bool = True) -> list[TaggedArticle]:
    """Tag every sentence of every article in one batched pass."""
    split = [split_sentences(article.text) for article in articles]
    tagged = iter(tagger.predict([s.text for sentences in split for s in sentences], progress=progress))
    return [
        TaggedArticle(article, [next(tagged).placed(s.index, s.start) for s in sentences])
        for article, sentences in zip(articles, split)
    ]


class Extractor:
    """A trained run directory, ready to turn article texts into events."""

    def __init__(
        self,
        model: str | Path,
        batch_size: int = DEFAULT_BATCH_SIZE,
        runtime: str = "torch",
        default_date: datetime.date | None = None,
    ):
        """``runtime``: ``torch`` (the run's weights), ``onnx`` or ``onnx-int8`` (its ``bienphong export`` files).
        ``default_date``: the publication date of articles that have none (it resolves relative times)."""
        self.tagger = Tagger.load(model, batch_size=batch_size, runtime=runtime)
        self.default_date = default_date

    @property
    def model_version(self) -> str:
        return self.tagger.model_version

    def tag(self, articles: list[Article], progress: bool = False) -> list[TaggedArticle]:
        return tag_articles(self.tagger, articles, progress=progress)

    def extract(
        self,
        texts: list[str],
        ids: list[str] | None = None,
        progress: bool = False,
        dates: list[datetime.date | None] | None = None,
    ) -> list[Event]:
        """Events of each text (NFC-normalised here); article ids default to ``"0"``, ``"1"``, ...;
        ``dates``: each text's publication date (None: ``default_date``)."""
        ids = ids or [str(i) for i in range(len(texts))]
        dates = dates or [None] * len(texts)
        articles = [Article(article_id, normalize(text), "<python>", date) for article_id, text, date in zip(ids, texts, dates)]
        return [event for item in self.tag(articles, progress) for event in self.events(item)]

    def events(self, item: TaggedArticle) -> list[Event]:
        """The events of a tagged article; its date (else ``default_date``) resolves relative times."""
        date = item.article.date or self.default_date
        return article_events(item.article.id, item.sentences, self.model_version, article_date=date)


def tag_inputs(
    model: Path, inputs: list[str], batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True, runtime: str = "torch"
) -> tuple[Extractor, list[TaggedArticle]]:
    """Read INPUTs (files, folders, .jsonl) and tag them with the model in ``model``."""
    articles = read_inputs(inputs)  # read first: bad input fails before the model loads
    extractor = Extractor(model, batch_size=batch_size, runtime=runtime)
    return extractor, extractor.tag(articles, progress=progress)


def json_line(record: dict) -> str:
    """One JSON Lines record. Escaping every non-ASCII line separator (U+2028, U+0085, ...) keeps one record
    per line for readers that split on more than ``\\n``."""
    text = json.dumps(record, ensure_ascii=False)
    return text.translate(_LINE_SEPARATORS) + "\n"


_LINE_SEPARATORS = {c: f"\\u{c:04x}" for c in (0x85, 0x2028, 0x2029, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E)}
