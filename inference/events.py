"""Structured events from the spans of an article's sentences.

A sentence is cut into clauses at ``;`` and a clause into activities: a count
that repeats its label starts a new one (``12 lần tuần tra, 48 lần tuần tra``),
so does ``trong đó`` (a total and its subset are two events), and the numbers
that describe one activity stay together (``25 vụ/30 đối tượng``, ``212 lần với
848 lượt ... và 96 lượt dân quân``). A clause that only lists what was seized or
fined continues the cases of the clause before it. Event types:

- ``patrol``: PATROL_COUNT, PERSONNEL_COUNT
- ``outreach``: PROPAGANDA_COUNT, AUDIENCE_COUNT
- ``drug_seizure``: DRUG_TYPE, DRUG_AMOUNT, plus the activity's CASE_COUNT,
  SUSPECT_COUNT, SEIZED_ITEM and MONEY when it is about drugs
- ``law_enforcement``: CASE_COUNT, SUSPECT_COUNT, SEIZED_ITEM, MONEY otherwise
- ``other``: a sum of money alone that the clause's words make a gift, aid, price, wage or reward
  (not a fine or a seizure)
- ``official``: one per OFFICIAL_NAME, with the titles written next to it and
  only the organisation that is part of that person's description

Time: the first time of the clause, else of the sentence, that dates the facts
(not a comparison: ``so với cùng kỳ năm 2023``), else the period of the report
inherited from an earlier sentence (``sơ kết 6 tháng đầu năm``, not the date of
the conference; then ``"inherited": true``). Organisation: the unit that carried
the activity out, the subject before its first slot, not a partner (``phối hợp
với``), recipient (``cho``, ``do ... trao trả``), addressee or the unit that only
reports it (``X cho biết, Y chủ trì``), nor a party committee; else none for a
generic subject (``lực lượng chức năng``, ``hai bên``), else the last such unit of
an earlier sentence. A sentence about one example (``Điển hình``, ``Riêng``)
changes neither for the sentences after it.

Values are normalised against the article: a TIME gets ``iso`` (``inference.times``, relative forms against
the article date) or the ``unresolved`` reason; a LOCATION gets its ``place`` and an ORGANIZATION the
``places`` named inside it (``inference.places``), the article's other place names settling namesakes.

Over 300 lines on purpose: the typed events and the rules that fill them; the rules (clauses,
activities, actor, time) read one another's results and are easiest to check side by side.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field, fields, replace

from annotations.schema import SLOT_TYPES, labels_of
from annotations.spans import Span
from inference.numbers import normalise
from inference.places import PlaceLink, link_place, places_in_organisation
from inference.tagger import TaggedSentence
from inference.times import TimeValue, needs_period, normalize_time

COUNT_EVENTS = {
    "patrol": ("PATROL_COUNT", "PERSONNEL_COUNT"),
    "outreach": ("PROPAGANDA_COUNT", "AUDIENCE_COUNT"),
}
ENFORCEMENT_SLOTS = ("CASE_COUNT", "SUSPECT_COUNT", "SEIZED_ITEM", "MONEY")
DRUG_SLOTS = ("DRUG_TYPE", "DRUG_AMOUNT")
_DRUG_WORDS = re.compile(r"ma\s*t[uú]y|ma\s*tuý", re.IGNORECASE)
# A sum of money alone is a fine, or the worth of seized goods, when its words say so; gifts, aid,
# prices, wages, hire and revenue are not enforcement facts ("trao 50 suất quà, mỗi suất 500.000đ",
# "được thuê 20 triệu đồng mỗi chuyến", "thu ngân sách 846 tỉ đồng" are `other`).
_ENFORCEMENT_WORDS = re.compile(
    r"phạt|tịch thu|truy thu|thu giữ|tạm giữ|thu nộp|nộp ngân sách|tang vật|vi phạm|lậu|bắt giữ|khởi tố|"
    r"trốn thuế|lô hàng",
    re.IGNORECASE,
)
_OTHER_MONEY_WORDS = re.compile(
    r"\b(?:tặng|quà|trao|hỗ trợ|ủng hộ|kinh phí|xây|sửa chữa|giá|lương|thu nhập|thưởng|học bổng|doanh thu|"
    r"vốn|cho vay|đóng góp|quyên góp|từ thiện|an sinh|tiền công|trả công|thuê|mua|bán|thu ngân sách|số thu)\b",
    re.IGNORECASE,
)
# What may stand between the parts of one person's description: "Đại tá X - Chính ủy, ..."
_CHAIN_GAP = re.compile(r"[\s,\-–—:]*|\s*\(\s*|\s*\)\s*")


_QUANTITY_FIELDS = ("value", "unit")  # always written for quantities, null when not found
_OPTIONAL_FIELDS = ("qualifier", "noun", "grams", "currency", "dong")
QUANTITY_LABELS = labels_of("quantity")
PEOPLE_LABELS = labels_of("person") + labels_of("title") + labels_of("organization")


@dataclass(frozen=True)
class Slot:
    """One value of an event: the span, its article offsets and score, and for quantities the number.

    ``inherited`` is set only on an event's time and organisation: true when it was taken
    from an earlier sentence of the article. A TIME has ``iso`` (or, when None, the ``unresolved``
    reason), a LOCATION its ``place`` and an ORGANIZATION the ``places`` inside its name."""

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
    iso: str | None = None
    unresolved: str | None = None
    place: PlaceLink | None = None
    places: tuple[PlaceLink, ...] | None = None

    def to_dict(self) -> dict:
        out: dict = {"text": self.text}
        if SLOT_TYPES[self.label].kind == "quantity":
            out.update({name: getattr(self, name) for name in _QUANTITY_FIELDS})
        out.update({name: getattr(self, name) for name in _OPTIONAL_FIELDS if getattr(self, name) is not None})
        if self.label == "TIME":
            out["iso"] = self.iso
            if self.iso is None:
                out["unresolved"] = self.unresolved
        if self.place is not None:
            out["place"] = self.place.to_dict()
        if self.places is not None:
            out["places"] = [place.to_dict() for place in self.places]
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


class _ArticleValues:
    """What one article's TIME, LOCATION and ORGANIZATION texts normalise to, computed once per article."""

    def __init__(self, sentences: list[TaggedSentence], article_date: datetime.date | None):
        self.times: dict[int, TimeValue] = {}  # article offset of a TIME span -> its value
        self.org_places: dict[str, list[str]] = {}  # ORGANIZATION text -> the place names inside it
        period: TimeValue | None = None  # the latest resolved time: what a later "cùng kỳ" compares
        names: list[str] = []
        for sentence in sentences:
            for span in sorted(sentence.spans, key=lambda s: s.start):
                text = sentence.text[span.start : span.end]
                if span.label == "TIME":
                    value = normalize_time(text, article_date, period)
                    self.times[sentence.start + span.start] = value
                    if value.iso is not None and not needs_period(text):
                        period = value
                elif span.label == "LOCATION":
                    names.append(text)
                elif span.label == "ORGANIZATION":
                    self.org_places[text] = places_in_organisation(text)
                    names += self.org_places[text]
        self.place_names = names
        self._links: dict[str, PlaceLink] = {}

    def place(self, text: str) -> PlaceLink:
        """The link of a place text; the article's other place names are its context (a province there
        picks between namesakes; the text itself is left out, or it would always confirm itself)."""
        if text not in self._links:
            self._links[text] = link_place(text, [name for name in self.place_names if name != text])
        return self._links[text]

    def normalised(self, label: str, text: str, start: int) -> dict:
        """The normalised fields of a slot: ``iso``/``unresolved``, ``place`` or ``places``."""
        if label == "TIME":
            value = self.times.get(start) or TimeValue(reason="not normalised")
            return {"iso": value.iso, "unresolved": value.reason}
        if label == "LOCATION":
            return {"place": self.place(text)}
        if label == "ORGANIZATION":
            return {"places": tuple(self.place(name) for name in self.org_places[text])}
        return {}


def _slot(span: Span, sentence: TaggedSentence, values: _ArticleValues) -> Slot:
    text = sentence.text[span.start : span.end]
    numbers = {k: v for k, v in normalise(span.label, text).items() if k != "text"}
    start = sentence.start + span.start
    return Slot(
        label=span.label,
        text=text,
        start=start,
        end=sentence.start + span.end,
        score=None if span.score is None else round(span.score, 4),
        **numbers,
        **values.normalised(span.label, text, start),
    )


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


# What puts an ORGANIZATION out of the actor's place: a partner, a recipient, a source or an addressee.
_PARTNER_CUE = re.compile(
    r"(?:phối hợp(?: với)?|cùng với|cùng|với|cho|do|giữa|bàn giao cho|trao trả cho|đề nghị|yêu cầu|biểu dương|ghi nhận"
    r"|tặng|theo|đại diện|lãnh đạo)\s*$",
    re.IGNORECASE,
)
# Between two ORGANIZATION spans of one chain (a sub-unit and its parent, a list of units).
_ORG_JOIN = re.compile(r"\s*(?:,|và|-|–|\(|\)|/)\s*(?:\(\s*)?")
_REPORTS = re.compile(r"^\s*(?:,\s*)?(?:cho biết|thông tin|thông báo)", re.IGNORECASE)
# A subject with no named unit: the activity's organisation is none, not an earlier unit.
_GENERIC_ACTOR = re.compile(
    r"lực lượng chức năng|các lực lượng|ba lực lượng|hai bên|toàn tỉnh|phía bạn|lực lượng hai bên|các cơ quan",
    re.IGNORECASE,
)
_COMPARISON = re.compile(r"(?:so với|tăng|giảm)[^,;]{0,20}$", re.IGNORECASE)
_REVIEW = re.compile(r"(?:tổng kết|sơ kết|kết quả|báo cáo)[^;.]{0,40}$", re.IGNORECASE)
# A unit that leads or convenes, not one that patrols or seizes.
_NOT_ACTOR = re.compile(r"^(?:Đảng ủy|Đảng uỷ|Ban Chỉ đạo)", re.IGNORECASE)
# A sentence about one example or one part ("Điển hình, ...", "Riêng ..."): later sentences go back to the
# report's own time and unit, so it does not change what they inherit.
_EXAMPLE = re.compile(
    r"^\W*(?:Điển hình|Riêng|Đáng chú ý|Trong đó|Nổi bật|Một trong|Trong số|Vụ lớn nhất|Trong vụ)", re.IGNORECASE
)
_SUBSET = re.compile(r"\b(?:trong đó|Trong đó|trong số này|Trong số này)\b")


def _times(sentence: TaggedSentence) -> list[Span]:
    """The TIME spans that date the reported facts: not a comparison (``so với cùng kỳ năm 2023``)."""
    return [
        s
        for s in sentence.spans
        if s.label == "TIME"
        and not _COMPARISON.search(sentence.text[max(0, s.start - 30) : s.start])
        and not sentence.text[s.start : s.end].lower().startswith("cùng kỳ")
    ]


def _period(sentence: TaggedSentence) -> Span | None:
    """The time a later sentence inherits: the period a review covers (``sơ kết 6 tháng đầu năm``),
    else the first time of the facts."""
    times = _times(sentence)
    for span in times:
        if _REVIEW.search(sentence.text[max(0, span.start - 45) : span.start]):
            return span
    return times[0] if times else None


def _actors(sentence: TaggedSentence, before: int) -> list[Span]:
    """The ORGANIZATION spans before offset ``before`` that can be the unit carrying out the facts."""
    actors: list[Span] = []
    previous: Span | None = None
    for span in sentence.spans:
        if span.label != "ORGANIZATION" or span.start >= before:
            continue
        lead = sentence.text[max(0, span.start - 25) : span.start]
        if previous is not None and _ORG_JOIN.fullmatch(sentence.text[previous.end : span.start]):
            role = "secondary"  # the parent or a list member of the previous unit
        elif _PARTNER_CUE.search(lead):
            role = "partner"
        else:
            role = "actor"
        if role == "actor" and not _NOT_ACTOR.match(sentence.text[span.start : span.end]):
            actors.append(span)
        previous = span
    # "X cho biết, Y chủ trì ...": the unit that reports is not the one that acted, when another acts.
    if len(actors) > 1 and _REPORTS.match(sentence.text[actors[0].end :]):
        actors = actors[1:]
    return actors


def _generic(sentence: TaggedSentence, before: int) -> bool:
    return bool(_GENERIC_ACTOR.search(sentence.text[:before]))


_ACTIVITY_LABELS = frozenset(COUNT_EVENTS["patrol"] + COUNT_EVENTS["outreach"] + ENFORCEMENT_SLOTS + DRUG_SLOTS)


def _groups(sentence: TaggedSentence, start: int, end: int) -> list[tuple[str, list[Span]]]:
    """The activities of a clause: (family, slot spans). A count that repeats its label starts a new
    activity ("12 lần tuần tra, 48 lần tuần tra"); so does ``trong đó``; the numbers that describe the
    same activity stay with it ("25 vụ/30 đối tượng", "212 lần với 848 lượt ... và 96 lượt dân quân")."""
    cuts = [m.start() for m in _SUBSET.finditer(sentence.text, start, end)]
    groups: list[tuple[str, list[Span]]] = []
    current: dict[str, list[Span]] = {}
    last_end = start
    for span in sentence.spans:
        if not (start <= span.start and span.end <= end) or span.label not in _ACTIVITY_LABELS:
            continue
        family = next((k for k, labels in COUNT_EVENTS.items() if span.label in labels), "enforcement")
        if any(last_end <= cut < span.start for cut in cuts):
            current = {}
        group = current.get(family)
        labels = {s.label for s in group} if group else set()
        starts_new = group is None or (
            span.label in ("PATROL_COUNT", "PROPAGANDA_COUNT", "CASE_COUNT", "AUDIENCE_COUNT", "SUSPECT_COUNT")
            and span.label in labels
            and not (span.label == "SUSPECT_COUNT" and "/" in sentence.text[group[-1].end : span.start])
        )
        if starts_new:
            group = []
            current = {family: group}
            groups.append((family, group))
        group.append(span)
        last_end = span.end
    return groups


def _other_money(sentence: TaggedSentence, spans: list[Span], groups: list, index: int, clause: tuple[int, int]) -> bool:
    """A group of sums of money alone whose words are those of a gift, aid, price, wage or reward,
    and none of a fine or seizure; read from the end of the group before it to the start of the next."""
    if {s.label for s in spans} != {"MONEY"}:
        return False
    before = [g[1][-1].end for g in groups[:index] if g[2] == clause]
    after = [g[1][0].start for g in groups[index + 1 :] if g[2] == clause]
    words = sentence.text[max([clause[0], *before]) : min([clause[1], *after])]
    return not _ENFORCEMENT_WORDS.search(words) and bool(_OTHER_MONEY_WORDS.search(words))


def article_events(
    article_id: str,
    sentences: list[TaggedSentence],
    model_version: str | None = None,
    article_date: datetime.date | None = None,
) -> list[Event]:
    """The events of one article's tagged sentences, in reading order; ``article_date`` (its publication
    date) resolves relative times and dates written without a year."""
    events: list[Event] = []
    values = _ArticleValues(sentences, article_date)
    last_time: Slot | None = None
    last_organisation: Slot | None = None
    for sentence in sentences:
        # a comparison ("so với cùng kỳ năm 2023") dates its own sentence only when nothing else does;
        # it is never inherited
        times = _times(sentence) or [s for s in sentence.spans if s.label == "TIME"]

        def placed(span: Span | None, inherited: bool = False) -> Slot | None:
            return replace(_slot(span, sentence, values), inherited=inherited) if span else None

        def event(kind: str, spans: list[Span], clause: tuple[int, int]) -> Event:
            first = min(s.start for s in spans)
            in_clause = [t for t in times if clause[0] <= t.start < clause[1]]
            time = (
                placed(in_clause[0])
                if in_clause
                else placed(times[0])
                if times
                else (replace(last_time, inherited=True) if last_time else None)
            )
            actors = _actors(sentence, first)
            if actors:
                organisation = placed(actors[-1] if actors[-1].start >= clause[0] else actors[0])
            elif _generic(sentence, first):
                organisation = None
            else:
                organisation = replace(last_organisation, inherited=True) if last_organisation else None
            slots: dict[str, list[Slot]] = {}
            for span in sorted(spans, key=lambda s: s.start):
                slots.setdefault(span.label, []).append(_slot(span, sentence, values))
            start, end = clause
            inside = [s for s in sentence.spans if start <= s.start and s.end <= end]
            return Event(
                article_id=article_id,
                sentence_index=sentence.index,
                event_type=kind,
                start=sentence.start + start,
                end=sentence.start + end,
                evidence=sentence.text[start:end].strip(),
                time=time,
                organization=organisation,
                locations=[_slot(s, sentence, values) for s in inside if s.label == "LOCATION"],
                slots=slots,
                confidence=_confidence(slots),
                model_version=model_version,
            )

        sentence_groups: list[tuple[str, list[Span], tuple[int, int]]] = []
        for start, end in _clauses(sentence):
            groups = _groups(sentence, start, end)
            # a clause that only lists what was seized or fined continues the cases before it
            # ("bắt 47 vụ/62 đối tượng ...; thu giữ 3,6kg ma túy đá ...")
            if (
                groups
                and len(groups) == 1
                and groups[0][0] == "enforcement"
                and not {s.label for s in groups[0][1]} & {"CASE_COUNT", "SUSPECT_COUNT"}
                and sentence_groups
                and sentence_groups[-1][0] == "enforcement"
            ):
                family, spans, (clause_start, _) = sentence_groups[-1]
                sentence_groups[-1] = (family, spans + groups[0][1], (clause_start, end))
                continue
            sentence_groups += [(family, spans, (start, end)) for family, spans in groups]
        for index, (family, spans, clause) in enumerate(sentence_groups):
            if family != "enforcement":
                events.append(event(family, spans, clause))
                continue
            if _other_money(sentence, spans, sentence_groups, index, clause):
                events.append(event("other", spans, clause))
                continue
            # Drug words count where they describe this group's cases ("25 vụ ... ma tuý"), up to the
            # next group, not in a generic lead-in ("Trong công tác phòng, chống ma túy, ...").
            following = [s[0].start for _, s, _ in sentence_groups[index + 1 :]]
            cut = min([clause[1], *following, *(m.start() for m in _SUBSET.finditer(sentence.text, spans[-1].end, clause[1]))])
            about_drugs = any(s.label in DRUG_SLOTS for s in spans) or _DRUG_WORDS.search(sentence.text[spans[0].start : cut])
            events.append(event("drug_seizure" if about_drugs else "law_enforcement", spans, clause))

        for name, titles, organisation in _people(sentence):
            slots = {"OFFICIAL_NAME": [_slot(name, sentence, values)]}
            if titles:
                slots["OFFICIAL_TITLE"] = [_slot(t, sentence, values) for t in titles]
            first = min([name, *titles], key=lambda s: s.start)
            last = max([name, *titles], key=lambda s: s.end)
            # an official's organisation is only the one in the person's own description
            own = replace(_slot(organisation, sentence, values), inherited=False) if organisation else None
            events.append(
                Event(
                    article_id=article_id,
                    sentence_index=sentence.index,
                    event_type="official",
                    start=sentence.start + first.start,
                    end=sentence.start + last.end,
                    evidence=sentence.text[first.start : last.end].strip(),
                    time=None,
                    organization=own,
                    slots=slots,
                    confidence=_confidence(slots),
                    model_version=model_version,
                )
            )

        example = _EXAMPLE.match(sentence.text)
        period = _period(sentence)
        if period is not None and not example:
            last_time = replace(_slot(period, sentence, values), inherited=None)
        if example:
            continue
        activity = [s.start for s in sentence.spans if s.label in QUANTITY_LABELS]
        actors = _actors(sentence, min(activity, default=len(sentence.text)))
        if actors:
            last_organisation = replace(_slot(actors[0], sentence, values), inherited=None)
    return events
