"""From per-word tag probabilities to spans: valid IOB2 paths and clean span edges.

Taking each word's most probable tag lets invalid runs through: an ``I-X``
after ``O`` or after another label opens a span, and one count comes out as
two spans of two labels. ``viterbi`` finds the most probable tag sequence
among the valid ones instead (no ``I-X`` that does not continue an ``X``), so
every span comes from a valid path and each word's score stays the
probability the model gave to the chosen tag.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

from annotations.bio import tag_runs, tags_to_spans
from annotations.schema import labels_of
from annotations.segmentation import Word
from annotations.spans import Span
from annotations.text import dateline_end
from inference.numbers import has_numeral

_FLOOR = 1e-12  # probabilities are clipped before the log so an impossible tag is very unlikely, not -inf
_BRACKETS = {")": "(", "]": "[", "}": "{", "»": "«", "”": "“", "’": "‘"}
_QUANTITIES = frozenset(labels_of("quantity"))


@lru_cache(maxsize=8)
def allowed_transitions(tags: tuple[str, ...]) -> np.ndarray:
    """``allowed[i, j]``: tag ``j`` may follow tag ``i``; the extra last row is the sentence start.

    Cached: a model has one tag set, and decoding runs once per sentence."""
    n = len(tags)
    allowed = np.ones((n + 1, n), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            label = tag[2:]
            for i, previous in enumerate(tags):
                allowed[i, j] = previous in (f"B-{label}", f"I-{label}")
            allowed[n, j] = False
    return allowed


def viterbi(probabilities: np.ndarray, allowed: np.ndarray) -> list[int]:
    """The most probable tag index sequence (``words x tags`` probabilities) whose every step is allowed."""
    n_words, n_tags = probabilities.shape
    if n_words == 0:
        return []
    log_p = np.log(np.clip(probabilities, _FLOOR, 1.0))
    blocked = np.where(allowed, 0.0, -np.inf)
    best = log_p[0] + blocked[n_tags]
    back = np.zeros((n_words, n_tags), dtype=np.int64)
    for t in range(1, n_words):
        candidates = best[:, None] + blocked[:n_tags]  # previous tag x next tag
        back[t] = candidates.argmax(0)
        best = candidates.max(0) + log_p[t]
    path = [int(best.argmax())]
    for t in range(n_words - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _is_punctuation(character: str) -> bool:
    return unicodedata.category(character)[0] in "PS"


# The initial that ends a name, full stop included: "Lò Văn T.", and the digraphs "Hồ Văn Ng.", "Lưu Văn Ph.".
_INITIAL = re.compile(r"(?<!\w)(?:[A-ZĐ]|Ch|Gh|Gi|Kh|Ngh|Ng|Nh|Ph|Qu|Th|Tr)\.$")


def trim_span(text: str, span: Span) -> Span | None:
    """The span without punctuation or spaces at its edges (the guideline never includes them).

    Kept: a closing bracket whose opening one is inside the span (``Cục ... (C04)``) and the
    full stop of an initial (``Lò Văn T.``, ``Hồ Văn Ng.``). None when nothing but punctuation is left."""
    start, end = span.start, span.end
    while start < end and (text[start].isspace() or _is_punctuation(text[start])):
        start += 1
    while end > start:
        last = text[end - 1]
        if last.isspace():
            end -= 1
        elif last in _BRACKETS and _BRACKETS[last] in text[start : end - 1]:
            break
        elif last == "." and _INITIAL.search(text, start, end):
            break
        elif _is_punctuation(last):
            end -= 1
        else:
            break
    if start >= end:
        return None
    return Span(start, end, span.label, span.score)


def _place_lists_parted(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """SLOTS.md: a list of places gives one span per item. Where the path keeps ``, `` inside one LOCATION and
    the places on either side are items of a list (``inference.places.listed``: ``các tỉnh Sơn La, Điện Biên``),
    the comma becomes ``O`` and the place after it a span of its own."""
    if "I-LOCATION" not in tags or "O" not in tags:
        return indices
    from inference.places import listed

    begin, outside = tags.index("B-LOCATION"), tags.index("O")
    indices = list(indices)
    for first, last, label in tag_runs([tags[i] for i in indices]):
        if label != "LOCATION":
            continue
        item_start = first
        for w in range(first + 1, last):
            if text[words[w].start : words[w].end] != "," or text[words[w - 1].end : words[w + 1].start] != ", ":
                continue
            next_comma = next((v for v in range(w + 1, last + 1) if text[words[v].start : words[v].end] == ","), last + 1)
            item = text[words[item_start].start : words[w - 1].end]
            following = text[words[w + 1].start : words[next_comma - 1].end]
            if listed(text[: words[first].start], item, following):
                indices[w], indices[w + 1] = outside, begin
            item_start = w + 1
    return indices


def _joined_place_chains(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """Decision 15: a comma chain of places is one LOCATION (``Hoài Ân, Bình Định``, ``Quảng Tây, Trung Quốc``).

    Where the path ends a LOCATION at a comma (or keeps the comma inside it) and starts another that names a
    larger kind of place (a province after a district, a country after a province), the comma and that place
    join the first span. A list of peers (``Lào Cai, Hà Giang``) stays apart."""
    if "I-LOCATION" not in tags:
        return indices
    from inference.places import chained

    begin, inside = tags.index("B-LOCATION"), tags.index("I-LOCATION")
    outside = tags.index("O") if "O" in tags else -1
    indices = list(indices)
    for w in range(1, len(words) - 1):
        if not (
            text[words[w].start : words[w].end] == ","
            and indices[w] in (outside, inside)  # the comma ends the first place, or the model kept it inside
            and indices[w - 1] in (begin, inside)
            and indices[w + 1] == begin
            and text[words[w - 1].end : words[w + 1].start] == ", "
        ):
            continue
        first = w - 1
        while first > 0 and indices[first] == inside:  # argmax may leave an I- without its B-
            first -= 1
        last = w + 1
        while last + 1 < len(words) and indices[last + 1] == inside:
            last += 1
        child = text[words[first].start : words[w - 1].end].split(", ")[-1]
        parent = text[words[w + 1].start : words[last].end].split(", ")[0]
        if chained(text[: words[first].start], child, parent):
            indices[w] = indices[w + 1] = inside
    return indices


_NAMED_BODIES = ("ORGANIZATION", "OFFICIAL_TITLE")
_NAMES = ("ORGANIZATION", "LOCATION", "OFFICIAL_NAME")  # a name cut in two is one span; counts are left alone
# "Bộ Chỉ huy BĐBP hai tỉnh Hà Tĩnh" + " và " + "Quảng Trị": a body of two places names both.
_TWO_PLACES = re.compile(r"(?<!\w)(?:hai|2|02) (?:tỉnh|huyện|xã|thành phố|nước) \w", re.IGNORECASE)


def _names_kept_whole(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """Decisions 2 and 10: a place inside an organisation or a title stays inside it (spans never nest).

    Where the path ends an ORGANIZATION or OFFICIAL_TITLE and a LOCATION starts after one space
    (``UBND tỉnh`` + ``Quảng Trị``), or after `` và `` when the body names two places
    (``Bộ Chỉ huy BĐBP hai tỉnh Hà Tĩnh`` + ``Quảng Trị``), the place joins the body's span. So does a
    second organisation, place or person after one space: one name cut in two (``Phòng Cảnh sát điều tra
    tội phạm về`` + ``ma túy Công an tỉnh``, ``Sốp`` + ``Cộp``), and a parent after a unit's code in brackets
    (``Phòng Cảnh sát kinh tế (PC03)`` + ``Công an tỉnh``); two bodies, places or people in a row are
    always parted by a comma or a word (no gold sentence has two such spans with only a space between;
    titles can: ``Đồn trưởng Đồn Biên phòng Thụy Trường`` + ``Thiếu tá``)."""
    indices, joined = list(indices), True
    while joined:  # again after each join: "hai tỉnh" + "Hà Tĩnh" + " và " + "Quảng Trị" takes two
        joined = False
        runs = tag_runs([tags[i] for i in indices])
        for (first, last, label), (next_first, next_last, next_label) in zip(runs, runs[1:]):
            place_after_body = label in _NAMED_BODIES and next_label == "LOCATION"
            # a comma the path kept inside the first span still parts them ("Lào Cai," + "Hà Giang")
            cut_in_two = label == next_label in _NAMES and text[words[last].end - 1].isalnum()
            # "Phòng Cảnh sát kinh tế (PC03)" + "Công an tỉnh": a unit's code in brackets, then its parent
            parent_after_code = (
                label in _NAMED_BODIES
                and next_label == "ORGANIZATION"
                and text[words[last].end - 1] == ")"
                and "(" in text[words[first].start : words[last].end]
            )
            if not (place_after_body or cut_in_two or parent_after_code) or f"I-{label}" not in tags:
                continue
            gap = text[words[last].end : words[next_first].start]
            two_places = place_after_body and gap == " và " and _TWO_PLACES.search(text, words[first].start, words[last].end)
            if gap == " " or two_places:
                indices[last + 1 : next_last + 1] = [tags.index(f"I-{label}")] * (next_last - last)
                joined = True
                break
    return indices


def _closed_brackets(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """Decision 2: an abbreviation in brackets inside a name stays inside it, brackets and all.

    Where a span opens a bracket it does not close and the next word, with no space before it, is the closing
    bracket (``Ủy ban châu Âu (EC`` + ``)``), that bracket joins the span."""
    indices = list(indices)
    for first, last, label in tag_runs([tags[i] for i in indices]):
        after = last + 1
        if after == len(words) or f"I-{label}" not in tags or words[last].end != words[after].start:
            continue
        closing = text[words[after].start : words[after].end]
        opening = _BRACKETS.get(closing)
        inside = text[words[first].start : words[last].end]
        if opening and inside.count(opening) > inside.count(closing):
            indices[after] = tags.index(f"I-{label}")
    return indices


def _parents_parted(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """A unit and the body it belongs to are two spans: ``[Đội Kiểm soát ma túy] thuộc [Cục Điều tra chống
    buôn lậu]`` (40 times in the gold, and no gold ORGANIZATION holds ``thuộc``). Where the path keeps
    ``thuộc`` inside an ORGANIZATION, it becomes ``O`` and the word after it opens the parent's span."""
    if "I-ORGANIZATION" not in tags or "O" not in tags:
        return indices
    indices = list(indices)
    for first, last, label in tag_runs([tags[i] for i in indices]):
        if label != "ORGANIZATION":
            continue
        for w in range(first + 1, last + 1):
            if text[words[w].start : words[w].end].lower() == "thuộc":
                indices[w] = tags.index("O")
                if w < last:
                    indices[w + 1] = tags.index("B-ORGANIZATION")
    return indices


# Words before a name that are not part of it (SLOTS.md: honorifics stay outside), in lower case.
_HONORIFICS = frozenset("ông bà anh chị em cô chú bác cụ thầy".split())
_TWO_WORD_HONORIFICS = frozenset({"đồng chí", "cô giáo", "thầy giáo"})


def _name_edges_trimmed(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """SLOTS.md, People: a person's name without an honorific before it or a word in lower case at either
    end (``Cụ`` + ``Sùng Mí Vàng``, ``Cô giáo`` + ``Y Nhung``, ``Vân`` + ``dặn``): every syllable of a name
    is capitalised, and no gold name starts with an honorific. A span with no capitalised word left stays;
    punctuation is left to ``trim_span`` (the full stop of ``Lò Văn T.`` stays)."""
    if "O" not in tags or "B-OFFICIAL_NAME" not in tags:
        return indices
    indices = list(indices)
    piece = [text[word.start : word.end] for word in words]
    for first, last, label in tag_runs([tags[i] for i in indices]):
        if label != "OFFICIAL_NAME":
            continue
        start, end = first, last
        while start <= end:
            pair = text[words[start].start : words[start + 1].end].lower() if start < end else ""
            if pair in _TWO_WORD_HONORIFICS:
                start += 2
            elif piece[start].lower() in _HONORIFICS or piece[start][:1].islower():
                start += 1
            else:
                break
        while end >= start and piece[end][:1].islower():
            end -= 1
        if start > end or (start, end) == (first, last):
            continue
        indices[first:start] = [tags.index("O")] * (start - first)
        indices[end + 1 : last + 1] = [tags.index("O")] * (last - end)
        indices[start] = tags.index("B-OFFICIAL_NAME")
    return indices


# What the guideline (SLOTS.md) says a slot never is, whatever its context: generic drugs and vague times.
_GENERIC_DRUGS = frozenset({"ma túy", "chất ma túy"})
# ... and decision 48: a bare comparison baseline (`so với cùng kỳ`) names no period of its own.
_VAGUE_TIMES = frozenset({"thời gian qua", "thời gian tới", "thời gian vừa qua", "thời gian gần đây", "cùng kỳ"})
# Decision 48: a compass direction is no place (`về phía Tây Nam`, `vùng biển Tây Nam`).
_DIRECTION = re.compile(r"(?:đông|tây|nam|bắc)(?: (?:đông|tây|nam|bắc))?")
# Counts of people (SLOTS.md: đối tượng, người, lượt cán bộ ...) never end in a unit of time: `xử phạt 7 năm tù`.
_PEOPLE_COUNTS = frozenset({"SUSPECT_COUNT", "PERSONNEL_COUNT", "AUDIENCE_COUNT"})
_TIME_UNITS = frozenset({"năm", "tháng", "tuần", "ngày", "giờ", "phút"})
# A TIME names a date, time or period: it has a number or one of these words (not a lone "cùng" of "cùng kỳ").
_TIME_WORDS = re.compile(
    r"(?<!\w)(?:năm|tháng|tuần|quý|ngày|hôm|nay|đêm|sáng|chiều|trưa|tối|tết|kỳ|giờ|phút|mùa|xuân|hè|đông|thu)(?!\w)"
)


def _never_a_slot(label: str, span_text: str, sentence_names_a_person: bool) -> bool:
    """A span the guideline rules out on its own terms: a count or amount with no number in digits or words
    (a count is a numeral and its unit: not ``tham dự``), generic ``ma túy``, ``thời gian qua``, a time that
    names no date or period (``cùng``), a compass direction as a place (``Tây Nam``), a count of people in
    years (a prison term: ``7 năm`` tù), and a title in a sentence that names nobody (``Thủ tướng Chính phủ``)."""
    plain = " ".join(span_text.lower().replace("tuý", "túy").split())
    return (
        (label in _QUANTITIES and not has_numeral(span_text))
        or (label == "DRUG_TYPE" and plain in _GENERIC_DRUGS)
        or (label == "TIME" and (plain in _VAGUE_TIMES or not (has_numeral(span_text) or _TIME_WORDS.search(plain))))
        or (label == "LOCATION" and _DIRECTION.fullmatch(plain) is not None)
        or (label in _PEOPLE_COUNTS and plain.rsplit(" ", 1)[-1] in _TIME_UNITS)
        or (label == "OFFICIAL_TITLE" and not sentence_names_a_person)
    )


# Decision 19: `tuần tra [1.178 lần](PATROL_COUNT)/[7.511 lượt](PERSONNEL_COUNT)`; a bare `N lượt` right after a
# patrol count is its crew (43 times in the gold, never a second patrol count).
_BARE_TURNS = re.compile(r"(?:(?:trên|gần|hơn|khoảng) )?\d[\d.,]* lượt")


def _crews_after_patrols(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """A bare count in ``lượt`` within a few words after a PATROL_COUNT (``3.016 lần với 12.064 lượt``,
    ``38 lần, huy động 412 lượt``) is a PERSONNEL_COUNT, whatever count label the path gave it."""
    if "B-PERSONNEL_COUNT" not in tags:
        return indices
    indices = list(indices)
    runs = tag_runs([tags[i] for i in indices])
    for (_, last, label), (first, next_last, next_label) in zip(runs, runs[1:]):
        gap = text[words[last].end : words[first].start]
        if (
            label == "PATROL_COUNT"
            and next_label in _QUANTITIES - {"PERSONNEL_COUNT"}
            and len(gap) <= 20
            and not any(mark in gap for mark in ".;:")
            and _BARE_TURNS.fullmatch(text[words[first].start : words[next_last].end])
        ):
            indices[first] = tags.index("B-PERSONNEL_COUNT")
            indices[first + 1 : next_last + 1] = [tags.index("I-PERSONNEL_COUNT")] * (next_last - first)
    return indices


# Words that join a span to what follows and never end one: no gold span ends in them (`rạng sáng 1/2 và`,
# `14 cá thể tê tê bị`). `trước`, `sau`, `trong`, `ngoài` can (`cùng kỳ năm trước`, `người nước ngoài`).
_LINKING_WORDS = frozenset("và với của cho tại bị được để là từ đến hoặc hay nhưng mà thì khi đã đang sẽ theo".split())


def _linking_words_trimmed(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """A span never ends in a word that links it to what follows (``_LINKING_WORDS``): those words become ``O``."""
    if "O" not in tags:
        return indices
    outside, indices = tags.index("O"), list(indices)
    for first, last, _ in tag_runs([tags[i] for i in indices]):
        while last > first and text[words[last].start : words[last].end].lower() in _LINKING_WORDS:
            indices[last] = outside
            last -= 1
    return indices


def _without_impossible_spans(text: str, words: list[Word], indices: list[int], tags: list[str]) -> list[int]:
    """The path with the words of every span that ``_never_a_slot`` rules out set to ``O``."""
    if "O" not in tags:
        return indices
    outside, indices = tags.index("O"), list(indices)
    runs = tag_runs([tags[i] for i in indices])
    names_a_person = any(label == "OFFICIAL_NAME" for *_, label in runs)
    for first, last, label in runs:
        if _never_a_slot(label, text[words[first].start : words[last].end], names_a_person):
            indices[first : last + 1] = [outside] * (last + 1 - first)
    return indices


# An anniversary in brackets, the founding date and this year's (3/3/1959 - 3/3/2026): it names the day being
# celebrated, not the date of a reported fact, so its dates are not TIME.
_ANNIVERSARY = re.compile(r"\((\d{1,2})[/.-](\d{1,2})[/.-]\d{4} ?[-–—] ?\1[/.-]\2[/.-]\d{4}\)")
# Decision 44: the name of an anniversary day names no body or place of the report (`67 năm Ngày truyền thống
# Bộ đội Biên phòng`, `Ngày thành lập Đảng Cộng sản Việt Nam`); it runs to a bracket, punctuation or `và`.
_ANNIVERSARY_DAY = re.compile(r"(?<!\w)Ngày (?:truyền thống|thành lập)(?:(?! và )[^()\[\],;.:!?\"“”])*")


def _never_tagged(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` the guideline never tags: a paper's dateline (``QĐND - ``), anniversary
    brackets (``(3-3-1959 - 3-3-2009)``) and the names of anniversary days (``Ngày truyền thống BĐBP``)."""
    ranges = [(0, end)] if (end := dateline_end(text)) else []
    return ranges + [match.span() for pattern in (_ANNIVERSARY, _ANNIVERSARY_DAY) for match in pattern.finditer(text)]


def decode(
    text: str, words: list[Word], probabilities: np.ndarray, tags: list[str], method: str = "viterbi"
) -> tuple[list[str], list[float], list[Span]]:
    """Tags, the probability of each chosen tag, and trimmed spans of one sentence.

    The words of a paper's dateline (``QĐND - ``) and of anniversary brackets are ``O`` with score 1
    (``_never_tagged``).
    A comma chain of places split by the model is joined (``_joined_place_chains``), and a span the guideline
    rules out on its own terms is dropped (``_never_a_slot``: a count with no number, generic ``ma túy``)."""
    if (quiet := _never_tagged(text)) and "O" in tags:
        probabilities, outside = probabilities.copy(), tags.index("O")
        for w, word in enumerate(words):
            if any(start <= word.start and word.end <= end for start, end in quiet):
                probabilities[w] = 0.0
                probabilities[w, outside] = 1.0
    if method == "viterbi":
        indices = viterbi(probabilities, allowed_transitions(tuple(tags)))
    else:
        indices = [int(i) for i in probabilities.argmax(-1)] if len(words) else []
    indices = _place_lists_parted(text, words, indices, tags)
    indices = _joined_place_chains(text, words, indices, tags)
    indices = _closed_brackets(text, words, indices, tags)
    indices = _names_kept_whole(text, words, indices, tags)
    indices = _parents_parted(text, words, indices, tags)
    indices = _name_edges_trimmed(text, words, indices, tags)
    indices = _linking_words_trimmed(text, words, indices, tags)
    indices = _crews_after_patrols(text, words, indices, tags)
    indices = _without_impossible_spans(text, words, indices, tags)
    chosen = [tags[i] for i in indices]
    scores = [float(probabilities[w, i]) for w, i in enumerate(indices)]
    spans = [trimmed for span in tags_to_spans(words, chosen, scores) if (trimmed := trim_span(text, span))]
    return chosen, scores, spans
