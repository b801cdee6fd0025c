"""The 15 slot types of the guideline (docs/guideline.md), defined once.

Everything else (the Label Studio labeling config, BIO tag sets, value
normalisation, event assembly, the consistency check) is derived from
``LABELS``: each slot type says what kind of thing it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import quoteattr

# What a slot holds. ``quantity`` slots are numeral + unit (+ counted noun) and get a number.
SlotKind = Literal["person", "title", "organization", "place", "time", "drug", "quantity"]


@dataclass(frozen=True)
class SlotType:
    name: str
    kind: SlotKind
    description: str
    hotkey: str
    colour: str


LABELS: tuple[SlotType, ...] = (
    SlotType("OFFICIAL_NAME", "person", "a named person", "1", "#e6194b"),
    SlotType("OFFICIAL_TITLE", "title", "rank, position or role of a named person", "2", "#f58231"),
    SlotType("ORGANIZATION", "organization", "a named unit, party body, agency or force", "3", "#4363d8"),
    SlotType("LOCATION", "place", "a named place", "4", "#3cb44b"),
    SlotType("TIME", "time", "date, time or period of the reported facts", "5", "#911eb4"),
    SlotType("PATROL_COUNT", "quantity", "patrols or patrol/control sorties", "6", "#42d4f4"),
    SlotType("PERSONNEL_COUNT", "quantity", "people taking part in a patrol or operation", "7", "#f032e6"),
    SlotType("CASE_COUNT", "quantity", "cases or special cases", "8", "#bfef45"),
    SlotType("SUSPECT_COUNT", "quantity", "suspects or violators detected or handled", "9", "#fabed4"),
    SlotType("DRUG_TYPE", "drug", "a specific drug", "0", "#469990"),
    SlotType("DRUG_AMOUNT", "quantity", "a quantity of drugs with its unit", "q", "#dcbeff"),
    SlotType("SEIZED_ITEM", "quantity", "non-drug contraband or evidence seized or handed in", "w", "#9a6324"),
    SlotType("PROPAGANDA_COUNT", "quantity", "outreach sessions or broadcast hours", "e", "#800000"),
    SlotType("AUDIENCE_COUNT", "quantity", "people reached by outreach", "r", "#808000"),
    SlotType("MONEY", "quantity", "an amount of money", "t", "#000075"),
)

LABEL_NAMES: tuple[str, ...] = tuple(slot.name for slot in LABELS)
SLOT_TYPES: dict[str, SlotType] = {slot.name: slot for slot in LABELS}


def labels_of(kind: SlotKind) -> tuple[str, ...]:
    """The labels of one kind, in schema order: ``labels_of("quantity")`` are the count and amount slots."""
    return tuple(slot.name for slot in LABELS if slot.kind == kind)


QUANTITY_LABELS = labels_of("quantity")
# Approximation words that open a quantity span (guideline: "trên", "gần", "hơn", "khoảng", "tới"), with the
# rarer forms reports also use. Lower case; compare with ``word.lower()``.
QUALIFIERS: tuple[str, ...] = ("trên", "gần", "hơn", "khoảng", "tới", "đến", "ước", "chừng")

# Names of the Labels control and the Text object: results carry them as from_name / to_name.
CONTROL_NAME, OBJECT_NAME = "label", "text"


def bio_tags() -> list[str]:
    """The tag set of the token classifier, in a fixed order: O, then B-/I- per label."""
    tags = ["O"]
    for name in LABEL_NAMES:
        tags += [f"B-{name}", f"I-{name}"]
    return tags


def labeling_config_xml() -> str:
    """The Label Studio labeling config: one ``Labels`` control over one ``Text`` object."""
    lines = ["<View>", f'  <Labels name="{CONTROL_NAME}" toName="{OBJECT_NAME}">']
    for slot in LABELS:
        lines.append(
            f"    <Label value={quoteattr(slot.name)} hotkey={quoteattr(slot.hotkey)}"
            f" background={quoteattr(slot.colour)} hint={quoteattr(slot.description)}/>"
        )
    lines += ["  </Labels>", f'  <Text name="{OBJECT_NAME}" value="$text"/>', "</View>", ""]
    return "\n".join(lines)


LABELING_CONFIG_FILE = "labeling_config.xml"

if __name__ == "__main__":  # python -m annotations.schema: regenerate the checked-in labeling config
    from annotations.data import ANNOTATIONS
    from annotations.io import atomic_open

    target = ANNOTATIONS / LABELING_CONFIG_FILE
    with atomic_open(target) as stream:
        stream.write(labeling_config_xml())
    print(f"wrote {target}")
