"""The Python API: ``from inference import Extractor``."""

from __future__ import annotations

import json

from inference import Extractor
from inference.articles import Article
from inference.events import Event
from inference.extract import json_line


def test_extractor_gives_typed_events_with_article_offsets(tiny_model):
    extractor = Extractor(tiny_model)
    text = "Năm 2023, BĐBP tỉnh Hà Giang tổ chức 224 buổi tuần tra với 1.344 lượt cán bộ, chiến sĩ."
    tagged = extractor.tag([Article("a", text, "t")])
    sentence = tagged[0].sentences[0]
    assert sentence.index == 0 and sentence.start == 0 and len(sentence.tags) == len(sentence.words)
    events = extractor.extract([text, "Câu thứ hai. " + text], ids=["x", "y"])
    assert all(isinstance(event, Event) for event in events)
    for event in events:
        source = text if event.article_id == "x" else "Câu thứ hai. " + text
        assert source[event.start : event.end].strip() == event.evidence
        for values in event.slots.values():
            for slot in values:
                assert source[slot.start : slot.end] == slot.text
        assert json.loads(json_line(event.to_dict()))["event_type"] == event.event_type
    assert extractor.model_version.startswith("tiny-test@")


def test_json_lines_keep_one_record_per_line_whatever_the_text_holds():
    line = json_line({"evidence": "a\u2028b\u0085c\u2029d"})
    assert line.count("\n") == 1 and line.endswith("\n")
    assert not any(ch in line for ch in "\u2028\u0085\u2029")
    assert json.loads(line)["evidence"] == "a\u2028b\u0085c\u2029d"
    assert len(line[:-1].splitlines()) == 1
