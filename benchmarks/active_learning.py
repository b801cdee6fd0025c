"""Active learning, simulated: what does a round of review buy, least-confident sentences first or random ones?

    .venv/bin/python benchmarks/active_learning.py --model runs/e5-small --config configs/e5-small.yaml \\
        --rounds 4 --per-round 50 --plot docs/active-learning.png

The pool is the out-of-style set (annotations/ood/), which the default model never saw. Its
reports are split once (seeded) into a *review pool* and a fixed *evaluation half*; both orders
are scored on the same evaluation half, so their curves compare like with like.

Each round, for each order:

1. the current model tags the unreviewed part of the review pool;
2. the reviewer takes N sentences: the least confident (lowest word probability of the chosen
   path, the order ``bienphong tasks`` and ``ls push`` give reviewers) or N random ones; their gold
   annotations stand for the reviewer's corrections;
3. retraining: the starting model is fine-tuned on every sentence reviewed so far plus a fixed
   replay sample of the corpus's own training split (so it keeps what it knew), with the config's
   settings but fewer epochs and a lower learning rate (a full retraining from the encoder takes
   about 18 minutes on 2 CPU cores; this one 1-3 minutes), through the project's own ``train``;
4. the new model is scored (span micro F1, the config's decoding) on the evaluation half.

Round 0 is the starting model as it is, and a control fine-tuned on the replay sample alone (no
reviewed sentences), which shows what the fine-tuning itself changes. Prints one row per round and
order, how many reviewed sentences reach the starting F1 plus 0.25 to 1.5 points, writes every figure to
``OUTPUT/results.json`` and, with ``--plot``, the curve as a PNG (matplotlib, a dev extra).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import yaml

from annotations.corpus import corpus_files, load_split
from annotations.io import write_json
from annotations.labelstudio import Example, gold_task, read_examples
from inference.evaluation import evaluate
from inference.tagger import Tagger
from training.config import TrainConfig, load_config
from training.trainer import train

ORDERS = ("least-confident", "random")


def split_pool(examples: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Half of the reports (seeded) to review, the other half to evaluate on; never a report in both."""
    articles = sorted({example.article_id for example in examples})
    random.Random(seed).shuffle(articles)
    review = set(articles[: len(articles) // 2])
    return [e for e in examples if e.article_id in review], [e for e in examples if e.article_id not in review]


def write_tasks(path: Path, examples: list[Example]) -> None:
    write_json(path, [gold_task(number, example) for number, example in enumerate(examples, 1)])


def choose(order: str, tagger: Tagger, candidates: list[Example], count: int, rng: random.Random) -> list[Example]:
    if order == "random":
        return rng.sample(candidates, min(count, len(candidates)))
    tagged = tagger.predict([example.text for example in candidates])
    ranked = sorted(range(len(candidates)), key=lambda i: tagged[i].confidence)
    return [candidates[i] for i in ranked[:count]]


def fine_tune_config(base: TrainConfig, start: Path, files: list[Path], split: Path, args) -> TrainConfig:
    config = base.model_copy(deep=True)
    config.run_name = "active-learning"
    config.model.name, config.model.scratch = str(start.resolve()), None
    config.model.trim_vocabulary = False  # the starting model's vocabulary is already trimmed
    config.data.files = [str(path.resolve()) for path in files]
    config.data.split = str(split.resolve())
    config.data.ood = []
    config.training.epochs = args.epochs
    config.training.learning_rate = args.learning_rate
    config.training.early_stopping_patience = None
    config.training.max_steps = None
    return config


def reach(curve: list[tuple[int, float]], level: float) -> int | None:
    return next((reviewed for reviewed, f1 in curve if f1 >= level - 1e-9), None)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    for order, marker in zip(ORDERS, ("o", "s")):
        curve = results["curves"][order]
        axes.plot([r for r, _ in curve], [f for _, f in curve], marker=marker, label=order)
    axes.axhline(results["start_f1"], color="grey", linestyle=":", label="starting model")
    axes.axhline(results["control_f1"], color="grey", linestyle="--", label="fine-tuned on replay only")
    axes.set_xlabel("reviewed sentences")
    axes.set_ylabel("span micro F1, evaluation half")
    axes.set_title(f"Simulated review rounds ({results['evaluation_sentences']} held-out out-of-style sentences)")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("runs/e5-small"), help="the starting model")
    parser.add_argument("--config", type=Path, default=Path("configs/e5-small.yaml"), help="its training config")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=50, help="sentences reviewed per round")
    # A first run with 200 replay sentences, 3 epochs and 1e-4 lost 1.2 points to the fine-tuning itself
    # (the replay-only control); these gentler settings lose 0.6.
    parser.add_argument("--replay", type=int, default=400, help="corpus training sentences mixed into each retraining")
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--learning-rate", type=float, default=3e-5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=Path("runs/active-learning"))
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--summary", type=Path, help="a results.json of an earlier run: print its tables (and --plot) only")
    args = parser.parse_args()
    if args.summary:
        finish(read_results(args.summary), args.plot)
        return
    base = load_config(args.config)
    args.output.mkdir(parents=True, exist_ok=True)

    review_pool, evaluation = split_pool(read_examples(corpus_files("ood")), args.seed)
    corpus = read_examples(base.data_files())
    assignment = load_split(base.path(base.data.split))
    train_part = [e for e in corpus if assignment.get(e.article_id, "train") == "train"]
    dev = [e for e in corpus if assignment.get(e.article_id) == "dev"]
    replay = random.Random(args.seed).sample(train_part, min(args.replay, len(train_part)))
    # Dev sentences ride in the replay file so the Trainer keeps its per-epoch dev score (best model kept).
    write_tasks(args.output / "replay.json", replay + dev)
    split_file = args.output / "split.yaml"
    split_file.write_text(yaml.safe_dump({"dev": sorted({e.article_id for e in dev})}), encoding="utf-8")
    print(
        f"review pool {len(review_pool)} sentences, evaluation half {len(evaluation)}, replay {len(replay)},"
        f" {args.rounds} rounds of {args.per_round}, {args.epochs:g} epochs at lr {args.learning_rate:g}",
        flush=True,
    )

    def retrain(name: str, reviewed: list[Example]) -> tuple[Path, float, float]:
        folder = args.output / name
        files = [args.output / "replay.json"]
        if reviewed:
            write_tasks(folder / "reviewed.json", reviewed)
            files.append(folder / "reviewed.json")
        started = time.time()
        run_dir = train(fine_tune_config(base, args.model, files, split_file, args), folder / "model")
        minutes = (time.time() - started) / 60
        return run_dir, evaluate(Tagger.load(run_dir, batch_size=64), evaluation)["micro"]["f1"], minutes

    start_tagger = Tagger.load(args.model, batch_size=64)
    start_f1 = evaluate(start_tagger, evaluation)["micro"]["f1"]
    _, control_f1, minutes = retrain("control", [])
    print("| order | round | reviewed | eval F1 | retrain min |\n| --- | ---: | ---: | ---: | ---: |")
    print(f"| starting model | 0 | 0 | {start_f1:.4f} | - |")
    print(f"| replay only (control) | 0 | 0 | {control_f1:.4f} | {minutes:.1f} |", flush=True)

    curves: dict[str, list[tuple[int, float]]] = {}
    for order in ORDERS:
        rng = random.Random(args.seed)
        tagger, reviewed, curve = start_tagger, [], [(0, start_f1)]
        for round_number in range(1, args.rounds + 1):
            chosen = {id(e) for e in reviewed}
            candidates = [e for e in review_pool if id(e) not in chosen]
            reviewed += choose(order, tagger, candidates, args.per_round, rng)
            run_dir, f1, minutes = retrain(f"{order}/round-{round_number}", reviewed)
            tagger = Tagger.load(run_dir, batch_size=64)
            curve.append((len(reviewed), f1))
            print(f"| {order} | {round_number} | {len(reviewed)} | {f1:.4f} | {minutes:.1f} |", flush=True)
        curves[order] = curve

    results = {
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "review_pool_sentences": len(review_pool),
        "evaluation_sentences": len(evaluation),
        "start_f1": start_f1,
        "control_f1": control_f1,
        "curves": curves,
    }
    write_json(args.output / "results.json", results)
    finish(results, args.plot)


def read_results(path: Path) -> dict:
    """A results.json written by an earlier run; anything else is one line naming the file, exit 2."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        curves = results["curves"]
        if not all(isinstance(curves[order], list) for order in ORDERS) or not isinstance(results["start_f1"], float):
            raise TypeError("curves or start_f1 of the wrong type")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        reason = error.strerror if isinstance(error, OSError) else f"{type(error).__name__}: {error}"
        print(f"{path}: not a results.json of this benchmark ({reason})", file=sys.stderr)
        raise SystemExit(2) from None
    return results


def finish(results: dict, plot_path: Path | None) -> None:
    """How many reviewed sentences reach the starting model's F1 plus 0.25 to 1.5 points; the plot."""
    curves, start = results["curves"], results["start_f1"]
    print("\nreviewed sentences to reach an F1 on the evaluation half (- : not within these rounds)")
    print("| F1 | " + " | ".join(ORDERS) + " |\n| ---: |" + " ---: |" * len(ORDERS))
    for gain in (0.0025, 0.005, 0.0075, 0.01, 0.015):
        cells = [reach(curves[order], start + gain) for order in ORDERS]
        print(
            f"| {start + gain:.4f} (start + {gain * 100:.2f}) | " + " | ".join("-" if c is None else str(c) for c in cells) + " |"
        )
    if plot_path:
        plot(results, plot_path)
        print(f"plot: {plot_path}")


if __name__ == "__main__":
    main()
