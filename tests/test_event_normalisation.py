"""Events carry normalised values: ``iso``/``unresolved`` on times, ``place`` on locations, ``places`` on
organisations; the article date (its own, else ``--date``) reaches them."""

from __future__ import annotations

import datetime
import json
from types import SimpleNamespace

import pytest

from annotations.spans import Span
from inference import batch, cli
from inference.articles import Article
from inference.events import article_events
from inference.extract import Extractor, TaggedArticle
from inference.tagger import TaggedSentence

JULY = datetime.date(2024, 7, 15)


def sentence(index, start, text, marked):
    """Spans given as (substring, label); located in the text left to right."""
    spans, position = [], 0
    for piece, label in marked:
        at = text.index(piece, position)
        spans.append(Span(at, at + len(piece), label, 0.9))
        position = at + len(piece)
    return TaggedSentence(text, [], [], [], spans, index=index, start=start)


ARTICLE = [
    sentence(
        0,
        0,
        "6 tháng đầu năm 2024, BĐBP tỉnh Hà Giang tổ chức 224 buổi tuần tra.",
        [("6 tháng đầu năm 2024", "TIME"), ("BĐBP tỉnh Hà Giang", "ORGANIZATION"), ("224 buổi", "PATROL_COUNT")],
    ),
    sentence(
        1,
        70,
        "Các đồn bắt 9 vụ/12 đối tượng tại Hà Giang và Lào.",
        [("9 vụ", "CASE_COUNT"), ("12 đối tượng", "SUSPECT_COUNT"), ("Hà Giang", "LOCATION"), ("Lào", "LOCATION")],
    ),
    sentence(
        2,
        125,
        "So với cùng kỳ năm 2023, số vụ tăng 3 vụ.",
        [("cùng kỳ năm 2023", "TIME"), ("3 vụ", "CASE_COUNT")],
    ),
    sentence(
        3,
        170,
        "Từ đầu năm đến nay, Đồn Biên phòng Ma Lù Thàng tuyên truyền 650 buổi.",
        [("Từ đầu năm đến nay", "TIME"), ("Đồn Biên phòng Ma Lù Thàng", "ORGANIZATION"), ("650 buổi", "PROPAGANDA_COUNT")],
    ),
    sentence(
        4,
        250,
        "Đại tá Lê Văn Lương, Chỉ huy trưởng, Bộ Chỉ huy BĐBP tỉnh Lai Châu dự; dịp Tết Nguyên đán, các đồn tuần tra 12 lần.",
        [
            ("Đại tá", "OFFICIAL_TITLE"),
            ("Lê Văn Lương", "OFFICIAL_NAME"),
            ("Chỉ huy trưởng", "OFFICIAL_TITLE"),
            ("Bộ Chỉ huy BĐBP tỉnh Lai Châu", "ORGANIZATION"),
            ("dịp Tết Nguyên đán", "TIME"),
            ("12 lần", "PATROL_COUNT"),
        ],
    ),
]


def events(article_date=JULY, sentences=ARTICLE):
    return [event.to_dict() for event in article_events("a1", sentences, "v1", article_date=article_date)]


def one(found, event_type, sentence_index):
    (event,) = [e for e in found if e["event_type"] == event_type and e["sentence_index"] == sentence_index]
    return event


def test_times_get_iso_values_and_inherited_times_keep_them():
    found = events()
    patrol = one(found, "patrol", 0)
    assert patrol["time"]["iso"] == "2024-01-01/2024-06-30" and "unresolved" not in patrol["time"]
    enforcement = one(found, "law_enforcement", 1)
    assert enforcement["time"]["inherited"] is True and enforcement["time"]["iso"] == "2024-01-01/2024-06-30"


def test_same_period_is_resolved_against_the_reported_period():
    comparison = one(events(), "law_enforcement", 2)
    assert comparison["time"]["text"] == "cùng kỳ năm 2023"
    assert comparison["time"]["iso"] == "2023-01-01/2023-06-30" and comparison["time"]["inherited"] is False


def test_relative_times_need_the_article_date():
    outreach = one(events(JULY), "outreach", 3)
    assert outreach["time"]["iso"] == "2024-01-01/2024-07-15"
    undated = one(events(None), "outreach", 3)
    assert undated["time"]["iso"] is None and undated["time"]["unresolved"] == "no article date"
    # the written year of the first sentence needs no date
    assert one(events(None), "patrol", 0)["time"]["iso"] == "2024-01-01/2024-06-30"


def test_a_festival_stays_unresolved_with_its_reason():
    patrol = one(events(), "patrol", 4)
    assert patrol["time"]["text"] == "dịp Tết Nguyên đán"
    assert patrol["time"] == {**patrol["time"], "iso": None, "unresolved": "festival or lunar-calendar date: not resolved"}


def test_locations_are_linked_to_places():
    enforcement = one(events(), "law_enforcement", 1)
    places = {slot["text"]: slot["place"] for slot in enforcement["locations"]}
    assert (places["Hà Giang"]["level"], places["Hà Giang"]["code"], places["Hà Giang"]["current_code"]) == (
        "province",
        "02",
        "08",
    )
    assert (places["Lào"]["level"], places["Lào"]["code"]) == ("country", "LA")
    assert set(places["Lào"]) >= {"text", "level", "code", "name", "current_code", "country", "candidates", "reason"}


def test_organisations_get_the_places_in_their_name():
    found = events()
    patrol = one(found, "patrol", 0)
    assert [(p["text"], p["code"]) for p in patrol["organization"]["places"]] == [("tỉnh Hà Giang", "02")]
    (border_post,) = one(found, "outreach", 3)["organization"]["places"]
    assert border_post["text"] == "Ma Lù Thàng" and border_post["code"] is None and border_post["reason"]
    official = one(found, "official", 4)
    assert official["organization"]["text"] == "Bộ Chỉ huy BĐBP tỉnh Lai Châu"
    assert [(p["text"], p["code"]) for p in official["organization"]["places"]] == [("tỉnh Lai Châu", "12")]


def test_an_organisation_without_a_place_has_an_empty_list():
    bare = sentence(0, 0, "BĐBP tỉnh tổ chức 224 buổi tuần tra.", [("BĐBP tỉnh", "ORGANIZATION"), ("224 buổi", "PATROL_COUNT")])
    (patrol,) = events(sentences=[bare])
    assert patrol["organization"]["places"] == [] and patrol["time"] is None


def test_the_article_s_other_places_settle_a_namesake():
    marked = [("Kon Tum", "LOCATION"), ("5 đối tượng", "SUSPECT_COUNT")]
    alone = sentence(0, 0, "Tại Kon Tum, lực lượng bắt 5 đối tượng.", marked)
    (event,) = events(sentences=[alone])
    assert event["locations"][0]["place"]["code"] is None  # the province or the ward of that name
    assert len(event["locations"][0]["place"]["candidates"]) == 2
    named = sentence(1, 50, "BĐBP tỉnh Kon Tum cho biết.", [("BĐBP tỉnh Kon Tum", "ORGANIZATION")])
    (event,) = events(sentences=[alone, named])
    assert event["locations"][0]["place"]["code"] == "62"  # "tỉnh Kon Tum" elsewhere in the article


def test_normalised_fields_appear_only_where_they_belong():
    for event in events():
        for values in event["slots"].values():
            for slot in values:
                assert not {"iso", "unresolved", "place", "places"} & set(slot)
        if event["time"]:
            assert "iso" in event["time"] and "place" not in event["time"]
        if event["organization"]:
            assert "places" in event["organization"] and "iso" not in event["organization"]
        for location in event["locations"]:
            assert "place" in location and "places" not in location


def test_table_rows_carry_the_normalised_values_as_json():
    (patrol,) = [e for e in article_events("a1", ARTICLE, "v1", JULY) if e.event_type == "patrol" and e.sentence_index == 0]
    row = patrol.to_row()
    assert json.loads(row["time"])["iso"] == "2024-01-01/2024-06-30"
    assert json.loads(row["organization"])["places"][0]["code"] == "02"


def _extractor(default_date):
    """An Extractor without a model: ``events`` needs only the model version and the default date."""
    extractor = Extractor.__new__(Extractor)
    extractor.tagger = SimpleNamespace(model_version="v1")
    extractor.default_date = default_date
    return extractor


def test_the_extractor_uses_the_article_date_else_the_default():
    dated = TaggedArticle(Article("a", "", "t", datetime.date(2025, 1, 6)), [ARTICLE[3]])
    undated = TaggedArticle(Article("b", "", "t"), [ARTICLE[3]])
    assert _extractor(JULY).events(dated)[0].time.iso == "2025-01-01/2025-01-06"  # its own date wins
    assert _extractor(JULY).events(undated)[0].time.iso == "2024-01-01/2024-07-15"
    assert _extractor(None).events(undated)[0].time.unresolved == "no article date"


def test_extract_date_option_is_checked_and_passed_on(monkeypatch, tmp_path, capsys):
    for bad in ("2024-02-30", "12/3/2024", "2024-3-1", "yesterday"):
        with pytest.raises(SystemExit) as stop:
            cli.main(["extract", "--model", "m", "a.txt", "--output", "o.jsonl", "--date", bad])
        assert stop.value.code == 2
        assert f"argument --date: expected a date YYYY-MM-DD, not {bad!r}" in capsys.readouterr().err

    seen = {}

    def fake_extract_to_file(model, inputs, output, **options):
        seen.update(options)
        return batch.RunSummary(records=1, articles=1, sentences=1)

    monkeypatch.setattr("inference.batch.extract_to_file", fake_extract_to_file)
    article = tmp_path / "a.txt"
    article.write_text("Năm qua, BĐBP tỉnh tuần tra 12 lần.", encoding="utf-8")
    arguments = ["extract", "--model", "m", str(article), "--output", str(tmp_path / "o.jsonl"), "--quiet"]
    assert cli.main([*arguments, "--date", "2024-12-20"]) == 0
    assert seen["default_date"] == datetime.date(2024, 12, 20)
    assert cli.main(arguments) == 0 and seen["default_date"] is None


def test_engines_hand_the_default_date_to_their_extractors(monkeypatch):
    """The worker processes of the local engine and the Ray actors build their own Extractor: with the date."""
    from inference import batch, ray_engine

    made = []

    class FakeExtractor:
        def __init__(self, model, **options):
            made.append(options["default_date"])

    monkeypatch.setattr(batch, "Extractor", FakeExtractor)
    monkeypatch.setattr("inference.extract.Extractor", FakeExtractor)
    monkeypatch.setattr(ray_engine, "_event_schema", lambda: None)
    monkeypatch.setattr("torch.set_num_threads", lambda threads: None)  # this test process keeps its threads
    batch._start_worker("m", 1, 1, "torch", JULY)
    ray_engine.TagActor("m", 1, 1, "torch", JULY)
    assert made == [JULY, JULY]
