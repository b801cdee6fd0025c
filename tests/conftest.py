"""Shared fixtures: a small gold corpus built from the seed annotations and a tiny
randomly initialised model trained on it for a few steps (fast, never a result)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.corpus import SOURCE, article_examples
from annotations.io import write_json
from annotations.labelstudio import gold_task

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

TINY_CONFIG = """\
run_name: tiny-test
output_dir: run
model:
  scratch: {hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64, vocab_size: 600}
text: {segmenter: underthesea, max_length: 24, stride: 6}
data:
  files: [seeds.json]
  split: split.yaml
training: {learning_rate: 0.003, epochs: 1, max_steps: STEPS, batch_size: 8, logging_steps: 5, seed: 7}
"""


def write_seed_corpus(folder: Path, steps: int = 12) -> Path:
    """seeds.json, split.yaml and tiny.yaml in ``folder``; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    tasks = []
    for path in sorted((SOURCE / "seeds").glob("*.txt")):
        for example in article_examples(path):
            tasks.append(gold_task(len(tasks) + 1, example))
    write_json(folder / "seeds.json", tasks)
    (folder / "split.yaml").write_text("dev: [003_127b3199efa4b0f5]\ntest: [004_f6ed4eb041fdd9d9]\n", encoding="utf-8")
    config = folder / "tiny.yaml"
    config.write_text(TINY_CONFIG.replace("STEPS", str(steps)), encoding="utf-8")
    return config


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory) -> Path:
    """Folder with seeds.json (one task per seed sentence), split.yaml and tiny.yaml."""
    folder = tmp_path_factory.mktemp("corpus")
    write_seed_corpus(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model(seed_corpus) -> Path:
    """A tiny model trained for a few steps through `bienphong train`."""
    from inference.cli import main

    run_dir = seed_corpus / "run"
    assert main(["train", "--config", str(seed_corpus / "tiny.yaml"), "--output-dir", str(run_dir)]) == 0
    return run_dir


@pytest.fixture(scope="session")
def talking_model(tmp_path_factory) -> Path:
    """A tiny model trained long enough (150 steps, ~10 s) to emit spans and events; still never a result."""
    from inference.cli import main

    folder = tmp_path_factory.mktemp("talking")
    config = write_seed_corpus(folder, steps=150)
    assert main(["train", "--config", str(config), "--output-dir", str(folder / "run")]) == 0
    return folder / "run"
