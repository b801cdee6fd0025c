"""Consistency of the gold corpus: the same string annotated the same way everywhere.

``report(examples) -> (text, problems)`` looks for three kinds of case:

- ``label``: one surface string (exact, case-sensitive span text) carries
  different labels in different places.
- ``missed``: a string annotated somewhere occurs elsewhere, token-aligned and
  overlapping no span, without annotation. To keep false alarms rare the
  occurrence must also sit in a context where the string is annotated:
  names, organisations, places, drugs and times match by their exact tokens;
  a title must stand next to a person's name (``[Đại tá] [Lê Văn A]``); a count
  or amount matches by its template (the numeral replaced by ``<N>``:
  ``<N> lượt cán bộ , chiến sĩ``) and the word before it and the word after it
  must each be seen next to an annotated span of that template and label.
- ``boundary``: a span is followed (or preceded) by unannotated words such that
  the longer string is annotated with the same label elsewhere
  (``[05 buổi tuyên truyền] lưu động`` here, ``[12 buổi tuyên truyền lưu động]``
  there) — the span edge is drawn differently in two places.

Every case is either fixed in the data or listed in ``consistency.yaml`` with
the reason, a decision of ``DECISIONS.md`` (``D41``); listed cases are reported
as resolved, the others are the ``problems`` returned.
``python -m annotations.corpus consistency`` prints the report and exits 1 while
problems remain.

(Over 300 lines on purpose: the three finders share one index of the corpus and
one allow-list, and read best side by side.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from annotations.data import ANNOTATIONS
from annotations.labelstudio import Example
from annotations.schema import QUALIFIERS, QUANTITY_LABELS, labels_of
from annotations.text import Token, tokenize

ALLOW_FILE = ANNOTATIONS / "consistency.yaml"
DECISIONS_FILE = ANNOTATIONS / "DECISIONS.md"

KINDS = ("label", "missed", "boundary")

# Labels whose spans are numeral + unit (+ counted noun): compared by template.
COUNT_LABELS = frozenset(QUANTITY_LABELS)
# Labels compared by their exact tokens wherever they occur.
NAME_LABELS = frozenset(
    labels_of("person") + labels_of("organization") + labels_of("place") + labels_of("drug") + labels_of("time")
)

APPROX = frozenset(word for qualifier in QUALIFIERS for word in (qualifier, qualifier.capitalize()))
NUMBER_WORDS = frozenset("một hai ba bốn tư năm sáu bảy tám chín mười mươi mốt lăm trăm nghìn ngàn triệu tỷ tỉ linh lẻ".split())
NUMERAL = "<N>"

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_DECISION = re.compile(r"\bD(\d+)\b")


def _is_number(token: str) -> bool:
    return bool(_DIGITS.fullmatch(token)) or token.lower() in NUMBER_WORDS


def template(tokens: list[str]) -> tuple[str, ...] | None:
    """``trên 1.344 lượt cán bộ`` -> ``('<N>', 'lượt', 'cán', 'bộ')``; None without a leading numeral."""
    i = 0
    while i < len(tokens) and tokens[i] in APPROX:
        i += 1
    j = i
    while j < len(tokens) and _is_number(tokens[j]):
        j += 1
    if j == i or j == len(tokens):
        return None
    return (NUMERAL, *tokens[j:])


@dataclass
class Occurrence:
    kind: str
    string: str  # surface string; for ``boundary`` the span in brackets plus the words outside
    labels: tuple[str, ...]
    article_id: str
    sentence_index: int
    context: str

    @property
    def where(self) -> str:
        return f"{self.article_id}:{self.sentence_index}"


@dataclass
class Case:
    """Occurrences of one kind, string and label set."""

    kind: str
    string: str
    labels: tuple[str, ...]
    occurrences: list[Occurrence] = field(default_factory=list)
    reason: str = ""

    def __str__(self) -> str:
        where = ", ".join(sorted({o.where for o in self.occurrences}))
        return f"{self.kind}: {self.string!r} {'/'.join(self.labels)} at {where}"


@dataclass
class AllowEntry:
    kind: str
    labels: frozenset[str]
    reason: str
    string: str | None = None
    pattern: re.Pattern | None = None
    articles: frozenset[str] | None = None
    used: int = 0

    def matches(self, occurrence: Occurrence) -> bool:
        if occurrence.kind != self.kind or not set(occurrence.labels) <= self.labels:
            return False
        if self.articles is not None and occurrence.article_id not in self.articles:
            return False
        if self.string is not None:
            return occurrence.string == self.string
        return bool(self.pattern and self.pattern.fullmatch(occurrence.string))


def _numeral_regex() -> str:
    words = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    return rf"(?:(?:{'|'.join(sorted(APPROX))}) )?(?:\d+(?:[.,]\d+)*|(?:{words}))(?:[ ]?(?:\d+(?:[.,]\d+)*|{words}))*"


def load_allow_list(path: Path = ALLOW_FILE) -> tuple[list[AllowEntry], list[str]]:
    """Entries of ``consistency.yaml`` and the problems found in the file itself."""
    if not path.exists():
        return [], []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = set()
    if DECISIONS_FILE.exists():
        known = {int(n) for n in re.findall(r"^(\d+)\. ", DECISIONS_FILE.read_text(encoding="utf-8"), re.M)}
    entries, problems = [], []
    section_kind = {"conflicts": "label", "missed": "missed", "boundaries": "boundary"}
    for section, kind in section_kind.items():
        for number, item in enumerate(data.get(section) or [], 1):
            where = f"{path.name}: {section} #{number}"
            if not isinstance(item, dict):
                problems.append(f"{where}: not a mapping")
                continue
            labels = item.get("labels") or ([item["label"]] if item.get("label") else [])
            reason = str(item.get("reason") or "")
            cited = [int(n) for n in _DECISION.findall(reason)]
            if not labels:
                problems.append(f"{where}: no labels")
            if not cited:
                problems.append(f"{where}: reason {reason!r} cites no decision (write e.g. 'D41: ...')")
            elif known and not set(cited) <= known:
                problems.append(f"{where}: reason cites unknown decision(s) {sorted(set(cited) - known)}")
            if ("string" in item) == ("pattern" in item):
                problems.append(f"{where}: give exactly one of 'string' and 'pattern'")
                continue
            pattern = None
            if "pattern" in item:
                pattern = re.compile(str(item["pattern"]).replace(NUMERAL, _numeral_regex()))
            articles = item.get("articles")
            entries.append(
                AllowEntry(
                    kind=kind,
                    labels=frozenset(labels),
                    reason=reason,
                    string=str(item["string"]) if "string" in item else None,
                    pattern=pattern,
                    articles=frozenset(map(str, articles)) if articles else None,
                )
            )
    return entries, problems


class _Index:
    """Tokenised sentences with their spans, and what is annotated where."""

    def __init__(self, examples: list[Example]):
        self.examples = examples
        self.tokens = [tokenize(e.text) for e in examples]
        # label -> exact token tuples annotated with it
        self.exact: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        # (template, label) -> words seen before / after annotated spans
        self.before: dict[tuple, set[str]] = defaultdict(set)
        self.after: dict[tuple, set[str]] = defaultdict(set)
        self.templates: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        self.span_tokens: list[list[tuple[int, int, str]]] = []  # per example: (first token, last token + 1, label)
        for example, tokens in zip(examples, self.tokens):
            placed = []
            for span in example.spans:
                first = next((i for i, t in enumerate(tokens) if t.start >= span.start), len(tokens))
                last = first
                while last < len(tokens) and tokens[last].end <= span.end:
                    last += 1
                placed.append((first, last, span.label))
                words = tuple(t.text for t in tokens[first:last])
                self.exact[span.label].add(words)
                if span.label in COUNT_LABELS:
                    shape = template(list(words))
                    if shape:
                        self.templates[span.label].add(shape)
                        self.before[(shape, span.label)].add(self.word_before(tokens, first))
                        self.after[(shape, span.label)].add(self.word_after(tokens, last))
            self.span_tokens.append(placed)

    @staticmethod
    def word_before(tokens: list[Token], first: int) -> str:
        i = first - 1
        while i >= 0 and tokens[i].text in APPROX:
            i -= 1
        return tokens[i].text.lower() if i >= 0 else "^"

    @staticmethod
    def word_after(tokens: list[Token], last: int) -> str:
        return tokens[last].text.lower() if last < len(tokens) else "$"

    def free(self, index: int, first: int, last: int) -> bool:
        """Tokens ``first:last`` of example ``index`` overlap no span."""
        return all(last <= a or first >= b for a, b, _ in self.span_tokens[index])


def _context(example: Example, start: int, end: int, width: int = 45) -> str:
    text = example.text
    return f"…{text[max(0, start - width) : start]}⟦{text[start:end]}⟧{text[end : end + width]}…"


def _label_conflicts(index: _Index) -> list[Occurrence]:
    labels: dict[str, set[str]] = defaultdict(set)
    places: dict[str, list[tuple[Example, int, int, str]]] = defaultdict(list)
    for example in index.examples:
        for span in example.spans:
            string = example.text[span.start : span.end]
            labels[string].add(span.label)
            places[string].append((example, span.start, span.end, span.label))
    found = []
    for string, kinds in labels.items():
        if len(kinds) > 1:
            for example, start, end, label in places[string]:
                found.append(
                    Occurrence(
                        "label",
                        string,
                        tuple(sorted(kinds)),
                        example.article_id,
                        example.sentence_index,
                        f"{label}: {_context(example, start, end)}",
                    )
                )
    return found


def _missed(index: _Index) -> list[Occurrence]:
    exact_by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
    for label in NAME_LABELS | {"OFFICIAL_TITLE"}:
        for words in index.exact[label]:
            exact_by_first[words[0]].append((words, label))
    found = []
    for n, (example, tokens) in enumerate(zip(index.examples, index.tokens)):
        texts = [t.text for t in tokens]
        candidates = []  # (first, last, label)
        for i, word in enumerate(texts):
            for words, label in exact_by_first.get(word, ()):
                last = i + len(words)
                if tuple(texts[i:last]) != words or not index.free(n, i, last):
                    continue
                if label == "OFFICIAL_TITLE" and not _next_to_name(index, n, i, last):
                    continue
                candidates.append((i, last, label))
            # counts: a numeral starts here
            if _is_number(word) and (i == 0 or not _is_number(texts[i - 1])):
                first = i - 1 if i > 0 and texts[i - 1] in APPROX else i
                j = i
                while j < len(texts) and _is_number(texts[j]):
                    j += 1
                for label in COUNT_LABELS:
                    for shape in index.templates[label]:
                        last = j + len(shape) - 1
                        if tuple(texts[j:last]) != shape[1:] or not index.free(n, first, last):
                            continue
                        if (
                            index.word_before(tokens, first) in index.before[(shape, label)]
                            and index.word_after(tokens, last) in index.after[(shape, label)]
                        ):
                            candidates.append((first, last, label))
        # keep the longest candidate where several overlap
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        taken: list[tuple[int, int, str]] = []
        for first, last, label in candidates:
            if any(not (last <= a or first >= b) for a, b, _ in taken if (a, b) != (first, last)):
                continue
            taken.append((first, last, label))
        by_place: dict[tuple[int, int], set[str]] = defaultdict(set)
        for first, last, label in taken:
            by_place[(first, last)].add(label)
        for (first, last), labels in by_place.items():
            start, end = tokens[first].start, tokens[last - 1].end
            found.append(
                Occurrence(
                    "missed",
                    example.text[start:end],
                    tuple(sorted(labels)),
                    example.article_id,
                    example.sentence_index,
                    _context(example, start, end),
                )
            )
    return found


def _next_to_name(index: _Index, n: int, first: int, last: int) -> bool:
    """A title candidate directly before a name span, or after ``name,`` / ``name -``."""
    tokens = index.tokens[n]
    for a, b, label in index.span_tokens[n]:
        if label != "OFFICIAL_NAME":
            continue
        if a == last:
            return True
        if b + 1 == first and tokens[b].text in {",", "-", "–"}:
            return True
    return False


def _boundaries(index: _Index, widest: int = 3) -> list[Occurrence]:
    found = []
    for n, (example, tokens) in enumerate(zip(index.examples, index.tokens)):
        texts = [t.text for t in tokens]
        for a, b, label in index.span_tokens[n]:
            words = texts[a:b]
            shape = template(words) if label in COUNT_LABELS else tuple(words)
            known = index.templates[label] if label in COUNT_LABELS else index.exact[label]
            if not shape:
                continue
            for k in range(1, widest + 1):
                # words after the span
                if b + k <= len(texts) and index.free(n, b, b + k):
                    longer = shape + tuple(texts[b : b + k])
                    if longer in known:
                        found.append(_boundary(example, tokens, a, b, b + k, label))
                # words before the span (not for counts: their template starts with the numeral)
                if label not in COUNT_LABELS and a - k >= 0 and index.free(n, a - k, a):
                    longer = tuple(texts[a - k : a]) + shape
                    if longer in known:
                        found.append(_boundary(example, tokens, a - k, a, b, label, before=True))
    return found


def _boundary(example: Example, tokens: list[Token], a: int, b: int, c: int, label: str, before: bool = False) -> Occurrence:
    text = example.text
    if before:  # tokens a:b are outside, b:c is the span
        outside, inside = text[tokens[a].start : tokens[b - 1].end], text[tokens[b].start : tokens[c - 1].end]
        gap = text[tokens[b - 1].end : tokens[b].start]
        string = f"{outside}{gap}[{inside}]"
        start, end = tokens[a].start, tokens[c - 1].end
    else:  # tokens a:b are the span, b:c outside
        inside, outside = text[tokens[a].start : tokens[b - 1].end], text[tokens[b].start : tokens[c - 1].end]
        gap = text[tokens[b - 1].end : tokens[b].start]
        string = f"[{inside}]{gap}{outside}"
        start, end = tokens[a].start, tokens[c - 1].end
    return Occurrence("boundary", string, (label,), example.article_id, example.sentence_index, _context(example, start, end))


def find_cases(examples: list[Example]) -> list[Occurrence]:
    index = _Index(examples)
    return _label_conflicts(index) + _missed(index) + _boundaries(index)


def _group(occurrences: list[Occurrence]) -> list[Case]:
    cases: dict[tuple, Case] = {}
    for occurrence in occurrences:
        key = (occurrence.kind, occurrence.string, occurrence.labels)
        cases.setdefault(key, Case(*key)).occurrences.append(occurrence)
    return sorted(cases.values(), key=lambda c: (KINDS.index(c.kind), c.string.lower(), c.labels))


def report(examples: list[Example], allow_path: Path = ALLOW_FILE) -> tuple[str, list[Case]]:
    """A printable report and the unresolved cases (empty when the corpus is consistent)."""
    entries, file_problems = load_allow_list(allow_path)
    unresolved: list[Occurrence] = []
    resolved: dict[str, list[Occurrence]] = defaultdict(list)  # reason -> occurrences
    for occurrence in find_cases(examples):
        entry = next((e for e in entries if e.matches(occurrence)), None)
        if entry is None:
            unresolved.append(occurrence)
        else:
            entry.used += 1
            resolved[entry.reason].append(occurrence)
    problems = _group(unresolved)
    allowed = []
    for reason, occurrences in resolved.items():
        for case in _group(occurrences):
            case.reason = reason
            allowed.append(case)
    allowed.sort(key=lambda c: (KINDS.index(c.kind), c.string.lower(), c.labels, c.reason))
    lines = [
        f"Consistency of {len(examples)} sentences: {len(problems)} unresolved case(s), "
        f"{len(allowed)} allow-listed in {allow_path.name}."
    ]
    if problems:
        lines.append("\nUnresolved (fix the markup, or list the case in consistency.yaml with its decision):")
        for case in problems:
            lines.append(f"  {case}")
            for occurrence in case.occurrences[:6]:
                lines.append(f"      {occurrence.where}  {occurrence.context}")
            if len(case.occurrences) > 6:
                lines.append(f"      ... and {len(case.occurrences) - 6} more")
    if allowed:
        lines.append("\nAllow-listed:")
        for case in allowed:
            lines.append(f"  {case.kind}: {case.string!r} {'/'.join(case.labels)} ({len(case.occurrences)}x) — {case.reason}")
    unused = [e for e in entries if not e.used]
    if unused:
        lines.append("\nAllow-list entries that match nothing any more (remove them):")
        for entry in unused:
            lines.append(f"  {entry.kind}: {entry.string or entry.pattern.pattern!r} — {entry.reason}")
        # A stale entry would silently allow a future real inconsistency of the same string.
        problems = problems + [Case("stale allow-list entry", entry.string or entry.pattern.pattern, ()) for entry in unused]
    if file_problems:
        lines.append("\nProblems in the allow-list itself:")
        lines += [f"  {p}" for p in file_problems]
        problems = problems + [Case("allow-list", p, ()) for p in file_problems]
    return "\n".join(lines), problems
