"""The PhoBERT path end to end, on a tiny randomly initialised PhoBERT-shaped model
with PhoBERT's real tokenizer files (copied to a temporary folder, never into the repo)."""

import json
import os
import shutil
from pathlib import Path

import pytest
from transformers import AutoModelForTokenClassification, PhobertTokenizer, RobertaConfig, RobertaModel

from annotations.bio import spans_to_tags
from annotations.errors import InputError
from inference.cli import main
from inference.preprocess import Preprocessor
from inference.run_directory import load_tokenizer
from inference.settings import RunSettings
from inference.tagger import Tagger
from tests.conftest import SHARED, write_seed_corpus
from training.config import load_config
from training.data import features, gold_words
from training.modeling import label_maps

TOKENIZER_DIR = Path(os.environ.get("PHOBERT_TOKENIZER_DIR", SHARED / "phobert-base-tokenizer"))
pytestmark = pytest.mark.skipif(
    not (TOKENIZER_DIR / "bpe.codes").is_file(), reason=f"PhoBERT tokenizer files not found in {TOKENIZER_DIR}"
)


@pytest.fixture(scope="module")
def phobert_dir(tmp_path_factory) -> Path:
    """A PhoBERT-base-shaped checkpoint (vocabulary, 258 positions, padding id 1), tiny and random."""
    directory = tmp_path_factory.mktemp("phobert-tiny")
    for name in ("vocab.txt", "bpe.codes", "tokenizer_config.json"):
        shutil.copy(TOKENIZER_DIR / name, directory / name)
    config = RobertaConfig(
        vocab_size=64001,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=258,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        type_vocab_size=1,
        tokenizer_class="PhobertTokenizer",
    )
    RobertaModel(config, add_pooling_layer=False).save_pretrained(directory)  # headless, as on the hub
    return directory


def phobert_config(folder: Path, model_dir: Path, max_length: int = 256) -> Path:
    config = write_seed_corpus(folder, steps=3)
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "  scratch: {hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64, vocab_size: 600}",
        f"  name: {model_dir}",
    )
    text = text.replace("max_length: 24, stride: 6", f"max_length: {max_length}, stride: 64")
    config.write_text(text, encoding="utf-8")
    return config


def test_fast_tokenizer_is_used_and_agrees_with_the_slow_one(phobert_dir):
    fast = load_tokenizer(phobert_dir)
    slow = PhobertTokenizer.from_pretrained(phobert_dir)
    assert fast.is_fast
    for word in ("Biên_phòng", "Hà_Giang", "0,128", "heroin", "BĐBP", "Nguyễn_Văn_Sơn"):
        assert fast(word, add_special_tokens=False)["input_ids"] == slow(word, add_special_tokens=False)["input_ids"]


def test_labels_sit_on_first_subwords_of_segmented_words(phobert_dir, tmp_path):
    config = load_config(phobert_config(tmp_path, phobert_dir))
    from training.data import load_splits

    example = next(e for e in load_splits(config)["train"] if len(e.spans) >= 4)
    tokenizer = load_tokenizer(phobert_dir)
    preprocessor = Preprocessor(tokenizer, RunSettings(segmenter="underthesea", max_length=256, stride=64))
    words = gold_words(example, preprocessor)
    assert any("_" in w.text for w in words), "PhoBERT input is word-segmented"
    _, label2id = label_maps()
    (row,) = features([example], preprocessor, label2id).to_list()
    ids, labels = row["input_ids"], row["labels"]
    assert ids[0] == 0 and ids[-1] == 2 and len(ids) <= 256
    tags = spans_to_tags(words, example.spans)
    labelled = [i for i, label in enumerate(labels) if label != -100]
    assert [labels[i] for i in labelled] == [label2id[t] for t in tags]
    # Each labelled position starts the subwords of its word.
    position = 1
    for word, at in zip(words, labelled):
        assert at == position
        position += len(tokenizer(word.text, add_special_tokens=False)["input_ids"])


def test_train_and_tag_with_256_position_windows(phobert_dir, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--config", str(phobert_config(tmp_path, phobert_dir)), "--output-dir", str(run)]) == 0
    model = AutoModelForTokenClassification.from_pretrained(run)
    assert model.config.model_type == "roberta" and model.config.bienphong["max_length"] == 256
    assert (run / "bpe.codes").is_file() and (run / "vocab.txt").is_file()
    assert PhobertTokenizer.from_pretrained(run)("Biên_phòng")["input_ids"][0] == 0
    tagger = Tagger.load(run)
    assert tagger.preprocessor.encoder.tokenizer.is_fast and tagger.settings.segmenter == "underthesea"
    long_sentence = ", ".join(f"Đồn Biên phòng Si Ma Cai tuần tra {i} lần với {i} lượt cán bộ" for i in range(60))
    (tagged,) = tagger.predict([long_sentence])
    assert sum(len(tagger.preprocessor.encoder(w.text)) for w in tagged.words) > 2 * 256, "needs several windows"
    assert len(tagged.tags) == len(tagged.words)
    for span in tagged.spans:  # decoded spans are exact character ranges on word boundaries
        assert long_sentence[span.start : span.end] == long_sentence[span.start : span.end].strip()
        assert any(w.start == span.start for w in tagged.words) and any(w.end == span.end for w in tagged.words)
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["base_model"] == str(phobert_dir)


def test_more_positions_than_phobert_has_is_refused(phobert_dir, tmp_path):
    config = phobert_config(tmp_path, phobert_dir, max_length=258)
    with pytest.raises(InputError, match="exceeds the 256 positions"):
        from training.trainer import train

        train(load_config(config), tmp_path / "run")
