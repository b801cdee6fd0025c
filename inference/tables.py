"""``bienphong tables``: an events file as two tables for Parquet, DuckDB or pandas.

    bienphong tables --events events.jsonl --output-dir DIR [--format parquet|csv]

- ``events.parquet``: one row per event, the columns of ``Event.to_row`` (time, organization,
  locations and slots as JSON text) after an ``event_id`` (``article_id:sentence_index:n``, n
  counting the events of that sentence from 0 in file order).
- ``facts.parquet``: one row per slot value and per location, flat: the number, unit, grams and
  dong, the event's time (``time_start``/``time_end``: the days of ``time.iso``, ``period``), its
  organisation, the place codes of a location, and ``province``: a location's own province, else
  the event's (its first located place, else a place named in its organisation).

Reading the events file is shared with ``bienphong report`` (``read_events``), as are the derived
``province``, ``time_range`` and ``period`` of an event, so the report and the tables agree.
Only the fields ``bienphong extract`` always writes are required; the newer ones (``time.iso``,
``locations[i].place``, ``organization.places``) are read when present.

Over 300 lines on purpose: reading an events file with a check per field, and the two fixed table
schemas, one column per line.
"""

from __future__ import annotations

import calendar
import datetime
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotations.errors import BienphongError

# The columns of ``Event.to_row`` (inference/events.py) in order, and those holding JSON text. Not imported:
# inference.events pulls in torch (seconds); tests/test_tables.py checks that they agree.
EVENT_FIELDS = (
    "article_id",
    "sentence_index",
    "event_type",
    "start",
    "end",
    "evidence",
    "time",
    "organization",
    "locations",
    "slots",
    "confidence",
    "model_version",
)
TABLE_JSON_COLUMNS = ("time", "organization", "locations", "slots")
REQUIRED = ("article_id", "sentence_index", "event_type", "start", "end", "slots")
UNKNOWN = "unknown"
BATCH_ROWS = 8192  # rows per written batch: memory stays flat on a large events file

FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id", "string"),
    ("event_type", "string"),
    ("label", "string"),
    ("text", "string"),
    ("value", "float64"),
    ("unit", "string"),
    ("qualifier", "string"),
    ("noun", "string"),
    ("grams", "float64"),
    ("currency", "string"),
    ("dong", "float64"),
    ("time_text", "string"),
    ("time_start", "date"),
    ("time_end", "date"),
    ("period", "string"),
    ("organization", "string"),
    ("place_code", "string"),
    ("place_current_code", "string"),
    ("province", "string"),
    ("score", "float64"),
    ("confidence", "float64"),
    ("article_id", "string"),
    ("sentence_index", "int64"),
    ("start", "int64"),
    ("end", "int64"),
)
_EVENT_TYPES = {
    "sentence_index": "int64",
    "start": "int64",
    "end": "int64",
    "confidence": "float64",
}


# ---------------------------------------------------------------- reading and checking events


def read_events(path: str | Path) -> Iterator[tuple[str, dict]]:
    """``(event_id, event)`` for each line of an events file; a bad line is a ``BienphongError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise BienphongError(f"{path}: no such events file" if not path.exists() else f"{path}: not a plain file")
    seen: dict[tuple[str, int], int] = {}
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            where = f"{path}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BienphongError(f"{where}: not UTF-8 (byte {error.start})") from None
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as error:
                detail = (
                    f"{error.msg} at column {error.colno}" if isinstance(error, json.JSONDecodeError) else "nested too deeply"
                )
                raise BienphongError(
                    f"{where}: not a JSON event ({detail}); expected the JSON Lines of bienphong extract"
                ) from None
            # A lone surrogate ("\ud800") decodes to a str that cannot be written as UTF-8 (HTML, Parquet).
            if _SURROGATE_ESCAPE.search(line) and _has_surrogate(event):
                raise BienphongError(f"{where}: text with a lone surrogate (a \\ud800-\\udfff escape) is not valid text")
            _check_event(event, where)
            key = (event["article_id"], event["sentence_index"])
            n = seen.get(key, 0)
            seen[key] = n + 1
            yield f"{event['article_id']}:{event['sentence_index']}:{n}", event


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_surrogate(key) or _has_surrogate(item) for key, item in value.items())
    return isinstance(value, list) and any(map(_has_surrogate, value))


def _check_event(event: Any, where: str) -> None:
    if not isinstance(event, dict):
        raise BienphongError(f"{where}: expected a JSON object (an event), got {type(event).__name__}")
    missing = [key for key in REQUIRED if key not in event]
    if missing:
        raise BienphongError(f"{where}: event misses the key(s) {', '.join(missing)}")
    for key, kind in (("article_id", str), ("event_type", str), ("sentence_index", int), ("start", int), ("end", int)):
        _expect(event[key], kind, f"{where}: {key!r}")
    _expect(event["slots"], dict, f"{where}: 'slots'")
    for label, values in event["slots"].items():
        _expect(values, list, f"{where}: slots[{label!r}]")
        for i, value in enumerate(values):
            _check_slot(value, f"{where}: slots[{label!r}][{i}]")
    for key in ("time", "organization"):
        if event.get(key) is not None:
            _check_slot(event[key], f"{where}: {key!r}")
    _expect(event.get("locations") or [], list, f"{where}: 'locations'")
    for i, value in enumerate(event.get("locations") or []):
        _check_slot(value, f"{where}: locations[{i}]")
    if event.get("confidence") is not None:
        _expect(event["confidence"], float, f"{where}: 'confidence'")
    for key in ("evidence", "model_version"):
        if event.get(key) is not None:
            _expect(event[key], str, f"{where}: {key!r}")


def _check_slot(slot: Any, where: str) -> None:
    _expect(slot, dict, where)
    missing = [key for key in ("text", "start", "end") if key not in slot]
    if missing:
        raise BienphongError(f"{where} misses the key(s) {', '.join(missing)}")
    _expect(slot["text"], str, f"{where}.text")
    _expect(slot["start"], int, f"{where}.start")
    _expect(slot["end"], int, f"{where}.end")
    for key in ("value", "grams", "dong", "score"):
        if slot.get(key) is not None:
            _expect(slot[key], float, f"{where}.{key}")
    for key in ("label", "unit", "qualifier", "noun", "currency", "iso"):
        if slot.get(key) is not None:
            _expect(slot[key], str, f"{where}.{key}")
    places = [(f"{where}.place", slot["place"])] if slot.get("place") is not None else []
    if slot.get("places") is not None:
        _expect(slot["places"], list, f"{where}.places")
        places += [(f"{where}.places[{i}]", place) for i, place in enumerate(slot["places"])]
    for at, place in places:
        _expect(place, dict, at)
        for key in ("code", "current_code", "name", "current_name", "level", "province"):
            if place.get(key) is not None:
                _expect(place[key], str, f"{at}.{key}")


def _expect(value: Any, kind: type, where: str) -> None:
    # bool is an int in Python, never a valid count or offset here; float accepts ints too. Integers must
    # fit the tables' int64 columns, numbers their float64 ones.
    ok = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
    if ok and kind is int:
        ok = -(2**63) <= value < 2**63
    elif ok and kind is float and isinstance(value, int):
        ok = abs(value) < 2**1023
    if not ok or (kind in (int, float) and isinstance(value, bool)):
        name = {str: "a string", int: "an integer", float: "a number", dict: "an object", list: "a list"}[kind]
        raise BienphongError(f"{where} must be {name}, got {json.dumps(value, ensure_ascii=False)[:40]}")


# ---------------------------------------------------------------- derived fields


def time_range(event: dict) -> tuple[datetime.date | None, datetime.date | None]:
    """First and last day of the event's ``time.iso`` (``2024-01-01/2024-06-30``; a single day is both).

    A partial side (``2024``, ``2024-06``) stands for its first day at the start, its last day at the end;
    anything else (no ``iso``: an unresolved time) is ``(None, None)``."""
    iso = (event.get("time") or {}).get("iso")
    if not isinstance(iso, str) or not iso.strip():
        return None, None
    first, _, last = iso.strip().partition("/")
    start, end = _day(first, last=False), _day(last or first, last=True)
    return (start, end) if start and end and start <= end else (None, None)


_ISO_DAY = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _day(text: str, last: bool) -> datetime.date | None:
    match = _ISO_DAY.fullmatch(text.strip()[:10])
    if not match:
        return None
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day:
            return datetime.date(year, int(month), int(day))
        if month:
            return datetime.date(year, int(month), calendar.monthrange(year, int(month))[1] if last else 1)
        return datetime.date(year, 12, 31) if last else datetime.date(year, 1, 1)
    except ValueError:
        return None


def period(event: dict) -> str:
    """``2024-Q1`` when the event's time lies within one quarter, ``2024`` within one year, else ``unknown``."""
    start, end = time_range(event)
    if start is None or end is None or start.year != end.year:
        return UNKNOWN
    quarter = (start.month - 1) // 3 + 1
    return f"{start.year}-Q{quarter}" if quarter == (end.month - 1) // 3 + 1 else str(start.year)


def place_province(place: Any) -> str | None:
    """The current province of a linked place (``locations[i].place``): a province itself, or a commune's."""
    if not isinstance(place, dict):
        return None
    if isinstance(place.get("province"), str):
        return place["province"]
    if place.get("level") == "province":
        return place.get("current_name") or place.get("name")
    if place.get("level") == "commune" and str(place.get("current_code") or "").isdigit():
        return _commune_province(int(place["current_code"]))
    return None


@lru_cache(maxsize=4096)
def _commune_province(code: int) -> str | None:
    from vietnam_provinces import Province, Ward

    try:
        return Province.from_code(Ward.from_code(code).province_code).name
    except (ValueError, KeyError, LookupError):
        return None


def province(event: dict) -> str | None:
    """The event's province: of its first linked location, else of a place named in its organisation."""
    places = [location.get("place") for location in event.get("locations") or []]
    places += list((event.get("organization") or {}).get("places") or [])
    return next((name for place in places if (name := place_province(place))), None)


# ---------------------------------------------------------------- rows


def event_row(event_id: str, event: dict) -> dict:
    """``Event.to_row`` of a read event, after its id; keys beyond the known ones are dropped."""
    row = {"event_id": event_id, **{name: event.get(name) for name in EVENT_FIELDS}}
    row["locations"] = row["locations"] or []
    row["confidence"] = _float(row["confidence"])
    for name in TABLE_JSON_COLUMNS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    return row


def _float(value: int | float | None) -> float | None:
    # A whole number too large for int64 is still a valid float64; pyarrow would refuse the int itself.
    return None if value is None else float(value)


def fact_rows(event_id: str, event: dict) -> Iterator[dict]:
    """One flat row per slot value and per location of an event."""
    time = event.get("time") or {}
    start, end = time_range(event)
    shared = {
        "event_id": event_id,
        "event_type": event["event_type"],
        "time_text": time.get("text"),
        "time_start": start,
        "time_end": end,
        "period": period(event),
        "organization": (event.get("organization") or {}).get("text"),
        "confidence": _float(event.get("confidence")),
        "article_id": event["article_id"],
        "sentence_index": event["sentence_index"],
    }
    event_province = province(event)
    slots = [(label, slot) for label, values in event["slots"].items() for slot in values]
    slots += [(slot.get("label") or "LOCATION", slot) for slot in event.get("locations") or []]
    for label, slot in slots:
        place = slot.get("place") if isinstance(slot.get("place"), dict) else {}
        yield {
            **shared,
            "label": label,
            **{key: slot.get(key) for key in ("text", "unit", "qualifier", "noun", "currency")},
            **{key: _float(slot.get(key)) for key in ("value", "grams", "dong")},
            "place_code": place.get("code"),
            "place_current_code": place.get("current_code"),
            "province": place_province(place) or event_province,
            "score": _float(slot.get("score")),
            "start": slot["start"],
            "end": slot["end"],
        }


# ---------------------------------------------------------------- writing


def _schemas():
    import pyarrow as pa

    types = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64(), "date": pa.date32()}
    events = pa.schema([("event_id", pa.string())] + [(name, types[_EVENT_TYPES.get(name, "string")]) for name in EVENT_FIELDS])
    facts = pa.schema([(name, types[kind]) for name, kind in FACT_COLUMNS])
    return events, facts


class _TableWriter:
    """Rows in batches to one Parquet or CSV file (already open)."""

    def __init__(self, path: Path, schema, file_format: str):
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        self.schema = schema
        self.rows: list[dict] = []
        self.count = 0
        if file_format == "parquet":
            self.writer = pq.ParquetWriter(str(path), schema, compression="zstd")
        else:
            self.writer = pcsv.CSVWriter(str(path), schema)

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []


@contextmanager
def _atomic_files(targets: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths beside ``targets``, renamed onto them only if the whole block succeeds."""
    temporaries = []
    try:
        for target in targets:
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(handle)
            temporaries.append(Path(name))
        yield temporaries
        umask = os.umask(0)  # the only way to read it is to set it
        os.umask(umask)
        for temporary, target in zip(temporaries, targets):
            os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes private files
            os.replace(temporary, target)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def write_tables(events_path: str | Path, output_dir: str | Path, file_format: str = "parquet") -> dict[str, int]:
    """Write ``events.<format>`` and ``facts.<format>`` in ``output_dir``; returns the row counts."""
    if file_format not in ("parquet", "csv"):
        raise BienphongError(f"unknown table format {file_format!r} (parquet or csv)")
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise BienphongError(f"--output-dir {output_dir} exists and is not a folder")
    targets = [output_dir / f"events.{file_format}", output_dir / f"facts.{file_format}"]
    source = Path(events_path)
    if any(source.exists() and target.exists() and source.resolve() == target.resolve() for target in targets):
        raise BienphongError(f"--events {source} is also an output; it would be overwritten")
    if not source.is_file():
        raise BienphongError(f"{source}: no such events file" if not source.exists() else f"{source}: not a plain file")
    created = not output_dir.exists()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BienphongError(f"--output-dir {output_dir}: cannot create it ({error.strerror or type(error).__name__})") from None
    event_schema, fact_schema = _schemas()
    try:
        with _atomic_files(targets) as (events_file, facts_file), ExitStack() as stack:
            events = _TableWriter(events_file, event_schema, file_format)
            stack.callback(events.writer.close)  # closed on error too; the temporary file is then removed
            facts = _TableWriter(facts_file, fact_schema, file_format)
            stack.callback(facts.writer.close)
            for event_id, event in read_events(source):
                events.add(event_row(event_id, event))
                for row in fact_rows(event_id, event):
                    facts.add(row)
            events.flush()
            facts.flush()
    except BaseException:
        if created and not any(output_dir.iterdir()):
            output_dir.rmdir()  # no partial output: not even the folder
        raise
    return {"events": events.count, "facts": facts.count}


# ---------------------------------------------------------------- command line


def _run(args) -> int:
    counts = write_tables(args.events, args.output_dir, args.format)
    print(
        f"{counts['events']} events and {counts['facts']} facts written to"
        f" {args.output_dir / ('events.' + args.format)} and {args.output_dir / ('facts.' + args.format)}"
    )
    return 0


def add_command(commands) -> None:
    """Register ``tables`` on ``commands`` (an ``add_subparsers()`` result)."""
    sub = commands.add_parser(
        "tables",
        help="write an events file as tables (events and facts, Parquet or CSV) for DuckDB or pandas",
        description="Write DIR/events.parquet (one row per event, nested parts as JSON text) and DIR/facts.parquet"
        " (one row per slot value: number, unit, time, organisation, place codes, province). Both are written"
        " atomically; a bad line of the events file stops with one line naming it.",
    )
    sub.add_argument("--events", required=True, type=Path, metavar="EVENTS.jsonl", help="written by bienphong extract")
    sub.add_argument(
        "--output-dir", required=True, type=Path, metavar="DIR", help="folder for the two tables (created if missing)"
    )
    sub.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="file format (default parquet)")
    sub.set_defaults(run=_run)
