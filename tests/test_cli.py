"""End to end through the command line: train a tiny model, evaluate, extract, tasks; bad input."""

import json
import os

import pytest
from transformers import AutoModelForTokenClassification, AutoTokenizer

from annotations.schema import bio_tags
from inference.cli import main
from tests.conftest import ROOT, write_seed_corpus

SEEDS = ROOT / "seeds"


def test_train_writes_a_complete_run_directory(tiny_model):
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "metrics.json", "config.yaml", "train.log"):
        assert (tiny_model / name).is_file(), name
    model = AutoModelForTokenClassification.from_pretrained(tiny_model)
    assert [model.config.id2label[i] for i in range(len(bio_tags()))] == bio_tags()
    assert AutoTokenizer.from_pretrained(tiny_model)("Biên phòng")["input_ids"]
    metrics = json.loads((tiny_model / "metrics.json").read_text(encoding="utf-8"))
    for split in ("dev", "test"):
        assert set(metrics[split]["per_label"]) == set(label for label in bio_tags()[1::2] for label in [label[2:]])
        assert 0.0 <= metrics[split]["micro"]["f1"] <= 1.0 and "macro" in metrics[split]
    assert metrics["sentences"]["test"] == 8 and metrics["steps"] == 12
    assert "| *micro* |" in (tiny_model / "README.md").read_text(encoding="utf-8")


def test_evaluate_extract_and_tasks(tiny_model, seed_corpus, tmp_path, capsys):
    metrics = tmp_path / "metrics.json"
    assert (
        main(["evaluate", "--model", str(tiny_model), "--data", str(seed_corpus / "seeds.json"), "--output", str(metrics)]) == 0
    )
    assert json.loads(metrics.read_text(encoding="utf-8"))["sentences"] == 63

    events = tmp_path / "events.jsonl"
    assert main(["extract", "--model", str(tiny_model), str(SEEDS), "--output", str(events), "--quiet"]) == 0
    lines = events.read_text(encoding="utf-8").splitlines()
    umask = os.umask(0)
    os.umask(umask)
    assert events.stat().st_mode & 0o777 == 0o666 & ~umask, "outputs are not private temporary files"
    assert f"{len(lines)} events from 5 articles (63 sentences)" in capsys.readouterr().out
    for line in lines:
        event = json.loads(line)
        assert event["article_id"] in {p.stem for p in SEEDS.glob("*.txt")}
        assert event["event_type"] in {"patrol", "drug_seizure", "law_enforcement", "outreach", "official", "other"}

    tasks_path = tmp_path / "tasks.json"
    assert main(["tasks", "--model", str(tiny_model), str(SEEDS), "--output", str(tasks_path), "--quiet"]) == 0
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert len(tasks) == 63
    scores = [task["predictions"][0]["score"] for task in tasks]
    assert scores == sorted(scores), "least confident first"
    for task in tasks:
        prediction = task["predictions"][0]
        assert prediction["model_version"].startswith("tiny-test@")
        for item in prediction["result"]:
            value = item["value"]
            assert task["data"]["text"][value["start"] : value["end"]] == value["text"] and "score" in item
    assert main(["tasks", "--model", str(tiny_model), str(SEEDS), "--output", str(tasks_path), "--limit", "5", "--quiet"]) == 0
    assert len(json.loads(tasks_path.read_text(encoding="utf-8"))) == 5


def test_jsonl_input(tiny_model, tmp_path):
    source = tmp_path / "articles.jsonl"
    source.write_text(
        json.dumps({"id": "x1", "text": "Năm 2023, Đồn Biên phòng bắt 3 vụ."}, ensure_ascii=False)
        + "\n\n"
        + json.dumps({"id": 2, "text": "Thu giữ 10 bánh heroin."}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "tasks.json"
    assert main(["tasks", "--model", str(tiny_model), str(source), "--output", str(out), "--quiet"]) == 0
    assert {t["data"]["article_id"] for t in json.loads(out.read_text(encoding="utf-8"))} == {"x1", "2"}


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("latin.txt", "Biên phòng".encode("latin-1"), "latin.txt: not UTF-8"),
        ("empty.txt", b"   \n", "empty.txt: the article is empty"),
        ("bad.jsonl", b'{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', "bad.jsonl:2: not valid JSON"),
        ("nokey.jsonl", b'{"text": "ok"}\n', 'nokey.jsonl:1: "id" must be a non-empty string'),
    ],
)
def test_bad_articles_fail_clearly_and_leave_no_output(tiny_model, tmp_path, capsys, name, content, message):
    """tasks and extract --strict stop at the first bad article (extract without --strict skips it: test_batch)."""
    bad = tmp_path / name
    bad.write_bytes(content)
    for command in ("extract --strict", "tasks"):
        out = tmp_path / f"{command.split()[0]}.out"
        assert (
            main(
                [
                    *command.split(),
                    "--model",
                    str(tiny_model),
                    str(SEEDS / "000_92c61fa411fe9936.txt"),
                    str(bad),
                    "--output",
                    str(out),
                    "--quiet",
                ]
            )
            == 2
        )
        assert message in capsys.readouterr().err
        assert not out.exists() and not list(tmp_path.glob(f".{out.name}*"))


def test_config_typo_fails_before_anything_is_written(seed_corpus, tmp_path, capsys):
    config = tmp_path / "typo.yaml"
    config.write_text(
        (seed_corpus / "tiny.yaml")
        .read_text(encoding="utf-8")
        .replace("epochs:", "epoch:")
        .replace("seeds.json", str(seed_corpus / "seeds.json"))
        .replace("split.yaml", str(seed_corpus / "split.yaml")),
        encoding="utf-8",
    )
    assert main(["train", "--config", str(config), "--output-dir", str(tmp_path / "run")]) == 2
    assert "training.epoch: unknown key" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_not_a_model_directory(tmp_path, capsys):
    assert main(["extract", "--model", str(tmp_path), str(SEEDS), "--output", str(tmp_path / "e.jsonl")]) == 2
    assert "not a trained model directory" in capsys.readouterr().err


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path, capsys):
    config = write_seed_corpus(tmp_path, steps=4)
    text = config.read_text(encoding="utf-8").replace("seed: 7}", "seed: 7, eval_steps: 2}")
    config.write_text(text, encoding="utf-8")
    run = tmp_path / "run"
    assert main(["train", "--config", str(config), "--output-dir", str(run)]) == 0
    assert (run / "checkpoints" / "checkpoint-4").is_dir()
    # A longer run in the same directory continues from step 4 instead of starting again.
    config.write_text(text.replace("max_steps: 4", "max_steps: 6"), encoding="utf-8")
    capsys.readouterr()
    assert main(["train", "--config", str(config), "--output-dir", str(run)]) == 0
    assert "Resuming from" in capsys.readouterr().out
    assert json.loads((run / "metrics.json").read_text(encoding="utf-8"))["steps"] == 6
    assert main(["train", "--config", str(config), "--output-dir", str(run), "--fresh"]) == 2
