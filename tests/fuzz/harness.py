"""Running one case through ``inference.cli.main`` and checking what every bad input must get."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.cases import SECRET, Case, Folder, Link


@dataclass
class Places:
    """What the placeholders of a case stand for."""

    model: Path  # the tiny model (shared, never written)
    corpus: Path  # the seed corpus folder (shared, never written)
    silent: str  # URL of a server that accepts and never answers
    closed: str  # URL of a port nobody listens on

    def fill(self, text: str, tmp: Path, model: Path) -> str:
        closed_with_credentials = self.closed.replace("http://", f"http://reviewer:{SECRET}@")
        return (
            text.replace("{tmp}", str(tmp))
            .replace("{model}", str(model))
            .replace("{corpus}", str(self.corpus))
            .replace("{silent}", self.silent)
            .replace("{closed_with_credentials}", closed_with_credentials)
            .replace("{closed}", self.closed)
        )


class SilentServer:
    """Accepts connections and never answers (a hung Label Studio)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)  # kept open, never read or written

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` (links not followed) -> what it is: a file's SHA-256, a link's target, a folder."""
    found = {}
    if root.is_file():
        return {".": hashlib.sha256(root.read_bytes()).hexdigest()}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            relative = str(path.relative_to(root))
            if path.is_symlink():
                found[relative] = "link -> " + os.readlink(path)
            elif path.is_dir():
                found[relative] = "folder"
            else:
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def create(files: dict, tmp: Path, fill) -> None:
    for relative, content in files.items():
        path = tmp / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Folder):
            path.mkdir(exist_ok=True)
        elif isinstance(content, Link):
            path.symlink_to(fill(content.target))
        elif callable(content):  # made from the case's places: content(fill) -> text
            path.write_text(content(fill), encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(fill(content), encoding="utf-8")


def run_case(case: Case, tmp: Path, places: Places, capsys, monkeypatch) -> None:
    from inference.cli import main

    model = places.model
    if case.model_edit is not None:
        model = tmp / "model"
        shutil.copytree(places.model, model, ignore=shutil.ignore_patterns("checkpoints"))
        case.model_edit(model)

    def fill(text: str) -> str:
        return places.fill(text, tmp, model)

    create(case.files, tmp, fill)
    argv = [fill(arg) for arg in case.argv]
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", SECRET + "\r\n")  # as read from a token file saved with CRLF
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for key, value in case.env.items():
        monkeypatch.setenv(key, fill(value))
    shared = {path: snapshot(path) for path in (places.model, places.corpus)}
    before = snapshot(tmp)
    capsys.readouterr()

    started = time.monotonic()
    usage = False
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse
        code, usage = stop.code, True
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    after = snapshot(tmp)
    shown = f"exit {code} in {elapsed:.1f} s\n--- stdout\n{out[-2000:]}\n--- stderr\n{err[-3000:]}"

    assert "Traceback" not in out + err, shown
    assert code == case.code, shown
    assert elapsed < case.seconds, shown
    assert usage == case.usage, shown
    for path, hashes in shared.items():
        assert snapshot(path) == hashes, f"{path} changed\n{shown}"
    changed = sorted(p for p in before if after.get(p) != before[p])
    assert not changed, f"inputs changed or removed: {changed}\n{shown}"
    new = sorted(set(after) - set(before))

    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        # argparse errors too (usage is True for them) are one line: inference.options.OneLineParser
        assert len(lines) == 1 and lines[0].startswith("error: "), shown
        assert case.fragment in lines[0], shown
        assert not new, f"exit 2 left files behind: {new}\n{shown}"
    else:
        assert set(new) <= set(case.outputs) | {str(Path(p).parent) for p in case.outputs if "/" in p}, shown
        for output in case.outputs:
            path = tmp / output
            assert path.is_file(), f"{output} missing\n{shown}"
            assert path.suffix == ".jsonl" or path.stat().st_size > 0, f"{output} is empty\n{shown}"
        for output in case.outputs:  # strict JSON: no NaN or Infinity, which most readers refuse
            text = (tmp / output).read_text(encoding="utf-8")
            for record in text.split("\n") if output.endswith(".jsonl") else [text]:
                if record.strip():
                    json.loads(record, parse_constant=_refuse_constant)
        if case.fragment:
            text = out if case.where == "stdout" else (tmp / case.where).read_text(encoding="utf-8")
            if case.where.endswith(".jsonl"):  # the reasons, unescaped
                text += "\n".join(" ".join(map(str, json.loads(line).values())) for line in text.splitlines())
            assert case.fragment in text, f"{case.fragment!r} not in {case.where}\n{shown}\n{text[:2000]}"
    for path in new:
        if (tmp / path).is_file():
            assert SECRET not in (tmp / path).read_text(encoding="utf-8", errors="replace"), f"the key is in {path}"
    assert SECRET not in out + err, f"the API key was shown\n{shown}"


def _refuse_constant(name: str):
    raise AssertionError(f"{name} in a JSON output")
