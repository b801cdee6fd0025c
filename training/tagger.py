"""Tagging sentences with a trained model: words -> windows -> per-word tags -> spans."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from annotations.bio import tags_to_spans
from annotations.segmentation import Word, get_segmenter
from annotations.spans import Span
from training import modeling
from training.windows import WordEncoder, best_window_per_word, make_windows, special_tokens


@dataclass
class TaggedSentence:
    text: str
    words: list[Word]
    tags: list[str]
    word_scores: list[float]  # probability of each word's chosen tag
    spans: list[Span]  # with scores

    @property
    def confidence(self) -> float:
        """The least certain word decides: a sentence is only as reliable as its weakest tag."""
        return min(self.word_scores, default=1.0)


class Tagger:
    def __init__(self, model, tokenizer, settings: dict, batch_size: int = 32):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.segmenter_name = settings["segmenter"]
        self.segment = get_segmenter(self.segmenter_name)
        self.max_length = int(settings["max_length"])
        self.stride = int(settings["stride"])
        self.model_version = settings.get("model_version", "unknown")
        self.batch_size = batch_size
        self.encoder = WordEncoder(tokenizer, self.max_length - 2)
        self.prefix, self.suffix = special_tokens(tokenizer)
        self.id2label = {int(k): v for k, v in model.config.id2label.items()}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @classmethod
    def load(cls, directory: str | Path, batch_size: int = 32) -> "Tagger":
        model, tokenizer, settings = modeling.load(directory)
        return cls(model, tokenizer, settings, batch_size)

    def predict(self, texts: list[str], progress: bool = False, words: list[list[Word]] | None = None) -> list[TaggedSentence]:
        """Tag each text; ``words`` may give the segmentation (evaluation), else the segmenter runs."""
        all_words = words if words is not None else [self.segment(text) for text in texts]
        jobs = []  # (sentence, window index, window)
        windows_of = []
        for s, sentence_words in enumerate(all_words):
            pieces = [self.encoder(word.text) for word in sentence_words]
            windows = make_windows(pieces, self.prefix, self.suffix, self.max_length, self.stride)
            windows_of.append(windows)
            jobs += [(s, w, window) for w, window in enumerate(windows)]
        jobs.sort(key=lambda job: len(job[2].input_ids))  # similar lengths batch with little padding
        probabilities: dict[tuple[int, int], torch.Tensor] = {}
        batches = range(0, len(jobs), self.batch_size)
        for start in tqdm(batches, desc="tagging", unit="batch", disable=not progress):
            batch = jobs[start : start + self.batch_size]
            width = max(len(job[2].input_ids) for job in batch)
            ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (_, _, window) in enumerate(batch):
                ids[row, : len(window.input_ids)] = torch.tensor(window.input_ids)
                mask[row, : len(window.input_ids)] = 1
            with torch.inference_mode():
                logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
            probs = logits.softmax(-1)
            for row, (s, w, window) in enumerate(batch):
                probabilities[(s, w)] = probs[row, window.first_piece]
        results = []
        for s, (text, sentence_words) in enumerate(zip(texts, all_words)):
            tags, scores = [], []
            for w, offset in best_window_per_word(windows_of[s], len(sentence_words)):
                p, index = probabilities[(s, w)][offset].max(-1)
                tags.append(self.id2label[int(index)])
                scores.append(float(p))
            results.append(TaggedSentence(text, sentence_words, tags, scores, tags_to_spans(sentence_words, tags, scores)))
        return results
