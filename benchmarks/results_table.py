"""Print a markdown table of test (and dev) scores from runs' metrics.json files.

.venv/bin/python benchmarks/results_table.py runs/e5-small runs/scratch-small
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from annotations.schema import LABEL_NAMES


def main(run_dirs: list[str]) -> None:
    runs = [(Path(d).name, json.loads((Path(d) / "metrics.json").read_text(encoding="utf-8"))) for d in run_dirs]
    print("| test split | " + " | ".join(f"{name} P | R | F1" for name, _ in runs) + " | n |")
    print("| --- |" + " ---: | ---: | ---: |" * len(runs) + " ---: |")
    for label in LABEL_NAMES:
        cells = []
        for _, metrics in runs:
            row = metrics["test"]["per_label"][label]
            cells += [f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}"]
        print(f"| {label} | " + " | ".join(cells) + f" | {runs[0][1]['test']['per_label'][label]['support']} |")
    for average in ("micro", "macro"):
        cells = []
        for _, metrics in runs:
            row = metrics["test"][average]
            cells += [f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"**{row['f1']:.3f}**"]
        print(f"| *{average}* | " + " | ".join(cells) + " | |")
    print()
    print("| run | base model | steps | training time | dev micro F1 | test micro F1 | test macro F1 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, metrics in runs:
        print(
            f"| {name} | {metrics['base_model']} | {metrics['steps']} | {metrics['train_seconds'] / 60:.1f} min |"
            f" {metrics['dev']['micro']['f1']:.3f} | {metrics['test']['micro']['f1']:.3f} |"
            f" {metrics['test']['macro']['f1']:.3f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
