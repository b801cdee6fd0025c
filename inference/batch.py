"""A batch extraction run: articles streamed in chunks, tagged (in N processes), written in input order.

Memory stays flat whatever the input size: only a few chunks are in flight at a time.
While a run writing ``OUTPUT`` goes on, its files are:

- ``OUTPUT.part``: the events so far (JSON Lines), appended a chunk at a time;
- ``OUTPUT.errors.jsonl.part``: the bad records so far (source, line, id, reason);
- ``OUTPUT.part.json``: the manifest: inputs, model version, records done and the size of both files.

A chunk counts as written once the manifest says so. ``resume`` cuts both files back to the
manifest's sizes (dropping a chunk that a kill interrupted), skips the records already done
and goes on. At the end the files are renamed to ``OUTPUT`` and ``OUTPUT.errors.jsonl``, so
``OUTPUT`` itself is never half-written.

Over 300 lines on purpose: the run loop, the worker pool and the part files with their manifest are
one protocol (what is committed when); split apart, the resume guarantee would be spread over files.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

from tqdm.auto import tqdm

from annotations.errors import BienphongError, InputError
from inference.articles import Article, BadRecord, count_records, iter_records
from inference.extract import Extractor, json_line
from inference.options import DEFAULT_BATCH_SIZE

MANIFEST_VERSION = 1


@dataclass
class RunSummary:
    records: int = 0  # input records consumed, good and bad
    articles: int = 0
    sentences: int = 0
    events: int = 0
    bad: int = 0
    resumed_from: int = 0  # records already done by an interrupted run
    seconds: float = 0.0  # this run's wall time (not an interrupted run's)


@dataclass(frozen=True)
class RunFiles:
    output: Path

    @property
    def errors(self) -> Path:
        return self.output.with_name(self.output.name + ".errors.jsonl")

    @property
    def part(self) -> Path:
        return self.output.with_name(self.output.name + ".part")

    @property
    def errors_part(self) -> Path:
        return self.errors.with_name(self.errors.name + ".part")

    @property
    def manifest(self) -> Path:
        return self.output.with_name(self.output.name + ".part.json")


# A chunk holding this many characters (a long article: a report of several hundred pages is about 1 M) gets
# a second bar of its own, so that a long article shows progress too; ordinary chunks tag in seconds.
LONG_CHUNK_CHARS = 200_000


def chunk_lines(extractor: Extractor, articles: list[Article], progress: bool = False) -> tuple[list[str], int]:
    """The JSON Lines of the events of some articles, and how many sentences they had."""
    long = progress and sum(len(article.text) for article in articles) >= LONG_CHUNK_CHARS
    tagged = extractor.tag(articles, progress=long)
    lines = [json_line(event.to_dict()) for item in tagged for event in extractor.events(item)]
    return lines, sum(len(item.sentences) for item in tagged)


def extract_to_file(
    model: Path,
    inputs: list[str],
    output: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    chunk_size: int = 64,
    workers: int = 1,
    resume: bool = False,
    strict: bool = False,
    progress: bool = True,
    runtime: str = "torch",
    default_date: datetime.date | None = None,
) -> RunSummary:
    """Extract the events of every good record of the INPUTs into ``output``; bad records go to OUTPUT.errors.jsonl.

    ``strict`` stops at the first bad record before the model loads, and writes nothing. ``default_date``:
    the publication date of articles that have none (``--date``)."""
    files = RunFiles(Path(output))
    all_records = iter_records(inputs)  # a missing INPUT stops here, before any file is written
    if strict:
        for record in iter_records(inputs):  # one cheap reading pass first: nothing is written for a bad input
            if isinstance(record, BadRecord):
                raise InputError(str(record))
    # Loaded before any file is written or a bar drawn: a broken model is one clear line and leaves nothing behind.
    # With several workers each loads its own copy; this one is only the check.
    extractor = Extractor(model, batch_size=batch_size, runtime=runtime, default_date=default_date)
    model_version = extractor.model_version
    if workers > 1:
        extractor = None
    state = _start(files, inputs, model_version, resume)
    started = time.perf_counter()
    summary = RunSummary(records=state["records"], resumed_from=state["records"])
    summary.events, summary.bad = state["events"], state["bad"]
    summary.articles, summary.sentences = state["articles"], state["sentences"]

    records = islice(all_records, state["records"], None)
    total = count_records(inputs) if progress else None  # a total gives the bar its ETA
    bar = tqdm(desc="extracting", unit=" articles", total=total, initial=state["records"], disable=not progress)
    with files.part.open("a", encoding="utf-8") as events_out, files.errors_part.open("a", encoding="utf-8") as errors_out:
        tagged = (
            _tagged_chunks(extractor, records, chunk_size, progress)
            if extractor
            else _tagged_in_workers(model, records, batch_size, chunk_size, workers, runtime, default_date)
        )
        for chunk, lines, sentences in tagged:
            bad = [record for record in chunk if isinstance(record, BadRecord)]
            events_out.writelines(lines)
            errors_out.writelines(json_line(record.to_dict()) for record in bad)
            summary.records += len(chunk)
            summary.articles += len(chunk) - len(bad)
            summary.sentences += sentences
            summary.events += len(lines)
            summary.bad += len(bad)
            _commit(files, events_out, errors_out, state | summary_fields(summary))
            bar.update(len(chunk))
            bar.set_postfix(events=summary.events, bad=summary.bad)
    bar.close()
    if summary.articles == 0:
        first = _first_error(files.errors_part)
        _discard(files)
        raise InputError(f"no valid articles in the input ({summary.bad} bad records; first: {first})")
    _finish(files, summary.bad)
    summary.seconds = time.perf_counter() - started
    return summary


def summary_fields(summary: RunSummary) -> dict:
    return {
        "records": summary.records,
        "articles": summary.articles,
        "sentences": summary.sentences,
        "events": summary.events,
        "bad": summary.bad,
    }


Tagged = Iterator[tuple[list[Article | BadRecord], list[str], int]]


def _tagged_chunks(
    extractor: Extractor, records: Iterable[Article | BadRecord], chunk_size: int, progress: bool = False
) -> Tagged:
    """(chunk of records, its event lines, its sentence count), in input order, in this process."""
    for chunk in _chunks(records, chunk_size):
        lines, sentences = chunk_lines(extractor, _articles(chunk), progress)
        yield chunk, lines, sentences


def _tagged_in_workers(
    model: Path,
    records: Iterable[Article | BadRecord],
    batch_size: int,
    chunk_size: int,
    workers: int,
    runtime: str,
    default_date: datetime.date | None = None,
) -> Tagged:
    """The same as ``_tagged_chunks``, tagged by ``workers`` processes with a model each."""
    chunks = _chunks(records, chunk_size)
    threads = max(1, (os.cpu_count() or 1) // workers)
    pending: deque[tuple[list, Future]] = deque()
    context = get_context("spawn")  # a fresh interpreter per worker: no torch state copied by fork
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(model, batch_size, threads, runtime, default_date)
    ) as pool:
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(_work, _articles(chunk))))
                if len(pending) >= 2 * workers:  # a bounded window keeps memory flat
                    done, future = pending.popleft()
                    yield done, *future.result()
            while pending:
                done, future = pending.popleft()
                yield done, *future.result()
        except BrokenProcessPool:
            raise BienphongError(f"a worker process died while tagging with {model}; run with --workers 1 to see why") from None


def _chunks(records: Iterable[Article | BadRecord], size: int) -> Iterator[list[Article | BadRecord]]:
    chunk: list[Article | BadRecord] = []
    good = 0
    for record in records:
        chunk.append(record)
        good += isinstance(record, Article)
        if good >= size or len(chunk) >= 4 * size:
            yield chunk
            chunk, good = [], 0
    if chunk:
        yield chunk


def _articles(chunk: list[Article | BadRecord]) -> list[Article]:
    return [record for record in chunk if isinstance(record, Article)]


_WORKER_EXTRACTOR: Extractor | None = None


def _start_worker(model: Path, batch_size: int, threads: int, runtime: str, default_date: datetime.date | None = None) -> None:
    import torch

    global _WORKER_EXTRACTOR
    torch.set_num_threads(threads)
    _WORKER_EXTRACTOR = Extractor(model, batch_size=batch_size, runtime=runtime, default_date=default_date)


def _work(articles: list[Article]) -> tuple[list[str], int]:
    assert _WORKER_EXTRACTOR is not None
    return chunk_lines(_WORKER_EXTRACTOR, articles)


# --- the part files and the manifest -------------------------------------------------------


def fresh_manifest(inputs: list[str], model_version: str) -> dict:
    """The manifest of a run that has written nothing yet."""
    return {
        "version": MANIFEST_VERSION,
        "inputs": [str(item) for item in inputs],
        "model_version": model_version,
        "records": 0,
        "articles": 0,
        "sentences": 0,
        "events": 0,
        "bad": 0,
        "bytes": 0,
        "error_bytes": 0,
    }


def _start(files: RunFiles, inputs: list[str], model_version: str, resume: bool) -> dict:
    fresh = fresh_manifest(inputs, model_version)
    if not files.manifest.exists():
        if files.part.exists() or files.errors_part.exists():
            raise BienphongError(f"{files.part} exists without its manifest; delete it and run again")
        files.part.parent.mkdir(parents=True, exist_ok=True)
        files.part.write_bytes(b"")
        files.errors_part.write_bytes(b"")
        _write_manifest(files.manifest, fresh)
        return fresh
    if not resume:
        raise BienphongError(
            f"{files.manifest}: an interrupted run of {files.output} is there; add --resume to continue it,"
            f" or delete {files.output}.part* to start again"
        )
    try:
        state = json.loads(files.manifest.read_text(encoding="utf-8"))
        missing = sorted(set(fresh) - set(state)) if isinstance(state, dict) else ["all"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BienphongError(
            f"{files.manifest}: unreadable manifest ({error}); delete {files.output}.part* to start again"
        ) from None
    # Counts and sizes are whole numbers of at least 0 (a hand-edited "bytes": "abc" would crash os.truncate).
    counts = [key for key, value in fresh.items() if isinstance(value, int) and key != "version"]
    if (
        missing
        or state.get("version") != MANIFEST_VERSION
        or not all(_count(state[key]) for key in counts)
        or not (isinstance(state["inputs"], list) and all(isinstance(item, str) for item in state["inputs"]))
    ):
        raise BienphongError(f"{files.manifest}: not a manifest of this version; delete {files.output}.part* to start again")
    if state["inputs"] != fresh["inputs"]:
        raise BienphongError(f"--resume: the interrupted run read other inputs ({', '.join(state['inputs'])[:200]})")
    if state["model_version"] != model_version:
        raise BienphongError(f"--resume: the interrupted run used model {state['model_version']}, not {model_version}")
    parts = ((files.part, state["bytes"]), (files.errors_part, state["error_bytes"]))
    for path, size in parts:  # both checked before either is cut: a refused resume changes nothing
        if not path.is_file() or path.stat().st_size < size:
            raise BienphongError(f"{path} is shorter than its manifest says; delete {files.output}.part* to start again")
    for path, size in parts:
        os.truncate(path, size)  # drop whatever a killed chunk left after the last committed one
    return state


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _commit(files: RunFiles, events_out, errors_out, state: dict) -> None:
    for stream in (events_out, errors_out):
        stream.flush()
        os.fsync(stream.fileno())
    state["bytes"], state["error_bytes"] = events_out.tell(), errors_out.tell()
    _write_manifest(files.manifest, state)


def _write_manifest(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def _finish(files: RunFiles, bad: int) -> None:
    if bad:
        os.replace(files.errors_part, files.errors)
    else:
        files.errors_part.unlink()
        files.errors.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
    os.replace(files.part, files.output)
    files.manifest.unlink()


def _discard(files: RunFiles) -> None:
    for path in (files.part, files.errors_part, files.manifest):
        path.unlink(missing_ok=True)


def _first_error(path: Path) -> str:
    with path.open(encoding="utf-8") as stream:
        line = stream.readline()
    if not line:
        return "none"
    record = json.loads(line)
    where = f"{record['source']}:{record['line']}" if record["line"] else record["source"]
    return f"{where}: {record['reason']}"
