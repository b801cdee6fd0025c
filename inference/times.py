"""Time normalisation: a TIME text of a report -> an ISO 8601 date or interval, or why it stays open.

    normalize_time("6 tháng đầu năm 2024").iso                          -> "2024-01-01/2024-06-30"
    normalize_time("chiều 26/4", datetime.date(2024, 5, 2)).iso         -> "2024-04-26"
    normalize_time("thời gian qua", datetime.date(2024, 5, 2)).reason   -> "vague: ..."

A value is a day ``YYYY-MM-DD`` or an interval ``YYYY-MM-DD/YYYY-MM-DD`` (both days included): the calendar
period the text names, or the smallest one that contains it (``đầu tháng 3`` is March, ``cuối năm 2023`` is
2023). Rules:

* A day, month, quarter or half-year without a year takes the article's year; when that puts its start more
  than ``FUTURE_DAYS`` after the article date it takes the year before (``tháng 12`` in a January report).
  Without an article date it stays unresolved ("no article date").
* Ranges: ``từ A đến B``, ``A - B``, ``A và B``, ``đêm A rạng sáng B``; A takes the month and year it lacks
  from B (``ngày 5-6/7/2024``). ``từ A`` alone runs from A to the article date.
* Relative forms against the article date: ``năm nay``, ``năm trước``/``năm ngoái``, ``tháng trước``,
  ``tháng này``, ``quý trước``, ``tuần qua`` (the 7 days before), ``tuần trước`` (the calendar week before),
  ``hôm qua``, ``hôm nay``, ``đến nay``. ``năm qua`` is the reporting year: the article's year from July on,
  the year before in a January-June article (a year-end review published in January).
* ``cùng kỳ năm trước`` / ``cùng kỳ năm 2023``: the compared ``period`` (the report's own time, given by the
  caller) moved to that year. Without a period it stays unresolved: a whole year would claim more than the
  text says.
* Vague (``thời gian qua``, ``gần đây``), recurring (``hằng năm``), festival and lunar dates (``dịp Tết
  Nguyên đán``), invalid dates (``31/2``) and anything else stay unresolved with a reason; nothing raises.

Over 300 lines on purpose: one small parser per time form (dates, ranges, months, quarters,
halves, relative forms), each with its own comment; they share the resolution against the article date.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass

# How far after the article date a year-less date may fall before it is read as last year's.
FUTURE_DAYS = 7
# Explicit years outside this range are typos or not dates.
MIN_YEAR, MAX_YEAR = 1900, 2100
NO_ARTICLE_DATE = "no article date"
VAGUE = "vague: names no calendar period"


@dataclass(frozen=True)
class TimeValue:
    """A normalised time: ``start``..``end`` (days, both included), or ``reason`` why there is none."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    reason: str | None = None

    @property
    def iso(self) -> str | None:
        """``YYYY-MM-DD`` for one day, ``YYYY-MM-DD/YYYY-MM-DD`` for an interval, None when unresolved."""
        if self.start is None or self.end is None:
            return None
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def normalize_time(text: str, article_date: datetime.date | None = None, period: TimeValue | None = None) -> TimeValue:
    """The calendar value of a TIME text; ``period`` is the time that ``cùng kỳ`` ("the same period") compares."""
    try:
        start, end = _normalize(text, article_date, period)
    except _Unresolved as error:
        return TimeValue(reason=str(error))
    except (ValueError, OverflowError):  # date arithmetic past the calendar's ends (year 1 or 9999)
        return TimeValue(reason="invalid date")
    return TimeValue(start, end)


def needs_period(text: str) -> bool:
    """Whether the text is a ``cùng kỳ`` comparison, resolved against another time (never itself a period)."""
    return bool(_SAME_PERIOD.fullmatch(_strip_fillers(_clean(text))))


# --- reading ---------------------------------------------------------------------------------------


class _Unresolved(Exception):
    """Why a text has no calendar value (internal: ``normalize_time`` turns it into a reason)."""


Interval = tuple[datetime.date, datetime.date]


@dataclass(frozen=True)
class _Spec:
    """A period as written; what it lacks comes from the other end of a range or from the article date.

    Months None and day None: the whole year. Months None and a day: a bare day ("5" of "5-6/7")."""

    year: int | None
    first_month: int | None
    last_month: int | None
    day: int | None = None


_WEEKDAY = re.compile(r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s+nhật)\b")
# Words before a time that do not change it: prepositions, parts of the day, hours, "dịp lễ".
_FILLER = re.compile(
    r"(?:vào|lúc|trong|khoảng|hồi|tại|suốt|ngay|so\s+với|nhân\s+dịp|dịp|đợt|nghỉ|lễ|buổi|thời\s+điểm|giai\s+đoạn"
    r"|thời\s+gian(?!\s+(?:qua|tới|gần|vừa|này|sau|trước))|rạng\s+sáng|sáng\s+sớm|sáng|trưa|chiều|tối|đêm|khuya"
    r"|hôm(?!\s+(?:qua|nay|kia))|\d{1,2}\s*(?:giờ|h|g)(?:\s*\d{1,2}\s*(?:phút|p|')?)?|\d{1,2}:\d{2})"
    r"(?!\w)[\s,]*"
)
_OPEN_START = re.compile(r"(?:kể\s+)?từ\s+")
_TRAILING = re.compile(r"\s+(?:vừa\s+qua|vừa\s+rồi)$")
# Between the two ends of a range. "-" also separates day, month and year: a whole-text reading is tried first.
_SEPARATOR = re.compile(r"\s+(?:cho\s+)?(?:đến|tới|và|sang|rạng\s+sáng)\s+|\s*,\s*(?:rạng\s+sáng\s+)?|\s*-\s*")

_NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
    "mười": 10, "mười một": 11, "mười hai": 12,
}  # fmt: skip
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_COUNT = r"(?P<count>\d{1,2}|mười\s+một|mười\s+hai|một|hai|ba|bốn|tư|năm|sáu|bảy|bẩy|tám|chín|mười)"
_YEAR_AFTER = r"(?:\s*[/.-]\s*|\s*,?\s+(?:năm\s+)?)(?P<year>\d{4})"

_YEAR = re.compile(r"(?:(?:đầu|giữa|cuối|hết|cả|toàn|trong)\s+)?năm(?:\s+(?P<year>\d{4}))?|(?P<bare>\d{4})")
_MONTHS_OF_YEAR = re.compile(_COUNT + r"\s+tháng(?:\s+(?P<side>đầu|cuối))?\s+năm(?:\s+(?P<year>\d{4}))?")
_HALF = re.compile(r"nửa\s+(?:(?P<side>đầu|cuối)\s+năm|năm\s+(?P<side2>đầu|cuối))(?:\s+(?P<year>\d{4}))?")
_QUARTER = re.compile(r"qu[ýyí]\s+(?P<quarter>iv|i{1,3}|[1-4])(?:" + _YEAR_AFTER + ")?")
_MONTH = re.compile(r"(?:(?:đầu|giữa|cuối|hết|cả|trong)\s+)?tháng\s+(?P<month>\d{1,2})(?:" + _YEAR_AFTER + ")?")
_MONTH_NUMERIC = re.compile(r"(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>\d{4})")
_DAY_WORDS = re.compile(r"(?:ngày\s+)?(?P<day>\d{1,2})\s+tháng\s+(?P<month>\d{1,2})(?:" + _YEAR_AFTER + ")?")
_DAY_NUMERIC = re.compile(
    r"(?:ngày\s+)?(?P<day>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<month>\d{1,2})"
    r"(?:\s*(?P=sep)\s*(?P<year>\d{4}|\d{2})|\s*,?\s+năm\s+(?P<year2>\d{4}))?"
)
_BARE_DAY = re.compile(r"(?:ngày\s+)?(?P<day>\d{1,2})")

_SAME_PERIOD = re.compile(r"(?:so\s+với\s+)?cùng\s+(?:thời\s+)?k[ỳì](?:\s+(?:của\s+)?(?P<rest>.*))?")
_NOW = re.compile(r"nay|hiện\s+nay|hôm\s+nay|bây\s+giờ|hiện\s+tại")
_RELATIVE_YEAR = re.compile(r"\bnăm\s+(?P<which>nay|trước|ngoái)\b")

_FESTIVAL = re.compile(r"\b(?:tết|lễ|quốc\s+khánh|giáng\s+sinh|noel|trung\s+thu|rằm|âm\s+lịch|nguyên\s+đán|mùa\s+xuân)\b")
_RECURRING = re.compile(r"\b(?:hằng|hàng|mỗi)\s+(?:năm|tháng|quý|tuần|ngày)\b|\bđịnh\s+kỳ\b")
_VAGUE_PHRASE = re.compile(
    r"\b(?:thời\s+gian|(?:những|các|nhiều|mấy|vài|(?<!tháng\s)\d+)\s+(?:năm|tháng|tuần|ngày))\s+(?:qua|vừa\s+qua|gần\s+đây|tới|này|trước)\b"
    r"|\b(?:gần\s+đây|trước\s+đó|sau\s+đó|thời\s+gian\s+tới)\b"
)
_ONE_END = re.compile(r"(?:cho\s+)?(?:đến|tới|trước|sau|từ)\s+")
_VAGUE_WORD = re.compile(r"\b(?:qua|tới|nay|những|các|nhiều|một\s+số|thời\s+gian)\b")
_RELATIVE_WORDS = re.compile(r"\b(?:nay|qua|trước|ngoái|hôm|tuần|kia)\b")


def _clean(text: str) -> str:
    """NFC, lower case, single spaces, one kind of dash, no weekday, no brackets, no edge punctuation."""
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub(r"[–—‒−]", "-", text)
    text = _WEEKDAY.sub(" ", text)
    text = re.sub(r"[()\[\]]", " ", text)
    return re.sub(r"\s+", " ", text).strip(" ,.;:!?\"'")


def _strip_fillers(text: str) -> str:
    while True:
        match = _FILLER.match(text)
        if not match or not match.group():
            return text
        text = text[match.end() :]


def _normalize(text: str, article_date: datetime.date | None, period: TimeValue | None) -> Interval:
    clean = _clean(text)
    if not clean:
        raise _Unresolved("empty")
    core = _strip_fillers(clean)
    same = _SAME_PERIOD.fullmatch(core)
    if same:
        return _same_period(same["rest"] or "", period)
    if article_date is not None:  # "6 tháng đầu năm nay" -> "6 tháng đầu năm 2024"
        core = _RELATIVE_YEAR.sub(lambda m: _year_word(m["which"], article_date), core)
    open_start = _OPEN_START.match(core)
    if open_start:
        core = _strip_fillers(core[open_start.end() :])
    if re.search(r"\d", core):  # "ngày 12/3 vừa qua"; not "năm vừa qua", a relative form
        core = _TRAILING.sub("", core)

    # The whole text as one period first, then as a range at each separator; a reading that fails with a
    # reason ("5-13/7" is no 5 of month 13) gives way to a later one that works (days 5 to 13 of July).
    first_error: _Unresolved | None = None
    try:
        single = _endpoint(core, article_date)
        if single is not None:
            interval = _interval(single, article_date)
            return _from(interval, article_date) if open_start else interval
    except _Unresolved as error:
        first_error = error
    for separator in _SEPARATOR.finditer(core):
        left, right = core[: separator.start()], core[separator.end() :]
        if not left or not right:
            continue
        try:
            left_end = _endpoint(_strip_fillers(left), article_date)
            right_end = _endpoint(_strip_fillers(right), article_date)
            if left_end is not None and right_end is not None:
                return _range(left_end, right_end, article_date)
        except _Unresolved as error:
            first_error = first_error or error
    raise first_error or _Unresolved(_why_not(clean, article_date))


def _year_word(which: str, article_date: datetime.date) -> str:
    return f"năm {article_date.year if which == 'nay' else article_date.year - 1}"


def _why_not(clean: str, article_date: datetime.date | None) -> str:
    if _FESTIVAL.search(clean):
        return "festival or lunar-calendar date: not resolved"
    if _RECURRING.search(clean):
        return "recurring time, not a period"
    if _VAGUE_PHRASE.search(clean):
        return VAGUE
    if article_date is None and _RELATIVE_WORDS.search(clean):
        return NO_ARTICLE_DATE
    if _ONE_END.match(clean):
        return "only one end of the period is given"
    if _VAGUE_WORD.search(clean):
        return VAGUE
    return "not a recognised time expression"


def _endpoint(text: str, article_date: datetime.date | None) -> _Spec | Interval | None:
    """One period: a ``_Spec`` as written, an interval for relative words, or None when it is not one."""
    relative = _relative(text, article_date)
    if relative is not None:
        return relative
    if match := _YEAR.fullmatch(text):
        return _Spec(_year(match["year"] or match["bare"]), None, None)
    if match := _MONTHS_OF_YEAR.fullmatch(text):
        count = int(match["count"]) if match["count"].isdigit() else _NUMBER_WORDS[re.sub(r"\s+", " ", match["count"])]
        if not 1 <= count <= 12:
            raise _Unresolved(f"invalid number of months: {count}")
        first, last = (13 - count, 12) if match["side"] == "cuối" else (1, count)
        return _Spec(_year(match["year"]), first, last)
    if match := _HALF.fullmatch(text):
        first, last = (7, 12) if "cuối" in (match["side"], match["side2"]) else (1, 6)
        return _Spec(_year(match["year"]), first, last)
    if match := _QUARTER.fullmatch(text):
        quarter = _ROMAN.get(match["quarter"]) or int(match["quarter"])
        return _Spec(_year(match["year"]), 3 * quarter - 2, 3 * quarter)
    if match := _MONTH.fullmatch(text) or _MONTH_NUMERIC.fullmatch(text):
        month = _month(match["month"])
        return _Spec(_year(match["year"]), month, month)
    if match := _DAY_WORDS.fullmatch(text) or _DAY_NUMERIC.fullmatch(text):
        month = _month(match["month"])
        year = match["year"] or match.groupdict().get("year2")
        return _Spec(_year(year), month, month, _day(match["day"]))
    if match := _BARE_DAY.fullmatch(text):
        return _Spec(None, None, None, _day(match["day"]))
    return None


def _year(written: str | None) -> int | None:
    if written is None:
        return None
    year = int(written) + (2000 if len(written) == 2 else 0)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Unresolved(f"year out of range: {written}")
    return year


def _month(written: str) -> int:
    if not 1 <= int(written) <= 12:
        raise _Unresolved(f"invalid month: {written}")
    return int(written)


def _day(written: str) -> int:
    if not 1 <= int(written) <= 31:
        raise _Unresolved(f"invalid day: {written}")
    return int(written)


# --- resolving -------------------------------------------------------------------------------------


def _dates(spec: _Spec, year: int, month: int | None = None) -> Interval:
    """The first and last day of ``spec`` in ``year`` (``month`` completes a bare day)."""
    first = spec.first_month or month
    last = spec.last_month or month
    if spec.day is not None:
        if first is None:
            raise _Unresolved("a day without a month")
        if spec.day > calendar.monthrange(year, first)[1]:
            raise _Unresolved(f"invalid date: day {spec.day} of month {first}")
        day = datetime.date(year, first, spec.day)
        return day, day
    first, last = first or 1, last or 12
    return datetime.date(year, first, 1), datetime.date(year, last, calendar.monthrange(year, last)[1])


def _interval(end: _Spec | Interval, article_date: datetime.date | None) -> Interval:
    """An interval for one period; a year-less one takes the article's year (or the year before)."""
    if isinstance(end, tuple):
        return end
    if end.year is not None:
        return _dates(end, end.year)
    if end.first_month is None and end.day is not None:
        raise _Unresolved("a day without a month")
    if article_date is None:
        _dates(end, 2000)  # a date no year has (31/2) says so before the missing article date does
        raise _Unresolved(NO_ARTICLE_DATE)
    latest = article_date + datetime.timedelta(days=FUTURE_DAYS)
    this_year = _dates_or_none(end, article_date.year)
    if this_year is not None and this_year[0] <= latest:
        return this_year
    return _dates(end, article_date.year - 1)


def _dates_or_none(spec: _Spec, year: int) -> Interval | None:
    """``_dates``, or None where the date does not exist that year (29/2): the year before may have it."""
    try:
        return _dates(spec, year)
    except _Unresolved:
        return None


def _range(left: _Spec | Interval, right: _Spec | Interval, article_date: datetime.date | None) -> Interval:
    """From the start of ``left`` to the end of ``right``; ``left`` takes the year and month it lacks from ``right``."""
    right_start, right_end = _interval(right, article_date)
    if isinstance(left, tuple):
        start = left[0]
    elif left.year is not None:
        start = _dates(left, left.year)[0]
    else:
        month = right_start.month if left.day is not None and left.first_month is None else None  # "5" of "5-6/7"
        start = _dates(left, right_end.year, month)[0]
        if start > right_end and start.month > right_end.month:  # "từ 25/12 đến 5/1/2024": the year before
            start = _dates(left, right_end.year - 1, month)[0]
    if start > right_end:
        raise _Unresolved("the period ends before it starts")
    return start, right_end


def _from(interval: Interval, article_date: datetime.date | None) -> Interval:
    """``từ X`` with no end: from X to the article date."""
    if article_date is None:
        raise _Unresolved(NO_ARTICLE_DATE)  # "từ X" runs to the article date
    if article_date < interval[0]:
        raise _Unresolved("the period starts after the article date")
    return interval[0], article_date


def _same_period(rest: str, period: TimeValue | None) -> Interval:
    """``cùng kỳ [năm trước | năm 2023]``: ``period`` moved to that year."""
    if period is None or period.start is None or period.end is None:
        raise _Unresolved("cùng kỳ: the compared period is not known")
    rest = rest.strip()
    if rest in ("", "năm trước", "năm ngoái", "năm qua", "năm vừa qua", "trước", "năm liền kề", "liền kề"):
        shift = -1
    elif match := re.fullmatch(r"(?:năm\s+)?(\d{4})", rest):
        shift = (_year(match[1]) or 0) - period.start.year
    else:
        raise _Unresolved(f"cùng kỳ: unrecognised year {rest!r}")
    return _shift_years(period.start, shift), _shift_years(period.end, shift)


def _shift_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes the 28th in a common year."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


_RELATIVE = (
    (re.compile(r"(?:một\s+)?năm\s+(?:vừa\s+)?qua|năm\s+vừa\s+rồi"), "reporting year"),
    (re.compile(r"tháng\s+(?:trước|qua|vừa\s+qua|vừa\s+rồi)"), "previous month"),
    (re.compile(r"tháng\s+(?:này|nay)"), "this month"),
    (re.compile(r"qu[ýyí]\s+(?:trước|qua|vừa\s+qua)"), "previous quarter"),
    (re.compile(r"qu[ýyí]\s+(?:này|nay)"), "this quarter"),
    (re.compile(r"tuần\s+(?:qua|vừa\s+qua)"), "past 7 days"),
    (re.compile(r"tuần\s+(?:trước|vừa\s+rồi)"), "previous week"),
    (re.compile(r"tuần\s+(?:này|nay)"), "this week"),
    (re.compile(r"hôm\s+qua"), "yesterday"),
    (re.compile(r"hôm\s+kia"), "day before yesterday"),
)


def _relative(text: str, article_date: datetime.date | None) -> Interval | None:
    """The interval of a relative form (``tháng trước``, ``hôm qua``, ``nay``), or None when it is not one."""
    kind = "now" if _NOW.fullmatch(text) else next((kind for pattern, kind in _RELATIVE if pattern.fullmatch(text)), None)
    if kind is None:
        return None
    if article_date is None:
        raise _Unresolved(NO_ARTICLE_DATE)
    day = datetime.timedelta(days=1)
    d = article_date
    if kind == "now":
        return d, d
    if kind == "reporting year":
        year = d.year if d.month >= 7 else d.year - 1
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if kind in ("previous month", "this month"):
        first = d.replace(day=1)
        if kind == "previous month":
            first = (first - day).replace(day=1)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if kind in ("previous quarter", "this quarter"):
        first = datetime.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
        if kind == "previous quarter":
            first = (first - day).replace(day=1)
            first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
        last_month = first.month + 2
        return first, datetime.date(first.year, last_month, calendar.monthrange(first.year, last_month)[1])
    if kind == "past 7 days":
        return d - 7 * day, d - day
    if kind in ("previous week", "this week"):
        monday = d - d.weekday() * day - (7 * day if kind == "previous week" else 0 * day)
        return monday, monday + 6 * day
    return (d - day, d - day) if kind == "yesterday" else (d - 2 * day, d - 2 * day)
