"""Batch extraction: streamed input, bad records skipped and listed, --strict, --workers, and --resume after a real kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from inference.articles import Article, BadRecord, iter_records, read_inputs
from inference.cli import main
from inference.extract import Extractor, json_line

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_TEXTS = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]


def _write_jsonl(path: Path, count: int, extra: list[str] = ()) -> Path:
    lines = [json.dumps({"id": f"a{i}", "text": SEED_TEXTS[i % len(SEED_TEXTS)]}, ensure_ascii=False) for i in range(count)]
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


def _expected_lines(model: Path, inputs: list) -> list[str]:
    """The events of the inputs, tagged in one pass in memory (the reference for the streamed run)."""
    extractor = Extractor(model)
    return [json_line(event.to_dict()) for item in extractor.tag(read_inputs(inputs)) for event in extractor.events(item)]


def test_streamed_run_writes_the_same_events_in_input_order(talking_model, tmp_path, capsys):
    source = _write_jsonl(tmp_path / "in.jsonl", 11)
    out = tmp_path / "events.jsonl"
    assert (
        main(["extract", "--model", str(talking_model), str(source), "--output", str(out), "--chunk-size", "3", "--quiet"]) == 0
    )
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines and lines == _expected_lines(talking_model, [source])
    assert [json.loads(line)["article_id"] for line in lines] == sorted(
        (json.loads(line)["article_id"] for line in lines), key=lambda a: int(a[1:])
    )
    assert not list(tmp_path.glob("events.jsonl.*")), "no part, manifest or errors file after a clean run"
    assert "from 11 articles" in capsys.readouterr().out


BAD_LINES = [
    "not json",
    json.dumps({"id": None, "text": "Câu."}),
    json.dumps({"id": True, "text": "Câu."}),
    json.dumps({"id": ["x"], "text": "Câu."}),
    json.dumps({"id": "", "text": "Câu."}),
    json.dumps({"id": "a0", "text": "trùng id"}, ensure_ascii=False),
    json.dumps({"id": "empty", "text": " \u200b\u200d "}),
    json.dumps({"id": "nul", "text": "B\x00i\x00"}),
    '{"id": "surrogate", "text": "a\\ud800b"}',
    json.dumps({"id": "num", "text": 12}),
    json.dumps({"id": "date", "text": "Câu.", "date": "12/3/2024"}, ensure_ascii=False),
    "[" * 100_000,
    json.dumps(["id", "text"]),
]


def test_bad_records_are_listed_and_skipped(talking_model, tmp_path, capsys):
    source = _write_jsonl(tmp_path / "in.jsonl", 3, BAD_LINES)
    source.open("ab").write(b'{"id": "latin", "text": "Bi\xean ph\xf2ng"}\n')
    before = source.read_bytes()
    out = tmp_path / "events.jsonl"
    assert main(["extract", "--model", str(talking_model), str(source), "--output", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"{len(BAD_LINES) + 1} bad records skipped" in err and "Traceback" not in err
    errors = [json.loads(line) for line in (tmp_path / "events.jsonl.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["line"] for e in errors] == list(range(4, 4 + len(BAD_LINES) + 1))
    assert all(e["source"] == str(source) and e["reason"] for e in errors)
    reasons = " | ".join(e["reason"] for e in errors)
    for expected in ("not valid JSON", '"id" must be', "appears twice", "empty", "NUL", "surrogate", '"text" must be', '"date"'):
        assert expected in reasons
    assert "nested too deeply" in reasons and "not UTF-8" in reasons
    # the good articles are all there, in order
    assert out.read_text(encoding="utf-8").splitlines(keepends=True) == _expected_lines(
        talking_model, [_write_jsonl(tmp_path / "good.jsonl", 3)]
    )
    assert source.read_bytes() == before


def test_strict_stops_at_the_first_bad_record_and_writes_nothing(talking_model, tmp_path, capsys):
    source = _write_jsonl(tmp_path / "in.jsonl", 3, ["not json"])
    out = tmp_path / "events.jsonl"
    assert main(["extract", "--model", str(talking_model), str(source), "--output", str(out), "--strict", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and f"{source}:4: not valid JSON" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_only_bad_records_is_an_error_with_no_output(talking_model, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("nope\n{}\n", encoding="utf-8")
    assert main(["extract", "--model", str(talking_model), str(source), "--output", str(tmp_path / "e.jsonl"), "--quiet"]) == 2
    assert "no valid articles in the input (2 bad records; first: " in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_two_workers_write_what_one_writes(talking_model, tmp_path):
    source = _write_jsonl(tmp_path / "in.jsonl", 14, ["bad line"])
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"events-{workers}.jsonl"
        args = ["extract", "--model", str(talking_model), str(source), "--output", str(out), "--chunk-size", "2", "--quiet"]
        assert main([*args, "--workers", workers]) == 1
        outputs.append((out.read_bytes(), (tmp_path / f"events-{workers}.jsonl.errors.jsonl").read_bytes()))
    assert outputs[0] == outputs[1] and outputs[0][0]


def _manifest_records(manifest: Path) -> int:
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))["records"]
    except (OSError, ValueError, KeyError):
        return 0


def test_a_killed_run_resumes_without_loss_or_repeats(talking_model, tmp_path, capsys):
    total = 300
    source = _write_jsonl(tmp_path / "in.jsonl", total, ["bad line"])
    out = tmp_path / "events.jsonl"
    command = [sys.executable, "-m", "inference.cli", "extract", "--model", str(talking_model), str(source)]
    command += ["--output", str(out), "--chunk-size", "4", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = tmp_path / "events.jsonl.part.json"
    deadline = time.monotonic() + 120
    while _manifest_records(manifest) < 12 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = _manifest_records(manifest)
    assert 0 < done < total, "the run must be killed mid-way"
    assert not out.exists(), "the output appears only when the run is complete"

    args = ["extract", "--model", str(talking_model), str(source), "--output", str(out), "--quiet"]
    assert main(args) == 2
    assert "add --resume" in capsys.readouterr().err
    other = _write_jsonl(tmp_path / "other.jsonl", 2)
    assert main(["extract", "--model", str(talking_model), str(other), "--output", str(out), "--resume", "--quiet"]) == 2
    assert "read other inputs" in capsys.readouterr().err

    assert main([*args, "--resume"]) == 1
    assert f"resumed after {done} records" in capsys.readouterr().out
    reference = tmp_path / "reference.jsonl"
    assert main(["extract", "--model", str(talking_model), str(source), "--output", str(reference), "--quiet"]) == 1
    assert out.read_bytes() == reference.read_bytes()
    errors = (tmp_path / "events.jsonl.errors.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(errors) == 1 and json.loads(errors[0])["line"] == total + 1
    assert not manifest.exists() and not (tmp_path / "events.jsonl.part").exists()


# --- reading the input ----------------------------------------------------------------------


def test_jsonl_splits_on_newline_only(tmp_path):
    text = "Câu một có U+2028\u2028ở giữa. Câu hai\u0085 và U+2029\u2029."
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 7, "text": text}, ensure_ascii=False) + "\r\n", encoding="utf-8")
    [article] = list(iter_records([source]))
    assert article == Article("7", text, f"{source}:1")


def test_text_files_ids_and_line_endings(tmp_path):
    folder = tmp_path / "crawl"
    folder.mkdir()
    nfd_name = unicodedata.normalize("NFD", "biên phòng") + ".txt"
    (folder / nfd_name).write_text("Dòng một.\rDòng hai.\u2028Dòng ba.", encoding="utf-8")
    (folder / "._biên.txt").write_bytes(b"\x00\x05 resource fork")
    (folder / "gone.txt").symlink_to(tmp_path / "missing.txt")
    records = list(iter_records([folder]))
    articles = [r for r in records if isinstance(r, Article)]
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert [a.id for a in articles] == [unicodedata.normalize("NFC", "biên phòng")]
    assert [b.id for b in bad] == ["gone"] and "cannot read" in bad[0].reason
    from annotations.text import split_sentences

    assert [s.text for s in split_sentences(articles[0].text)] == ["Dòng một.", "Dòng hai.", "Dòng ba."]


def test_globs_and_dates(tmp_path):
    for name in ("2024-a.jsonl", "2024-b.jsonl", "2023.jsonl"):
        (tmp_path / name).write_text(json.dumps({"id": name, "text": "Câu.", "date": "2024-03-12T08:00:00+07:00"}) + "\n")
    articles = read_inputs([str(tmp_path / "2024-*.jsonl")])
    assert [a.id for a in articles] == ["2024-a.jsonl", "2024-b.jsonl"]
    assert str(articles[0].date) == "2024-03-12"
    from annotations.errors import InputError

    with pytest.raises(InputError, match="matches no files"):
        read_inputs([str(tmp_path / "2025-*.jsonl")])
    with pytest.raises(InputError, match="no such file"):
        read_inputs([tmp_path / "missing.jsonl"])


def test_a_long_article_gets_a_bar_of_its_own(talking_model, tmp_path, capsys, monkeypatch):
    from inference import batch

    monkeypatch.setattr(batch, "LONG_CHUNK_CHARS", 500)  # the seed articles count as long
    output = tmp_path / "events.jsonl"
    assert main(["extract", "--model", str(talking_model), str(SEEDS), "--output", str(output)]) == 0
    err = capsys.readouterr().err
    assert "tagging" in err and "extracting" in err
    monkeypatch.setattr(batch, "LONG_CHUNK_CHARS", 10**9)
    output.unlink()
    assert main(["extract", "--model", str(talking_model), str(SEEDS), "--output", str(output)]) == 0
    assert "tagging" not in capsys.readouterr().err
