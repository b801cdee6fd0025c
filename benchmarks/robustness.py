"""How much a run's span F1 drops when the same out-of-style sentences are written as published reports write them.

    .venv/bin/python benchmarks/robustness.py runs/e5-small-previous runs/e5-small [--only casing dates]

Published reports are not written like the team's sentences, in ways no writer's brief controls. Each
perturbation rewrites every out-of-style sentence it applies to, keeping the gold spans on the same words,
and the run tags both versions. The baseline is the same run on the same sentences unchanged, measured in
the same call: a drop is what that way of writing costs. The families:

- casing: headlines in capitals, every syllable capitalised, lower case, units and places capitalised,
  their type words in lower case (the casings ``augmentation.casing`` trains on, ``training/augmentation.py``);
- typography: spaces before punctuation, thousands without the dot, no final full stop, old tone
  placement, no-break spaces, a paper's dateline before the sentence;
- short and long forms: ``BCH BĐBP``, ``Đồn BP``, ``UBND``, ``CBCS`` against the words written out;
- numbers and dates: ``8-7-2025``, ``8.7.2025``, ``8 tháng 7 năm 2025``; small counts in words or as ``03``;
- names: Lao (hyphenated as the press writes them), Khmer and Chinese people and places, a person named by
  the given name alone.

The default config trains on two of these: casing (``augmentation.casing``) and small counts in words
(``augmentation.number_words``), so their rows measure the training as much as the model.
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

from annotations.corpus import corpus_files
from annotations.labelstudio import Example, read_examples
from inference.evaluation import score_tagged
from inference.tagger import Tagger
from training.augmentation import CASINGS, NUMBER_WORDS, apply_edits, recase, respell


def _substituted(example: Example, pattern: str, replacement) -> Example:
    """``re.sub`` on the sentence, skipping any match that crosses a span boundary; spans move with the edits."""
    edges = {edge for span in example.spans for edge in (span.start, span.end)}
    edits = []
    for match in re.finditer(pattern, example.text):
        start, end = match.span()
        new = match.expand(replacement) if isinstance(replacement, str) else replacement(match)
        if new != match.group(0) and not any(start < edge < end for edge in edges):
            edits.append((start, end, new))
    return apply_edits(example, edits)


# The dateline of an online paper before an article's first sentence, not a slot: "QĐND - Sáng 8/7, ..."
_DATELINES = ("(BP) - ", "QĐND - ", "BPO - ", "VOV.VN - ", "TTXVN - ", "(Baonghean.vn) - ", "CAO - ", "BLC - ")


def _with_dateline(example: Example) -> Example:
    dateline = random.Random(example.text).choice(_DATELINES)
    return apply_edits(example, [(0, 0, dateline)])


TYPOGRAPHY = {
    # "cán bộ , chiến sĩ ." as some portals and pasted PDFs have it
    "space before punctuation": lambda e: _substituted(e, r"(?<=\w)([,.;:])(?=\s|$)", r" \1"),
    "thousands without dot": lambda e: _substituted(e, r"\b\d{1,3}(?:\.\d{3})+\b", lambda m: m.group(0).replace(".", "")),
    "no final full stop": lambda e: replace(e, text=e.text[:-1]) if e.text.endswith(".") else e,
    "old tone placement, sỹ": lambda e: replace(e, text=respell(e.text, old_style=True)),
    "no-break spaces": lambda e: replace(e, text=e.text.replace(" ", "\u00a0")),
    "dateline before the sentence": _with_dateline,
}

# Short forms that bulletins and provincial sites write where the team's writers mostly write the long
# form, and the long forms of the common ones.
_SHORT_UNITS = (
    (r"Bộ đội Biên phòng(?! \(BĐBP\))", "BĐBP"),
    (r"Bộ Chỉ huy", "BCH"),
    (r"(?<=[Đđ]ồn) Biên phòng\b", " BP"),
    (r"(?:Ủy|Uỷ) ban nhân dân(?! \(UBND\))", "UBND"),
    (r"Hội đồng nhân dân", "HĐND"),
    (r"Cảnh sát giao thông", "CSGT"),
    (r"\bthành phố(?= [A-ZĐ])", "TP"),
)
_SHORT_PEOPLE = ((r"\bcán bộ,? chiến s[ĩỹ]\b", "CBCS"), (r"\bđoàn viên,? thanh niên\b", "ĐVTN"))
_LONG_FORMS = (
    (r"(?<!\()\bBĐBP\b", "Bộ đội Biên phòng"),
    (r"\bBCH\b", "Bộ Chỉ huy"),
    (r"(?<=[Đđ]ồn) BP\b", " Biên phòng"),
    (r"\bCBCS\b", "cán bộ, chiến sĩ"),
    (r"(?<!\()\bUBND\b", "Ủy ban nhân dân"),
    (r"\bHĐND\b", "Hội đồng nhân dân"),
)


def _rewritten_by(rules) -> Callable[[Example], Example]:
    def rewrite(example: Example) -> Example:
        for pattern, replacement in rules:
            example = _substituted(example, pattern, replacement)
        return example

    return rewrite


ABBREVIATIONS = {
    "short forms of units and agencies (BCH BĐBP, Đồn BP, UBND)": _rewritten_by(_SHORT_UNITS),
    "short forms of people (CBCS, ĐVTN)": _rewritten_by(_SHORT_PEOPLE),
    "long forms (Bộ đội Biên phòng, cán bộ, chiến sĩ)": _rewritten_by(_LONG_FORMS),
}


def _in_spans(example: Example, labels: tuple[str, ...], rewrite: Callable[[str, random.Random], str]) -> Example:
    """Each span of ``labels`` rewritten whole (seeded by the sentence, so every run sees the same text)."""
    rng = random.Random(example.text)
    edits = [(s.start, s.end, rewrite(example.text[s.start : s.end], rng)) for s in example.spans if s.label in labels]
    return apply_edits(example, [edit for edit in edits if edit[2]])


_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b")


def _date_as(style: str) -> Callable[[str, random.Random], str]:
    def rewrite(time: str, rng: random.Random) -> str:
        def one(m: re.Match) -> str:
            day, month, year = m.groups()
            if style == "words":
                return f"{day} tháng {month}" + (f" năm {year}" if year else "")
            return style.join(part for part in (day, month, year) if part)

        return _DATE.sub(one, time)

    return rewrite


DATES = {f"dates as {name}": (lambda e, s=style: _in_spans(e, ("TIME",), _date_as(s))) for name, style in (
    ("8-7-2025", "-"), ("8.7.2025", "."), ("8 tháng 7 năm 2025", "words")
)}  # fmt: skip

_SMALL_COUNT = re.compile(r"(?<![\d.,])0?([1-9]|1[0-2])(?![\d.,])")
COUNT_LABELS = (
    "PATROL_COUNT", "PERSONNEL_COUNT", "CASE_COUNT", "SUSPECT_COUNT", "SEIZED_ITEM", "PROPAGANDA_COUNT", "AUDIENCE_COUNT",
)  # fmt: skip


def _count_as(style: str) -> Callable[[str, random.Random], str]:
    def rewrite(count: str, rng: random.Random) -> str:
        def one(m: re.Match) -> str:
            value = int(m.group(1))
            return NUMBER_WORDS[value - 1] if style == "words" else f"{value:02d}"

        return _SMALL_COUNT.sub(one, count, count=1)

    return rewrite


COUNTS = {
    "small counts in words (ba tổ, mười hai đối tượng)": lambda e: _in_spans(e, COUNT_LABELS, _count_as("words")),
    "small counts with a leading zero (03 vụ)": lambda e: _in_spans(e, COUNT_LABELS, _count_as("zero")),
}

# Names as the Vietnamese press writes Lao (hyphenated, spaced or in Latin letters), Khmer and Chinese ones.
_FOREIGN_NAMES = (
    "Khăm-phăn Phôm-ma-chăn", "Bun-mi Xi-xu-vông", "Thoọng-xạy Kẹo-ma-ni", "Xổm-phon Vông-xạ-vát",
    "Khăm Phăn In Tha Vông", "Bua Xỏn Xi Ha Lạt", "Souksavanh Keomany", "Phonesavanh Inthavong",
    "Sengphet Luangrath", "Sok Chea", "Heng Sophal", "Chan Dara", "Kim Vannak", "Wang Jun", "Zhang Wei",
    "Li Ming", "Chen Hui", "Lò Khăm Xẻng", "Vì Xay",
)  # fmt: skip
# Provinces and districts of Laos, Cambodia and China as the press writes them, hyphenated or not.
_FOREIGN_PLACES = (
    "Hủa-phăn", "Xiêng-khoảng", "Luông-pha-bang", "Khăm-muộn", "Xa-la-van", "Chăm-pa-xắc", "Xay-nha-bu-ly",
    "Bò Kẹo", "Sê Kông", "Svay Rieng", "Kampong Cham", "Ratanakiri", "Mondulkiri", "Tbong Khmum",
    "Vân Nam", "Quảng Tây", "Bằng Tường", "Hà Khẩu",
)  # fmt: skip
NAMES = {
    "foreign names": lambda e: _in_spans(e, ("OFFICIAL_NAME",), lambda name, rng: rng.choice(_FOREIGN_NAMES)),
    # a one-name place (no comma chain): "tỉnh Hủa-phăn", "huyện Kampong Cham"
    "foreign places": lambda e: _in_spans(
        e, ("LOCATION",), lambda place, rng: "" if "," in place else rng.choice(_FOREIGN_PLACES)
    ),
    # a person named again later in a report, or a suspect by given name: "Đại tá Thắng", "đối tượng Páo"
    "given name only": lambda e: _in_spans(
        e, ("OFFICIAL_NAME",), lambda name, rng: name.split()[-1] if name[:1].isupper() else ""
    ),
}
PERTURBATIONS = {
    **{f"casing: {c}": (lambda e, c=c: recase(e, c)) for c in CASINGS},
    **TYPOGRAPHY,
    **ABBREVIATIONS,
    **DATES,
    **COUNTS,
    **NAMES,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--only", nargs="+", metavar="WORD", help="only the perturbations whose name has one of these words")
    args = parser.parse_args()
    chosen = {n: p for n, p in PERTURBATIONS.items() if not args.only or any(word in n for word in args.only)}
    if not chosen:
        parser.error(f"no perturbation's name has any of {args.only}; they are: {', '.join(PERTURBATIONS)}")
    sentences = read_examples(corpus_files("ood"))
    variants = {name: [perturb(e) for e in sentences] for name, perturb in chosen.items()}
    # the sentences each perturbation changes: the same for every run
    changed_at = {
        name: [i for i, (a, b) in enumerate(zip(sentences, changed)) if a.text != b.text] for name, changed in variants.items()
    }
    for name, changed in variants.items():
        for before, after in zip(sentences, changed):  # the gold must stay on the same words, recased or retyped
            assert [after.text[s.start : s.end].strip() for s in after.spans] == [
                after.text[s.start : s.end] for s in after.spans
            ], (name, after.text)
            assert len(after.spans) == len(before.spans), (name, after.text)
    print(f"out-of-style set: {len(sentences)} sentences; F1 before -> after, on the sentences each perturbation changes")
    header = " | ".join(f"{run.name} before | {run.name} after | change" for run in args.runs)
    print(f"| perturbation | sentences | {header} |")
    print("| --- | ---: |" + " ---: | ---: | ---: |" * len(args.runs))
    rows = {name: [] for name in chosen}
    for run in args.runs:
        tagger = Tagger.load(run, batch_size=64)  # the run's own decoding
        tagged = tagger.predict([e.text for e in sentences])
        for name, changed in variants.items():
            which = changed_at[name]
            before = score_tagged([sentences[i] for i in which], [tagged[i] for i in which])["micro"]["f1"]
            perturbed = [changed[i] for i in which]
            after = score_tagged(perturbed, tagger.predict([e.text for e in perturbed]))["micro"]["f1"]
            rows[name].append((len(which), before, after))
    for name, cells in rows.items():
        figures = " | ".join(f"{before:.3f} | {after:.3f} | {after - before:+.3f}" for _, before, after in cells)
        print(f"| {name} | {cells[0][0]} | {figures} |")


if __name__ == "__main__":
    main()
