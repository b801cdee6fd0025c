"""Training speed with the bottom encoder layers frozen (``model.freeze_layers``), measured in the same run.

    .venv/bin/python benchmarks/freeze.py --config configs/e5-small.yaml [--layers 6 8] [--steps 40]

Each round builds the config's model afresh with one ``freeze_layers`` value and runs the transformers
Trainer for ``--steps`` steps on the config's training windows, in the precision the config resolves to
here (``benchmarks/precision.py`` has the details). The baseline is the config itself (its own
``freeze_layers``, 0 in the default); rounds go baseline, each value, each value again in reverse,
baseline, so that a drift of the machine's speed weighs on all alike. Prints seconds per step and the
cost of a step against the baseline. Accuracy is not measured here: train with the setting and compare
with ``benchmarks/ood.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from precision import seconds_per_step  # the neighbouring script (run from the repository root)

from training.config import load_config
from training.data import load_splits
from training.trainer import resolve_precision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--layers", type=int, nargs="+", default=[6, 8])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    config = load_config(args.config)
    if config.model.scratch is not None:
        parser.error("freeze_layers keeps pretrained layers; give a pretrained config")
    splits = load_splits(config)
    precision = resolve_precision(config.training.precision)
    baseline = config.model.freeze_layers
    order = [baseline, *args.layers, *reversed(args.layers), baseline]
    timings: dict[int, list[float]] = {layers: [] for layers in order}
    with tempfile.TemporaryDirectory() as scratch:
        for layers in order:
            frozen = config.model_copy(update={"model": config.model.model_copy(update={"freeze_layers": layers})})
            seconds = seconds_per_step(frozen, splits, precision, args.steps, Path(scratch))
            timings[layers].append(seconds)
            print(f"freeze_layers {layers}: {seconds:.3f} s/step over {args.steps} steps ({precision})", flush=True)
    mean = {layers: sum(values) / len(values) for layers, values in timings.items()}
    print(f"| freeze_layers | s/step | cost of a step vs freeze_layers {baseline} |")
    print("| ---: | ---: | ---: |")
    for layers in [baseline, *args.layers]:
        print(f"| {layers} | {mean[layers]:.3f} | {mean[layers] / mean[baseline]:.2f} |")


if __name__ == "__main__":
    main()
