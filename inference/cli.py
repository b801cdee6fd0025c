"""The ``bienphong`` command line.

    bienphong train    --config configs/NAME.yaml [--output-dir DIR]
    bienphong evaluate --model DIR --data FILE.json [--output metrics.json]
    bienphong evaluate [--model DIR] --events GOLD.jsonl [--spans gold|model]
    bienphong extract  --model DIR INPUT... --output events.jsonl [--workers N] [--resume] [--strict] [--date YYYY-MM-DD]
    bienphong tasks    --model DIR INPUT... --output tasks.json
    bienphong validate FILE.json...
    bienphong export   --model DIR --onnx [--int8]
    bienphong report   --events events.jsonl INPUT... --output report.html   (HTML for reading events)
    bienphong tables   --events events.jsonl --output-dir DIR [--format parquet|csv]
    bienphong ls push  --model DIR INPUT... [--project NAME]   (a Label Studio server)
    bienphong ls pull  [--project NAME] --output FILE.json

Every command reads its input, checks it and fails with one line and exit code 2
on anything a user can fix (``BienphongError``); nothing imports this module.
Exit codes: 0 done; 1 done, but some input was skipped or invalid (``extract``
lists the bad records in OUTPUT.errors.jsonl; ``validate`` prints the problems);
2 nothing done, one line says why.

Over 300 lines on purpose: one thin handler and the options of each command, nothing else; the work
of every command lives in its own module.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from annotations.errors import BienphongError
from inference import options
from inference.options import INPUT_HELP, RUNTIMES, OneLineParser, check_output, iso_date, positive_int

RUNTIME_HELP = "torch (the model's weights, default), or onnx / onnx-int8 (the files of `bienphong export --onnx [--int8]`)"


def _train(args) -> int:
    from training.config import load_config
    from training.trainer import train

    config = load_config(args.config)
    run_dir = train(config, args.output_dir, fresh=args.fresh)
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    print(f"model saved in {run_dir}")
    for split in ("dev", "test"):
        if split in metrics:
            print(f"{split}: micro F1 {metrics[split]['micro']['f1']:.4f}, macro F1 {metrics[split]['macro']['f1']:.4f}")
    return 0


def _evaluate(args) -> int:
    from annotations.io import write_json
    from annotations.labelstudio import read_examples
    from inference.evaluation import evaluate
    from inference.tagger import Tagger

    if args.events:
        return _evaluate_events(args)
    if args.model is None:
        raise BienphongError("--data needs --model DIR")
    if args.output:
        check_output(args.output, args.data)
    examples = read_examples([Path(p) for p in args.data])
    tagger = Tagger.load(args.model, batch_size=args.batch_size, decoding=args.decoding, runtime=args.runtime)
    result = evaluate(tagger, examples, progress=True)
    result["model_version"] = tagger.model_version
    result["data"] = [str(p) for p in args.data]
    print(f"{'label':18} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}")
    for label, row in result["per_label"].items():
        print(f"{label:18} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f} {row['support']:5d}")
    for average in ("micro", "macro"):
        row = result[average]
        print(f"{average:18} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f}")
    if args.output:
        write_json(args.output, result)
        print(f"wrote {args.output}")
    return 0


def _evaluate_events(args) -> int:
    from annotations.io import write_json
    from inference.event_scoring import evaluate_events, report_lines
    from inference.tagger import Tagger

    if args.output:
        check_output(args.output, [args.events])
    if args.spans == "model" and args.model is None:
        raise BienphongError("--spans model needs --model DIR")
    tagger = None
    if args.spans == "model":
        tagger = Tagger.load(args.model, batch_size=args.batch_size, decoding=args.decoding, runtime=args.runtime)
    result = evaluate_events(args.events, args.spans, tagger)
    print("\n".join(report_lines(result)))
    if args.output:
        write_json(args.output, {k: v for k, v in result.items() if k != "errors"})
        print(f"wrote {args.output}")
    return 0


def _tagged(args):
    from inference.extract import tag_inputs

    check_output(args.output, args.inputs)
    return tag_inputs(args.model, args.inputs, args.batch_size, progress=not args.quiet, runtime=args.runtime)


def _extract(args) -> int:
    from inference.batch import RunFiles, extract_to_file

    if args.engine == "ray":
        return _extract_on_ray(args)
    if args.format != "jsonl":
        raise BienphongError("--format parquet needs --engine ray (the local engine writes JSON Lines)")
    check_output(args.output, args.inputs)
    summary = extract_to_file(
        args.model, args.inputs, args.output, resume=args.resume, strict=args.strict, **_engine_options(args)
    )
    resumed = f", resumed after {summary.resumed_from} records" if summary.resumed_from else ""
    print(
        f"{summary.events} events from {summary.articles} articles ({summary.sentences} sentences),"
        f" {summary.bad} skipped, in {summary.seconds:.1f} s:"
        f" written to {args.output}{resumed}"
    )
    if summary.bad:
        print(f"{summary.bad} bad records skipped: see {RunFiles(args.output).errors}", file=sys.stderr)
        return 1
    return 0


def _engine_options(args) -> dict:
    """The options both extraction engines take."""
    return {
        "batch_size": args.batch_size,
        "chunk_size": args.chunk_size,
        "workers": args.workers,
        "progress": not args.quiet,
        "runtime": args.runtime,
        "default_date": args.date,
    }


def _extract_on_ray(args) -> int:
    from inference.ray_engine import extract_with_ray

    if args.resume or args.strict:
        raise BienphongError("--resume and --strict are options of the local engine, not of --engine ray")
    output = str(args.output)
    if "://" not in output and args.output.exists() and (not args.output.is_dir() or any(args.output.iterdir())):
        raise BienphongError(f"--output {output} exists; --engine ray writes a new folder of files there")
    inputs = [str(item) for item in args.inputs]
    summary = extract_with_ray(
        args.model, inputs, output, output_format=args.format, address=args.ray_address, **_engine_options(args)
    )
    print(f"events written to the folder {summary.output} ({args.format})")
    if summary.bad:
        print(f"{summary.bad} bad records skipped: see {summary.errors}", file=sys.stderr)
        return 1
    return 0


def _tasks(args) -> int:
    from annotations.io import write_json
    from inference.tasks import review_tasks

    extractor, tagged = _tagged(args)
    tasks = review_tasks(tagged, extractor.model_version, args.limit)
    write_json(args.output, tasks)
    print(f"{len(tasks)} tasks (least confident first) written to {args.output}")
    return 0


def _export(args) -> int:
    from inference.onnx_runtime import export

    for path in export(args.model, int8=args.int8):
        print(f"wrote {path}")
    return 0


def _serve(args) -> int:
    from inference.serve import serve

    make_retrainer = None
    if args.train_config:  # retraining belongs to training/, which only this module may import beside inference
        from training.retrain import retrainer_for

        def make_retrainer(model):
            return retrainer_for(model, args.train_config, args.train_dir, args.train_after)

    return serve(args.model, args.host, args.port, args.reload_interval, make_retrainer)


def _validate(args) -> int:
    from annotations.labelstudio import read_file

    failed = False
    for path in args.files:
        report = read_file(path)
        labels = Counter(span.label for example in report.examples for span in example.spans)
        for problem in report.problems:
            print(problem)
        status = "INVALID" if report.problems else "ok"
        print(
            f"{path}: {status}: {len(report.examples)} annotated tasks, {sum(labels.values())} spans,"
            f" {report.skipped_unannotated} tasks without a finished annotation skipped,"
            f" {len(report.problems)} problems"
        )
        failed |= bool(report.problems)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="bienphong", description="Information extraction from Vietnamese Border Guard reports.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train a token classifier from a YAML config",
        description="Train from a YAML config (see configs/). A run directory that already"
        " has checkpoints resumes from the last one.",
    )
    train.add_argument("--config", required=True, type=Path, help="YAML config file")
    train.add_argument("--output-dir", type=Path, help="run directory (default: output_dir of the config)")
    train.add_argument("--fresh", action="store_true", help="refuse to resume: fail if checkpoints exist")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="score a model on annotated data (seqeval, strict spans)")
    evaluate.add_argument("--model", type=Path, help="trained model directory (not needed for --events with --spans gold)")
    scored = evaluate.add_mutually_exclusive_group(required=True)
    scored.add_argument("--data", nargs="+", type=Path, help="Label Studio JSON export file(s)")
    scored.add_argument("--events", type=Path, help="gold events (annotations/events/*.jsonl): score the events")
    evaluate.add_argument(
        "--spans", choices=["gold", "model"], default="model", help="--events: events from the model's spans or the gold spans"
    )
    evaluate.add_argument("--output", type=Path, help="write the metrics as JSON here")
    evaluate.add_argument("--batch-size", type=options.batch_size, default=options.DEFAULT_BATCH_SIZE)
    evaluate.add_argument(
        "--decoding", choices=["viterbi", "argmax"], help="override the model's decoding (default: the one stored in the model)"
    )
    evaluate.add_argument("--runtime", choices=RUNTIMES, default="torch", help=RUNTIME_HELP)
    evaluate.set_defaults(run=_evaluate)

    for name, handler, help_text in (
        ("extract", _extract, "extract structured events (JSON Lines) from articles"),
        ("tasks", _tasks, "write a Label Studio import file of pre-annotated sentences for review"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--model", required=True, type=Path, help="trained model directory")
        sub.add_argument("inputs", nargs="+", metavar="INPUT", help=INPUT_HELP)
        sub.add_argument(
            "--output", required=True, type=Path, help="output file (.jsonl for extract, .json for tasks); written atomically"
        )
        sub.add_argument("--batch-size", type=options.batch_size, default=options.DEFAULT_BATCH_SIZE)
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
        sub.add_argument("--runtime", choices=RUNTIMES, default="torch", help=RUNTIME_HELP)
        if name == "tasks":
            sub.add_argument("--limit", type=positive_int, help="keep only the N least confident tasks")
        else:
            sub.add_argument(
                "--strict", action="store_true", help="stop at the first bad record and write nothing (default: skip it, exit 1)"
            )
            sub.add_argument("--resume", action="store_true", help="continue an interrupted run of the same --output")
            sub.add_argument("--workers", type=options.workers, default=1, help="processes tagging in parallel (default 1)")
            sub.add_argument("--chunk-size", type=positive_int, default=64, help="articles per written chunk (default 64)")
            sub.add_argument(
                "--engine",
                choices=["local", "ray"],
                default="local",
                help="local processes (default) or Ray Data (a local Ray instance, or --ray-address); ray writes a folder",
            )
            sub.add_argument("--ray-address", help="address of a running Ray cluster (default: start a local one)")
            sub.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl", help="output format of --engine ray")
            sub.add_argument(
                "--date",
                type=iso_date,
                help='publication date YYYY-MM-DD of articles that have no "date" of their own (resolves relative times)',
            )
        sub.set_defaults(run=handler)

    export = commands.add_parser(
        "export", help="export a trained model for ONNX Runtime", description="Write DIR/onnx/model.onnx (and model-int8.onnx)."
    )
    export.add_argument("--model", required=True, type=Path, help="trained model directory")
    export.add_argument("--onnx", required=True, action="store_true", help="ONNX format (the only one): DIR/onnx/model.onnx")
    export.add_argument("--int8", action="store_true", help="also a dynamically quantized int8 model: DIR/onnx/model-int8.onnx")
    export.set_defaults(run=_export)

    validate = commands.add_parser("validate", help="check Label Studio export files and report every problem")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE.json")
    validate.set_defaults(run=_validate)
    from inference.report import add_command as add_report_command
    from inference.review import add_commands
    from inference.serve import add_command as add_serve_command
    from inference.tables import add_command as add_tables_command

    add_commands(commands)
    add_serve_command(commands, run=_serve)
    add_report_command(commands)
    add_tables_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BienphongError as error:
        # One line: a multi-line message (a config's list of problems) is joined.
        message = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
