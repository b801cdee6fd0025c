import json
import random
from collections import Counter
from pathlib import Path

import pytest

from annotations.corpus import corpus_files
from annotations.errors import InputError
from annotations.labelstudio import Example, read_examples
from annotations.spans import Span
from inference.places import _key, gazetteer, typed_place_names
from training.augmentation import (
    CASINGS,
    FOREIGN_PLACES,
    LATIN_FOREIGN_NAMES,
    apply_edits,
    augment,
    recase,
    spelled_counts,
    variant,
)


def example(text: str, *spans: tuple[str, str]) -> Example:
    found, position = [], 0
    for piece, label in spans:
        start = text.index(piece, position)
        found.append(Span(start, start + len(piece), label))
        position = start + len(piece)
    return Example(text=text, spans=found, article_id="a", sentence_index=0)


@pytest.fixture(scope="module")
def corpus() -> list[Example]:
    return read_examples(corpus_files())


def test_variants_keep_every_label_on_a_well_formed_span(corpus):
    originals = corpus[:600]
    changed = 0
    for before, after in zip(originals, augment(originals, share=1.0, seed=3)):
        assert [s.label for s in after.spans] == [s.label for s in before.spans]
        for span in after.spans:
            piece = after.text[span.start : span.end]
            assert piece and piece == piece.strip(), (after.text, span)
        changed += after.text != before.text
    assert changed > 300  # most sentences hold a place, a name or a number to change


def test_a_place_becomes_another_real_place_of_the_same_level():
    provinces, communes = gazetteer()
    sentence = example(
        "Bộ Chỉ huy BĐBP tỉnh Lai Châu tuần tra tại xã Mường Tè.",
        ("Bộ Chỉ huy BĐBP tỉnh Lai Châu", "ORGANIZATION"),
        ("xã Mường Tè", "LOCATION"),
    )
    seen_provinces, seen_communes = set(), set()
    for seed in range(20):
        out = variant(sentence, random.Random(seed))
        organisation, location = (out.text[s.start : s.end] for s in out.spans)
        assert organisation.startswith("Bộ Chỉ huy BĐBP tỉnh ") and location.startswith("xã ")
        seen_provinces.add(organisation.removeprefix("Bộ Chỉ huy BĐBP tỉnh "))
        seen_communes.add(location.removeprefix("xã "))
    # compared as match keys: the variant may also switch the tone placement ("Thiệu Hóa" -> "Thiệu Hoá")
    assert {_key(p) for p in seen_provinces} <= {_key(p) for p in provinces} and len(seen_provinces) > 10
    assert {_key(c) for c in seen_communes} <= {_key(c) for c in communes} and len(seen_communes) > 10


def test_numbers_names_and_spellings_change_in_place():
    sentence = example(
        "Thượng tá Nguyễn Văn Hùng cho biết 1.250 lượt cán bộ, chiến sĩ đã tuần tra 12 lần ở Hòa Bình.",
        ("Thượng tá", "OFFICIAL_TITLE"),
        ("Nguyễn Văn Hùng", "OFFICIAL_NAME"),
        ("1.250 lượt cán bộ, chiến sĩ", "PERSONNEL_COUNT"),
        ("12 lần", "PATROL_COUNT"),
        ("Hòa Bình", "LOCATION"),
    )
    outputs = [variant(sentence, random.Random(seed)) for seed in range(30)]
    names = {o.text[o.spans[1].start : o.spans[1].end] for o in outputs}
    counts = {o.text[o.spans[2].start : o.spans[2].end] for o in outputs}
    assert len(names) > 20 and "Nguyễn Văn Hùng" not in names
    assert all(c.endswith(("lượt cán bộ, chiến sĩ", "lượt cán bộ, chiến sỹ")) for c in counts) and len(counts) > 20
    places = {o.text[o.spans[4].start : o.spans[4].end] for o in outputs}
    assert len(places) > 20  # a one-name LOCATION becomes other provinces (or a neighbour's)
    assert not any("qúy" in o.text for o in [variant(example("Quý I năm 2025"), random.Random(s)) for s in range(10)])


def test_each_name_of_a_location_becomes_a_real_place_of_its_level_and_countries_stay():
    provinces, communes = gazetteer()
    province_keys, commune_keys = {_key(p) for p in provinces}, {_key(c) for c in communes}
    foreign_keys = {_key(p) for p in FOREIGN_PLACES}
    sentence = example(
        "Ông A trú tại Hoài Ân, Bình Định, bị bắt ở Lai Châu, giáp Lào.",
        ("Hoài Ân, Bình Định", "LOCATION"),
        ("Lai Châu", "LOCATION"),
        ("Lào", "LOCATION"),
    )
    chains, single, foreign = set(), set(), 0
    for seed in range(40):
        out = variant(sentence, random.Random(seed))
        chain, one, country = (out.text[s.start : s.end] for s in out.spans)
        assert country == "Lào"
        commune, province = chain.split(", ")
        assert _key(commune) in commune_keys and _key(province) in province_keys
        chains.add(chain)
        if _key(one) in province_keys:
            single.add(one)
        else:  # a one-name place sometimes becomes a province of a neighbour, hyphenated or spaced
            assert _key(one.replace("-", " ")) in {k.replace("-", " ") for k in foreign_keys}, one
            foreign += 1
    assert len(chains) > 30 and len(single) > 20 and 3 <= foreign <= 20


def test_names_become_given_names_alone_and_foreign_names_too():
    sentence = example("Đại tá Nguyễn Văn Hùng phát biểu.", ("Đại tá", "OFFICIAL_TITLE"), ("Nguyễn Văn Hùng", "OFFICIAL_NAME"))
    names = [(o := variant(sentence, random.Random(seed))).text[o.spans[1].start : o.spans[1].end] for seed in range(300)]
    latin = {name for names_of in LATIN_FOREIGN_NAMES for group in names_of for name in group}
    given_alone = [n for n in names if " " not in n and "-" not in n]
    hyphenated = [n for n in names if "-" in n]
    in_latin = [n for n in names if set(n.split()) <= latin]
    assert 25 < len(given_alone) < 75 and len(hyphenated) > 10 and len(in_latin) > 10
    assert all(part[0].isupper() and part[1:] == part[1:].lower() for n in hyphenated for part in n.split())


def test_foreign_names_and_places_are_not_the_ones_the_robustness_benchmark_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("robustness", Path(__file__).parents[1] / "benchmarks" / "robustness.py")
    robustness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(robustness)
    trained_places = {_key(p.replace("-", " ")) for p in FOREIGN_PLACES}
    assert not trained_places & {_key(p.replace("-", " ")) for p in robustness._FOREIGN_PLACES}
    generated = {
        (o := variant(example("Ông Lê Văn Hùng.", ("Lê Văn Hùng", "OFFICIAL_NAME")), random.Random(seed))).text[
            o.spans[0].start : o.spans[0].end
        ]
        for seed in range(2000)
    }
    assert not generated & set(robustness._FOREIGN_NAMES)


def test_augmentation_is_seeded_and_replaces_only_its_share(corpus):
    originals = corpus[:400]
    first, again = augment(originals, 0.5, 7), augment(originals, 0.5, 7)
    assert [e.text for e in first] == [e.text for e in again]
    assert [e.text for e in augment(originals, 0.5, 8)] != [e.text for e in first]
    kept = sum(a is b for a, b in zip(originals, first))
    assert 140 < kept < 260 and len(first) == len(originals)
    assert augment(originals, 0.0, 7) is originals


def test_edits_move_the_spans_after_them():
    sentence = example("tại xã A Xing và 5 lần", ("xã A Xing", "LOCATION"), ("5 lần", "PATROL_COUNT"))
    out = apply_edits(sentence, [(7, 13, "Mường Nhé Mới")])
    assert out.text == "tại xã Mường Nhé Mới và 5 lần"
    assert [out.text[s.start : s.end] for s in out.spans] == ["xã Mường Nhé Mới", "5 lần"]


def test_typed_place_names_stop_at_the_name():
    text = "Công an xã Mường Tè, thành phố Hà Nội phối hợp với Đồn Biên phòng"
    assert [text[a:b] for a, b, _ in typed_place_names(text)] == ["Mường Tè", "Hà Nội"]


def test_an_augmented_training_run_says_so_and_keeps_its_label_counts(tmp_path):
    from tests.conftest import write_seed_corpus
    from training.config import load_config
    from training.trainer import train

    path = write_seed_corpus(tmp_path, steps=2)
    path.write_text(
        path.read_text(encoding="utf-8") + "augmentation: {share: 1.0, seed: 5, casing: 0.5, number_words: 0.3}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    run_dir = train(config, tmp_path / "run")
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    train_examples = [
        e for e in read_examples(config.data_files()) if e.article_id not in ("003_127b3199efa4b0f5", "004_f6ed4eb041fdd9d9")
    ]
    assert metrics["train_label_counts"] == dict(Counter(s.label for e in train_examples for s in e.spans))
    card = (run_dir / "README.md").read_text(encoding="utf-8")
    assert "augmentation: 100% of the training sentences" in card and "casing augmentation: 50%" in card
    assert "number words: in 30% of the training sentences" in card
    assert "share: 1.0" in (run_dir / "config.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(path.read_text(encoding="utf-8").replace("share: 1.0", "share: 1.5"), encoding="utf-8")
    with pytest.raises(InputError, match="augmentation.share"):
        load_config(bad)


def test_recasing_keeps_every_span_on_the_same_words(corpus):
    originals = corpus[:300]
    for casing in CASINGS:
        recased = [recase(e, casing) for e in originals]
        assert sum(a.text != b.text for a, b in zip(originals, recased)) > 100, casing
        for before, after in zip(originals, recased):
            assert after.spans == before.spans and after.text.lower() == before.text.lower(), (casing, after.text)


def test_each_casing_writes_what_published_reports_write():
    sentence = example(
        "Thượng tá Lò Văn Páo cho biết Đồn Biên phòng Phó Bảng đã tuần tra 12 lần ở Hội An, huyện đảo Trường Sa.",
        ("Thượng tá", "OFFICIAL_TITLE"),
        ("Lò Văn Páo", "OFFICIAL_NAME"),
        ("Đồn Biên phòng Phó Bảng", "ORGANIZATION"),
        ("12 lần", "PATROL_COUNT"),
        ("Hội An", "LOCATION"),
        ("huyện đảo Trường Sa", "LOCATION"),
    )
    text = {casing: recase(sentence, casing).text for casing in CASINGS}
    assert text["upper"].startswith("THƯỢNG TÁ LÒ VĂN PÁO CHO BIẾT ĐỒN BIÊN PHÒNG PHÓ BẢNG")
    assert text["title"].startswith("Thượng Tá Lò Văn Páo Cho Biết Đồn Biên Phòng Phó Bảng Đã Tuần Tra 12 Lần")
    assert text["lower"].startswith("thượng tá lò văn páo cho biết đồn biên phòng phó bảng")
    # only units, places and titles: the rest of the sentence keeps its case
    assert text["spans_title"] == (
        "Thượng Tá Lò Văn Páo cho biết Đồn Biên Phòng Phó Bảng đã tuần tra 12 lần ở Hội An, Huyện Đảo Trường Sa."
    )
    # type words in lower case, never a proper name that starts with one ("Phó Bảng", "Hội An", "Trường Sa")
    assert text["types_lower"] == (
        "thượng tá Lò Văn Páo cho biết đồn biên phòng Phó Bảng đã tuần tra 12 lần ở Hội An, huyện đảo Trường Sa."
    )


def test_casing_augmentation_is_seeded_and_recases_only_its_share(corpus):
    originals = corpus[:400]
    first = augment(originals, 0.0, 7, casing=0.25)
    assert [e.text for e in first] == [e.text for e in augment(originals, 0.0, 7, casing=0.25)]
    recased = [b for a, b in zip(originals, first) if a.text != b.text]
    assert 60 < len(recased) < 140 and len(first) == len(originals)
    assert any(e.text.isupper() for e in recased) and any(e.text == e.text.lower() for e in recased)


def test_small_counts_are_written_in_words_and_the_spans_follow():
    sentence = example(
        "Bắt 03 vụ/hơn 12 đối tượng, thu 2,5kg pháo, 15 xe máy và 3 triệu đồng tại mốc 9.",
        ("03 vụ", "CASE_COUNT"),
        ("hơn 12 đối tượng", "SUSPECT_COUNT"),
        ("2,5kg pháo", "SEIZED_ITEM"),
        ("15 xe máy", "SEIZED_ITEM"),
        ("3 triệu đồng", "MONEY"),
    )
    out = spelled_counts(sentence)
    # decimals, counts above twelve and numbers outside spans (a marker) are left as they are
    assert out.text == "Bắt ba vụ/hơn mười hai đối tượng, thu 2,5kg pháo, 15 xe máy và ba triệu đồng tại mốc 9."
    assert [out.text[s.start : s.end] for s in out.spans] == [
        "ba vụ", "hơn mười hai đối tượng", "2,5kg pháo", "15 xe máy", "ba triệu đồng",
    ]  # fmt: skip
    # every approximation word of the schema (annotations/schema.py:QUALIFIERS) may stand before the number
    for qualifier in ("ước", "đến", "chừng"):
        out = spelled_counts(example(f"Huy động {qualifier} 8 tổ.", (f"{qualifier} 8 tổ", "PATROL_COUNT")))
        assert out.text[out.spans[0].start : out.spans[0].end] == f"{qualifier} tám tổ"


def test_number_words_are_seeded_touch_only_their_share_and_leave_other_draws_alone(corpus):
    originals = corpus[:600]
    first = augment(originals, 0.0, 7, number_words=0.5)
    assert [e.text for e in first] == [e.text for e in augment(originals, 0.0, 7, number_words=0.5)]
    spelled = [(a, b) for a, b in zip(originals, first) if a.text != b.text]
    could = [a for a in originals if spelled_counts(a).text != a.text]
    assert 0.3 * len(could) < len(spelled) < 0.7 * len(could)
    assert all(b.text == spelled_counts(a).text for a, b in spelled)
    # off, it draws nothing: the casing of earlier runs is the same
    assert [e.text for e in augment(originals, 0.0, 7, casing=0.25)] == [
        e.text for e in augment(originals, 0.0, 7, casing=0.25, number_words=0.0)
    ]
