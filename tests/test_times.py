"""Time normalisation (inference.times): report-style TIME texts -> ISO 8601 days and intervals, or reasons."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.times import FUTURE_DAYS, NO_ARTICLE_DATE, VAGUE, TimeValue, needs_period, normalize_time

ARTICLE = datetime.date(2024, 7, 15)  # a Monday
H1_2024 = TimeValue(datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))


def iso(text: str, article_date: datetime.date | None = ARTICLE, period: TimeValue | None = None) -> str | None:
    return normalize_time(text, article_date, period).iso


@pytest.mark.parametrize(
    "text, expected",
    [
        # halves, quarters, years: need no article date
        ("6 tháng đầu năm 2024", "2024-01-01/2024-06-30"),
        ("6 tháng cuối năm 2023", "2023-07-01/2023-12-31"),
        ("Sáu tháng đầu năm 2024", "2024-01-01/2024-06-30"),
        ("9 tháng đầu năm 2023", "2023-01-01/2023-09-30"),
        ("9 tháng năm 2024", "2024-01-01/2024-09-30"),
        ("3 tháng cuối năm 2023", "2023-10-01/2023-12-31"),
        ("nửa đầu năm 2024", "2024-01-01/2024-06-30"),
        ("nửa cuối năm 2024", "2024-07-01/2024-12-31"),
        ("quý I năm 2024", "2024-01-01/2024-03-31"),
        ("Quý II/2024", "2024-04-01/2024-06-30"),
        ("quý III năm 2023", "2023-07-01/2023-09-30"),
        ("QUÝ IV-2023", "2023-10-01/2023-12-31"),
        ("quý 1 năm 2024", "2024-01-01/2024-03-31"),
        ("quí 2 năm 2024", "2024-04-01/2024-06-30"),
        ("Năm 2023", "2023-01-01/2023-12-31"),
        ("năm 2023", "2023-01-01/2023-12-31"),
        ("trong năm 2023", "2023-01-01/2023-12-31"),
        ("cả năm 2023", "2023-01-01/2023-12-31"),
        ("cuối năm 2023", "2023-01-01/2023-12-31"),  # the smallest named period that contains it
        ("giai đoạn 2020 - 2025", "2020-01-01/2025-12-31"),
        ("từ năm 2020 đến năm 2024", "2020-01-01/2024-12-31"),
        # months
        ("tháng 3/2024", "2024-03-01/2024-03-31"),
        ("tháng 3 năm 2024", "2024-03-01/2024-03-31"),
        ("tháng 02/2024", "2024-02-01/2024-02-29"),
        ("tháng 2-2023", "2023-02-01/2023-02-28"),
        ("đầu tháng 3/2024", "2024-03-01/2024-03-31"),
        ("cuối tháng 12 năm 2023", "2023-12-01/2023-12-31"),
        ("tháng 3 và tháng 4/2024", "2024-03-01/2024-04-30"),
        ("từ tháng 1 đến tháng 6/2024", "2024-01-01/2024-06-30"),
        # days
        ("12/3/2024", "2024-03-12"),
        ("12-3-2024", "2024-03-12"),
        ("12.3.2024", "2024-03-12"),
        ("05/07/2024", "2024-07-05"),
        ("12/3/24", "2024-03-12"),
        ("sáng ngày 12/3/2024", "2024-03-12"),
        ("ngày 12 tháng 3 năm 2024", "2024-03-12"),
        ("Ngày 12 tháng 3, năm 2024", "2024-03-12"),
        ("ngày 12/3 năm 2024", "2024-03-12"),
        ("10 giờ 30 phút ngày 12/3/2024", "2024-03-12"),
        ("khoảng 22h ngày 5/6/2024", "2024-06-05"),
        ("lúc 8h30, ngày 5/6/2024", "2024-06-05"),
        ("sáng thứ Ba (12/3/2024)", "2024-03-12"),
        ("ngày 12/3/2024 vừa qua", "2024-03-12"),
        ("  NGÀY   12/3/2024. ", "2024-03-12"),
        ("dịp lễ 30/4 - 1/5/2024", "2024-04-30/2024-05-01"),
        # day ranges
        ("ngày 5-6/7/2024", "2024-07-05/2024-07-06"),
        ("ngày 5 – 6/7/2024", "2024-07-05/2024-07-06"),
        ("ngày 5 và 6/7/2024", "2024-07-05/2024-07-06"),
        ("ngày 5-13/7/2024", "2024-07-05/2024-07-13"),
        ("từ ngày 1/3 đến ngày 15/3/2024", "2024-03-01/2024-03-15"),
        ("từ ngày 1 đến ngày 15/3/2024", "2024-03-01/2024-03-15"),
        ("từ 25/12 đến 5/1/2024", "2023-12-25/2024-01-05"),
        ("đêm 12 rạng sáng 13/3/2024", "2024-03-12/2024-03-13"),
        ("đêm 12, rạng sáng 13/3/2024", "2024-03-12/2024-03-13"),
    ],
)
def test_absolute_forms(text, expected):
    assert iso(text) == expected
    if "2024" in text or "2023" in text or "2020" in text or "/24" in text:
        assert iso(text, None) == expected  # a written year needs no article date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("chiều 26/4", "2024-04-26"),
        ("Ngày 24.11", "2023-11-24"),  # November 2024 is months after the article: last year's
        ("đêm 12/3", "2024-03-12"),
        ("ngày 12-3", "2024-03-12"),
        ("ngày 20/7", "2024-07-20"),  # 5 days after the article: still this year's (FUTURE_DAYS)
        ("ngày 29/7", "2023-07-29"),
        ("tháng 12", "2023-12-01/2023-12-31"),
        ("tháng 7", "2024-07-01/2024-07-31"),
        ("quý 1", "2024-01-01/2024-03-31"),
        ("quý IV", "2023-10-01/2023-12-31"),
        ("quý III", "2024-07-01/2024-09-30"),
        ("6 tháng đầu năm", "2024-01-01/2024-06-30"),
        ("6 tháng cuối năm", "2024-07-01/2024-12-31"),  # it has begun by the article date
        ("6 tháng đầu năm nay", "2024-01-01/2024-06-30"),
        ("tháng 12 năm trước", "2023-12-01/2023-12-31"),
        ("quý IV năm ngoái", "2023-10-01/2023-12-31"),
        ("ngày 5-6/7", "2024-07-05/2024-07-06"),
        ("từ ngày 1/3 đến ngày 15/3", "2024-03-01/2024-03-15"),
    ],
)
def test_dates_without_a_year_take_the_article_year_unless_that_is_in_the_future(text, expected):
    assert iso(text) == expected
    assert normalize_time(text, None).reason == NO_ARTICLE_DATE


def test_the_future_margin_is_a_few_days():
    article = datetime.date(2024, 3, 10)
    assert iso("ngày 17/3", article) == "2024-03-17" and FUTURE_DAYS == 7
    assert iso("ngày 18/3", article) == "2023-03-18"
    assert iso("tháng 12", datetime.date(2025, 1, 8)) == "2024-12-01/2024-12-31"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("năm nay", "2024-01-01/2024-12-31"),
        ("năm trước", "2023-01-01/2023-12-31"),
        ("năm ngoái", "2023-01-01/2023-12-31"),
        ("năm qua", "2024-01-01/2024-12-31"),  # a July article: this reporting year
        ("trong năm qua", "2024-01-01/2024-12-31"),
        ("năm vừa qua", "2024-01-01/2024-12-31"),
        ("từ đầu năm đến nay", "2024-01-01/2024-07-15"),
        ("Từ đầu năm đến nay", "2024-01-01/2024-07-15"),
        ("từ đầu năm 2023 đến nay", "2023-01-01/2024-07-15"),
        ("từ đầu năm", "2024-01-01/2024-07-15"),
        ("từ tháng 3 đến nay", "2024-03-01/2024-07-15"),
        ("từ năm 2020", "2020-01-01/2024-07-15"),
        ("tháng trước", "2024-06-01/2024-06-30"),
        ("tháng vừa qua", "2024-06-01/2024-06-30"),
        ("tháng này", "2024-07-01/2024-07-31"),
        ("quý trước", "2024-04-01/2024-06-30"),
        ("quý này", "2024-07-01/2024-09-30"),
        ("hôm qua", "2024-07-14"),
        ("hôm kia", "2024-07-13"),
        ("hôm nay", "2024-07-15"),
        ("chiều hôm qua", "2024-07-14"),
        ("tuần qua", "2024-07-08/2024-07-14"),
        ("tuần trước", "2024-07-08/2024-07-14"),
        ("tuần này", "2024-07-15/2024-07-21"),
    ],
)
def test_relative_forms_resolve_against_the_article_date(text, expected):
    assert iso(text) == expected
    assert normalize_time(text, None).reason == NO_ARTICLE_DATE


def test_relative_forms_at_year_and_month_edges():
    january = datetime.date(2025, 1, 6)
    assert iso("năm qua", january) == "2024-01-01/2024-12-31"  # a year-end review published in January
    assert iso("tháng trước", january) == "2024-12-01/2024-12-31"
    assert iso("quý trước", january) == "2024-10-01/2024-12-31"
    assert iso("hôm qua", datetime.date(2024, 3, 1)) == "2024-02-29"
    assert iso("tuần trước", datetime.date(2024, 7, 21)) == "2024-07-08/2024-07-14"  # a Sunday


@pytest.mark.parametrize(
    "text, expected",
    [
        ("cùng kỳ năm trước", "2023-01-01/2023-06-30"),
        ("so với cùng kỳ năm trước", "2023-01-01/2023-06-30"),
        ("cùng kỳ năm 2023", "2023-01-01/2023-06-30"),
        ("cùng kỳ 2022", "2022-01-01/2022-06-30"),
        ("cùng kỳ", "2023-01-01/2023-06-30"),
        ("Cùng kì năm ngoái", "2023-01-01/2023-06-30"),
        ("cùng thời kỳ năm 2023", "2023-01-01/2023-06-30"),
    ],
)
def test_same_period_moves_the_compared_period(text, expected):
    assert needs_period(text)
    assert iso(text, ARTICLE, H1_2024) == expected
    # without the compared period it stays open: the whole year would claim more than the text says
    assert normalize_time(text, ARTICLE).reason == "cùng kỳ: the compared period is not known"


def test_same_period_of_a_leap_day():
    leap_day = TimeValue(datetime.date(2024, 2, 29), datetime.date(2024, 2, 29))
    assert iso("cùng kỳ năm trước", ARTICLE, leap_day) == "2023-02-28"
    assert not needs_period("năm 2023") and not needs_period("6 tháng đầu năm 2024")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("thời gian qua", VAGUE),
        ("Thời gian gần đây", VAGUE),
        ("gần đây", VAGUE),
        ("thời gian tới", VAGUE),
        ("những năm qua", VAGUE),
        ("5 năm qua", VAGUE),
        ("trước đó", VAGUE),
        ("dịp Tết Nguyên đán", "festival or lunar-calendar date: not resolved"),
        ("Tết Nguyên đán Giáp Thìn 2024", "festival or lunar-calendar date: not resolved"),
        ("trước, trong và sau Tết", "festival or lunar-calendar date: not resolved"),
        ("rằm tháng Giêng", "festival or lunar-calendar date: not resolved"),
        ("hằng năm", "recurring time, not a period"),
        ("hàng tháng", "recurring time, not a period"),
        ("đến nay", "only one end of the period is given"),
        ("31/2/2024", "invalid date: day 31 of month 2"),
        ("31/2", "invalid date: day 31 of month 2"),
        ("29/2/2023", "invalid date: day 29 of month 2"),
        ("ngày 31/4/2024", "invalid date: day 31 of month 4"),
        ("tháng 13/2024", "invalid month: 13"),
        ("ngày 32/1/2024", "invalid day: 32"),
        ("ngày 0/1/2024", "invalid day: 0"),
        ("năm 3024", "year out of range: 3024"),
        ("ngày 12", "a day without a month"),
        ("13 tháng đầu năm 2024", "invalid number of months: 13"),
        ("từ ngày 15/3 đến ngày 1/3/2024", "the period ends before it starts"),
        ("từ năm 2025 đến năm 2020", "the period ends before it starts"),
        ("quý V năm 2024", "not a recognised time expression"),
        ("", "empty"),
        ("  , ", "empty"),
        ("buổi sáng", "not a recognised time expression"),
    ],
)
def test_unresolved_forms_say_why(text, reason):
    value = normalize_time(text, ARTICLE)
    assert value.iso is None and value.start is None and value.end is None
    assert value.reason == reason


def test_open_start_after_the_article_date_is_unresolved():
    assert normalize_time("từ ngày 1/3/2025", ARTICLE).reason == "the period starts after the article date"
    assert normalize_time("từ năm 2020", None).reason == NO_ARTICLE_DATE


def test_nfc_and_case_do_not_matter():
    decomposed = "Quy\u0301 I năm 2024"  # ý as y + combining acute
    assert iso(decomposed) == iso("QUÝ I NĂM 2024") == "2024-01-01/2024-03-31"
    assert iso("Ngày\u00a012/3/2024") == "2024-03-12"  # a no-break space


def test_a_resolved_value_has_no_reason_and_a_day_is_not_an_interval():
    value = normalize_time("12/3/2024")
    assert value == TimeValue(datetime.date(2024, 3, 12), datetime.date(2024, 3, 12)) and value.reason is None
    assert "/" not in value.iso


TIME_WORDS = st.sampled_from(
    [
        "ngày", "tháng", "năm", "quý", "từ", "đến", "nay", "qua", "trước", "cùng kỳ", "đầu", "cuối", "-", "/", ".",
        ",", "và", "rạng sáng", "đêm", "I", "IV", "6", "12", "31", "2", "29", "2024", "0", "99", "9999", "giờ", "h",
        "tết", "hôm", "tuần", "(", ")", " ", "  ",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(st.text(max_size=40), st.lists(TIME_WORDS, max_size=10).map(" ".join)),
    article_date=st.one_of(st.none(), st.dates()),
    period=st.one_of(st.none(), st.tuples(st.dates(), st.dates()).map(lambda pair: TimeValue(*sorted(pair)))),
)
def test_never_raises_and_intervals_are_ordered(text, article_date, period):
    value = normalize_time(text, article_date, period)
    if value.iso is None:
        assert value.reason
    else:
        assert value.reason is None and value.start <= value.end
        parts = value.iso.split("/")
        assert [datetime.date.fromisoformat(part) for part in parts] == (
            [value.start] if len(parts) == 1 else [value.start, value.end]
        )
