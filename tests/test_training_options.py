"""Training options that change how a run is made, not what it reads: precision and which model is kept."""

import json

import pytest
import torch
from safetensors.torch import load_file

from annotations.errors import InputError
from inference.cli import main
from tests.conftest import write_seed_corpus
from training.trainer import resolve_precision


def _tiny_config(folder, steps: int, extra: str):
    config = write_seed_corpus(folder, steps=steps)
    text = config.read_text(encoding="utf-8").replace("seed: 7}", f"seed: 7, {extra}}}")
    config.write_text(text, encoding="utf-8")
    return config


def test_bf16_training_keeps_fp32_weights_and_says_so(tmp_path):
    config = _tiny_config(tmp_path, steps=4, extra="precision: bf16")
    run = tmp_path / "run"
    assert main(["train", "--config", str(config), "--output-dir", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["precision"] == "bf16"
    # Mixed precision computes in bf16 but keeps and saves fp32 weights: inference and ONNX export expect them.
    assert {tensor.dtype for tensor in load_file(run / "model.safetensors").values()} == {torch.float32}
    assert "precision bf16" in (run / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("avx512_bf16, amx, expected", [(True, False, "bf16"), (False, True, "bf16"), (False, False, "fp32")])
def test_auto_precision_is_bf16_only_where_the_cpu_has_it(monkeypatch, avx512_bf16, amx, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert resolve_precision("auto") == expected
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"


def test_auto_precision_is_fp32_on_a_torch_without_the_cpu_checks(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert resolve_precision("auto") == "fp32"


def test_bf16_on_a_gpu_without_it_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    with pytest.raises(InputError, match="training.precision: bf16"):
        resolve_precision("bf16")
    assert resolve_precision("auto") == "fp32"


def test_train_refuses_bf16_on_a_gpu_without_it_before_writing_anything(tmp_path, monkeypatch, capsys):
    config = _tiny_config(tmp_path, steps=2, extra="precision: bf16")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert main(["train", "--config", str(config), "--output-dir", str(tmp_path / "run")]) == 2
    assert "training.precision: bf16" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def _weights(folder):
    return load_file(folder / "model.safetensors")


def _same(first, second) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[name], second[name]) for name in first)


@pytest.mark.parametrize("model_at_end", ["best", "last"])
def test_model_at_end_picks_the_best_or_the_last_checkpoint(tmp_path, model_at_end):
    config = _tiny_config(tmp_path, steps=6, extra=f"eval_steps: 2, model_at_end: {model_at_end}")
    run = tmp_path / "run"
    assert main(["train", "--config", str(config), "--output-dir", str(run)]) == 0
    state = json.loads((run / "checkpoints" / "checkpoint-6" / "trainer_state.json").read_text(encoding="utf-8"))
    last = _weights(run / "checkpoints" / "checkpoint-6")
    if model_at_end == "last":
        assert _same(_weights(run), last)
    else:
        best = state["best_model_checkpoint"]
        assert best is not None
        assert _same(_weights(run), _weights(run / "checkpoints" / best.rsplit("/", 1)[-1]))
        if not best.endswith("checkpoint-6"):
            assert not _same(_weights(run), last)


def _bert(layers: int):
    from transformers import BertConfig, BertForTokenClassification

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=32)
    return BertForTokenClassification(config)


def test_freeze_layers_keeps_the_embeddings_and_bottom_layers_and_trains_the_rest():
    from training.modeling import freeze_bottom

    model = _bert(layers=3)
    freeze_bottom(model, 2)
    model(input_ids=torch.tensor([[1, 5, 7, 2]]), labels=torch.tensor([[0, 1, 0, 0]])).loss.backward()
    frozen = [model.bert.embeddings, *model.bert.encoder.layer[:2]]
    assert all(p.grad is None and not p.requires_grad for module in frozen for p in module.parameters())
    trained = [model.bert.encoder.layer[2], model.classifier]
    assert all(p.grad is not None for module in trained for p in module.parameters())


def test_freeze_layers_must_leave_a_layer_to_train():
    from training.modeling import freeze_bottom

    with pytest.raises(InputError, match="freeze_layers 3: the model has only 3 encoder layers"):
        freeze_bottom(_bert(layers=3), 3)


def test_freeze_layers_of_a_scratch_model_is_a_clear_config_error(tmp_path, capsys):
    config = write_seed_corpus(tmp_path)
    text = config.read_text(encoding="utf-8").replace("model:\n", "model:\n  freeze_layers: 1\n")
    config.write_text(text, encoding="utf-8")
    assert main(["train", "--config", str(config), "--output-dir", str(tmp_path / "run")]) == 2
    assert "a scratch model has none" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_model_setting_the_model_cannot_take_leaves_no_run_folder(tmp_path, tiny_model, capsys):
    # the one-layer tiny model has no layer left to train with freeze_layers 1; the check needs the loaded model,
    # so it fails after the run folder was made, and the folder (parents included) must go again
    config = write_seed_corpus(tmp_path)
    text = config.read_text(encoding="utf-8")
    start, end = text.index("  scratch:"), text.index("\n", text.index("  scratch:"))
    config.write_text(text[:start] + f"  name: {tiny_model}\n  freeze_layers: 1" + text[end:], encoding="utf-8")
    run = tmp_path / "new" / "run"
    assert main(["train", "--config", str(config), "--output-dir", str(run)]) == 2
    assert "model.freeze_layers 1: the model has only 1 encoder layers" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
