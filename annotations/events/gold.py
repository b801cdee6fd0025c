"""Gold events: the hand-written review files (``*.txt``) -> ``*.jsonl``, reading and validating them.

The format is described in ``README.md`` next to this file. Build with::

    .venv/bin/python -m annotations.events.gold build      # test.txt, ood.txt -> test.jsonl, ood.jsonl
    .venv/bin/python -m annotations.events.gold check      # the .jsonl files are valid and up to date

Everything here reads the slot spans from the Label Studio files (``annotations.labelstudio``): a gold
event only says which of a sentence's gold spans belong together.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from annotations.errors import InputError
from annotations.labelstudio import Example, read_examples
from annotations.schema import LABEL_NAMES, QUANTITY_LABELS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# Which slot labels each event type may hold. ``other``: a quantity that reports none of the five
# activities (a price, an aid payment, a reward); the rules produce it only for money alone.
EVENT_SLOTS: dict[str, tuple[str, ...]] = {
    "patrol": ("PATROL_COUNT", "PERSONNEL_COUNT"),
    "outreach": ("PROPAGANDA_COUNT", "AUDIENCE_COUNT"),
    "drug_seizure": ("DRUG_TYPE", "DRUG_AMOUNT", "CASE_COUNT", "SUSPECT_COUNT", "SEIZED_ITEM", "MONEY"),
    "law_enforcement": ("CASE_COUNT", "SUSPECT_COUNT", "SEIZED_ITEM", "MONEY"),
    "official": ("OFFICIAL_NAME", "OFFICIAL_TITLE"),
    "other": QUANTITY_LABELS,
}
# The labels that are event slots: every span with one of them belongs to exactly one gold event.
SLOT_LABELS = frozenset(QUANTITY_LABELS) | {"DRUG_TYPE", "OFFICIAL_NAME", "OFFICIAL_TITLE"}
# Which gold sentences a file must hold: every sentence with one of these.
REQUIRED_LABELS = frozenset(QUANTITY_LABELS) | {"OFFICIAL_NAME"}

SETS = {
    "test": ("test.txt", "test.jsonl", "annotations/corpus"),
    "ood": ("ood.txt", "ood.jsonl", "annotations/ood/corpus"),
}


@dataclass(frozen=True)
class Ref:
    """A TIME or ORGANIZATION span: ``(sentence_index, start, end)``, offsets in that sentence."""

    sentence_index: int
    start: int
    end: int


def corpus_examples(corpus: str | Path) -> dict[tuple[str, int], Example]:
    paths = sorted((ROOT / corpus).glob("*.json")) if not Path(corpus).is_absolute() else sorted(Path(corpus).glob("*.json"))
    return {(e.article_id, e.sentence_index): e for e in read_examples(paths)}


# ---------------------------------------------------------------- the review file (.txt) -> records

_HEADER = re.compile(r"# (\S+) (\d+)( \.)?$")
_EVENT = re.compile(r"([a-z_]+)((?: \d+)*)\s*(?:\|(.*))?$")


def _ref(token: str, sentence: int, examples, article: str, label: str, where: str):
    if token == "-":
        return None
    k, _, i = token.rpartition(":")
    k = int(k) if k else sentence
    example = examples.get((article, k))
    if example is None or not i.isdigit() or int(i) >= len(example.spans):
        raise InputError(f"{where}: no span {token!r}")
    span = example.spans[int(i)]
    if span.label != label:
        raise InputError(f"{where}: span {token!r} is {span.label}, not {label}")
    if k == sentence:
        return [span.start, span.end]
    if k > sentence:
        raise InputError(f"{where}: {token!r} refers to a later sentence")
    return {"sentence_index": k, "start": span.start, "end": span.end, "text": example.text[span.start : span.end]}


def parse_review(path: Path, examples: dict[tuple[str, int], Example]) -> list[dict]:
    """The records of one review file (sentences marked `` .`` and those with no event line are left out)."""
    records: list[dict] = []
    current: dict | None = None
    example: Example | None = None
    values: dict[int, float] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{number}"
        if not line.strip() or line.startswith("  "):
            if line.startswith("  ~ "):
                values = {int(k): float(v) for k, v in (item.split("=") for item in line[4:].split())}
            continue
        header = _HEADER.match(line)
        if header:
            article, sentence, skip = header.group(1), int(header.group(2)), header.group(3)
            example = examples.get((article, sentence))
            if example is None:
                raise InputError(f"{where}: no gold sentence {article} {sentence}")
            values = {}
            current = None
            if not skip:
                current = {"article_id": article, "sentence_index": sentence, "text": example.text, "events": []}
                records.append(current)
            continue
        match = _EVENT.match(line)
        if not match or current is None or example is None:
            raise InputError(f"{where}: cannot read {line!r}")
        kind, ids, rest = match.group(1), [int(i) for i in match.group(2).split()], match.group(3) or ""
        if kind not in EVENT_SLOTS:
            raise InputError(f"{where}: unknown event type {kind!r}")
        attach = dict(item.split("=", 1) for item in rest.split())
        slots: dict[str, list[list[int]]] = {}
        event_values: dict[str, list[float | None]] = {}
        for i in ids:
            if i >= len(example.spans):
                raise InputError(f"{where}: no span {i}")
            span = example.spans[i]
            slots.setdefault(span.label, []).append([span.start, span.end])
            if span.label in QUANTITY_LABELS:
                value = values.get(i)
                event_values.setdefault(span.label, []).append(None if value is None else _number(value))
        event: dict = {"type": kind, "slots": slots}
        if event_values:
            event["values"] = event_values
        sentence = current["sentence_index"]
        article = current["article_id"]
        event["time"] = None if kind == "official" else _ref(attach.get("t", "-"), sentence, examples, article, "TIME", where)
        event["organization"] = _ref(attach.get("o", "-"), sentence, examples, article, "ORGANIZATION", where)
        current["events"].append(event)
    return [r for r in records if r["events"]]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# ---------------------------------------------------------------- reading and validating the .jsonl


def read_gold(path: str | Path) -> list[dict]:
    """The records of a gold event file, or ``InputError`` naming the line."""
    path = Path(path)
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or type(error).__name__})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: not JSON ({error.msg})") from None
        problems = record_problems(record)
        if problems:
            raise InputError(f"{path}:{number}: {problems[0]}")
        records.append(record)
    return records


def _pair(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value) and value[0] < value[1]


def record_problems(record, examples: dict[tuple[str, int], Example] | None = None) -> list[str]:
    """What is wrong with one record (empty when valid); with ``examples``, spans must be the corpus gold spans."""
    if not isinstance(record, dict) or not {"article_id", "sentence_index", "text", "events"} <= set(record):
        return ["needs article_id, sentence_index, text, events"]
    text = record["text"]
    problems = []
    gold = None
    if examples is not None:
        example = examples.get((record["article_id"], record["sentence_index"]))
        if example is None or example.text != text:
            return [f"{record['article_id']} {record['sentence_index']}: not a sentence of the corpus"]
        gold = {(s.start, s.end): s.label for s in example.spans}
    seen: list[tuple[int, int]] = []
    for event in record["events"]:
        kind = event.get("type")
        if kind not in EVENT_SLOTS:
            problems.append(f"unknown event type {kind!r}")
            continue
        for label, spans in event.get("slots", {}).items():
            if label not in LABEL_NAMES or label not in EVENT_SLOTS[kind]:
                problems.append(f"{kind} event cannot hold {label}")
            for span in spans:
                if not _pair(span) or span[1] > len(text):
                    problems.append(f"{label} {span}: offsets outside the text")
                elif gold is not None and gold.get(tuple(span)) != label:
                    problems.append(f"{label} {span} {text[span[0] : span[1]]!r}: not a gold span of the corpus")
                seen.append(tuple(span))
            values = event.get("values", {}).get(label)
            if values is not None and len(values) != len(spans):
                problems.append(f"{label}: {len(values)} values for {len(spans)} spans")
        for name in ("time", "organization"):
            ref = event.get(name)
            if ref is None:
                continue
            if isinstance(ref, list):
                if not _pair(ref) or ref[1] > len(text):
                    problems.append(f"{name} {ref}: offsets outside the text")
                elif gold is not None and gold.get(tuple(ref)) != name.upper():
                    problems.append(f"{name} {ref}: not a gold {name.upper()} span")
            elif not (isinstance(ref, dict) and {"sentence_index", "start", "end"} <= set(ref)):
                problems.append(f"{name}: expected [start, end], a reference or null")
            elif ref["sentence_index"] >= record["sentence_index"]:
                problems.append(f"{name}: an inherited reference must name an earlier sentence")
    if len(seen) != len(set(seen)):
        problems.append("a span is in two events")
    if gold is not None:
        missing = [k for k, label in gold.items() if label in SLOT_LABELS and k not in set(seen)]
        if missing:
            problems.append(f"slot spans in no event: {missing}")
    return problems


def check(name: str) -> list[str]:
    """Problems of one gold set (its ``.jsonl`` against the corpus and against its review file)."""
    review, target, corpus = SETS[name]
    examples = corpus_examples(corpus)
    records = read_gold(HERE / target)
    problems = [f"{target}: {r['article_id']} {r['sentence_index']}: {p}" for r in records for p in record_problems(r, examples)]
    if records != parse_review(HERE / review, examples):
        problems.append(f"{target} is not up to date with {review}: run `python -m annotations.events.gold build`")
    return problems


def build() -> None:
    from annotations.io import atomic_open

    for name, (review, target, corpus) in SETS.items():
        examples = corpus_examples(corpus)
        records = parse_review(HERE / review, examples)
        problems = [f"{r['article_id']} {r['sentence_index']}: {p}" for r in records for p in record_problems(r, examples)]
        if problems:
            raise InputError(f"{review}: " + "\n".join(problems[:40]))
        with atomic_open(HERE / target) as stream:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        events = sum(len(r["events"]) for r in records)
        print(f"wrote {target}: {len(records)} sentences, {events} events")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "build":
        build()
    else:
        all_problems = [p for name in SETS for p in check(name)]
        print("\n".join(all_problems) or "gold events OK")
        sys.exit(1 if all_problems else 0)
