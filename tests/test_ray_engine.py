"""--engine ray on a real local Ray instance: the same events as the local engine, bad records listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.cli import main

pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def _rows(folder: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob("*.json")) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ray_engine_writes_the_local_engines_events(talking_model, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('not json\n{"id": "e", "text": " "}\n', encoding="utf-8")
    local = tmp_path / "local.jsonl"
    assert main(["extract", "--model", str(talking_model), str(SEEDS), "--output", str(local), "--quiet"]) == 0
    out = tmp_path / "ray-out"
    args = ["extract", "--model", str(talking_model), str(SEEDS), str(bad), "--output", str(out), "--engine", "ray"]
    assert main([*args, "--quiet"]) == 1
    expected = [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]
    for row in expected:
        for name in ("time", "organization", "locations", "slots"):
            row[name] = json.dumps(row[name], ensure_ascii=False)
    key = lambda row: (row["article_id"], row["sentence_index"], row["start"], row["event_type"], row["evidence"])
    got = _rows(out)
    assert expected and sorted(got, key=key) == sorted(expected, key=key)
    errors = _rows(Path(str(out) + ".errors"))
    assert sorted(e["reason"].split(" (")[0] for e in errors) == ["article 'e': the article is empty", "not valid JSON"]


def test_ray_engine_reads_and_writes_parquet(talking_model, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from annotations.text import read_article

    articles = sorted(SEEDS.glob("*.txt"))
    table = pa.table(
        {
            "id": [path.stem for path in articles],
            "text": [read_article(path) for path in articles],
            "date": ["2024-07-15"] * len(articles),
        }
    )
    source = tmp_path / "articles.parquet"
    pq.write_table(table, source)
    local = tmp_path / "local.jsonl"
    args = ["extract", "--model", str(talking_model), "--quiet"]
    assert main([*args, str(SEEDS), "--output", str(local), "--date", "2024-07-15"]) == 0
    out = tmp_path / "events-parquet"
    assert main([*args, str(source), "--output", str(out), "--engine", "ray", "--format", "parquet"]) == 0
    got = pq.read_table(out).to_pylist()
    expected = [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]
    assert expected and len(got) == len(expected)
    key = lambda row: (row["article_id"], row["sentence_index"], row["start"], row["event_type"])
    for row, want in zip(sorted(got, key=key), sorted(expected, key=key)):
        assert json.loads(row["slots"]) == want["slots"]
        assert json.loads(row["time"]) == want["time"]  # the parquet date column resolved the times as --date did
