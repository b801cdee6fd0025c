"""How much a run's span F1 drops when the same out-of-style sentences are cased or typed differently.

    .venv/bin/python benchmarks/robustness.py runs/e5-small-previous runs/e5-small

Published reports are not cased and typed like the team's writing: headlines in capitals, unit names with
every syllable capitalised or in lower case, spaces before punctuation, numbers without the thousands dot,
old tone placement, no final full stop. Each perturbation rewrites every out-of-style sentence it applies
to, keeping the gold spans on the same words, and the run tags both versions. The baseline is the same run
on the same sentences unchanged, measured in the same call: a drop is what that way of writing costs.

The casings are the ones ``augmentation.casing`` trains on (``training/augmentation.py``); the typographic
perturbations are trained on by no config.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path

from annotations.corpus import corpus_files
from annotations.labelstudio import Example, read_examples
from inference.evaluation import score_tagged
from inference.tagger import Tagger
from training.augmentation import CASINGS, apply_edits, recase, respell


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


TYPOGRAPHY = {
    # "cán bộ , chiến sĩ ." as some portals and pasted PDFs have it
    "space before punctuation": lambda e: _substituted(e, r"(?<=\w)([,.;:])(?=\s|$)", r" \1"),
    "thousands without dot": lambda e: _substituted(e, r"\b\d{1,3}(?:\.\d{3})+\b", lambda m: m.group(0).replace(".", "")),
    "no final full stop": lambda e: replace(e, text=e.text[:-1]) if e.text.endswith(".") else e,
    "old tone placement, sỹ": lambda e: replace(e, text=respell(e.text, old_style=True)),
    "no-break spaces": lambda e: replace(e, text=e.text.replace(" ", "\u00a0")),
}
PERTURBATIONS = {**{f"casing: {c}": (lambda e, c=c: recase(e, c)) for c in CASINGS}, **TYPOGRAPHY}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    sentences = read_examples(corpus_files("ood"))
    variants = {name: [perturb(e) for e in sentences] for name, perturb in PERTURBATIONS.items()}
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
    rows = {name: [] for name in PERTURBATIONS}
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
