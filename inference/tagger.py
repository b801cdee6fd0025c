"""Tagging sentences with a trained model: words -> windows -> word probabilities -> spans."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from annotations.errors import BienphongError
from annotations.segmentation import Word
from annotations.spans import Span
from inference import run_directory
from inference.decoding import decode
from inference.options import DEFAULT_BATCH_SIZE, RUNTIMES
from inference.preprocess import Preprocessor
from inference.windows import best_window_per_word

# A forward pass: input ids and attention mask (int64, batch x width) -> tag probabilities (batch x width x tags).
ModelFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def torch_forward(model) -> ModelFn:
    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = model(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(attention_mask)).logits
        return logits.float().softmax(-1).numpy()

    return forward


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence with the model's words, tags and spans (offsets relative to the sentence)."""

    text: str
    words: list[Word]
    tags: list[str]
    word_scores: list[float]  # probability of each word's chosen tag
    spans: list[Span]  # with scores
    index: int = 0  # position of the sentence in its article
    start: int = 0  # offset of the sentence in its article

    @property
    def confidence(self) -> float:
        """The least certain word decides: a sentence is only as reliable as its weakest tag."""
        return min(self.word_scores, default=1.0)

    def placed(self, index: int, start: int) -> "TaggedSentence":
        return replace(self, index=index, start=start)


class Tagger:
    """A run directory, ready to tag: ``Tagger.load(DIR).predict(["Câu ...", ...])``."""

    def __init__(
        self,
        run: run_directory.RunModel,
        batch_size: int = DEFAULT_BATCH_SIZE,
        decoding: str | None = None,
        model: ModelFn | None = None,
    ):
        self.model = run.model  # None when another runtime does the forward pass
        self.forward = model if model is not None else torch_forward(run.model)
        # ``decoding`` overrides the stored choice (to compare decoders on one model).
        self.settings = replace(run.settings, decoding=decoding) if decoding else run.settings
        self.preprocessor = Preprocessor(run.tokenizer, run.settings)
        self.tags = [run.id2label[i] for i in range(len(run.id2label))]
        self.batch_size = batch_size

    @property
    def model_version(self) -> str:
        return self.settings.model_version

    @classmethod
    def load(
        cls, directory: str | Path, batch_size: int = DEFAULT_BATCH_SIZE, decoding: str | None = None, runtime: str = "torch"
    ) -> "Tagger":
        if runtime == "torch":
            return cls(run_directory.load(directory), batch_size, decoding)
        if runtime in ("onnx", "onnx-int8"):
            from inference.onnx_runtime import load_run

            run, model = load_run(directory, int8=runtime == "onnx-int8")
            return cls(run, batch_size, decoding, model=model)
        raise BienphongError(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")

    def word_probabilities(self, all_words: list[list[Word]], progress: bool = False) -> list[np.ndarray]:
        """``words x tags`` probabilities per sentence, each word from the window where it has most context."""
        jobs = []  # (sentence, window index, window)
        windows_of = []
        for s, words in enumerate(all_words):
            windows = self.preprocessor.windows(words)
            windows_of.append(windows)
            jobs += [(s, w, window) for w, window in enumerate(windows)]
        jobs.sort(key=lambda job: len(job[2].input_ids))  # similar lengths batch with little padding
        probabilities: dict[tuple[int, int], np.ndarray] = {}
        pad_id = self.preprocessor.pad_id
        for start in tqdm(range(0, len(jobs), self.batch_size), desc="tagging", unit="batch", disable=not progress):
            batch = jobs[start : start + self.batch_size]
            width = max(len(job[2].input_ids) for job in batch)
            ids = np.full((len(batch), width), pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, (_, _, window) in enumerate(batch):
                ids[row, : len(window.input_ids)] = window.input_ids
                mask[row, : len(window.input_ids)] = 1
            probs = self.forward(ids, mask)
            for row, (s, w, window) in enumerate(batch):
                probabilities[(s, w)] = probs[row, window.first_piece]
        result = []
        for s, words in enumerate(all_words):
            rows = [probabilities[(s, w)][offset] for w, offset in best_window_per_word(windows_of[s], len(words))]
            result.append(np.stack(rows) if rows else np.zeros((0, len(self.tags)), dtype=np.float32))
        return result

    def predict(self, texts: list[str], progress: bool = False) -> list[TaggedSentence]:
        """Tag each sentence text with the model's own segmentation."""
        all_words = [self.preprocessor.words(text) for text in texts]
        probabilities = self.word_probabilities(all_words, progress)
        results = []
        for text, words, probs in zip(texts, all_words, probabilities):
            tags, scores, spans = decode(text, words, probs, self.tags, self.settings.decoding)
            results.append(TaggedSentence(text, words, tags, scores, spans))
        return results
