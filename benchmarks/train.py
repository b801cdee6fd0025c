"""Train one config and print wall time, peak memory and dev/test F1.

    .venv/bin/python benchmarks/train.py --config configs/e5-small.yaml [--output-dir runs/bench]

Peak memory is the process's maximum resident set size (ru_maxrss), which
includes the model, the optimiser state and the data.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from training.config import load_config
from training.trainer import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--output-dir", type=Path)
    args = parser.parse_args()
    config = load_config(args.config)
    started = time.time()
    run_dir = train(config, args.output_dir)
    wall = time.time() - started
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"config            {args.config}")
    print(f"run directory     {run_dir}")
    print(
        f"wall time         {wall / 60:.1f} min (training loop {metrics['train_seconds'] / 60:.1f} min, {metrics['steps']} steps)"
    )
    print(f"peak memory       {peak_mb:,.0f} MB")
    for split in ("dev", "test"):
        if split in metrics:
            m = metrics[split]
            print(
                f"{split:5} micro F1    {m['micro']['f1']:.4f}  (P {m['micro']['precision']:.4f},"
                f" R {m['micro']['recall']:.4f}), macro F1 {m['macro']['f1']:.4f}, {m['sentences']} sentences"
            )
    if metrics["train_seconds"]:
        print(f"dev F1 per minute {metrics['dev']['micro']['f1'] / (metrics['train_seconds'] / 60):.4f}")


if __name__ == "__main__":
    main()
