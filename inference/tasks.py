"""Label Studio tasks for reviewers: one per sentence, pre-annotated by the model.

The model's spans are ``predictions`` (never ``annotations``), with
``model_version``, a per-span ``score`` and a per-task ``score`` (the
sentence's weakest word probability). Tasks come least confident first, so
reviewers spend their time where the model is unsure.
"""

from __future__ import annotations

import hashlib

from annotations.labelstudio import span_results
from inference.extract import TaggedArticle


def task_key(article_id: str, sentence_index: int, text: str) -> str:
    """A stable identity for a sentence, so re-pushing the same sentence is recognised."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return f"{article_id}#{sentence_index}#{digest}"


def review_tasks(tagged: list[TaggedArticle], model_version: str, limit: int | None = None) -> list[dict]:
    tasks = []
    for item in tagged:
        for sentence in item.sentences:
            score = round(sentence.confidence, 4)
            tasks.append(
                {
                    "data": {
                        "text": sentence.text,
                        "article_id": item.article.id,
                        "sentence_index": sentence.index,
                        "task_key": task_key(item.article.id, sentence.index, sentence.text),
                    },
                    "predictions": [
                        {"model_version": model_version, "score": score, "result": span_results(sentence.text, sentence.spans)}
                    ],
                }
            )
    tasks.sort(key=lambda task: (task["predictions"][0]["score"], task["data"]["article_id"], task["data"]["sentence_index"]))
    return tasks[:limit] if limit else tasks
