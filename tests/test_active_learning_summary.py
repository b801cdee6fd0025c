"""`benchmarks/active_learning.py --summary`: reads an earlier run's results, or says in one line why not."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "active_learning.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("active_learning_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_summary(benchmark, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(sys, "argv", ["active_learning.py", "--summary", str(path)])
    benchmark.main()


def test_summary_prints_how_many_sentences_reach_each_gain(benchmark, monkeypatch, capsys, tmp_path):
    results = {
        "curves": {"least-confident": [[0, 0.94], [50, 0.951]], "random": [[0, 0.94], [50, 0.946]]},
        "start_f1": 0.94,
        "control_f1": 0.935,
        "evaluation_sentences": 380,
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    run_summary(benchmark, monkeypatch, path)
    lines = [line for line in capsys.readouterr().out.splitlines() if "(start +" in line]
    rows = {line.split("|")[1].strip(): line.split("|")[2:4] for line in lines}
    assert [cell.strip() for cell in rows["0.9500 (start + 1.00)"]] == ["50", "-"]
    assert [cell.strip() for cell in rows["0.9450 (start + 0.50)"]] == ["50", "50"]


@pytest.mark.parametrize(
    "content", [None, "not json", '{"curves": {}}', '{"curves": {"least-confident": [], "random": []}, "start_f1": "x"}']
)
def test_a_missing_or_foreign_file_is_one_line_and_exit_2(benchmark, monkeypatch, capsys, tmp_path, content):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        run_summary(benchmark, monkeypatch, path)
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and str(path) in err
