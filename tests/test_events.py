from annotations.spans import Span
from inference.events import article_events
from inference.tagger import TaggedSentence


def sentence(index, start, text, marked):
    """Spans given as (substring, label, score); located in the text left to right."""
    spans, position = [], 0
    for piece, label, *score in marked:
        at = text.index(piece, position)
        spans.append(Span(at, at + len(piece), label, score[0] if score else 0.9))
        position = at + len(piece)
    return TaggedSentence(text, [], [], [], spans, index=index, start=start)


ARTICLE = [
    sentence(
        0,
        0,
        "Năm 2023, BĐBP tỉnh Hà Giang tổ chức 224 buổi tuần tra với 1.344 lượt cán bộ, chiến sĩ.",
        [
            ("Năm 2023", "TIME"),
            ("BĐBP tỉnh Hà Giang", "ORGANIZATION"),
            ("224 buổi", "PATROL_COUNT", 0.8),
            ("1.344 lượt cán bộ, chiến sĩ", "PERSONNEL_COUNT", 0.95),
        ],
    ),
    sentence(
        1,
        90,
        "Các đồn phát hiện 9 vụ/12 công dân nhập cảnh trái phép; bắt 25 vụ/30 đối tượng mua bán ma túy,"
        " thu 0,128kg heroin và 8 xe máy.",
        [
            ("9 vụ", "CASE_COUNT"),
            ("12 công dân", "SUSPECT_COUNT"),
            ("25 vụ", "CASE_COUNT"),
            ("30 đối tượng", "SUSPECT_COUNT"),
            ("0,128kg", "DRUG_AMOUNT", 0.7),
            ("heroin", "DRUG_TYPE"),
            ("8 xe máy", "SEIZED_ITEM"),
        ],
    ),
    sentence(
        2,
        220,
        "Đại tá Hoàng Văn Mẫn - Bí thư Đảng ủy, Chính ủy BĐBP tỉnh và Phó Chủ tịch UBND tỉnh Lê Văn Dũng dự.",
        [
            ("Đại tá", "OFFICIAL_TITLE"),
            ("Hoàng Văn Mẫn", "OFFICIAL_NAME"),
            ("Bí thư Đảng ủy", "OFFICIAL_TITLE"),
            ("Chính ủy BĐBP tỉnh", "OFFICIAL_TITLE"),
            ("Phó Chủ tịch UBND tỉnh", "OFFICIAL_TITLE"),
            ("Lê Văn Dũng", "OFFICIAL_NAME"),
        ],
    ),
    sentence(
        3,
        330,
        "Quý I năm 2024, các đồn tuyên truyền được 650 buổi/37.732 lượt người nghe.",
        [("Quý I năm 2024", "TIME"), ("650 buổi", "PROPAGANDA_COUNT"), ("37.732 lượt người nghe", "AUDIENCE_COUNT")],
    ),
]


def events_by_type():
    events = [event.to_dict() for event in article_events("a1", ARTICLE, "v1")]
    grouped = {}
    for event in events:
        grouped.setdefault(event["event_type"], []).append(event)
    return events, grouped


def test_event_types_and_slots():
    events, grouped = events_by_type()
    assert sorted(grouped) == ["drug_seizure", "law_enforcement", "official", "outreach", "patrol"]
    (patrol,) = grouped["patrol"]
    assert patrol["slots"]["PATROL_COUNT"][0]["value"] == 224
    assert patrol["slots"]["PERSONNEL_COUNT"][0]["value"] == 1344
    assert patrol["confidence"] == 0.8  # the weakest slot
    (enforcement,) = grouped["law_enforcement"]
    assert enforcement["slots"]["SUSPECT_COUNT"][0]["value"] == 12 and "DRUG_TYPE" not in enforcement["slots"]
    (drugs,) = grouped["drug_seizure"]
    assert drugs["slots"]["DRUG_AMOUNT"][0]["grams"] == 128
    assert drugs["slots"]["CASE_COUNT"][0]["value"] == 25 and drugs["slots"]["SEIZED_ITEM"][0]["text"] == "8 xe máy"
    assert all(e["model_version"] == "v1" and e["article_id"] == "a1" for e in events)


def test_offsets_and_evidence_point_into_the_article():
    text = {s.index: (s.start, s.text) for s in ARTICLE}
    events, _ = events_by_type()
    for event in events:
        start, sentence_text = text[event["sentence_index"]]
        assert sentence_text[event["start"] - start : event["end"] - start].strip() == event["evidence"]
        for values in event["slots"].values():
            for slot in values:
                assert sentence_text[slot["start"] - start : slot["end"] - start] == slot["text"]


def test_time_and_organisation_are_inherited_and_marked():
    _, grouped = events_by_type()
    (patrol,) = grouped["patrol"]
    assert patrol["time"]["text"] == "Năm 2023" and patrol["time"]["inherited"] is False
    assert patrol["organization"]["text"] == "BĐBP tỉnh Hà Giang"
    (drugs,) = grouped["drug_seizure"]
    assert drugs["time"]["text"] == "Năm 2023" and drugs["time"]["inherited"] is True
    assert drugs["organization"]["inherited"] is True
    (outreach,) = grouped["outreach"]
    assert outreach["time"]["text"] == "Quý I năm 2024" and outreach["time"]["inherited"] is False


def test_officials_get_their_own_titles():
    _, grouped = events_by_type()
    people = {
        e["slots"]["OFFICIAL_NAME"][0]["text"]: [t["text"] for t in e["slots"].get("OFFICIAL_TITLE", [])]
        for e in grouped["official"]
    }
    assert people == {
        "Hoàng Văn Mẫn": ["Đại tá", "Bí thư Đảng ủy", "Chính ủy BĐBP tỉnh"],
        "Lê Văn Dũng": ["Phó Chủ tịch UBND tỉnh"],
    }


def test_a_generic_drug_lead_in_does_not_make_a_drug_seizure():
    lead_in = sentence(
        0,
        0,
        "Trong công tác phòng, chống ma túy, các đồn đã phát hiện 9 vụ/12 đối tượng xuất cảnh trái phép.",
        [("9 vụ", "CASE_COUNT"), ("12 đối tượng", "SUSPECT_COUNT")],
    )
    about = sentence(
        1,
        200,
        "Các đồn đã bắt 9 vụ/12 đối tượng mua bán trái phép chất ma túy.",
        [("9 vụ", "CASE_COUNT"), ("12 đối tượng", "SUSPECT_COUNT")],
    )
    kinds = [event.event_type for event in article_events("a", [lead_in, about])]
    assert kinds == ["law_enforcement", "drug_seizure"]


def test_gifts_wages_and_prices_are_other_but_fines_and_seized_goods_are_not():
    texts = [
        ("Dịp này, đồn trao 120 suất quà cho hộ nghèo, mỗi suất trị giá 500.000 đồng.", "500.000 đồng", "other"),
        ("Đối tượng khai được thuê với tiền công 5 triệu đồng mỗi chuyến.", "5 triệu đồng", "other"),
        ("Hải quan cửa khẩu thu ngân sách 846 tỉ đồng.", "846 tỉ đồng", "other"),
        ("Đơn vị xử phạt vi phạm hành chính 76 triệu đồng.", "76 triệu đồng", "law_enforcement"),
        ("Tổ công tác tạm giữ toàn bộ số dầu trị giá hơn 1,4 tỷ đồng.", "hơn 1,4 tỷ đồng", "law_enforcement"),
        ("Ước tính trị giá lô hàng khoảng 520 triệu đồng.", "khoảng 520 triệu đồng", "law_enforcement"),
    ]
    for text, money, expected in texts:
        (event,) = article_events("a", [sentence(0, 0, text, [(money, "MONEY")])])
        assert event.event_type == expected, text
    # A sum seized with other things stays with them, whatever the words around it.
    seized = sentence(
        0,
        0,
        "Các đồn bắt 3 vụ, thu giữ 2 xe máy và 40 triệu đồng tiền mua hàng.",
        [("3 vụ", "CASE_COUNT"), ("2 xe máy", "SEIZED_ITEM"), ("40 triệu đồng", "MONEY")],
    )
    assert [e.event_type for e in article_events("a", [seized])] == ["law_enforcement"]
