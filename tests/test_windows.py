from inference.tagger import Tagger
from inference.windows import WordEncoder, best_window_per_word, make_windows


def test_windows_cover_every_word_within_the_limit_with_overlap():
    pieces = [tuple(range(1 + i % 3)) for i in range(120)]  # words of 1-3 subwords
    windows = make_windows(pieces, [0], [2], max_length=24, stride=6)
    assert len(windows) > 5
    assert all(len(w.input_ids) <= 24 for w in windows)
    assert windows[0].first_word == 0 and windows[-1].end_word == len(pieces)
    for left, right in zip(windows, windows[1:]):
        assert right.first_word < left.end_word, "consecutive windows share context"
        assert right.first_word > left.first_word, "windows always move forward"
    for w in windows:
        assert w.input_ids[0] == 0 and w.input_ids[-1] == 2
        for offset, position in enumerate(w.first_piece):
            assert w.input_ids[position : position + len(pieces[w.first_word + offset])] == list(pieces[w.first_word + offset])
    chosen = best_window_per_word(windows, len(pieces))
    assert all(windows[w].first_word <= word < windows[w].end_word for word, (w, _) in enumerate(chosen))


def test_a_word_longer_than_the_window_is_cut_not_dropped():
    class Pieces:
        unk_token_id = 3

        def __call__(self, word, add_special_tokens=False):
            return {"input_ids": [5] * len(word)}

    encoder = WordEncoder(Pieces(), max_pieces=10)
    assert len(encoder("x" * 50)) == 10 and encoder("ab") == (5, 5)
    windows = make_windows([encoder("x" * 50), encoder("ab")], [0], [2], max_length=12, stride=2)
    assert [(w.first_word, w.end_word) for w in windows] == [(0, 1), (1, 2)]


def test_tagger_tags_every_word_of_a_sentence_longer_than_the_model(tiny_model):
    tagger = Tagger.load(tiny_model)
    assert tagger.settings.max_length == 24
    sentence = ", ".join(f"Đồn Biên phòng số {i} tuần tra {i} lần" for i in range(40))
    (tagged,) = tagger.predict([sentence])
    assert len(tagger.preprocessor.windows(tagged.words)) > 10
    assert len(tagged.tags) == len(tagged.words) > 200
    assert sentence[tagged.words[-1].end :].strip() == "", "the end of the sentence is tagged too"
    assert all(0.0 <= s <= 1.0 for s in tagged.word_scores)


def test_the_model_reads_a_headline_in_capitals_or_title_case_in_lower_case_at_the_same_offsets():
    from annotations.segmentation import syllables
    from inference.preprocess import words_of

    text = "BĐBP QUẢNG TRỊ BẮT 2 ĐỐI TƯỢNG"
    words = words_of(text, syllables)
    assert [w.text for w in words] == ["BĐBP", "quảng", "trị", "bắt", "2", "đối", "tượng"]
    assert [text[w.start : w.end] for w in words] == ["BĐBP", "QUẢNG", "TRỊ", "BẮT", "2", "ĐỐI", "TƯỢNG"]
    assert [w.text for w in words_of("Đồn BP Quảng Trị bắt 2 đối tượng", syllables)][:3] == ["Đồn", "BP", "Quảng"]
    titled = "Đồn BP Quảng Trị Bắt Giữ 2 Đối Tượng Vận Chuyển Ma Túy"  # every syllable capitalised
    assert [w.text for w in words_of(titled, syllables)][:5] == ["đồn", "BP", "quảng", "trị", "bắt"]
    assert [titled[w.start : w.end] for w in words_of(titled, syllables)][:3] == ["Đồn", "BP", "Quảng"]
