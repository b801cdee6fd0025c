"""ONNX export and the ONNX Runtime tagger: same probabilities and spans as torch (fp32), valid tags (int8), clear refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from annotations.errors import BienphongError
from inference import run_directory
from inference.cli import build_parser, main
from inference.onnx_runtime import onnx_file
from inference.tagger import Tagger


@pytest.fixture(scope="module")
def texts(seed_corpus) -> list[str]:
    sentences = [task["data"]["text"] for task in json.loads((seed_corpus / "seeds.json").read_text(encoding="utf-8"))]
    # One long sentence: several overlapping windows, each word taken from its best one.
    return sentences[:24] + [" ".join(sentences[:4])]


@pytest.fixture(scope="module")
def noisy_model(tiny_model, tmp_path_factory) -> Path:
    """The tiny model with a randomised classifier head, so that it tags spans (the trained one tags only O)."""
    run = run_directory.load(tiny_model)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        head = run.model.classifier
        head.weight.add_(torch.randn(head.weight.shape, generator=generator))
    directory = tmp_path_factory.mktemp("noisy") / "run"
    run_directory.save(run.model, run.tokenizer, directory, run.settings)
    return directory


@pytest.fixture(scope="module")
def exported(noisy_model) -> Path:
    assert main(["export", "--model", str(noisy_model), "--onnx", "--int8"]) == 0
    return noisy_model


def _probabilities(tagger: Tagger, texts: list[str]) -> list[np.ndarray]:
    return tagger.word_probabilities([tagger.preprocessor.words(text) for text in texts])


def test_export_writes_both_files_with_dynamic_axes(exported):
    import onnx

    for int8 in (False, True):
        graph = onnx.load(str(onnx_file(exported, int8))).graph
        for value in graph.input:
            dims = value.type.tensor_type.shape.dim
            assert [dim.dim_param != "" for dim in dims] == [True, True], value  # batch and sequence are symbolic


def test_fp32_onnx_equals_torch(exported, texts):
    torch_tagger = Tagger.load(exported, batch_size=4)
    onnx_tagger = Tagger.load(exported, batch_size=4, runtime="onnx")
    assert onnx_tagger.model is None  # the torch weights are not loaded at all
    for expected, got in zip(_probabilities(torch_tagger, texts), _probabilities(onnx_tagger, texts)):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4)
    torch_spans = [sentence.spans for sentence in torch_tagger.predict(texts)]
    onnx_spans = [sentence.spans for sentence in onnx_tagger.predict(texts)]
    assert sum(map(len, torch_spans)) > 10  # a real comparison, not of empty lists
    for expected, got in zip(torch_spans, onnx_spans):
        assert [(span.start, span.end, span.label) for span in got] == [(span.start, span.end, span.label) for span in expected]
        np.testing.assert_allclose([span.score for span in got], [span.score for span in expected], atol=1e-4)


def test_int8_runs_and_gives_valid_tags(exported, texts):
    tagger = Tagger.load(exported, batch_size=8, runtime="onnx-int8")
    reference = _probabilities(Tagger.load(exported, batch_size=8, runtime="onnx"), texts)
    for probs, fp32 in zip(_probabilities(tagger, texts), reference):
        assert probs.shape == fp32.shape
        np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-4)
        assert np.abs(probs - fp32).max() < 0.2  # quantized, yet the same model
    for sentence in tagger.predict(texts):
        assert len(sentence.tags) == len(sentence.words)
        assert set(sentence.tags) <= set(tagger.tags)
        for previous, tag in zip(["O", *sentence.tags], sentence.tags):  # Viterbi keeps IOB2 valid
            assert not tag.startswith("I-") or previous[2:] == tag[2:]


def test_missing_export_names_the_command(tiny_model):
    shutil.rmtree(tiny_model / "onnx", ignore_errors=True)
    for runtime, command in (("onnx", "--onnx`"), ("onnx-int8", "--onnx --int8`")):
        with pytest.raises(BienphongError, match=f"run `bienphong export --model .* {command}") as error:
            Tagger.load(tiny_model, runtime=runtime)
        assert "\n" not in str(error.value)


def test_missing_export_exits_2_with_one_line(tiny_model, seed_corpus, capsys):
    evaluate = build_parser()._subparsers._group_actions[0].choices["evaluate"]
    if not any("--runtime" in action.option_strings for action in evaluate._actions):
        pytest.skip("evaluate has no --runtime option yet")
    shutil.rmtree(tiny_model / "onnx", ignore_errors=True)
    argv = ["evaluate", "--model", str(tiny_model), "--data", str(seed_corpus / "seeds.json"), "--runtime", "onnx"]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "bienphong export" in lines[0]


def test_export_of_a_folder_that_is_no_model_exits_2(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    assert main(["export", "--model", str(tmp_path), "--onnx"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0]
    assert not (tmp_path / "onnx").exists()


def test_export_of_older_weights_is_refused(exported, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(exported, copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    config["bienphong"]["model_version"] = "retrained@later"
    (copy / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(BienphongError, match="exported from model version"):
        Tagger.load(copy, runtime="onnx")


def test_unknown_runtime_is_refused(tiny_model):
    with pytest.raises(BienphongError, match="unknown runtime 'tensorrt'"):
        Tagger.load(tiny_model, runtime="tensorrt")
