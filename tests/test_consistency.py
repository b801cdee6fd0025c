"""The consistency checker on small hand-made corpora: it finds each kind of case, and allow-lists work."""

from __future__ import annotations

from annotations.consistency import report
from annotations.labelstudio import Example
from annotations.spans import Span


def example(article: str, text: str, *marked: tuple[str, str]) -> Example:
    spans, position = [], 0
    for piece, label in marked:
        at = text.index(piece, position)
        spans.append(Span(at, at + len(piece), label))
        position = at + len(piece)
    return Example(text=text, spans=spans, article_id=article, sentence_index=0)


def kinds(problems) -> set[tuple[str, str]]:
    return {(case.kind, case.string) for case in problems}


def test_finds_a_label_conflict(tmp_path):
    examples = [
        example("a", "Đồn Biên phòng Si Ma Cai tuần tra.", ("Si Ma Cai", "LOCATION")),
        example("b", "Gặp ông Si Ma Cai tại bản.", ("Si Ma Cai", "OFFICIAL_NAME")),
    ]
    _, problems = report(examples, tmp_path / "none.yaml")
    assert ("label", "Si Ma Cai") in kinds(problems)


def test_finds_a_missed_name(tmp_path):
    examples = [
        example("a", "Cửa khẩu Trà Lĩnh mở cửa.", ("Trà Lĩnh", "LOCATION")),
        example("b", "Hàng hóa qua cửa khẩu Trà Lĩnh tăng."),
    ]
    _, problems = report(examples, tmp_path / "none.yaml")
    assert ("missed", "Trà Lĩnh") in kinds(problems)


def test_finds_a_boundary_drawn_differently(tmp_path):
    examples = [
        example("a", "Đồn tổ chức 12 buổi tuyên truyền lưu động.", ("12 buổi tuyên truyền lưu động", "PROPAGANDA_COUNT")),
        example("b", "Đồn tổ chức 05 buổi tuyên truyền lưu động.", ("05 buổi tuyên truyền", "PROPAGANDA_COUNT")),
    ]
    _, problems = report(examples, tmp_path / "none.yaml")
    assert any(case.kind == "boundary" for case in problems)


def test_an_allow_listed_case_is_resolved_and_a_stale_entry_fails(tmp_path):
    examples = [
        example("a", "Cửa khẩu Trà Lĩnh mở cửa.", ("Trà Lĩnh", "LOCATION")),
        example("b", "Hàng hóa qua cửa khẩu Trà Lĩnh tăng."),
    ]
    allow = tmp_path / "allow.yaml"
    allow.write_text('missed:\n  - string: "Trà Lĩnh"\n    label: LOCATION\n    reason: "D44: test"\n', encoding="utf-8")
    _, problems = report(examples, allow)
    assert not problems
    allow.write_text(
        allow.read_text(encoding="utf-8") + '  - string: "Lào Cai"\n    label: LOCATION\n    reason: "D44: gone"\n',
        encoding="utf-8",
    )
    _, problems = report(examples, allow)
    assert [case.kind for case in problems] == ["stale allow-list entry"]
