"""Failures a user can cause end in one line naming the place, exit 2, and no change to any input."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from annotations.corpus import load_split
from annotations.errors import InputError
from inference.cli import main
from inference.settings import RunSettings


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def broken_copy(tiny_model: Path, tmp_path: Path, edit) -> Path:
    target = tmp_path / "model"
    shutil.copytree(tiny_model, target, ignore=shutil.ignore_patterns("checkpoints"))
    edit(target)
    return target


def edit_config(change):
    def edit(directory: Path) -> None:
        path = directory / "config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        change(config)
        path.write_text(json.dumps(config), encoding="utf-8")

    return edit


BROKEN_MODELS = {
    "config not JSON": (lambda d: (d / "config.json").write_text("{oops", encoding="utf-8"), "not valid JSON"),
    "config a list": (lambda d: (d / "config.json").write_text("[]", encoding="utf-8"), "expected a JSON object"),
    "no settings": (edit_config(lambda c: c.pop("bienphong")), "no 'bienphong' settings"),
    "unknown segmenter": (edit_config(lambda c: c["bienphong"].update(segmenter="magic")), "segmenter 'magic'"),
    "max_length text": (edit_config(lambda c: c["bienphong"].update(max_length="24")), "max_length must be an integer"),
    "labels outside the schema": (edit_config(lambda c: c["id2label"].update({"1": "B-WEAPON"})), "B-WEAPON"),
    "short id2label": (edit_config(lambda c: c.update(id2label={"0": "O"})), "does not match the slot schema"),
    "empty weights": (lambda d: (d / "model.safetensors").write_bytes(b""), "model.safetensors is missing or empty"),
    "truncated weights": (
        lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:100]),
        "model",
    ),
    "no tokenizer": (lambda d: (d / "tokenizer.json").unlink(), "no tokenizer files"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_MODELS))
def test_a_broken_model_directory_is_one_clear_error(case, tiny_model, tmp_path, capsys):
    edit, fragment = BROKEN_MODELS[case]
    model = broken_copy(tiny_model, tmp_path, edit)
    article = tmp_path / "a.txt"
    article.write_text("Đồn Biên phòng tuần tra 12 lần.", encoding="utf-8")
    output = tmp_path / "events.jsonl"
    assert main(["extract", "--model", str(model), str(article), "--output", str(output)]) == 2
    one_line_error(capsys, fragment)
    assert not output.exists()


def test_an_output_that_is_an_input_is_refused(tiny_model, tmp_path, capsys):
    articles = tmp_path / "in.jsonl"
    articles.write_text(json.dumps({"id": "a", "text": "Đồn tuần tra 3 lần."}, ensure_ascii=False) + "\n", encoding="utf-8")
    before = digest(articles)
    assert main(["extract", "--model", str(tiny_model), str(articles), "--output", str(articles)]) == 2
    one_line_error(capsys, "also an input")
    assert digest(articles) == before


def test_an_output_that_is_a_device_is_refused(tiny_model, tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text("Đồn tuần tra 3 lần.", encoding="utf-8")
    assert main(["tasks", "--model", str(tiny_model), str(article), "--output", "/dev/null"]) == 2
    one_line_error(capsys, "not a plain file")
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_batch_size_must_be_positive(value, tiny_model, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["extract", "--model", str(tiny_model), str(tmp_path), "--output", str(tmp_path / "o.jsonl"), "--batch-size", value])
    assert exit_info.value.code == 2 and "--batch-size" in capsys.readouterr().err


def test_training_refuses_another_configs_run(tiny_model, seed_corpus, tmp_path, capsys):
    config = tmp_path / "other.yaml"
    text = (seed_corpus / "tiny.yaml").read_text(encoding="utf-8").replace("run_name: tiny-test", "run_name: other")
    config.write_text(
        text.replace("seeds.json", str(seed_corpus / "seeds.json")).replace("split.yaml", str(seed_corpus / "split.yaml")),
        encoding="utf-8",
    )
    before = digest(tiny_model / "config.yaml")
    assert main(["train", "--config", str(config), "--output-dir", str(tiny_model)]) == 2
    one_line_error(capsys, "holds the run 'tiny-test'")
    assert digest(tiny_model / "config.yaml") == before


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("dev: [a]\ntset: [b]\n", "unknown key(s) ['tset']"),
        ("- a\n- b\n", "expected a mapping"),
        ("dev: a\n", "must be a list"),
        ("dev: [a]\ntest: [a]\n", "listed in both"),
    ],
)
def test_a_wrong_split_file_is_refused(text, fragment, tmp_path):
    path = tmp_path / "split.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        InputError, match=fragment.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")
    ):
        load_split(path)


def test_run_settings_round_trip_and_check_types():
    settings = RunSettings(segmenter="none", max_length=128, stride=32, model_version="m@1", decoding="argmax")
    assert RunSettings.from_dict(settings.to_dict()) == settings
    with pytest.raises(Exception, match="unknown keys"):
        RunSettings.from_dict({**settings.to_dict(), "extra": 1})
    with pytest.raises(Exception, match="max_length 10"):
        RunSettings(segmenter="none", max_length=10, stride=2)
