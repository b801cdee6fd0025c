import unicodedata

import pytest

from annotations.text import InputError, dateline_end, read_article, split_sentences, tokenize, unshouted, untitled


def texts(article):
    return [s.text for s in split_sentences(article)]


def test_numbers_dates_and_decimals_do_not_end_sentences():
    article = (
        "Ngày 24.11, đơn vị thu giữ 0,128kg heroin và 1.344 viên ma túy. Trên 1 tỉ đồng được nộp. Kết quả 1.178 lần tuần tra."
    )
    assert texts(article) == [
        "Ngày 24.11, đơn vị thu giữ 0,128kg heroin và 1.344 viên ma túy.",
        "Trên 1 tỉ đồng được nộp.",
        "Kết quả 1.178 lần tuần tra.",
    ]


def test_abbreviations_initials_and_lowercase_continuations():
    article = "Đoàn công tác đến TP. Hồ Chí Minh gặp ThS. Lê Văn Hải. Ông Nguyễn V. Bình dự họp. ông ấy nói... rồi về."
    assert texts(article) == [
        "Đoàn công tác đến TP. Hồ Chí Minh gặp ThS. Lê Văn Hải.",
        "Ông Nguyễn V. Bình dự họp. ông ấy nói... rồi về.",
    ]


def test_captions_headlines_and_quotes_are_units():
    article = (
        "BĐBP Lạng Sơn bắt 2 đối tượng\nĐại tá Đinh Đức Hùng phát biểu tại hội nghị |\n\n"
        "Ông nói: “Phải làm tốt.” Sau đó đoàn về đồn…\nẢnh: HỒNG ANH"
    )
    assert texts(article) == [
        "BĐBP Lạng Sơn bắt 2 đối tượng",
        "Đại tá Đinh Đức Hùng phát biểu tại hội nghị |",
        "Ông nói: “Phải làm tốt.”",
        "Sau đó đoàn về đồn…",
        "Ảnh: HỒNG ANH",
    ]


def test_offsets_point_into_the_article():
    article = "  Câu một. Câu hai!\n Câu ba ?"
    for sentence in split_sentences(article):
        assert article[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()


def test_tokens_keep_formatted_numbers_whole():
    assert [t.text for t in tokenize("224/1.344 lượt, 0,128kg")] == ["224", "/", "1.344", "lượt", ",", "0,128", "kg"]


def test_a_hyphenated_foreign_word_is_one_token():
    # the press hyphenates Lao names and places syllable by syllable; a span never starts or ends inside them
    text = "Thiếu tá Khăm-phết Xay-xạ-na, tỉnh Sa-vẳn-na-khệt (Lào), hơn một ki-lô-gam; 2020-11, Việt - Lào, KH-UBND"
    tokens = [t.text for t in tokenize(text)]
    assert {"Khăm-phết", "Xay-xạ-na", "Sa-vẳn-na-khệt", "ki-lô-gam", "KH-UBND"} <= set(tokens)
    assert tokens[tokens.index("2020") : tokens.index("2020") + 3] == ["2020", "-", "11"]  # numbers part at a dash
    assert tokens[tokens.index("Việt") : tokens.index("Việt") + 3] == ["Việt", "-", "Lào"]  # a spaced dash is its own token
    assert [t.text for t in tokenize("Lào- Việt, -Nam")] == ["Lào", "-", "Việt", ",", "-", "Nam"]


@pytest.mark.parametrize(
    "text, dateline",
    [
        ("(BP) - Ngày 27-12, tại TP Vinh", "(BP) - "),
        ("QĐND Online - Sáng 8/7", "QĐND Online - "),
        ("VOV.VN - Chiều qua", "VOV.VN - "),
        ("Baonghean.vn – Sáng 8/7", "Baonghean.vn – "),
        ("(Báo Nghệ An) - Từ ngày 17", "(Báo Nghệ An) - "),  # a paper named in words, its place included
        ("(Đài PT-TH Lai Châu) – Sáng 8/7", "(Đài PT-TH Lai Châu) – "),
        ("(Lào Cai) - Sáng 8/7", ""),  # a place alone in brackets is left to the model
        ("HUẾ - Sáng 8/7", ""),  # a place in capitals, not an outlet
        ("Lào Cai - Bắt giữ 3 đối tượng", ""),
        ("2020 - 2025 là giai đoạn", ""),
        ("(2020) - a", ""),
        ("BPO bắt 3 vụ", ""),
    ],
)
def test_a_papers_dateline_is_found_at_the_start(text, dateline):
    assert text[: dateline_end(text)] == dateline


def test_read_article_normalises_to_nfc(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(unicodedata.normalize("NFD", "Biên phòng Hà Giang"), encoding="utf-8")
    text = read_article(path)
    assert text == unicodedata.normalize("NFC", text) and len(text) == len("Biên phòng Hà Giang")


def test_read_article_errors_name_the_file(tmp_path):
    bad = tmp_path / "latin.txt"
    bad.write_bytes("Biên phòng".encode("latin-1"))
    with pytest.raises(InputError, match="latin.txt: not UTF-8"):
        read_article(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.txt: the article is empty"):
        read_article(empty)


def test_vessel_number_suffix_ends_a_sentence_but_title_does_not():
    article = "Tổ công tác kiểm tra tàu cá KH 96125 TS. Tàu do ông Lê Văn Tư làm thuyền trưởng. Gặp TS. Lê Văn Hải."
    assert texts(article) == [
        "Tổ công tác kiểm tra tàu cá KH 96125 TS.",
        "Tàu do ông Lê Văn Tư làm thuyền trưởng.",
        "Gặp TS. Lê Văn Hải.",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        # a headline in capitals: lower case, acronyms without a vowel keep theirs, offsets unchanged
        ("BĐBP TỈNH CAO BẰNG BẮT 3 ĐỐI TƯỢNG", "BĐBP tỉnh cao bằng bắt 3 đối tượng"),
        ("TRƯỚC TẾT NGUYÊN ĐÁN: Căng mình chống buôn lậu", "trước tết nguyên đán: Căng mình chống buôn lậu"),
        ("NÓI KHÔNG VỚI “VIỆC NHẸ LƯƠNG CAO”.", "nói không với “việc nhẹ lương cao”."),
    ],
)
def test_a_stretch_in_capitals_is_read_in_lower_case(text, expected):
    assert unshouted(text) == expected
    assert len(unshouted(text)) == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "Đồn BP và UBND xã phối hợp với BĐBP tỉnh Cao Bằng.",
        "Đại diện ASEAN, UBND và HĐND tỉnh dự hội nghị.",  # acronyms apart, not a stretch
        "HUẾ - Sáng 3/5, Đồn Biên phòng A Xing tuần tra.",  # a dateline is the decoder's business
        "QĐND - Lực lượng BĐBP TP HCM ra quân.",
    ],
)
def test_ordinary_text_and_acronyms_are_left_as_written(text):
    assert unshouted(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        # every syllable capitalised: lower case at the same offsets, words in capitals keep theirs
        (
            "Đồn BP Ma Lù Thàng Tổ Chức Tuyên Truyền Cho 300 Lượt Người Dân",
            "đồn BP ma lù thàng tổ chức tuyên truyền cho 300 lượt người dân",
        ),
        (
            "Bắt Giữ 3 Đối Tượng Vận Chuyển Trái Phép 2,5Kg Ma Túy Tổng Hợp Qua Biên Giới.",
            "bắt giữ 3 đối tượng vận chuyển trái phép 2,5kg ma túy tổng hợp qua biên giới.",
        ),
    ],
)
def test_a_sentence_in_title_case_is_read_in_lower_case(text, expected):
    assert untitled(text) == expected
    assert len(untitled(text)) == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ảnh: Hoàng Văn Tuấn - Nguyễn Thị Hồng Nhung",  # a caption of names
        "Tiếp đoàn có Phó Tỉnh trưởng tỉnh Hủa Phăn Xổm Phon Xay Ya Phăn và Đại tá Thoongxỉ Vilayvông.",
        "Kính gửi Ban Chỉ huy Đồn Biên phòng Đắk Long, BCH BĐBP tỉnh Quảng Ngãi.",
        "Bắt Giữ 3 Đối Tượng.",  # too short to tell a headline from names
    ],
)
def test_names_and_ordinary_sentences_are_not_title_case(text):
    assert untitled(text) == text


def test_no_corpus_sentence_is_taken_for_title_case_and_nearly_every_recased_one_is():
    from annotations.corpus import corpus_files
    from annotations.labelstudio import read_examples
    from training.augmentation import capitalised

    texts = [unshouted(e.text) for e in read_examples(corpus_files() + corpus_files("ood"))]
    assert [t for t in texts if untitled(t) != t] == []
    recased = [capitalised(t) for t in texts]
    assert sum(untitled(t) != t for t in recased) >= 0.95 * len(recased)


def test_an_older_drug_spelling_is_read_as_the_usual_one_at_the_same_offsets():
    from annotations.segmentation import syllables
    from annotations.text import usual_spellings
    from inference.preprocess import words_of

    text = "HÊRÔIN: thu 3 bánh hêrôin, Hêrôin và heroin; hêrôinx"
    assert usual_spellings(text) == "HEROIN: thu 3 bánh heroin, Heroin và heroin; hêrôinx"
    words = words_of(text, syllables)
    assert [w.text for w in words if w.text.lower().startswith("h")] == ["HEROIN", "heroin", "Heroin", "heroin", "hêrôinx"]
    assert all(text[w.start : w.end].lower() in (w.text.lower(), "hêrôin") for w in words)
