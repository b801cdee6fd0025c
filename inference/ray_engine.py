"""The same extraction on Ray Data, for clusters: ``bienphong extract --engine ray``.

Input files (``.txt``, ``.jsonl``, folders of them, or ``.parquet`` with ``id``, ``text`` and
optionally ``date`` columns) are read on any path Ray supports (local, ``s3://``, ``gs://``, ...),
parsed into records by the same code as the local engine (``inference.articles``), tagged by
an actor pool in which every actor holds one model, and written as a folder of JSON Lines or
Parquet files: one row per event, the flat form of ``Event.to_row`` (the nested parts as JSON
text). Bad records go to the folder ``OUTPUT.errors``. The model directory must be readable at
the same path on every node (a shared file system). Unlike the local engine, repeated ids across
files are not detected (that would need one global pass).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from annotations.errors import BienphongError
from inference.articles import Article, BadRecord, parse_date, record_from_object, records_of_file
from inference.options import DEFAULT_BATCH_SIZE

FORMATS = ("jsonl", "parquet")


@dataclass
class RayRunSummary:
    bad: int
    output: str
    errors: str | None


def _event_schema():
    import pyarrow as pa

    text, integer = pa.string(), pa.int64()
    return pa.schema(
        [
            ("article_id", text),
            ("sentence_index", integer),
            ("event_type", text),
            ("start", integer),
            ("end", integer),
            ("evidence", text),
            ("time", text),
            ("organization", text),
            ("locations", text),
            ("slots", text),
            ("confidence", pa.float64()),
            ("model_version", text),
        ]
    )


def _parse_file(row: dict) -> list[dict]:
    """The records of one input file as rows."""
    name = str(row["path"])
    if Path(name).name.startswith("."):  # hidden files (._x.txt from macOS) are not articles
        return []
    return [_row(record) for record in records_of_file(name, row["bytes"])]


def _parquet_rows(batch):
    """Parquet articles as record rows, with the same checks as JSON Lines (id, text, date)."""
    import pyarrow as pa

    return pa.Table.from_pylist([_row(record_from_object(row, "parquet")) for row in batch.to_pylist()], schema=_record_schema())


def _row(record: Article | BadRecord) -> dict:
    """A record as a row; ``reason`` is null for a good one."""
    if isinstance(record, Article):
        date = record.date.isoformat() if record.date else None
        return {"id": record.id, "text": record.text, "date": date, "source": record.source, "reason": None}
    return {"id": record.id, "text": None, "date": None, "source": record.source, "reason": record.reason}


def _record_schema():
    import pyarrow as pa

    return pa.schema([(name, pa.string()) for name in ("id", "text", "date", "source", "reason")])


class TagActor:
    """One model per actor: ``map_batches`` sends it batches of article rows, it returns event rows."""

    def __init__(self, model: str, batch_size: int, threads: int, runtime: str, default_date: datetime.date | None = None):
        import torch

        from inference.extract import Extractor

        torch.set_num_threads(threads)
        self.extractor = Extractor(model, batch_size=batch_size, runtime=runtime, default_date=default_date)
        self.schema = _event_schema()

    def __call__(self, batch):
        import pyarrow as pa

        articles = [Article(str(row["id"]), row["text"], row["source"], parse_date(row.get("date"))) for row in batch.to_pylist()]
        rows = [event.to_row() for item in self.extractor.tag(articles) for event in self.extractor.events(item)]
        return pa.Table.from_pylist(rows, schema=self.schema)


def _records(inputs: list[str]):
    import ray.data

    parquet = [item for item in inputs if item.lower().endswith(".parquet")]
    files = [item for item in inputs if item not in parquet]
    datasets = []
    if files:
        datasets.append(
            ray.data.read_binary_files(files, include_paths=True, file_extensions=["txt", "jsonl"]).flat_map(_parse_file)
        )
    if parquet:
        table = ray.data.read_parquet(parquet)
        datasets.append(table.map_batches(_parquet_rows, batch_format="pyarrow"))
    return datasets[0] if len(datasets) == 1 else datasets[0].union(*datasets[1:])


def extract_with_ray(
    model: Path,
    inputs: list[str],
    output: str,
    *,
    output_format: str = "jsonl",
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    chunk_size: int = 64,
    address: str | None = None,
    progress: bool = True,
    runtime: str = "torch",
    default_date: datetime.date | None = None,
) -> RayRunSummary:
    """Run the extraction on Ray (a local instance, or the cluster at ``address``); ``default_date``: the
    publication date of articles that have none."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise BienphongError("--engine ray needs Ray Data: pip install 'ray[data]'") from None
    from inference.run_directory import read_settings

    if output_format not in FORMATS:
        raise BienphongError(f"--format must be one of {', '.join(FORMATS)}")
    read_settings(model)  # a bad model directory fails here, not inside an actor
    errors_output = output.rstrip("/") + ".errors"
    ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=progress)
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the output keeps the input's order, as the local engine
        context.enable_progress_bars = progress
        records = _records(inputs)
        bad = records.filter(lambda row: row["reason"] is not None).select_columns(["source", "id", "reason"])
        good = records.filter(lambda row: row["reason"] is None).select_columns(["id", "text", "date", "source"])
        threads = max(1, (os.cpu_count() or 1) // workers) if address is None else 1
        events = good.map_batches(
            TagActor,
            fn_constructor_args=(str(model), batch_size, threads, runtime, default_date),
            batch_size=chunk_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,  # one CPU reserved per actor leaves the rest to the read and write tasks
        )
        write = events.write_parquet if output_format == "parquet" else events.write_json
        write(output)
        bad_rows = bad.take_all()
        if bad_rows:
            ray.data.from_items(bad_rows).write_json(errors_output)
    except ray.exceptions.RayError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BienphongError(f"the Ray run failed: {first_line}") from None
    finally:
        ray.shutdown()
    return RayRunSummary(bad=len(bad_rows), output=output, errors=errors_output if bad_rows else None)
