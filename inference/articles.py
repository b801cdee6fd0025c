"""Reading the articles to process.

An INPUT is a ``.txt`` article (its id is the file name without extension),
a folder of them (``*.txt``, sorted), or a ``.jsonl`` file with one
``{"id": ..., "text": ...}`` object per line. Text is normalised to NFC here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from annotations.text import InputError, normalize, read_article


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    source: str


def _jsonl(path: Path) -> list[Article]:
    articles = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 (byte {error.start})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{where}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("text"), str):
            raise InputError(f'{where}: expected an object with "id" and a string "text"')
        if not record["text"].strip():
            raise InputError(f"{where}: article {record['id']!r} is empty")
        articles.append(Article(str(record["id"]), normalize(record["text"]), where))
    return articles


def read_inputs(inputs: list[str | Path]) -> list[Article]:
    articles: list[Article] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files = sorted(item.glob("*.txt"))
            if not files:
                raise InputError(f"{item}: folder has no .txt articles")
            articles += [Article(f.stem, read_article(f), str(f)) for f in files]
        elif item.suffix == ".jsonl":
            articles += _jsonl(item)
        elif item.is_file():
            articles.append(Article(item.stem, read_article(item), str(item)))
        else:
            raise InputError(f"{item}: no such file or folder")
    seen: dict[str, str] = {}
    for article in articles:
        if article.id in seen:
            raise InputError(f"article id {article.id!r} appears twice: {seen[article.id]} and {article.source}")
        seen[article.id] = article.source
    if not articles:
        raise InputError("no articles in the input")
    return articles
