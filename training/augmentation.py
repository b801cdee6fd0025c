"""Seeded augmentation of training sentences: new places, people, numbers and spellings in the same frames.

A share of the training split (``augmentation.share`` of the config) is replaced by a variant of
itself, so training takes as many steps as without it. A variant keeps the sentence's frame and
labels and changes what the model should not memorise:

- place names after a type word (``tỉnh Lai Châu``, ``xã Mường Tè``) inside ORGANIZATION and
  OFFICIAL_TITLE spans become other real names of the same level, from the gazetteer of
  ``vietnam-provinces`` (every current province and commune, and the pre-2025 provinces);
- each name of a LOCATION span (``Lai Châu``, ``Hoài Ân, Bình Định``; countries stay) becomes another
  of the same level, or, for a one-name place, sometimes a province or district of Laos, Cambodia or
  China, hyphenated or spaced as the Vietnamese press writes them (``Phông-xa-lỳ``, ``Stung Treng``);
- a person's name (OFFICIAL_NAME) becomes a generated one: Kinh or of a northern-border ethnic group,
  sometimes the given name alone (a person named again, a suspect) or a Lao, Khmer or Chinese name;
- numbers inside count, amount and money spans get another value of the same size, written with or
  without the thousands dot, and small counts sometimes as words (``ba``, ``mười hai``);
- the whole sentence switches between old and new tone placement (``hoà``/``hòa``, ``thuỷ``/``thủy``)
  and between ``sĩ`` and ``sỹ``, both common in published reports.

A separate share (``augmentation.casing``) is recased in one of the ways published text is cased and
the team's writers never case it: a headline in capitals, every syllable capitalised, all lower case,
names of units and places with every syllable capitalised (``Đồn Biên Phòng Cửa Khẩu``), or their type
words in lower case (``đồn biên phòng Sín Thầu``). Recasing keeps every offset (Vietnamese letters
change case one for one), so spans stay where they are.

A third share (``augmentation.number_words``) has its counts of 1 to 12 written in words (``03 vụ`` ->
``ba vụ``), as spoken scripts and many reports write them and the team's writers seldom did for
``bảy``, ``tám``, ``chín``.

Only the training split is augmented; the same seed gives the same variants.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from functools import lru_cache

from annotations.labelstudio import Example
from annotations.schema import QUALIFIERS, labels_of
from annotations.spans import Span
from annotations.text import LETTER_RUN

SURNAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Đinh", "Lương", "Trịnh", "Mai", "Cao", "Lò", "Lầu", "Vàng", "Sùng", "Giàng", "Hà", "Lường",
    "Cầm", "Quàng", "Thào", "Mùa", "Lục", "Nông", "Hứa", "La", "Sầm", "Y", "Kpă", "Rơ Châm",
)  # fmt: skip
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Ngọc", "Công", "A", "Seo", "Mí", "Khánh")
GIVEN = (
    "Hùng", "Dũng", "Tuấn", "Hải", "Sơn", "Thắng", "Cường", "Phong", "Long", "Nam", "Bình", "Toàn", "Khải",
    "Lâm", "Trung", "Tú", "Hiếu", "Quyết", "Thành", "Chiến", "Lan", "Hoa", "Hương", "Mai", "Thủy", "Ánh", "Sính",
    "Páo", "Chứ", "Dìn", "Pó", "Khăm", "Thoong", "Xay", "Vin", "Sáng", "Hòa", "Thụy", "Kiên", "Vĩnh", "Lộc",
)  # fmt: skip
# Foreign names and places, none of them the ones that ``benchmarks/robustness.py`` rewrites to, so that
# its rows still measure names and places never trained on.
LAO_SYLLABLES = (
    "khăm", "bun", "xổm", "phết", "thoong", "vi", "lạt", "xạy", "sỉ", "phon", "chăn", "tha", "ma", "ni", "đeng",
    "nu", "sẻng", "kẹo", "vông", "xay", "la", "thong", "sạ", "vẳn", "ly", "xú", "lin", "pạ", "sắc", "phu", "nạ",
    "pheng", "thăm", "ỏn", "xỉ", "keo", "lăm", "đuông", "chít", "pha", "xẻ", "mạ", "lay",
)  # fmt: skip
LATIN_FOREIGN_NAMES = (  # (family names, given names) written in Latin letters: Lao, Khmer, Chinese
    (("Phommachanh", "Sayavong", "Vongsavath", "Chanthavong", "Sisoulath", "Douangmala", "Keovongsa"),
     ("Somsack", "Vilayvanh", "Khamla", "Bounthong", "Chanthala", "Sisouk", "Phouvong", "Thongsavanh")),
    (("Pich", "Mao", "Keo", "Ouk", "Prak", "Nhem", "Yim", "Touch", "Meas"),
     ("Sothea", "Rithy", "Sambath", "Vanna", "Sokha", "Vibol", "Pisey", "Samnang")),
    (("Liu", "Huang", "Zhao", "Sun", "Zhou", "Wu", "Xu", "Ma", "Yang"),
     ("Yong", "Bo", "Lei", "Qiang", "Ping", "Gang", "Fang", "Tao", "Jie")),
)  # fmt: skip
FOREIGN_PLACES = (
    "Phông-xa-lỳ", "U-đôm-xay", "Luổng-nặm-thà", "Bô-ly-khăm-xay", "Sa-vẳn-na-khệt", "Viêng-chăn", "Át-tạ-pư",
    "Xê-băng-hiêng", "Sầm-nưa", "Mường-khua", "Na-pê", "Savannakhet", "Phongsaly", "Kratie", "Stung Treng",
    "Prey Veng", "Takeo", "Kampot", "Kandal", "Preah Vihear", "Quảng Đông", "Phòng Thành", "Đông Hưng",
    "Văn Sơn", "Hồng Hà", "Bách Sắc", "Mã Quan", "Mông Tự",
)  # fmt: skip
NUMBER_WORDS = ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai")
PLACE_LABELS = ("ORGANIZATION", "OFFICIAL_TITLE")  # place names after their type words
NUMBER_LABELS = set(labels_of("quantity"))
PROVINCE_WORDS = ("tỉnh", "thành phố")

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+){1,4}$")
_NAME_PART = re.compile(r"^[^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*){0,4}$")  # a place name: words, no numbers
# Old tone placement "hoà", "thuỷ" against new "hòa", "thủy" (oa, oe, uy at the end of a syllable, not after q).
_TONE_PAIRS = [(a + b, c + d) for a, b, c, d in (
    ("o", "à", "ò", "a"), ("o", "á", "ó", "a"), ("o", "ả", "ỏ", "a"), ("o", "ã", "õ", "a"), ("o", "ạ", "ọ", "a"),
    ("o", "è", "ò", "e"), ("o", "é", "ó", "e"), ("o", "ẻ", "ỏ", "e"), ("o", "ẽ", "õ", "e"), ("o", "ẹ", "ọ", "e"),
    ("u", "ỳ", "ù", "y"), ("u", "ý", "ú", "y"), ("u", "ỷ", "ủ", "y"), ("u", "ỹ", "ũ", "y"), ("u", "ỵ", "ụ", "y"),
)]  # fmt: skip
_SPELLINGS = [("sĩ", "sỹ")]

# Type words of units and titles that published reports also write in lower case; never a word that can
# be part of a proper name on its own ("Hải" of "Hải Phòng", "Trường" of "Trường Sa").
_TYPE_WORDS = re.compile(
    r"\b(?:Bộ Tư lệnh|Bộ Chỉ huy|Ban Chỉ huy|Bộ đội|Biên phòng|Đồn|Hải đội|Hải quan|Công an|Cảnh sát|Đoàn|"
    r"Trạm|Ủy ban nhân dân|UBND|Chi cục|Cục|Tiểu đoàn|Trung đoàn|Kiểm lâm|Cửa khẩu|Chỉ huy trưởng|"
    r"Chính trị viên|Chính ủy|Đồn trưởng|Chủ tịch|Bí thư|Giám đốc|Trưởng|Hội(?= (?:Liên|Nông|Cựu|Phụ))|"
    r"Phó(?= (?:Chỉ|Chính|Chủ|Giám|Bí|Đồn|Trưởng|Cục|Tư))|(?:Đại|Thượng|Trung|Thiếu) (?:tướng|tá|úy))\b"
)


@lru_cache(maxsize=1)
def _places() -> tuple[list[str], list[str]]:
    from inference.places import gazetteer

    provinces, communes = gazetteer()
    return provinces, [name for name in communes if not name[:1].isdigit()]


def _hyphenated(syllables: list[str], hyphens: bool) -> str:
    """``Khăm-phết`` as the press writes foreign names now, or ``Khăm Phết`` as it often did."""
    return syllables[0].capitalize() + "".join(("-" + s) if hyphens else (" " + s.capitalize()) for s in syllables[1:])


def _foreign_person(rng: random.Random) -> str:
    if rng.random() < 0.4:
        families, givens = rng.choice(LATIN_FOREIGN_NAMES)
        return (
            f"{rng.choice(givens)} {rng.choice(families)}"
            if rng.random() < 0.5
            else f"{rng.choice(families)} {rng.choice(givens)}"
        )
    hyphens = rng.random() < 0.7
    parts = [rng.sample(LAO_SYLLABLES, rng.randint(1, 3)) for _ in range(2)]  # Lao: given name, family name
    return " ".join(_hyphenated(part, hyphens) for part in parts)


def _person(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:  # "Đại tá Thắng", "đối tượng Páo"
        return rng.choice(GIVEN)
    if roll < 0.35:
        return _foreign_person(rng)
    parts = [rng.choice(SURNAMES)] + [rng.choice(MIDDLE)] * (rng.random() < 0.85) + [rng.choice(GIVEN)]
    if rng.random() < 0.25:
        parts.insert(-1, rng.choice(GIVEN))  # four-syllable names: "Nguyễn Văn Minh Hùng"
    return " ".join(parts)


def _foreign_place(rng: random.Random) -> str:
    place = rng.choice(FOREIGN_PLACES)
    if "-" in place and rng.random() < 0.3:
        return _hyphenated(place.lower().split("-"), hyphens=False)  # "Sa Vẳn Na Khệt"
    return place


def _location_edits(text: str, rng: random.Random) -> list[tuple[int, int, str]]:
    """Edits of each name in a LOCATION text (``Hoài Ân, Bình Định``), offsets within it; countries stay."""
    from inference.places import link_place, typed_place_names

    provinces, communes = _places()
    names = [(m.start(), m.end()) for m in re.finditer(r"[^,]+", text)]
    edits = []
    for start, end in names:
        name = text[start:end].strip()
        start = text.index(name, start)
        typed = typed_place_names(name)
        if typed:  # "xã Mường Tè": the name after the type word, as in organisations
            for a, b, kind in typed:
                edits.append((start + a, start + b, rng.choice(provinces if kind in PROVINCE_WORDS else communes)))
            continue
        if not _NAME_PART.match(name):
            continue
        link = link_place(name)
        if link.level == "country":
            continue
        if link.country not in (None, "VN") or (len(names) == 1 and rng.random() < 0.25):
            edits.append((start, start + len(name), _foreign_place(rng)))
        else:
            levels = {link.level} if link.level else {c["level"] for c in link.candidates}  # ambiguous: "Bình Định"
            if levels & {"province", "district", "commune"}:
                edits.append((start, start + len(name), rng.choice(provinces if "province" in levels else communes)))
    return edits


def _number(written: str, rng: random.Random) -> str:
    """Another number of the same size, in a format reports use."""
    if not written.replace(".", "").isdigit():  # decimals ("3,5"): keep the format, change the digits
        return "".join(str(rng.randint(1 if i == 0 else 0, 9)) if ch.isdigit() else ch for i, ch in enumerate(written))
    digits = len(written.replace(".", ""))
    if written.startswith("0") and digits == 2:  # "01 xe máy": the zero-padded style of seizure lists
        return f"0{rng.randint(1, 9)}"
    value = rng.randint(10 ** (digits - 1) if digits > 1 else 1, 10**digits - 1)
    if value <= len(NUMBER_WORDS) and rng.random() < 0.3:
        return NUMBER_WORDS[value - 1]
    if value >= 1000 and rng.random() < 0.7:
        return f"{value:,}".replace(",", ".")
    return str(value)


def _edits(example: Example, rng: random.Random) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, replacement)`` edits, each inside one span."""
    from inference.places import typed_place_names

    provinces, communes = _places()
    edits = []
    for span in example.spans:
        text = example.text[span.start : span.end]
        if span.label == "LOCATION":
            edits += [(span.start + start, span.start + end, name) for start, end, name in _location_edits(text, rng)]
        elif span.label in PLACE_LABELS:
            for start, end, kind in typed_place_names(text):
                name = rng.choice(provinces if kind in PROVINCE_WORDS else communes)
                edits.append((span.start + start, span.start + end, name))
        elif span.label == "OFFICIAL_NAME" and _NAME.match(text) and text[0].isupper():
            edits.append((span.start, span.end, _person(rng)))
        elif span.label in NUMBER_LABELS:
            for match in _NUMBER.finditer(text):
                edits.append((span.start + match.start(), span.start + match.end(), _number(match.group(0), rng)))
    return edits


def respell(text: str, old_style: bool) -> str:
    """One direction for the whole sentence: old tone placement and ``sỹ``, or new and ``sĩ``."""
    for pairs, before in ((_TONE_PAIRS, "(?<![qQ])"), (_SPELLINGS, r"(?<!\w)")):
        for old, new in pairs:
            source, target = (new, old) if old_style else (old, new)
            text = re.sub(rf"{before}{source}(?!\w)", target, text)
    return text


def apply_edits(example: Example, edits: list[tuple[int, int, str]]) -> Example:
    """The example with each edit made and every span moved to the new offsets (no edit may cross a span boundary)."""
    edits = sorted(edits)
    pieces, position = [], 0
    for start, end, replacement in edits:
        pieces += [example.text[position:start], replacement]
        position = end
    text = "".join(pieces) + example.text[position:]

    def moved(offset: int) -> int:  # an edit inside a span or between spans moves what comes after its end
        return offset + sum(len(r) - (e - s) for s, e, r in edits if e <= offset)

    spans = [Span(moved(s.start), moved(s.end), s.label, s.score) for s in example.spans]
    return replace(example, text=text, spans=spans)


def variant(example: Example, rng: random.Random) -> Example:
    changed = apply_edits(example, _edits(example, rng))
    respelled = respell(changed.text, old_style=rng.random() < 0.5)  # same length: tone marks move within a syllable
    return replace(changed, text=respelled) if len(respelled) == len(changed.text) else changed


def capitalised(text: str) -> str:
    """Every syllable with a capital first letter (the rest as it was: ``BĐBP`` stays)."""
    return LETTER_RUN.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:], text)


def _lower_type_words(text: str) -> str:
    return _TYPE_WORDS.sub(lambda m: m.group(0).lower(), text)


# Casings of the whole sentence, and casings of the spans of some labels only.
_SENTENCE_CASINGS = {"upper": str.upper, "title": capitalised, "lower": str.lower}
_SPAN_CASINGS = {
    "spans_title": (("ORGANIZATION", "LOCATION", "OFFICIAL_TITLE"), capitalised),
    "types_lower": (("ORGANIZATION", "OFFICIAL_TITLE"), _lower_type_words),
}
CASINGS = (*_SENTENCE_CASINGS, *_SPAN_CASINGS)


def recase(example: Example, casing: str) -> Example:
    """The example cased as ``casing`` (one of ``CASINGS``), every span at the same offsets."""
    text = example.text
    if casing in _SENTENCE_CASINGS:
        text = _SENTENCE_CASINGS[casing](text)
    else:
        labels, recased = _SPAN_CASINGS[casing]
        pieces, position = [], 0
        for span in sorted(example.spans, key=lambda s: s.start):
            if span.label in labels and span.start >= position:
                pieces += [text[position : span.start], recased(text[span.start : span.end])]
                position = span.end
        text = "".join(pieces) + text[position:]
    return replace(example, text=text) if len(text) == len(example.text) else example  # e.g. "ß" -> "SS": kept as is


# A count of 1 to 12 at the start of a span, after an approximation word at most, followed by its unit.
_SMALL_COUNT = re.compile(rf"^((?:(?:{'|'.join(QUALIFIERS)}) )?)0?([1-9]|1[0-2]) ", re.IGNORECASE)


def spelled_counts(example: Example) -> Example:
    """The example with each count, amount or sum of 1 to 12 written in words (``03 vụ`` -> ``ba vụ``)."""
    edits = []
    for span in example.spans:
        match = span.label in NUMBER_LABELS and _SMALL_COUNT.match(example.text[span.start : span.end])
        if match:
            start, end = span.start + match.end(1), span.start + match.end() - 1
            edits.append((start, end, NUMBER_WORDS[int(match.group(2)) - 1]))
    return apply_edits(example, edits)


def augment(examples: list[Example], share: float, seed: int, casing: float = 0.0, number_words: float = 0.0) -> list[Example]:
    """``examples`` with ``share`` of them (drawn with ``seed``) replaced by a variant, ``number_words`` of them
    with small counts in words and ``casing`` of them recased, in the same order."""
    if share <= 0 and casing <= 0 and number_words <= 0:
        return examples
    rng = random.Random(seed)
    out = []
    for example in examples:
        if rng.random() < share:
            example = variant(example, rng)
        if number_words > 0 and rng.random() < number_words:  # no draw when off: earlier runs stay the same
            example = spelled_counts(example)
        if casing > 0 and rng.random() < casing:
            example = recase(example, rng.choice(CASINGS))
        out.append(example)
    return out
