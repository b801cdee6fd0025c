"""The import graph runs one way: annotations <- inference <- training; only the CLI imports both."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = {"annotations": 0, "inference": 1, "training": 2}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ORDER)


def test_packages_import_only_to_their_left():
    wrong = []
    for package, rank in ORDER.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "inference" / "cli.py":
                continue  # the command line sits on top of everything
            for other in imported_packages(path):
                if ORDER[other] > rank:
                    wrong.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not wrong, wrong


def test_nothing_imports_the_cli():
    users = [
        str(p.relative_to(ROOT))
        for package in ORDER
        for p in (ROOT / package).rglob("*.py")
        if p.name != "cli.py" and "inference.cli" in p.read_text(encoding="utf-8")
    ]
    assert not users, users


def test_importing_inference_loads_neither_pydantic_nor_the_converter():
    code = (
        "import sys, inference, inference.tagger, inference.extract, inference.events;"
        "bad = [m for m in sys.modules if m.startswith(('pydantic', 'training'))]; print(bad); sys.exit(bool(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
