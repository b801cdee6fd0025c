"""docs/guideline.md and annotations/schema.py name the same slot types, in the same order, with the same hotkeys."""

from __future__ import annotations

import re
from pathlib import Path

from annotations.schema import LABELS

GUIDELINE = Path(__file__).resolve().parents[1] / "docs" / "guideline.md"
ROW = re.compile(r"^\|\s*([A-Z][A-Z_]+)\s*\|\s*`([^`]+)`\s*\|")


def guideline_rows(text: str) -> list[tuple[str, str]]:
    """(label, hotkey) of each row of the slot-type table."""
    return [(m.group(1), m.group(2)) for line in text.splitlines() if (m := ROW.match(line))]


def test_the_guideline_table_is_the_schema():
    rows = guideline_rows(GUIDELINE.read_text(encoding="utf-8"))
    assert rows == [(slot.name, slot.hotkey) for slot in LABELS], (
        "docs/guideline.md's slot-type table differs from annotations/schema.py (labels, order or hotkeys)"
    )


def test_every_label_in_the_guideline_text_is_in_the_schema():
    names = {slot.name for slot in LABELS}
    mentioned = set(
        re.findall(r"\b[A-Z]+_[A-Z_]+\b|\b(?:ORGANIZATION|LOCATION|TIME|MONEY)\b", GUIDELINE.read_text(encoding="utf-8"))
    )
    assert mentioned <= names, f"the guideline names labels the schema lacks: {sorted(mentioned - names)}"


def test_the_check_notices_a_difference():
    text = GUIDELINE.read_text(encoding="utf-8")
    assert guideline_rows(text.replace("| MONEY |", "| CASH |")) != [(slot.name, slot.hotkey) for slot in LABELS]
