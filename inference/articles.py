"""Reading the articles to process, as a stream.

An INPUT is a ``.txt`` article (its id is the file name without extension),
a folder of them (``*.txt``, sorted, hidden files skipped), a glob pattern
(``crawl/2024-*.jsonl``), or a ``.jsonl`` file with one object per line::

    {"id": "a1", "text": "...", "date": "2024-03-12"}

``id`` is a non-empty string or an integer, ``text`` a non-empty string and
``date`` (optional) the article's publication date, which resolves relative
times. JSON Lines are split on ``\\n`` only: a U+2028 inside a string is text.
Text and ids are normalised to NFC here.

``iter_records`` yields an ``Article`` for each good record and a ``BadRecord``
(where, why) for each bad one, so a batch run can skip it and go on; a missing
INPUT is an ``InputError`` before anything is read.
"""

from __future__ import annotations

import codecs
import datetime
import glob
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annotations.io import check_name
from annotations.text import InputError, decode_article, normalize, read_article, text_problem

MAX_ID_CHARS = 1000  # an id is a name, not a text: a longer one is a field mix-up


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    source: str  # file, or file:line for JSON Lines
    date: datetime.date | None = None


@dataclass(frozen=True)
class BadRecord:
    """An input record that cannot be processed: where it is and why."""

    source: str
    reason: str
    id: str | None = None

    def to_dict(self) -> dict:
        path, _, line = self.source.rpartition(":")
        if path and line.isdigit():
            return {"source": path, "line": int(line), "id": self.id, "reason": self.reason}
        return {"source": self.source, "line": None, "id": self.id, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


def input_files(inputs: list[str | Path]) -> list[Path]:
    """The files behind the INPUTs, in order; a missing INPUT or an empty folder is an ``InputError``."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        check_name(path)
        if path.is_dir():
            found = sorted(f for f in path.glob("*.txt") if not f.name.startswith("."))
            if not found:
                raise InputError(f"{path}: folder has no .txt articles")
            files += found
        elif path.is_file() or path.is_symlink():  # a dangling symlink becomes a bad record, not a stop
            files.append(path)
        elif any(char in str(item) for char in "*?["):
            found = sorted(Path(f) for f in glob.glob(str(item)) if Path(f).is_file() and not Path(f).name.startswith("."))
            if not found:
                raise InputError(f"{item}: the pattern matches no files")
            files += found
        else:
            raise InputError(f"{path}: no such file or folder")
    if not files:
        raise InputError("no input files")
    return files


def iter_records(inputs: list[str | Path]) -> Iterator[Article | BadRecord]:
    """Every record of the INPUTs in order: an ``Article``, or a ``BadRecord`` (a repeated id is one too).

    The INPUTs are checked when this is called, not when the first record is asked for: a missing
    INPUT stops a run before it has written anything."""
    return _records(input_files(inputs))


def count_records(inputs: list[str | Path]) -> int:
    """How many records ``iter_records`` will give (a fast byte scan: the progress bar's total and ETA)."""
    total = 0
    for path in input_files(inputs):
        if path.suffix.lower() != ".jsonl":
            total += 1
            continue
        try:
            with path.open("rb") as stream:
                total += sum(1 for line in stream if line.strip())
        except OSError:
            total += 1  # reported as one bad record when it is read
    return total


def _records(files: list[Path]) -> Iterator[Article | BadRecord]:
    seen: dict[str, str] = {}
    for path in files:
        records = _jsonl_records(path) if path.suffix.lower() == ".jsonl" else [_text_file(path)]
        for record in records:
            if isinstance(record, Article):
                if record.id in seen:
                    record = BadRecord(
                        record.source, f"article id {record.id!r} appears twice (first at {seen[record.id]})", record.id
                    )
                else:
                    seen[record.id] = record.source
            yield record


def read_inputs(inputs: list[str | Path]) -> list[Article]:
    """All articles of the INPUTs, stopping at the first bad record with its ``InputError``."""
    articles = []
    for record in iter_records(inputs):
        if isinstance(record, BadRecord):
            raise InputError(str(record))
        articles.append(record)
    if not articles:  # empty .jsonl files: an empty output would look like a result
        raise InputError(f"no articles in the input ({', '.join(map(str, inputs))[:200]} hold no records)")
    return articles


def _text_file(path: Path) -> Article | BadRecord:
    article_id = normalize(path.stem)
    try:
        return Article(article_id, read_article(path), str(path))
    except InputError as error:
        return BadRecord(str(path), str(error).removeprefix(f"{path}: "), article_id)


def _jsonl_records(path: Path) -> Iterator[Article | BadRecord]:
    try:
        stream = path.open("rb")
    except OSError as error:
        yield BadRecord(str(path), f"cannot read ({error.strerror or type(error).__name__})")
        return
    with stream:
        yield from jsonl_records(stream, str(path))


def jsonl_records(lines: Iterable[bytes], name: str) -> Iterator[Article | BadRecord]:
    """The records of JSON Lines given as binary lines (a file opened ``rb``), ``name`` naming the source."""
    for number, raw in enumerate(lines, start=1):  # binary lines end at b"\n" only
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        where = f"{name}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield BadRecord(where, f"not UTF-8 (byte {error.start})")
            continue
        if line.strip():
            yield _record(line, where)


def records_of_file(name: str, data: bytes) -> list[Article | BadRecord]:
    """The records of one input file given as bytes (how a cluster engine reads it)."""
    if name.lower().endswith(".jsonl"):
        return list(jsonl_records(io.BytesIO(data), name))
    article_id = normalize(Path(name).stem)
    try:
        return [Article(article_id, decode_article(data, name), name)]
    except InputError as error:
        return [BadRecord(name, str(error).removeprefix(f"{name}: "), article_id)]


def _record(line: str, where: str) -> Article | BadRecord:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return BadRecord(where, f"not valid JSON ({error.msg} at column {error.colno})")
    except RecursionError:
        return BadRecord(where, "JSON nested too deeply")
    except ValueError as error:  # an integer of thousands of digits
        return BadRecord(where, f"not valid JSON ({str(error).split(';')[0]})")
    return record_from_object(record, where)


def record_from_object(record: object, where: str) -> Article | BadRecord:
    """An article from a decoded record (a JSON object, a Parquet row) after checking its fields."""
    if not isinstance(record, dict):
        return BadRecord(where, f'expected an object with "id" and "text", got {type(record).__name__}')
    raw_id = record.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        return BadRecord(where, f'"id" must be a non-empty string or an integer, got {raw_id!r:.40}')
    if len(str(raw_id)) > MAX_ID_CHARS:
        return BadRecord(where, f'"id" is longer than {MAX_ID_CHARS} characters ({str(raw_id)[:40]}...)')
    article_id = normalize(str(raw_id).strip())
    if text_problem(article_id):
        return BadRecord(where, f'"id" is not valid text ({text_problem(article_id)})')
    text = record.get("text")
    if not isinstance(text, str):
        return BadRecord(where, f'"text" must be a string, got {type(text).__name__}', article_id)
    problem = text_problem(text)
    if problem:
        return BadRecord(where, f"article {article_id!r}: {problem}", article_id)
    date = record.get("date")
    if isinstance(date, datetime.date):  # a Parquet date column
        date = date.isoformat()
    if date is not None:
        date = parse_date(date)
        if date is None:
            return BadRecord(where, f'"date" must be a date YYYY-MM-DD, got {record["date"]!r:.40}', article_id)
    return Article(article_id, normalize(text), where, date)


def parse_date(value: object) -> datetime.date | None:
    """A ``YYYY-MM-DD`` date (an ISO timestamp is cut to its date), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
