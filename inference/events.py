"""Structured events from the spans of an article's sentences.

A sentence is cut into clauses at ``;``. Each clause yields at most one event
per type from the slots inside it:

- ``patrol``: PATROL_COUNT, PERSONNEL_COUNT
- ``outreach``: PROPAGANDA_COUNT, AUDIENCE_COUNT
- ``drug_seizure``: DRUG_TYPE, DRUG_AMOUNT, plus the clause's CASE_COUNT,
  SUSPECT_COUNT, SEIZED_ITEM and MONEY when the clause is about drugs
- ``law_enforcement``: CASE_COUNT, SUSPECT_COUNT, SEIZED_ITEM, MONEY otherwise
- ``official``: one per OFFICIAL_NAME, with the titles written next to it

Time and organisation come from the clause, else the sentence, else the last
one mentioned earlier in the article (then ``"inherited": true``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace

from annotations.schema import SLOT_TYPES, labels_of
from annotations.spans import Span
from inference.numbers import normalise
from inference.tagger import TaggedSentence

COUNT_EVENTS = {
    "patrol": ("PATROL_COUNT", "PERSONNEL_COUNT"),
    "outreach": ("PROPAGANDA_COUNT", "AUDIENCE_COUNT"),
}
ENFORCEMENT_SLOTS = ("CASE_COUNT", "SUSPECT_COUNT", "SEIZED_ITEM", "MONEY")
DRUG_SLOTS = ("DRUG_TYPE", "DRUG_AMOUNT")
_DRUG_WORDS = re.compile(r"ma\s*t[uú]y|ma\s*tuý", re.IGNORECASE)
# What may stand between the parts of one person's description: "Đại tá X - Chính ủy, ..."
_CHAIN_GAP = re.compile(r"[\s,\-–—:]*|\s*\(\s*|\s*\)\s*")


_QUANTITY_FIELDS = ("value", "unit")  # always written for quantities, null when not found
_OPTIONAL_FIELDS = ("qualifier", "noun", "grams", "currency", "dong")
PEOPLE_LABELS = labels_of("person") + labels_of("title") + labels_of("organization")


@dataclass(frozen=True)
class Slot:
    """One value of an event: the span, its article offsets and score, and for quantities the number.

    ``inherited`` is set only on an event's time and organisation: true when it was taken
    from an earlier sentence of the article."""

    label: str
    text: str
    start: int
    end: int
    score: float | None
    value: int | float | None = None
    unit: str | None = None
    qualifier: str | None = None
    noun: str | None = None
    grams: int | float | None = None
    currency: str | None = None
    dong: int | float | None = None
    inherited: bool | None = None

    def to_dict(self) -> dict:
        out: dict = {"text": self.text}
        if SLOT_TYPES[self.label].kind == "quantity":
            out.update({name: getattr(self, name) for name in _QUANTITY_FIELDS})
        out.update({name: getattr(self, name) for name in _OPTIONAL_FIELDS if getattr(self, name) is not None})
        out.update({"label": self.label, "start": self.start, "end": self.end, "score": self.score})
        if self.inherited is not None:
            out["inherited"] = self.inherited
        return out


@dataclass(frozen=True)
class Event:
    """One event: its type, the evidence clause (article offsets) and its slots by label."""

    article_id: str
    sentence_index: int
    event_type: str
    start: int
    end: int
    evidence: str
    time: Slot | None
    organization: Slot | None
    locations: list[Slot] = field(default_factory=list)
    slots: dict[str, list[Slot]] = field(default_factory=dict)
    confidence: float | None = None
    model_version: str | None = None

    def to_dict(self) -> dict:
        """The JSON object of one line of ``events.jsonl``."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["time"] = self.time.to_dict() if self.time else None
        out["organization"] = self.organization.to_dict() if self.organization else None
        out["locations"] = [slot.to_dict() for slot in self.locations]
        out["slots"] = {label: [slot.to_dict() for slot in values] for label, values in self.slots.items()}
        return out

    def to_row(self) -> dict:
        """A flat row for tables (Parquet, DuckDB, pandas): scalars as columns, the nested parts as JSON text."""
        out = self.to_dict()
        for name in TABLE_JSON_COLUMNS:
            out[name] = json.dumps(out[name], ensure_ascii=False)
        return out


# The columns of ``Event.to_row`` that hold JSON text (``json.loads`` gives ``to_dict``'s value back).
TABLE_JSON_COLUMNS = ("time", "organization", "locations", "slots")


def _slot(span: Span, sentence: TaggedSentence) -> Slot:
    text = sentence.text[span.start : span.end]
    values = {k: v for k, v in normalise(span.label, text).items() if k != "text"}
    return Slot(
        label=span.label,
        text=text,
        start=sentence.start + span.start,
        end=sentence.start + span.end,
        score=None if span.score is None else round(span.score, 4),
        **values,
    )


def _context(spans: list[Span], label: str, sentence: TaggedSentence, earlier: Slot | None) -> Slot | None:
    for span in spans:
        if span.label == label:
            return replace(_slot(span, sentence), inherited=False)
    return replace(earlier, inherited=True) if earlier else None


def _clauses(sentence: TaggedSentence) -> list[tuple[int, int]]:
    edges = [0, *(m.end() for m in re.finditer(";", sentence.text)), len(sentence.text)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if sentence.text[a:b].strip()]


def _confidence(slots: dict[str, list[Slot]]) -> float | None:
    scores = [s.score for values in slots.values() for s in values if s.score is not None]
    return round(min(scores), 4) if scores else None


def _people(sentence: TaggedSentence) -> list[tuple[Span, list[Span], Span | None]]:
    """(name, titles, organisation) for each named person, from chains of adjacent spans."""
    spans = [s for s in sentence.spans if s.label in PEOPLE_LABELS]
    chains: list[list[Span]] = []
    for span in spans:
        if chains and _CHAIN_GAP.fullmatch(sentence.text[chains[-1][-1].end : span.start]):
            chains[-1].append(span)
        else:
            chains.append([span])
    people = []
    for chain in chains:
        names = [i for i, s in enumerate(chain) if s.label == "OFFICIAL_NAME"]
        if not names:
            continue
        titles: dict[int, list[Span]] = {i: [] for i in names}
        organisation: dict[int, Span | None] = {i: None for i in names}
        for i, span in enumerate(chain):
            before = [n for n in names if n < i]
            after = [n for n in names if n > i]
            directly_before_name = i + 1 in names and not sentence.text[span.end : chain[i + 1].start].strip()
            owner = after[0] if after and (not before or directly_before_name) else (before[-1] if before else None)
            if owner is None:
                continue
            if span.label == "OFFICIAL_TITLE":
                titles[owner].append(span)
            elif span.label == "ORGANIZATION" and organisation[owner] is None:
                organisation[owner] = span
        people += [(chain[i], titles[i], organisation[i]) for i in names]
    return people


def article_events(article_id: str, sentences: list[TaggedSentence], model_version: str | None = None) -> list[Event]:
    """The events of one article's tagged sentences, in reading order."""
    events: list[Event] = []
    last_time: Slot | None = None
    last_organisation: Slot | None = None
    for sentence in sentences:
        time_here = _context(sentence.spans, "TIME", sentence, last_time)
        organisation_here = _context(sentence.spans, "ORGANIZATION", sentence, last_organisation)

        def event(
            kind: str, start: int, end: int, slots: dict, clause_spans: list[Span], organisation: Slot | None = None
        ) -> Event:
            return Event(
                article_id=article_id,
                sentence_index=sentence.index,
                event_type=kind,
                start=sentence.start + start,
                end=sentence.start + end,
                evidence=sentence.text[start:end].strip(),
                time=_context(clause_spans, "TIME", sentence, None) or time_here,
                organization=organisation or _context(clause_spans, "ORGANIZATION", sentence, None) or organisation_here,
                locations=[_slot(s, sentence) for s in clause_spans if s.label == "LOCATION"],
                slots=slots,
                confidence=_confidence(slots),
                model_version=model_version,
            )

        for start, end in _clauses(sentence):
            inside = [s for s in sentence.spans if start <= s.start and s.end <= end]
            by_label = lambda labels: {
                name: [_slot(s, sentence) for s in inside if s.label == name]
                for name in labels
                if any(s.label == name for s in inside)
            }
            for kind, labels in COUNT_EVENTS.items():
                slots = by_label(labels)
                if slots:
                    events.append(event(kind, start, end, slots, inside))
            # Drug words count only where they describe the counted cases ("25 vụ ... ma tuý"),
            # not in a generic lead-in ("Trong công tác phòng, chống ma túy, ...").
            enforcement = [s for s in inside if s.label in ENFORCEMENT_SLOTS]
            about_drugs = any(s.label in DRUG_SLOTS for s in inside) or (
                enforcement and _DRUG_WORDS.search(sentence.text[enforcement[0].start : end])
            )
            if about_drugs:
                slots = by_label(DRUG_SLOTS + ENFORCEMENT_SLOTS)
                if slots:
                    events.append(event("drug_seizure", start, end, slots, inside))
            else:
                slots = by_label(ENFORCEMENT_SLOTS)
                if slots:
                    events.append(event("law_enforcement", start, end, slots, inside))

        for name, titles, organisation in _people(sentence):
            slots = {"OFFICIAL_NAME": [_slot(name, sentence)]}
            if titles:
                slots["OFFICIAL_TITLE"] = [_slot(t, sentence) for t in titles]
            first = min([name, *titles], key=lambda s: s.start)
            last = max([name, *titles], key=lambda s: s.end)
            own = replace(_slot(organisation, sentence), inherited=False) if organisation else None
            events.append(event("official", first.start, last.end, slots, [], own))

        last_time = replace(time_here, inherited=None) if time_here else None
        last_organisation = replace(organisation_here, inherited=None) if organisation_here else None
    return events
