import json
import unicodedata

import pytest

from annotations.labelstudio import read_examples, read_file
from annotations.text import InputError
from inference.cli import main

TEXT = "Bắt 25 vụ/30 đối tượng tại Hà Giang."


def labels_result(start, end, label, text=None):
    value = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"id": f"r{start}", "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def task(task_id, results, text=TEXT, **annotation):
    return {
        "id": task_id,
        "data": {"text": text, "article_id": "a1", "sentence_index": task_id},
        "annotations": [{"id": task_id, "result": results, **annotation}],
    }


def write(tmp_path, tasks, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def test_valid_export_is_read(tmp_path):
    path = write(tmp_path, [task(1, [labels_result(4, 9, "CASE_COUNT", "25 vụ"), labels_result(27, 35, "LOCATION")])])
    report = read_file(path)
    assert report.problems == []
    (example,) = report.examples
    assert [(s.start, s.end, s.label) for s in example.spans] == [(4, 9, "CASE_COUNT"), (27, 35, "LOCATION")]
    assert example.article_id == "a1"


def test_every_problem_is_reported_with_task_and_span(tmp_path):
    path = write(
        tmp_path,
        [
            task(1, [labels_result(4, 9, "CASE_COUNTS", "25 vụ")]),  # unknown label
            task(2, [labels_result(4, 10, "CASE_COUNT", "25 vụ")]),  # text does not match offsets
            task(3, [labels_result(4, 9, "CASE_COUNT"), labels_result(7, 12, "SUSPECT_COUNT")]),  # overlap
            task(4, [labels_result(30, 99, "LOCATION")]),  # outside the text
            task(5, [labels_result(0, 4, "ORGANIZATION")]),  # trailing whitespace
            task(6, [], text=unicodedata.normalize("NFD", "Biên phòng")),  # not NFC
            task(7, [{"type": "choices", "value": {"choices": ["x"]}}]),  # unsupported result
        ],
    )
    problems = read_file(path).problems
    assert len(problems) == 7
    assert all(str(path) in p for p in problems)
    expected = [
        "task 1: span [4:9] '25 vụ': unknown label 'CASE_COUNTS'",
        "task 2: span [4:10] '25 vụ': text at these offsets is '25 vụ/'",
        "task 3: spans [4:9] CASE_COUNT and [7:12] SUSPECT_COUNT overlap",
        "task 4: span [30:99]",
        "task 5: span [0:4]",
        "task 6: data.text is not NFC",
        "task 7: result",
    ]
    for fragment, problem in zip(expected, problems):
        assert fragment in problem
    with pytest.raises(InputError, match="7 problem"):
        read_examples([path])


def test_cancelled_and_missing_annotations_are_skipped_empty_result_is_kept(tmp_path):
    path = write(
        tmp_path,
        [
            task(1, [labels_result(4, 9, "CASE_COUNT")], was_cancelled=True),
            {"id": 2, "data": {"text": TEXT}, "annotations": []},
            task(3, []),
        ],
    )
    report = read_file(path)
    assert report.problems == [] and report.skipped_unannotated == 2
    (example,) = report.examples
    assert example.spans == [] and example.task_id == 3


def test_latest_annotation_wins(tmp_path):
    first = {"id": 1, "updated_at": "2026-01-01T00:00:00", "result": [labels_result(4, 9, "CASE_COUNT")]}
    second = {"id": 2, "updated_at": "2026-02-01T00:00:00", "result": [labels_result(27, 35, "LOCATION")]}
    path = write(tmp_path, [{"id": 1, "data": {"text": TEXT}, "annotations": [first, second]}])
    (example,) = read_file(path).examples
    assert [s.label for s in example.spans] == ["LOCATION"]
    assert example.article_id == "export:1"


def test_malformed_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    assert "broken.json: not a UTF-8 JSON file" in read_file(broken).problems[0]
    wrong = write(tmp_path, {"tasks": []}, "wrong.json")
    assert "expected a JSON list of tasks" in read_file(wrong).problems[0]
    assert "no such file" in read_file(tmp_path / "missing.json").problems[0]


def test_validate_command_reports_all_problems_and_fails(tmp_path, capsys):
    good = write(tmp_path, [task(1, [labels_result(4, 9, "CASE_COUNT")])], "good.json")
    bad = write(tmp_path, [task(1, [labels_result(4, 9, "NOPE")]), task(2, [labels_result(0, 4, "TIME")])], "bad.json")
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "good.json: ok" in out and "bad.json: INVALID" in out and "'NOPE'" in out and "task 2" in out
