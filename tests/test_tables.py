"""`bienphong tables`: events.jsonl -> events/facts tables, read back with pyarrow and DuckDB."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from inference.cli import main
from inference.tables import EVENT_FIELDS, TABLE_JSON_COLUMNS, event_row, period, place_province, time_range

LAI_CHAU = {
    "code": "12",
    "name": "Lai Châu",
    "level": "province",
    "current_code": "12",
    "current_name": "Lai Châu",
    "country": "VN",
}
MUONG_NHE = {  # a commune: its province (Điện Biên) comes from the commune code
    "code": "03160",
    "name": "Xã Mường Nhé",
    "level": "commune",
    "current_code": "03160",
    "current_name": "Xã Mường Nhé",
    "country": "VN",
}
ARTICLES = {
    "a1": "Trong 6 tháng đầu năm 2024, Đồn Biên phòng Pa Ủ tổ chức 12 đợt tuần tra với 96 lượt cán bộ"
    " tại xã Pa Ủ, tỉnh Lai Châu.\n"
    "Ngày 12/3/2024, lực lượng bắt giữ 2 đối tượng, thu 0,5kg Heroin.\n"
    "Tháng 8/2024, tổ công tác tuần tra 5 lượt tại xã Mường Nhé.",
    "a2": "Quý I/2024, Đồn Biên phòng Ma Lù Thàng tuần tra 30 lượt; thời gian qua, tuyên truyền 4 buổi cho bà con.",
    "a3": "Thượng tá Lò Văn T. <img src=x onerror=alert(1)> phát biểu <script>alert(2)</script> tại hội nghị.",
    "a4": "Bài viết không có sự kiện nào.",
}


def _span(article: str, label: str, text: str, **fields) -> dict:
    start = ARTICLES[article].index(text)
    return {"text": text, "label": label, "start": start, "end": start + len(text), **fields}


def _event(article: str, sentence: int, event_type: str, slots: dict, confidence: float | None, **context) -> dict:
    values = [slot for spans in slots.values() for slot in spans]
    return {
        "article_id": article,
        "sentence_index": sentence,
        "event_type": event_type,
        "start": min(slot["start"] for slot in values),
        "end": max(slot["end"] for slot in values),
        "evidence": "…",
        "time": context.get("time"),
        "organization": context.get("organization"),
        "locations": context.get("locations", []),
        "slots": slots,
        "confidence": confidence,
        "model_version": "hand-made@test",
    }


def sample_events() -> list[dict]:
    """Six events: patrols in Lai Châu (H1 2024, twice) and Điện Biên (Q3), a seizure, outreach, an official."""
    half = _span("a1", "TIME", "6 tháng đầu năm 2024", score=0.95, inherited=False, iso="2024-01-01/2024-06-30")
    pa_u = _span("a1", "ORGANIZATION", "Đồn Biên phòng Pa Ủ", score=0.9, inherited=False, places=[LAI_CHAU])
    return [
        _event(
            "a1",
            0,
            "patrol",
            {
                "PATROL_COUNT": [_span("a1", "PATROL_COUNT", "12 đợt", value=12, unit="đợt", score=0.93)],
                "PERSONNEL_COUNT": [
                    _span("a1", "PERSONNEL_COUNT", "96 lượt cán bộ", value=96, unit="lượt", noun="cán bộ", score=0.55)
                ],
            },
            0.55,
            time=half,
            organization=pa_u,
            locations=[_span("a1", "LOCATION", "xã Pa Ủ, tỉnh Lai Châu", score=0.88, place=LAI_CHAU)],
        ),
        _event(
            "a1",
            1,
            "drug_seizure",
            {
                "SUSPECT_COUNT": [_span("a1", "SUSPECT_COUNT", "2 đối tượng", value=2, unit="đối tượng", score=0.9)],
                "DRUG_AMOUNT": [_span("a1", "DRUG_AMOUNT", "0,5kg", value=0.5, unit="kg", grams=500, score=0.8)],
                "DRUG_TYPE": [_span("a1", "DRUG_TYPE", "Heroin", score=0.7)],
            },
            0.7,
            time=_span("a1", "TIME", "Ngày 12/3/2024", score=0.97, inherited=False, iso="2024-03-12"),
            organization=dict(pa_u, inherited=True),
        ),
        _event(
            "a1",
            2,
            "patrol",
            {"PATROL_COUNT": [_span("a1", "PATROL_COUNT", "5 lượt", value=5, unit="lượt", score=0.9)]},
            0.9,
            time=_span("a1", "TIME", "Tháng 8/2024", score=0.96, inherited=False, iso="2024-08-01/2024-08-31"),
            locations=[_span("a1", "LOCATION", "xã Mường Nhé", score=0.9, place=MUONG_NHE)],
        ),
        _event(
            "a2",
            0,
            "patrol",
            {"PATROL_COUNT": [_span("a2", "PATROL_COUNT", "30 lượt", value=30, unit="lượt", score=0.8)]},
            0.8,
            time=_span("a2", "TIME", "Quý I/2024", score=0.9, inherited=False, iso="2024-01-01/2024-03-31"),
            organization=_span("a2", "ORGANIZATION", "Đồn Biên phòng Ma Lù Thàng", score=0.9, inherited=False, places=[LAI_CHAU]),
        ),
        _event(
            "a2",
            0,
            "outreach",
            {"PROPAGANDA_COUNT": [_span("a2", "PROPAGANDA_COUNT", "4 buổi", value=4, unit="buổi", score=0.4)]},
            0.4,
            time=_span("a2", "TIME", "thời gian qua", score=0.6, inherited=False, unresolved="vague: names no calendar period"),
        ),
        _event(
            "a3",
            0,
            "official",
            {
                "OFFICIAL_NAME": [_span("a3", "OFFICIAL_NAME", "Lò Văn T.", score=0.95)],
                "OFFICIAL_TITLE": [_span("a3", "OFFICIAL_TITLE", "Thượng tá", score=0.97)],
            },
            0.95,
        ),
    ]


def write_sample(folder: Path) -> tuple[Path, Path]:
    """events.jsonl and articles.jsonl of the sample in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    events, articles = folder / "events.jsonl", folder / "articles.jsonl"
    events.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in sample_events()), encoding="utf-8")
    lines = [json.dumps({"id": key, "text": text}, ensure_ascii=False) + "\n" for key, text in ARTICLES.items()]
    articles.write_text("".join(lines), encoding="utf-8")
    return events, articles


@pytest.fixture
def tables(tmp_path) -> Path:
    events, _ = write_sample(tmp_path)
    assert main(["tables", "--events", str(events), "--output-dir", str(tmp_path / "out")]) == 0
    return tmp_path / "out"


def test_events_table_is_one_row_per_event_with_json_parts(tables):
    table = pq.read_table(tables / "events.parquet")
    rows = table.to_pylist()
    assert table.column_names == ["event_id", *EVENT_FIELDS]
    assert [row["event_id"] for row in rows] == ["a1:0:0", "a1:1:0", "a1:2:0", "a2:0:0", "a2:0:1", "a3:0:0"]
    for row, event in zip(rows, sample_events()):
        for name in TABLE_JSON_COLUMNS:
            assert json.loads(row[name]) == event[name]
        assert row["confidence"] == event["confidence"] and row["start"] == event["start"]


def test_facts_table_is_one_row_per_slot_value(tables):
    facts = pq.read_table(tables / "facts.parquet").to_pylist()
    expected = sum(len(values) for e in sample_events() for values in e["slots"].values()) + 2  # + two locations
    assert len(facts) == expected
    first = facts[0]
    assert first["event_id"] == "a1:0:0" and first["label"] == "PATROL_COUNT" and first["value"] == 12.0
    assert (first["time_start"], first["time_end"], first["period"]) == (date(2024, 1, 1), date(2024, 6, 30), "2024")
    assert first["organization"] == "Đồn Biên phòng Pa Ủ" and first["province"] == "Lai Châu"
    assert ARTICLES["a1"][first["start"] : first["end"]] == first["text"]
    heroin = next(row for row in facts if row["label"] == "DRUG_AMOUNT")
    assert heroin["grams"] == 500 and heroin["period"] == "2024-Q1" and heroin["province"] == "Lai Châu"  # via the organisation
    commune = next(row for row in facts if row["label"] == "LOCATION" and row["text"] == "xã Mường Nhé")
    assert (commune["place_code"], commune["place_current_code"], commune["province"]) == ("03160", "03160", "Điện Biên")
    outreach = next(row for row in facts if row["event_type"] == "outreach")
    assert outreach["time_start"] is None and outreach["period"] == "unknown" and outreach["province"] is None


def test_duckdb_answers_patrols_per_province_in_the_first_half_of_2024(tables):
    duckdb = pytest.importorskip("duckdb")
    query = """
        SELECT province, count(DISTINCT event_id) AS reports, sum(value) AS patrols
        FROM read_parquet(?)
        WHERE label = 'PATROL_COUNT' AND time_start >= '2024-01-01' AND time_end <= '2024-06-30'
        GROUP BY province ORDER BY province
    """
    rows = duckdb.connect().execute(query, [str(tables / "facts.parquet")]).fetchall()
    assert rows == [("Lai Châu", 2, 42.0)]  # 12 (H1) + 30 (Q1); Điện Biên's 5 are in August

    # The README's example (Lai Châu, first half of 2024) gives the same answer.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = re.search(r'duckdb\.sql\("""(.*?)"""\)', readme, re.DOTALL)
    assert example, "README.md: the DuckDB example is missing"
    sql = example[1].replace("'tables/facts.parquet'", f"'{tables / 'facts.parquet'}'")
    assert duckdb.sql(sql).fetchall() == [(2, 42.0)]


def test_csv_format_has_the_same_rows(tmp_path, tables):
    events, _ = write_sample(tmp_path)
    assert main(["tables", "--events", str(events), "--output-dir", str(tmp_path / "csv"), "--format", "csv"]) == 0
    for name in ("events", "facts"):
        from_csv = pcsv.read_csv(tmp_path / "csv" / f"{name}.csv")
        from_parquet = pq.read_table(tables / f"{name}.parquet")
        assert from_csv.num_rows == from_parquet.num_rows and from_csv.column_names == from_parquet.column_names


def test_an_empty_events_file_gives_empty_tables(tmp_path):
    (tmp_path / "events.jsonl").write_text("", encoding="utf-8")
    assert main(["tables", "--events", str(tmp_path / "events.jsonl"), "--output-dir", str(tmp_path / "out")]) == 0
    assert pq.read_table(tmp_path / "out" / "facts.parquet").num_rows == 0


def test_columns_match_event_to_row():
    from inference.events import TABLE_JSON_COLUMNS as EVENT_JSON_COLUMNS
    from inference.events import Event, Slot

    event = Event(
        "a1",
        0,
        "patrol",
        0,
        5,
        "12 đợt",
        None,
        None,
        slots={"PATROL_COUNT": [Slot("PATROL_COUNT", "12 đợt", 0, 6, 0.9, 12, "đợt")]},
    )
    assert EVENT_JSON_COLUMNS == TABLE_JSON_COLUMNS
    assert event_row("a1:0:0", event.to_dict()) == {"event_id": "a1:0:0", **event.to_row()}


@pytest.mark.parametrize(
    "iso, expected",
    [
        ("2024-03-12", "2024-Q1"),
        ("2024-04-01/2024-06-30", "2024-Q2"),
        ("2024-01/2024-06", "2024"),
        ("2024", "2024"),
        ("2023-12-01/2024-01-31", "unknown"),
        (None, "unknown"),
    ],
)
def test_period(iso, expected):
    assert period({"time": {"text": "x", "iso": iso}}) == expected


def test_time_range_reads_days_and_partial_dates():
    def days(iso):
        return time_range({"time": {"text": "x", "iso": iso}})

    assert days("2024-03-12") == (date(2024, 3, 12), date(2024, 3, 12))
    assert days("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert days("2024/2025") == (date(2024, 1, 1), date(2025, 12, 31))
    assert days("2024-02-30") == days("tháng 3") == days("2024-06-30/2024-01-01") == (None, None)
    assert time_range({"time": None}) == time_range({"time": {"text": "x", "iso": None, "unresolved": "vague"}}) == (None, None)


def test_place_province():
    assert place_province(LAI_CHAU) == "Lai Châu"
    assert place_province(MUONG_NHE) == "Điện Biên"
    assert place_province({"code": None, "level": "district", "reason": "no data"}) is None
    assert place_province(None) is None


@pytest.mark.parametrize(
    "line, message",
    [
        ("not json", "events.jsonl:2: not a JSON event"),
        ('["a list"]', "events.jsonl:2: expected a JSON object"),
        ('{"article_id": "a1", "sentence_index": 0}', "events.jsonl:2: event misses the key(s) event_type, start, end, slots"),
        (
            '{"article_id": "a1", "sentence_index": 0, "event_type": "patrol", "start": 0, "end": 1,'
            ' "slots": {"X": [{"text": "a"}]}}',
            "events.jsonl:2: slots['X'][0] misses the key(s) start, end",
        ),
        (
            '{"article_id": "a1", "sentence_index": "0", "event_type": "patrol", "start": 0, "end": 1, "slots": {}}',
            "events.jsonl:2: 'sentence_index' must be an integer",
        ),
        (
            '{"article_id": "a1", "sentence_index": 0, "event_type": "patrol", "start": 0, "end": 1, "slots": {},'
            ' "evidence": "\\udc80"}',
            "events.jsonl:2: text with a lone surrogate",
        ),
        (
            '{"article_id": "a1", "sentence_index": 0, "event_type": "patrol", "start": 0, "end": 99999999999999999999,'
            ' "slots": {}}',
            "events.jsonl:2: 'end' must be an integer",
        ),
    ],
)
def test_a_bad_events_file_is_one_line_naming_it_and_writes_nothing(tmp_path, capsys, line, message):
    good = json.dumps(sample_events()[0], ensure_ascii=False)
    (tmp_path / "events.jsonl").write_text(f"{good}\n{line}\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "facts.parquet").write_bytes(b"old")  # an earlier table stays as it was
    assert main(["tables", "--events", str(tmp_path / "events.jsonl"), "--output-dir", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error, error
    assert sorted(p.name for p in out.iterdir()) == ["facts.parquet"] and (out / "facts.parquet").read_bytes() == b"old"


def test_a_missing_events_file_is_one_line(tmp_path, capsys):
    assert main(["tables", "--events", str(tmp_path / "nope.jsonl"), "--output-dir", str(tmp_path / "out")]) == 2
    assert "nope.jsonl: no such events file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_output_dir_that_is_a_file_is_refused(tmp_path, capsys):
    events, _ = write_sample(tmp_path)
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    assert main(["tables", "--events", str(events), "--output-dir", str(tmp_path / "taken")]) == 2
    assert main(["tables", "--events", str(events), "--output-dir", str(tmp_path / "taken" / "sub")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all("taken" in line for line in errors), errors
