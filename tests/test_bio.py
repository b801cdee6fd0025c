import pytest

from annotations.bio import AlignmentError, spans_to_tags, tags_to_spans
from annotations.corpus import SOURCE, article_examples
from annotations.segmentation import get_segmenter, split_words_at, underthesea_words
from annotations.spans import Span

SEED_EXAMPLES = [e for p in sorted((SOURCE / "seeds").glob("*.txt")) for e in article_examples(p)]


@pytest.mark.parametrize("segmenter", ["underthesea", "none"])
def test_every_seed_sentence_round_trips_exactly(segmenter):
    segment = get_segmenter(segmenter)
    assert len(SEED_EXAMPLES) > 50
    for example in SEED_EXAMPLES:
        boundaries = [edge for span in example.spans for edge in (span.start, span.end)]
        words = split_words_at(example.text, segment(example.text), boundaries)
        tags = spans_to_tags(words, example.spans)
        back = tags_to_spans(words, tags)
        assert [(s.start, s.end, s.label) for s in back] == [(s.start, s.end, s.label) for s in example.spans]


def test_a_boundary_inside_a_segmented_word_splits_the_word():
    text = "Đồn Biên phòng Si Ma Cai"
    words = underthesea_words(text)
    assert any("_" in w.text for w in words)
    # A (contrived) span ending inside the word "Biên_phòng".
    span = Span(0, len("Đồn Biên"), "ORGANIZATION")
    split = split_words_at(text, words, [span.start, span.end])
    tags = spans_to_tags(split, [span])
    assert tags_to_spans(split, tags) == [span]
    assert [w.text for w in split][:3] == ["Đồn", "Biên", "phòng"]


def test_unaligned_span_is_an_error():
    words = get_segmenter("none")("Biên phòng")
    with pytest.raises(AlignmentError):
        spans_to_tags(words, [Span(0, 3, "ORGANIZATION")])


def test_stray_inside_tag_opens_a_span_and_scores_average():
    words = get_segmenter("none")("bắt 25 vụ")
    spans = tags_to_spans(words, ["O", "I-CASE_COUNT", "I-CASE_COUNT"], [0.9, 0.6, 0.8])
    assert [(s.start, s.end, s.label) for s in spans] == [(4, 9, "CASE_COUNT")]
    assert spans[0].score == pytest.approx(0.7)


def test_underthesea_words_have_exact_offsets():
    text = "Phó Bí thư Tỉnh ủy, Chủ tịch UBND tỉnh Hà Giang Nguyễn Văn Sơn thu 0,128kg heroin."
    for word in underthesea_words(text):
        assert word.text == text[word.start : word.end].replace(" ", "_")
