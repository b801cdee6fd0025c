"""Vietnamese numbers and quantities: ``1.344``, ``0,128kg``, ``01``, ``hai mươi``, ``3,5 tỷ đồng``.

In Vietnamese ``.`` groups thousands and ``,`` marks decimals. A dot is read as
a decimal point only when it is not followed by exactly three digits
(``1.5kg``), as some reports copy English notation.
"""

from __future__ import annotations

import re

from annotations.schema import QUALIFIERS, SLOT_TYPES

_DIGITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_SCALES = {"nghìn": 1_000, "ngàn": 1_000, "triệu": 1_000_000, "tỉ": 1_000_000_000, "tỷ": 1_000_000_000}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# weight unit -> grams
WEIGHTS = {
    "kg": 1000.0,
    "kilogam": 1000.0,
    "ki-lô-gam": 1000.0,
    "g": 1.0,
    "gam": 1.0,
    "gram": 1.0,
    "gr": 1.0,
    "tấn": 1_000_000.0,
    "tạ": 100_000.0,
    "yến": 10_000.0,
    "mg": 0.001,
    "lạng": 100.0,
}
# Measure words (classifiers, units, counted nouns of people and cases). A span whose
# first word after the number is not one of these has no unit: "8 xe máy" counts "xe máy".
MEASURE_WORDS = frozenset(
    {
        "lần",
        "lượt",
        "buổi",
        "ca",
        "tổ",
        "chuyến",
        "giờ",
        "phút",
        "vụ",
        "người",
        "bị can",
        "công dân",
        "đối tượng",
        "trường hợp",
        "vụ án",
        "chuyên án",
        "bánh",
        "tép",
        "gói",
        "viên",
        "kg",
        "g",
        "gam",
        "gram",
        "gr",
        "mg",
        "tấn",
        "tạ",
        "yến",
        "lạng",
        "lít",
        "m3",
        "mét",
        "km",
        "khẩu",
        "chiếc",
        "cái",
        "con",
        "bao",
        "cây",
        "hộp",
        "thùng",
        "kiện",
        "tấm",
        "quả",
        "bộ",
        "đôi",
        "cặp",
        "điếu",
        "cá thể",
        "can",
        "đồng",
        "usd",
        "vnđ",
        "vnd",
        "tệ",
        "nhân dân tệ",
        "kíp",
        "bạt",
        "riel",
    }
)
# Longest first, so "nhân dân tệ" wins over "tệ" and "vụ án" over "vụ".
_MEASURE_WORDS_LONGEST_FIRST = tuple(sorted(MEASURE_WORDS, key=len, reverse=True))
CURRENCIES = {
    "đồng": "VND",
    "vnđ": "VND",
    "vnd": "VND",
    "usd": "USD",
    "đô": "USD",
    "đô-la": "USD",
    "nhân dân tệ": "CNY",
    "tệ": "CNY",
    "kíp": "LAK",
    "bạt": "THB",
    "riel": "KHR",
}


_NUMBER_WORDS = frozenset(_DIGITS) | {"mười", "mươi", "trăm"} | frozenset(_SCALES)


def has_numeral(text: str) -> bool:
    """Whether ``text`` holds a number, in digits or in words (``12``, ``ba``, ``một nghìn``)."""
    return any(c.isdigit() for c in text) or not _NUMBER_WORDS.isdisjoint(text.lower().split())


def parse_digits(token: str) -> float:
    """``1.344`` -> 1344, ``0,128`` -> 0.128, ``01`` -> 1, ``1.344,5`` -> 1344.5, ``1.5`` -> 1.5."""
    if "," in token:
        whole, _, fraction = token.rpartition(",")
        return float(whole.replace(".", "") + "." + fraction)
    parts = token.split(".")
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))
    if len(parts) == 2:
        return float(token)
    return float(token.replace(".", ""))


def parse_number_words(words: list[str]) -> float | None:
    """``hai mươi`` -> 20, ``một trăm linh năm`` -> 105, ``ba nghìn hai trăm`` -> 3200; None if not a number."""
    total, group, current = 0, 0, 0
    seen = False
    for word in words:
        if word in _DIGITS:
            current = _DIGITS[word]
        elif word == "mười":
            current = 10
            group += current
            current = 0
        elif word == "mươi":
            group += (current or 1) * 10
            current = 0
        elif word == "trăm":
            group += (current or 1) * 100
            current = 0
        elif word in ("linh", "lẻ"):
            pass
        elif word in _SCALES:
            total += (group + current or 1) * _SCALES[word]
            group, current = 0, 0
        else:
            return None
        seen = True
    if not seen:
        return None
    return float(total + group + current)


def _as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)


def parse_quantity(text: str) -> dict:
    """Split a count or amount span into qualifier, value, unit and the counted noun.

    >>> parse_quantity("trên 1 tỉ đồng")["value"]
    1000000000
    """
    words = text.split()
    result: dict = {"text": text, "value": None, "unit": None}
    if words and words[0].lower() in QUALIFIERS:
        result["qualifier"] = words[0].lower()
        words = words[1:]
    rest = " ".join(words)
    match = _NUMBER.match(rest)
    if match:
        value = parse_digits(match.group())
        rest = rest[match.end() :].strip()
    else:
        # Number words: take the longest prefix of words that parses.
        value, used = None, 0
        for n in range(len(words), 0, -1):
            parsed = parse_number_words([w.lower() for w in words[:n]])
            if parsed is not None:
                value, used = parsed, n
                break
        rest = " ".join(words[used:])
    if value is None:
        return result
    # A scale word after digits: "3,5 tỷ đồng", "450 triệu".
    scale = rest.split(" ", 1)
    if scale[0].lower() in _SCALES:
        value *= _SCALES[scale[0].lower()]
        rest = scale[1] if len(scale) > 1 else ""
    result["value"] = _as_number(value)
    if rest:
        lowered = rest.lower()
        unit = next((u for u in _MEASURE_WORDS_LONGEST_FIRST if lowered == u or lowered.startswith(u + " ")), None)
        result["unit"] = unit
        noun = rest[len(unit) :].strip() if unit else rest
        if noun:
            result["noun"] = noun
    return result


def normalise(label: str, text: str) -> dict:
    """The normalised value of a slot: quantities for counts and amounts, the text otherwise."""
    if SLOT_TYPES[label].kind != "quantity":
        return {"text": text}
    quantity = parse_quantity(text)
    unit = (quantity.get("unit") or "").lower()
    if quantity["value"] is not None:
        if unit in WEIGHTS:
            quantity["grams"] = _as_number(quantity["value"] * WEIGHTS[unit])
        if label == "MONEY":
            lowered = text.lower()
            currency = next((code for word, code in CURRENCIES.items() if word in lowered), "VND")
            quantity["currency"] = currency
            if currency == "VND":
                quantity["dong"] = quantity["value"]
    return quantity
