import xml.etree.ElementTree as ET
from pathlib import Path

from annotations.schema import LABEL_NAMES, LABELING_CONFIG_FILE, LABELS, bio_tags, labeling_config_xml

ROOT = Path(__file__).resolve().parents[1]


def test_checked_in_labeling_config_matches_schema():
    checked_in = (ROOT / "annotations" / LABELING_CONFIG_FILE).read_text(encoding="utf-8")
    assert checked_in == labeling_config_xml(), "run `python -m annotations.schema` to regenerate it"


def test_labeling_config_is_one_labels_control_over_one_text():
    view = ET.fromstring(labeling_config_xml())
    (labels,) = view.findall("Labels")
    (text,) = view.findall("Text")
    assert labels.get("toName") == text.get("name")
    assert text.get("value") == "$text"
    values = [label.get("value") for label in labels.findall("Label")]
    assert values == list(LABEL_NAMES)
    assert len({label.get("hotkey") for label in labels}) == len(values)
    assert len({label.get("background") for label in labels}) == len(values)


def test_schema_matches_the_specification():
    spec = ROOT.parent / "shared" / "SLOTS.md"
    assert len(LABELS) == 15
    if spec.exists():
        table = [
            line.split("|")[1].strip()
            for line in spec.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().isupper()
        ]
        assert table == list(LABEL_NAMES)


def test_bio_tags():
    tags = bio_tags()
    assert tags[0] == "O" and len(tags) == 31 and "I-MONEY" in tags
