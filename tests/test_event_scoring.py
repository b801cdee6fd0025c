"""Event scoring: metrics on a hand-made article (expected numbers worked out by hand) and the gold files."""

from __future__ import annotations

import pytest

from annotations.events.gold import EVENT_SLOTS, SETS, check, corpus_examples, parse_review, record_problems
from annotations.labelstudio import Example
from annotations.spans import Span
from inference.event_scoring import Article, predict_events, score
from inference.events import Event, Slot

TEXT0 = "Năm 2024, Đồn Biên phòng A tổ chức 12 lần tuần tra, 48 lần tuần tra khác; bắt 5 vụ/7 đối tượng."
TEXT1 = "Đại tá Nguyễn Văn B, Chỉ huy trưởng, Đồn Biên phòng A cho biết phạt 3 triệu đồng."
START1 = len(TEXT0) + 1


def spans_of(text: str, marked: list[tuple[str, str]]) -> list[Span]:
    spans, position = [], 0
    for piece, label in marked:
        at = text.index(piece, position)
        spans.append(Span(at, at + len(piece), label))
        position = at + len(piece)
    return spans


S0 = spans_of(
    TEXT0,
    [
        ("Năm 2024", "TIME"),
        ("Đồn Biên phòng A", "ORGANIZATION"),
        ("12 lần", "PATROL_COUNT"),
        ("48 lần", "PATROL_COUNT"),
        ("5 vụ", "CASE_COUNT"),
        ("7 đối tượng", "SUSPECT_COUNT"),
    ],
)
S1 = spans_of(
    TEXT1,
    [
        ("Đại tá", "OFFICIAL_TITLE"),
        ("Nguyễn Văn B", "OFFICIAL_NAME"),
        ("Chỉ huy trưởng", "OFFICIAL_TITLE"),
        ("Đồn Biên phòng A", "ORGANIZATION"),
        ("3 triệu đồng", "MONEY"),
    ],
)
TIME0, ORG0, P1, P2, CASE, SUSPECT = S0
TITLE1, NAME, TITLE2, ORG1, MONEY = S1
ARTICLE = Article("a", [Example(TEXT0, S0, "a", 0), Example(TEXT1, S1, "a", 1)], [0, START1])


def pair(span: Span) -> list[int]:
    return [span.start, span.end]


def activity(kind: str, spans: list[Span], time, organization) -> dict:
    slots: dict = {}
    for span in spans:
        slots.setdefault(span.label, []).append(pair(span))
    return {"type": kind, "slots": slots, "time": time, "organization": organization}


EARLIER_TIME = {"sentence_index": 0, "start": TIME0.start, "end": TIME0.end, "text": "Năm 2024"}
EARLIER_ORG = {"sentence_index": 0, "start": ORG0.start, "end": ORG0.end, "text": "Đồn Biên phòng A"}
GOLD = [
    {
        "article_id": "a",
        "sentence_index": 0,
        "text": TEXT0,
        "events": [
            activity("patrol", [P1], pair(TIME0), pair(ORG0)),
            activity("patrol", [P2], pair(TIME0), pair(ORG0)),
            activity("law_enforcement", [CASE, SUSPECT], pair(TIME0), pair(ORG0)),
        ],
    },
    {
        "article_id": "a",
        "sentence_index": 1,
        "text": TEXT1,
        "events": [
            {**activity("official", [TITLE1, NAME, TITLE2], None, pair(ORG1))},
            activity("law_enforcement", [MONEY], EARLIER_TIME, EARLIER_ORG),
        ],
    },
]


def slot(span: Span, sentence_start: int, text: str, value=None) -> Slot:
    return Slot(span.label, text[span.start : span.end], sentence_start + span.start, sentence_start + span.end, None, value)


def event(kind: str, sentence: int, slots: list[Slot], time: Slot | None, organization: Slot | None) -> Event:
    by_label: dict = {}
    for item in slots:
        by_label.setdefault(item.label, []).append(item)
    return Event("a", sentence, kind, 0, 1, "", time, organization, slots=by_label)


def predicted() -> list[Event]:
    time0, org0, org1 = slot(TIME0, 0, TEXT0), slot(ORG0, 0, TEXT0), slot(ORG1, START1, TEXT1)
    return [
        # the two patrols grouped into one event; the second value read wrong
        event("patrol", 0, [slot(P1, 0, TEXT0, 12), slot(P2, 0, TEXT0, 40)], time0, org0),
        # cases typed as drugs, and no time
        event("drug_seizure", 0, [slot(CASE, 0, TEXT0, 5), slot(SUSPECT, 0, TEXT0, 7)], None, org0),
        # the second title missed; the organisation right
        event("official", 1, [slot(NAME, START1, TEXT1), slot(TITLE1, START1, TEXT1)], None, org1),
        # the organisation is another mention of the same unit (same text): counts as right
        event("law_enforcement", 1, [slot(MONEY, START1, TEXT1, 3_000_000)], time0, org1),
    ]


def test_metrics_match_hand_computed_numbers():
    result = score(GOLD, {"a": predicted()}, {"a": ARTICLE})
    # slots found: P1, P2, CASE, SUSPECT, NAME, TITLE1, MONEY (TITLE2 is in no predicted event)
    assert result["gold_slots"] == 8 and result["slots_found"] == 7
    assert result["type_accuracy"]["correct"] == 5  # CASE and SUSPECT are drug_seizure, not law_enforcement
    # gold pairs: (CASE, SUSPECT); predicted: (P1, P2), (CASE, SUSPECT)
    assert result["grouping"]["tp"] == 1 and result["grouping"]["predicted"] == 2 and result["grouping"]["gold"] == 1
    assert result["grouping"]["precision"] == 0.5 and result["grouping"]["recall"] == 1.0
    assert result["grouping"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    # four attached gold events; the cases lost their time; every organisation right (one by text)
    assert (result["time"]["correct"], result["time"]["total"]) == (3, 4)
    assert result["time"]["inherited_accuracy"] == 1.0
    assert (result["organization"]["correct"], result["organization"]["total"]) == (4, 4)
    assert result["organization"]["gold_none"] == 0
    assert (result["name_title"]["precision"], result["name_title"]["recall"]) == (1.0, 0.5)
    assert result["name_organization"]["f1"] == 1.0
    assert (result["value_accuracy"]["correct"], result["value_accuracy"]["total"]) == (4, 5)


def test_spurious_organisation_and_missing_slots():
    gold = [dict(GOLD[0], events=[activity("law_enforcement", [CASE, SUSPECT], pair(TIME0), None)])]
    pred = [event("law_enforcement", 0, [slot(CASE, 0, TEXT0, 5)], slot(TIME0, 0, TEXT0), slot(ORG0, 0, TEXT0))]
    result = score(gold, {"a": pred}, {"a": ARTICLE})
    assert result["organization"]["spurious"] == 1.0 and result["organization"]["correct"] == 0
    assert result["time"]["accuracy"] == 1.0
    assert result["grouping"]["recall"] == 0.0 and result["grouping"]["predicted"] == 0
    assert result["slots_found"] == 1 and result["gold_slots"] == 2


def test_gold_spans_run_through_the_rules():
    events = predict_events({"a": ARTICLE}, "gold")["a"]
    result = score(GOLD, {"a": events}, {"a": ARTICLE})
    assert result["slots_found"] == result["gold_slots"]  # gold spans: every slot is in some event
    assert result["name_title"]["recall"] == 1.0


def test_record_problems_name_what_is_wrong():
    good = GOLD[0]
    assert record_problems(good) == []
    bad_label = dict(good, events=[activity("patrol", [CASE], None, None)])
    assert "cannot hold CASE_COUNT" in record_problems(bad_label)[0]
    outside = dict(good, events=[{"type": "patrol", "slots": {"PATROL_COUNT": [[5, 500]]}, "time": None, "organization": None}])
    assert "outside the text" in record_problems(outside)[0]
    later = dict(good, events=[activity("patrol", [P1], {"sentence_index": 3, "start": 0, "end": 2}, None)])
    assert "earlier sentence" in record_problems(later)[0]
    examples = {("a", 0): Example(TEXT0, S0, "a", 0)}
    not_gold = dict(good, events=[{"type": "patrol", "slots": {"PATROL_COUNT": [[P1.start, P1.end + 1]]}}])
    assert any("not a gold span" in p for p in record_problems(not_gold, examples))
    assert any("in no event" in p for p in record_problems(dict(good, events=[]), examples))


@pytest.mark.parametrize("name", sorted(SETS))
def test_gold_files_are_valid_and_up_to_date(name):
    assert check(name) == []


@pytest.mark.parametrize("name", sorted(SETS))
def test_gold_files_cover_every_sentence_with_counts_or_officials(name):
    from pathlib import Path

    import yaml

    from annotations.events.gold import HERE, REQUIRED_LABELS, ROOT

    review, _, corpus = SETS[name]
    examples = corpus_examples(corpus)
    records = parse_review(HERE / review, examples)
    covered = {(r["article_id"], r["sentence_index"]) for r in records}
    articles = {r["article_id"] for r in records}
    if name == "test":
        articles = set(yaml.safe_load(Path(ROOT / "annotations/split.yaml").read_text(encoding="utf-8"))["test"])
    wanted = {k for k, e in examples.items() if k[0] in articles and any(s.label in REQUIRED_LABELS for s in e.spans)}
    assert wanted <= covered
    assert all(event["type"] in EVENT_SLOTS for r in records for event in r["events"])
