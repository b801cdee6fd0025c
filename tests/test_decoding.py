"""Constrained decoding: every span comes from a valid IOB2 path; edges never hold punctuation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.schema import bio_tags
from annotations.segmentation import syllables
from annotations.spans import Span
from inference.decoding import allowed_transitions, decode, trim_span, viterbi

TAGS = bio_tags()


def is_valid(path: list[str]) -> bool:
    previous = "O"
    for tag in path:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def path_log_probability(probabilities: np.ndarray, path: list[int]) -> float:
    return float(sum(np.log(probabilities[i, j]) for i, j in enumerate(path)))


def test_stray_inside_tags_are_not_decoded_as_spans():
    # "49 lượt": argmax gives B-PERSONNEL_COUNT, I-PATROL_COUNT (two spans of two labels).
    text = "với 49 lượt tham gia"
    words = syllables(text)
    probabilities = np.full((len(words), len(TAGS)), 1e-4)
    rows = {0: "O", 1: "B-PERSONNEL_COUNT", 2: "I-PATROL_COUNT", 3: "O", 4: "O"}
    for i, tag in rows.items():
        probabilities[i, TAGS.index(tag)] = 0.6
    probabilities[2, TAGS.index("I-PERSONNEL_COUNT")] = 0.35
    _, _, argmax_spans = decode(text, words, probabilities, TAGS, "argmax")
    # argmax: "49" alone, and "lượt" as a PATROL_COUNT with no number, which the numeral rule drops
    assert [(text[s.start : s.end], s.label) for s in argmax_spans] == [("49", "PERSONNEL_COUNT")]
    tags, scores, spans = decode(text, words, probabilities, TAGS, "viterbi")
    assert is_valid(tags)
    assert [(text[s.start : s.end], s.label) for s in spans] == [("49 lượt", "PERSONNEL_COUNT")]
    # The score of a word is what the model gave to the chosen tag.
    assert scores[2] == pytest.approx(0.35)


def test_an_inside_tag_after_o_never_opens_a_span():
    text = "kiểm soát biên giới"
    words = syllables(text)
    probabilities = np.full((len(words), len(TAGS)), 1e-3)
    probabilities[:, TAGS.index("O")] = 0.3
    probabilities[0, TAGS.index("I-PATROL_COUNT")] = 0.6
    tags, _, spans = decode(text, words, probabilities, TAGS, "viterbi")
    assert spans == [] and tags[0] == "O"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_viterbi_finds_the_best_valid_path(n_words, seed):
    rng = np.random.default_rng(seed)
    labels = ["O", "B-A", "I-A", "B-B", "I-B"]
    probabilities = rng.dirichlet(np.ones(len(labels)) * 0.5, size=n_words)
    probabilities = np.clip(probabilities, 1e-9, 1.0)
    path = viterbi(probabilities, allowed_transitions(tuple(labels)))
    assert is_valid([labels[i] for i in path])
    best = max(
        (p for p in itertools.product(range(len(labels)), repeat=n_words) if is_valid([labels[i] for i in p])),
        key=lambda p: path_log_probability(probabilities, list(p)),
    )
    assert path_log_probability(probabilities, path) == pytest.approx(path_log_probability(probabilities, list(best)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(TAGS), min_size=1, max_size=12), st.integers(0, 2**31 - 1))
def test_no_span_ever_comes_from_an_invalid_transition(peaks, seed):
    rng = np.random.default_rng(seed)
    text = " ".join(f"w{i}" for i in range(len(peaks)))
    words = syllables(text)
    probabilities = rng.uniform(0, 0.2, size=(len(words), len(TAGS)))
    for i, tag in enumerate(peaks):
        probabilities[i, TAGS.index(tag)] = 0.9
    probabilities /= probabilities.sum(-1, keepdims=True)
    tags, scores, spans = decode(text, words, probabilities, TAGS, "viterbi")
    assert is_valid(tags) and len(tags) == len(words)
    for span in spans:
        covered = [i for i, w in enumerate(words) if span.start <= w.start and w.end <= span.end]
        assert tags[covered[0]] == f"B-{span.label}"
        assert all(tags[i] == f"I-{span.label}" for i in covered[1:])
        assert span.score == pytest.approx(sum(scores[i] for i in covered) / len(covered))


@pytest.mark.parametrize(
    "text, marked, expected",
    [
        ("Đồn Biên phòng/ Hải quan", "Đồn Biên phòng/", "Đồn Biên phòng"),
        ("Bộ Chỉ huy (BĐBP tỉnh)", "(BĐBP", "BĐBP"),
        (
            "Cục Cảnh sát điều tra tội phạm về ma túy (C04) phối hợp",
            "Cục Cảnh sát điều tra tội phạm về ma túy (C04)",
            "Cục Cảnh sát điều tra tội phạm về ma túy (C04)",
        ),
        ("đối tượng Lò Văn T. bị bắt", "Lò Văn T.", "Lò Văn T."),
        ("đối tượng Hồ Văn Ng. bị bắt", "Hồ Văn Ng.", "Hồ Văn Ng."),  # initials of two letters: Ng, Ph, Th, ...
        ("và Lưu Văn Ph., trú tại", "Lưu Văn Ph.,", "Lưu Văn Ph."),
        ("lực lượng BĐBP. Sau đó", "BĐBP.", "BĐBP"),  # an abbreviation ending a sentence is no initial
        ("huyện Mường Tè. Tại", "Mường Tè.", "Mường Tè"),
        ("thu 25 vụ, 30 đối tượng", "25 vụ,", "25 vụ"),
        ("“Hà Giang” và", "“Hà Giang”", "Hà Giang"),
    ],
)
def test_edge_punctuation_is_trimmed(text, marked, expected):
    start = text.index(marked)
    trimmed = trim_span(text, Span(start, start + len(marked), "ORGANIZATION", 0.5))
    assert text[trimmed.start : trimmed.end] == expected and trimmed.score == 0.5


def test_a_span_of_punctuation_only_disappears():
    assert trim_span("a / b", Span(2, 3, "LOCATION")) is None


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_papers_dateline_is_never_a_span(method):
    # decision 8: the outlet of "BPO - ..." is not tagged, whatever the model says of it
    def tagged(text: str, first_tags: list[str]) -> tuple[list[str], list[str]]:
        words = syllables(text)
        probabilities = np.full((len(words), len(TAGS)), 1e-4)
        for w in range(len(words)):
            tag = first_tags[w] if w < len(first_tags) else "O"
            probabilities[w, TAGS.index(tag)] = 0.9
        tags, scores, spans = decode(text, words, probabilities, TAGS, method)
        return tags, [text[s.start : s.end] for s in spans]

    tags, spans = tagged("BPO - Lào Cai bắt 3 vụ", ["B-ORGANIZATION", "O", "B-LOCATION", "I-LOCATION"])
    assert tags[:2] == ["O", "O"] and spans == ["Lào Cai"]
    tags, spans = tagged("(Baonghean.vn) - Sáng nay", ["O", "B-LOCATION", "O", "O", "O", "O", "B-TIME", "I-TIME"])
    assert spans == ["Sáng nay"]
    # no dateline: the model's spans stand (a place in capitals before a dash is left to the model)
    assert tagged("HUẾ - Sáng nay", ["B-LOCATION"])[1] == ["HUẾ"]
    assert tagged("BPO bắt 3 vụ", ["B-ORGANIZATION"])[1] == ["BPO"]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_comma_chain_of_places_split_by_the_model_is_one_location(method):
    # decision 15: "Hoài Ân, Bình Định" and "Quảng Tây, Trung Quốc" are one LOCATION; a list of peers is not
    def spans_of(text: str, tagged: dict[str, str]) -> tuple[list[str], list[float]]:
        words = syllables(text)
        probabilities = np.full((len(words), len(TAGS)), 1e-4)
        for w, word in enumerate(words):
            probabilities[w, TAGS.index(tagged.get(word.text, "O"))] = 0.9
        probabilities[:, TAGS.index("I-LOCATION")] = np.maximum(probabilities[:, TAGS.index("I-LOCATION")], 0.05)
        tags, scores, spans = decode(text, words, probabilities, TAGS, method)
        return [text[s.start : s.end] for s in spans], tags

    chain = {"Hoài": "B-LOCATION", "Ân": "I-LOCATION", "Bình": "B-LOCATION", "Định": "I-LOCATION"}
    spans, tags = spans_of("quê ở Hoài Ân, Bình Định bị dụ dỗ", chain)
    assert spans == ["Hoài Ân, Bình Định"] and tags[4:6] == ["I-LOCATION", "I-LOCATION"]
    three = {
        "Bằng": "B-LOCATION",
        "Tường": "I-LOCATION",
        "Quảng": "B-LOCATION",
        "Tây": "I-LOCATION",
        "Trung": "B-LOCATION",
        "Quốc": "I-LOCATION",
    }
    assert spans_of("mua ở Bằng Tường, Quảng Tây, Trung Quốc qua", three)[0] == ["Bằng Tường, Quảng Tây, Trung Quốc"]
    peers = {"Lào": "B-LOCATION", "Cai": "I-LOCATION", "Hà": "B-LOCATION", "Giang": "I-LOCATION"}
    assert spans_of("các tỉnh Lào Cai, Hà Giang và", peers)[0] == ["Lào Cai", "Hà Giang"]
    assert spans_of("giữa Việt Nam, Lào và", {"Việt": "B-LOCATION", "Nam": "I-LOCATION", "Lào": "B-LOCATION"})[0] == [
        "Việt Nam",
        "Lào",
    ]
    # another label after the comma, or no comma, is left as the model tagged it
    assert spans_of("ở Hoài Ân, Bình Định", {**chain, "Bình": "B-ORGANIZATION", "Định": "I-ORGANIZATION"})[0] == [
        "Hoài Ân",
        "Bình Định",
    ]
    assert spans_of("ở Hoài Ân và Bình Định", chain)[0] == ["Hoài Ân", "Bình Định"]
    # the model may keep the comma inside the first place and still start a second span: the same rule decides
    assert spans_of("quê ở Hoài Ân, Bình Định bị dụ dỗ", {**chain, ",": "I-LOCATION"})[0] == ["Hoài Ân, Bình Định"]
    assert spans_of("các tỉnh Lào Cai, Hà Giang và", {**peers, ",": "I-LOCATION"})[0] == ["Lào Cai", "Hà Giang"]


def decoded(text: str, tagged: dict[str, str], method: str) -> tuple[list[tuple[str, str]], list[str], list[float]]:
    """Spans (text, label), tags and scores when the model gives 0.7 to each ``tagged`` word's tag and 0.2 to O."""
    words = syllables(text)
    probabilities = np.full((len(words), len(TAGS)), 1e-3)
    probabilities[:, TAGS.index("O")] = 0.2
    for w, word in enumerate(words):
        if word.text in tagged:
            probabilities[w, TAGS.index(tagged[word.text])] = 0.7
    tags, scores, spans = decode(text, words, probabilities, TAGS, method)
    return [(text[s.start : s.end], s.label) for s in spans], tags, scores


def spans_marked(text: str, marked: dict[str, str], method: str) -> list[tuple[str, str]]:
    """Spans decoded when the model tags each marked substring as one span of its label, everything else O."""
    words = syllables(text)
    probabilities = np.full((len(words), len(TAGS)), 1e-4)
    probabilities[:, TAGS.index("O")] = 0.9
    for phrase, label in marked.items():
        start = text.index(phrase)
        inside = [w for w, word in enumerate(words) if start <= word.start and word.end <= start + len(phrase)]
        for w in inside:
            probabilities[w, TAGS.index("O")] = 1e-4
            probabilities[w, TAGS.index(f"{'B' if w == inside[0] else 'I'}-{label}")] = 0.9
    return [(text[s.start : s.end], s.label) for s in decode(text, words, probabilities, TAGS, method)[2]]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_count_with_no_number_is_not_a_span(method):
    # SLOTS.md: a count is a numeral and its unit; "tham dự" or "xuồng tham gia" alone cannot be one
    spans, tags, scores = decoded(
        "cho 300 người dân tham dự",
        {"dân": "I-AUDIENCE_COUNT", "tham": "B-AUDIENCE_COUNT", "dự": "I-AUDIENCE_COUNT"},
        method,
    )
    assert spans == [] and tags[-2:] == ["O", "O"]
    assert scores[-1] == pytest.approx(0.2)  # the score of a word is still what the model gave to its tag, now O
    # numbers in words and in digits keep their spans; other labels need no number
    words = {"ngót": "B-AUDIENCE_COUNT", "bốn": "I-AUDIENCE_COUNT", "trăm": "I-AUDIENCE_COUNT", "lượt": "I-AUDIENCE_COUNT"}
    assert decoded("cho ngót bốn trăm lượt", words, method)[0] == [("ngót bốn trăm lượt", "AUDIENCE_COUNT")]
    assert decoded("bắt 3 vụ", {"3": "B-CASE_COUNT", "vụ": "I-CASE_COUNT"}, method)[0] == [("3 vụ", "CASE_COUNT")]
    assert decoded("tại Lào Cai", {"Lào": "B-LOCATION", "Cai": "I-LOCATION"}, method)[0] == [("Lào Cai", "LOCATION")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_generic_drugs_vague_times_and_titles_of_nobody_are_not_spans(method):
    # SLOTS.md: generic "ma túy" is no DRUG_TYPE, "thời gian qua" no TIME, a title with no named person untagged
    def spans_of(text: str, tagged: dict[str, str]) -> list[tuple[str, str]]:
        return decoded(text, tagged, method)[0]

    drug = {"ma": "B-DRUG_TYPE", "túy": "I-DRUG_TYPE", "tuý": "I-DRUG_TYPE", "đá": "I-DRUG_TYPE"}
    assert spans_of("thu giữ ma túy", drug) == [] and spans_of("thu giữ ma tuý", drug) == []
    assert spans_of("thu giữ ma túy đá", drug) == [("ma túy đá", "DRUG_TYPE")]
    vague = {"thời": "B-TIME", "gian": "I-TIME", "qua": "I-TIME"}
    assert spans_of("trong thời gian qua", vague) == []
    baseline = {"cùng": "B-TIME", "kỳ": "I-TIME", "năm": "I-TIME", "2024": "I-TIME"}
    assert spans_of("tăng 8% so với cùng kỳ.", baseline) == []  # decision 48: a bare baseline is no period
    assert spans_of("so với cùng kỳ năm 2024", baseline) == [("cùng kỳ năm 2024", "TIME")]
    direction = {"Tây": "B-LOCATION", "Nam": "I-LOCATION", "Lai": "B-LOCATION", "Châu": "I-LOCATION"}
    assert spans_of("tuần tra vùng biển Tây Nam", direction) == []  # decision 48: a direction is no place
    assert spans_of("tuần tra ở Lai Châu", direction) == [("Lai Châu", "LOCATION")]
    title = {"Thủ": "B-OFFICIAL_TITLE", "tướng": "I-OFFICIAL_TITLE"}
    assert spans_of("theo chỉ thị của Thủ tướng", title) == []
    named = {**title, "Lê": "B-OFFICIAL_NAME", "Văn": "I-OFFICIAL_NAME", "Ba": "I-OFFICIAL_NAME"}
    assert spans_of("Thủ tướng Lê Văn Ba", named) == [("Thủ tướng", "OFFICIAL_TITLE"), ("Lê Văn Ba", "OFFICIAL_NAME")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_place_inside_a_title_or_an_organisation_stays_inside(method):
    # decisions 2 and 10: spans never nest, so a place right after a body or a title is part of its name
    def spans_of(text: str, tagged: dict[str, str]) -> list[tuple[str, str]]:
        return decoded(text, tagged, method)[0]

    title = {"Chủ": "B-OFFICIAL_TITLE", "tịch": "I-OFFICIAL_TITLE", "UBND": "I-OFFICIAL_TITLE", "xã": "I-OFFICIAL_TITLE"}
    place = {"Dào": "B-LOCATION", "San": "I-LOCATION"}
    name = {"Lò": "B-OFFICIAL_NAME", "Văn": "I-OFFICIAL_NAME", "Pó": "I-OFFICIAL_NAME"}
    spans, tags, scores = decoded("ông Lò Văn Pó, Chủ tịch UBND xã Dào San cho biết", {**title, **place, **name}, method)
    assert spans == [("Lò Văn Pó", "OFFICIAL_NAME"), ("Chủ tịch UBND xã Dào San", "OFFICIAL_TITLE")]
    assert tags[9:11] == ["I-OFFICIAL_TITLE", "I-OFFICIAL_TITLE"] and scores[9] == pytest.approx(1e-3)
    body = {"Bộ": "B-ORGANIZATION", "Chỉ": "I-ORGANIZATION", "huy": "I-ORGANIZATION", "BĐBP": "I-ORGANIZATION"}
    two = {**body, "hai": "I-ORGANIZATION", "tỉnh": "I-ORGANIZATION", "Hà": "B-LOCATION", "Tĩnh": "I-LOCATION"}
    two |= {"Quảng": "B-LOCATION", "Trị": "I-LOCATION"}
    assert spans_of("Bộ Chỉ huy BĐBP hai tỉnh Hà Tĩnh và Quảng Trị hội đàm", two) == [
        ("Bộ Chỉ huy BĐBP hai tỉnh Hà Tĩnh và Quảng Trị", "ORGANIZATION")
    ]
    # a body of one place followed by "và" another place, a comma, a bracket or a word between: two spans
    one = {**body, "tỉnh": "I-ORGANIZATION", "Hà": "I-ORGANIZATION", "Tĩnh": "I-ORGANIZATION"}
    one |= {"Quảng": "B-LOCATION", "Trị": "I-LOCATION"}
    assert spans_of("Bộ Chỉ huy BĐBP tỉnh Hà Tĩnh và Quảng Trị", one) == [
        ("Bộ Chỉ huy BĐBP tỉnh Hà Tĩnh", "ORGANIZATION"),
        ("Quảng Trị", "LOCATION"),
    ]
    # one organisation cut in two by the model is one span; two bodies parted by a comma stay two
    cut = {**body, "về": "I-ORGANIZATION", "ma": "B-ORGANIZATION", "túy": "I-ORGANIZATION"}
    assert spans_of("Bộ Chỉ huy BĐBP về ma túy bắt", cut) == [("Bộ Chỉ huy BĐBP về ma túy", "ORGANIZATION")]
    assert spans_of("Bộ Chỉ huy BĐBP, ma túy bắt", cut) == [
        ("Bộ Chỉ huy BĐBP", "ORGANIZATION"),
        ("ma túy", "ORGANIZATION"),
    ]
    # so is a place or a name cut in two; two titles in a row are not (Đồn trưởng ... + Thiếu tá)
    assert spans_of("Sốp Cộp: Sơ kết", {"Sốp": "B-LOCATION", "Cộp": "B-LOCATION"}) == [("Sốp Cộp", "LOCATION")]
    names = {"Sùng": "B-OFFICIAL_NAME", "Mí": "B-OFFICIAL_NAME", "Vàng": "I-OFFICIAL_NAME"}
    assert spans_of("Cụ Sùng Mí Vàng, sinh", names) == [("Sùng Mí Vàng", "OFFICIAL_NAME")]
    titles = {"Đồn": "B-OFFICIAL_TITLE", "trưởng": "I-OFFICIAL_TITLE", "Thiếu": "B-OFFICIAL_TITLE", "tá": "I-OFFICIAL_TITLE"}
    assert spans_of("Đồn trưởng Thiếu tá Lò Văn Pó", {**titles, **name}) == [
        ("Đồn trưởng", "OFFICIAL_TITLE"),
        ("Thiếu tá", "OFFICIAL_TITLE"),
        ("Lò Văn Pó", "OFFICIAL_NAME"),
    ]
    for between in (", ", " (", " ở "):
        assert spans_of(f"Bộ Chỉ huy BĐBP{between}Quảng Trị", {**body, "Quảng": "B-LOCATION", "Trị": "I-LOCATION"}) == [
            ("Bộ Chỉ huy BĐBP", "ORGANIZATION"),
            ("Quảng Trị", "LOCATION"),
        ]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_bracket_a_span_opens_is_closed_inside_it(method):
    # decision 2: "Cục Cảnh sát điều tra tội phạm về ma túy (C04)" keeps its abbreviation, brackets and all
    def spans_of(text: str, tagged: dict[str, str]) -> list[tuple[str, str]]:
        return decoded(text, tagged, method)[0]

    body = {"Ủy": "B-ORGANIZATION", "ban": "I-ORGANIZATION", "châu": "I-ORGANIZATION", "Âu": "I-ORGANIZATION"}
    opened = {**body, "(": "I-ORGANIZATION", "EC": "I-ORGANIZATION"}
    assert spans_of("của Ủy ban châu Âu (EC) về", opened) == [("Ủy ban châu Âu (EC)", "ORGANIZATION")]
    # then a place right after the name joins it: "Đảng ủy Bộ đội Biên phòng (BĐBP" + ")" + "Hà Giang"
    party = {"Đảng": "B-ORGANIZATION", "ủy": "I-ORGANIZATION", "(": "I-ORGANIZATION", "BĐBP": "I-ORGANIZATION"}
    party |= {"Hà": "B-LOCATION", "Giang": "I-LOCATION"}
    assert spans_of("Đảng ủy (BĐBP) Hà Giang", party) == [("Đảng ủy (BĐBP) Hà Giang", "ORGANIZATION")]
    # a bracket the span does not open, or one after a space, is left out
    assert spans_of("của Ủy ban châu Âu) về", body) == [("Ủy ban châu Âu", "ORGANIZATION")]
    assert spans_of("Ủy ban châu Âu (EC ) về", opened) == [("Ủy ban châu Âu (EC", "ORGANIZATION")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_anniversary_brackets_and_times_that_name_no_period_are_not_spans(method):
    # an anniversary's founding and current dates name the day celebrated, not a reported fact;
    # a TIME names a date or period: a lone "cùng" of "so với cùng kỳ" does not
    def spans_of(text: str, *marked: str) -> list[str]:
        """The spans decoded when the model tags each marked substring as one TIME."""
        return [found for found, _ in spans_marked(text, dict.fromkeys(marked, "TIME"), method)]

    assert spans_of("kỷ niệm 67 năm Ngày truyền thống (3/3/1959 - 3/3/2026).", "3/3/1959", "3/3/2026") == []
    text = "kỷ niệm (3-3-1959 - 3-3-2009), Ngày 2/3/2009 đơn vị"
    assert spans_of(text, "3-3-1959", "3-3-2009", "Ngày 2/3/2009") == ["Ngày 2/3/2009"]
    # two different dates in brackets are a period, left to the model
    assert spans_of("đợt cao điểm (3/3/2026 - 3/4/2026)", "3/3/2026", "3/4/2026") == ["3/3/2026", "3/4/2026"]
    assert spans_of("tăng 18% so với cùng kỳ.", "cùng") == []
    assert spans_of("Mở rộng điều tra, đến ngày 12/11", "đến ngày 12/11") == ["đến ngày 12/11"]
    assert spans_of("Sáng nay, tại", "Sáng nay") == ["Sáng nay"]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_name_keeps_neither_an_honorific_nor_a_word_in_lower_case_at_its_edges(method):
    # SLOTS.md, People: honorifics stay outside a name, and every syllable of a name is capitalised
    def name_of(text: str, named: str) -> list[tuple[str, str]]:
        tagged = {word: f"{'B' if i == 0 else 'I'}-OFFICIAL_NAME" for i, word in enumerate(named.split())}
        return decoded(text, tagged, method)[0]

    assert name_of("Cụ Sùng Mí Vàng, sinh năm 1941", "Cụ Sùng Mí Vàng") == [("Sùng Mí Vàng", "OFFICIAL_NAME")]
    assert name_of("Cô giáo Y Nhung cho biết", "giáo Y Nhung") == [("Y Nhung", "OFFICIAL_NAME")]
    assert name_of("Đồng chí Lò Văn Páo phát biểu", "Đồng chí Lò Văn Páo") == [("Lò Văn Páo", "OFFICIAL_NAME")]
    assert name_of("chị Vân dặn thêm", "Vân dặn") == [("Vân", "OFFICIAL_NAME")]
    # a given name that is also an honorific word stays when it is not at the start; nothing capitalised, nothing cut
    assert name_of("bà Nguyễn Thị Em kể", "Nguyễn Thị Em") == [("Nguyễn Thị Em", "OFFICIAL_NAME")]
    assert name_of("ông bà kể", "ông bà") == [("ông bà", "OFFICIAL_NAME")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_list_of_places_the_model_read_as_one_span_is_parted(method):
    # SLOTS.md: a list gives one span per item; a comma chain with no type word inside stays one (decision 15)
    def places(text: str, span: str) -> list[str]:
        words = span.replace(",", " ,").split()
        tagged = {word: f"{'B' if i == 0 else 'I'}-LOCATION" for i, word in enumerate(words)}
        return [found for found, label in decoded(text, tagged, method)[0] if label == "LOCATION"]

    assert places("đưa qua các tỉnh Sơn La, Điện Biên rồi", "Sơn La, Điện Biên") == ["Sơn La", "Điện Biên"]
    assert places("vi phạm vùng biển Malaysia, Thái Lan.", "Malaysia, Thái Lan") == ["Malaysia", "Thái Lan"]
    assert places("hợp nhất hai tỉnh Gia Lai, Bình Định.", "Gia Lai, Bình Định") == ["Gia Lai", "Bình Định"]
    assert places("trú tại Hoài Ân, Bình Định.", "Hoài Ân, Bình Định") == ["Hoài Ân, Bình Định"]
    assert places("ở Mường Xén, Kỳ Sơn.", "Mường Xén, Kỳ Sơn") == ["Mường Xén, Kỳ Sơn"]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_unit_and_the_body_it_belongs_to_are_two_spans(method):
    # the gold writes [unit] thuộc [parent]; a path that keeps "thuộc" inside one ORGANIZATION is parted there
    unit, parent = "Đội Kiểm soát ma túy", "Cục Điều tra chống buôn lậu"
    words = f"{unit} thuộc {parent}".split()
    tagged = {word: f"{'B' if i == 0 else 'I'}-ORGANIZATION" for i, word in enumerate(words)}
    spans, tags, _ = decoded(f"{unit} thuộc {parent} phát hiện", tagged, method)
    assert spans == [(unit, "ORGANIZATION"), (parent, "ORGANIZATION")]
    assert tags[len(unit.split())] == "O"
    # a span that ends at "thuộc" loses it and nothing else
    tagged = {word: f"{'B' if i == 0 else 'I'}-ORGANIZATION" for i, word in enumerate(f"{unit} thuộc".split())}
    assert decoded(f"{unit} thuộc tỉnh", tagged, method)[0] == [(unit, "ORGANIZATION")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_span_never_ends_in_a_linking_word(method):
    # no gold span ends in "và", "bị", "của" ...: the word goes back to O and the span keeps the rest
    tagged = {"rạng": "B-TIME", "sáng": "I-TIME", "1": "I-TIME", "/": "I-TIME", "2": "I-TIME", "và": "I-TIME"}
    spans, tags, _ = decoded("phát hiện vào rạng sáng 1/2 và đêm", tagged, method)
    assert spans == [("rạng sáng 1/2", "TIME")] and tags[-2:] == ["O", "O"]
    tagged = {"14": "B-SEIZED_ITEM", "cá": "I-SEIZED_ITEM", "thể": "I-SEIZED_ITEM", "tê": "I-SEIZED_ITEM", "bị": "I-SEIZED_ITEM"}
    assert decoded("14 cá thể tê tê bị thu giữ", tagged, method)[0] == [("14 cá thể tê tê", "SEIZED_ITEM")]
    # words that do end gold spans stay
    tagged = {"cùng": "B-TIME", "kỳ": "I-TIME", "năm": "I-TIME", "trước": "I-TIME"}
    assert decoded("giảm so với cùng kỳ năm trước", tagged, method)[0] == [("cùng kỳ năm trước", "TIME")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_prison_term_is_not_a_count_of_people(method):
    # "xử phạt 7 năm tù": years are no people; the same numeral before "đối tượng" is a count
    assert decoded("xử phạt 7 năm tù", {"7": "B-SUSPECT_COUNT", "năm": "I-SUSPECT_COUNT"}, method)[0] == []
    spans = decoded("bắt 7 đối tượng", {"7": "B-SUSPECT_COUNT", "đối": "I-SUSPECT_COUNT", "tượng": "I-SUSPECT_COUNT"}, method)[0]
    assert spans == [("7 đối tượng", "SUSPECT_COUNT")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_the_name_of_an_anniversary_day_holds_no_span(method):
    # decision 44: "Ngày truyền thống Bộ đội Biên phòng" names a day, not the force acting in the report
    text = "chào mừng 96 năm Ngày thành lập Đảng Cộng sản Việt Nam, 67 năm Ngày truyền thống Bộ đội Biên phòng và [x]"
    text = text.replace(" [x]", " Đồn Biên phòng Lũng Cú tổ chức")
    marked = {"Đảng Cộng sản Việt Nam": "ORGANIZATION", "Bộ đội Biên phòng": "ORGANIZATION"}
    marked |= {"Đồn Biên phòng Lũng Cú": "ORGANIZATION"}
    assert spans_marked(text, marked, method) == [("Đồn Biên phòng Lũng Cú", "ORGANIZATION")]
    # the same body outside such a name stays
    text = "Bộ đội Biên phòng tỉnh tổ chức Ngày hội"
    assert spans_marked(text, {"Bộ đội Biên phòng tỉnh": "ORGANIZATION"}, method) == [("Bộ đội Biên phòng tỉnh", "ORGANIZATION")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_parent_after_a_units_code_in_brackets_joins_the_unit(method):
    # "Phòng Cảnh sát kinh tế (PC03) Công an tỉnh Quảng Ninh" is one name: no punctuation parts unit and parent
    unit, parent = "Phòng Cảnh sát kinh tế (PC03)", "Công an tỉnh Quảng Ninh"
    text = f"Cũng trong đợt này, {unit} {parent} phát hiện"
    whole = f"{unit} {parent}"
    assert spans_marked(text, {unit: "ORGANIZATION", parent: "ORGANIZATION"}, method) == [(whole, "ORGANIZATION")]
    title = f"Trưởng {unit}"
    text = f"Thượng tá Lê Văn Khoa, {title} {parent} cho biết"
    marked = {"Lê Văn Khoa": "OFFICIAL_NAME", title: "OFFICIAL_TITLE", parent: "ORGANIZATION"}
    assert spans_marked(text, marked, method)[-1] == (f"{title} {parent}", "OFFICIAL_TITLE")
    # a parent set off by a comma stays its own span
    text = f"{unit}, {parent} phát hiện"
    spans = spans_marked(text, {unit: "ORGANIZATION", parent: "ORGANIZATION"}, method)
    assert spans == [(unit, "ORGANIZATION"), (parent, "ORGANIZATION")]


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_a_bare_count_in_luot_after_a_patrol_count_is_its_crew(method):
    # decision 19: "tuần tra 3.016 lần với 12.064 lượt" is a patrol count and the people on those patrols
    for text, patrols, crew in [
        ("các lực lượng tuần tra 3.016 lần với 12.064 lượt, tuyên truyền", "3.016 lần", "12.064 lượt"),
        ("tuần tra song phương được 38 lần, huy động 412 lượt hai bên.", "38 lần", "412 lượt"),
        ("tổ chức tuần tra 224 lần/hơn 1.344 lượt", "224 lần", "hơn 1.344 lượt"),
    ]:
        marked = {patrols: "PATROL_COUNT", crew: "PATROL_COUNT"}
        assert spans_marked(text, marked, method) == [(patrols, "PATROL_COUNT"), (crew, "PERSONNEL_COUNT")]
    # not after an outreach count, not when the people are named, not across a sentence
    text = "tuyên truyền 44 buổi cho 2.100 lượt"
    marked = {"44 buổi": "PROPAGANDA_COUNT", "2.100 lượt": "AUDIENCE_COUNT"}
    assert spans_marked(text, marked, method)[-1] == ("2.100 lượt", "AUDIENCE_COUNT")
    text = "tuần tra 12 lần; tổ chức 48 lượt"
    marked = {"12 lần": "PATROL_COUNT", "48 lượt": "PATROL_COUNT"}
    assert spans_marked(text, marked, method)[-1] == ("48 lượt", "PATROL_COUNT")
    text = "tuần tra 12 lần với 48 lượt tuần tra chung"
    marked = {"12 lần": "PATROL_COUNT", "48 lượt tuần tra": "PATROL_COUNT"}
    assert spans_marked(text, marked, method)[-1] == ("48 lượt tuần tra", "PATROL_COUNT")
