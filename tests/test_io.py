"""Tests for annotations/io.py: atomic files and directories."""

from __future__ import annotations

import os
import stat

import pytest

from annotations.io import atomic_directory, atomic_open


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_directory_appears_with_usual_permissions(tmp_path, usual_umask):
    target = tmp_path / "parent" / "model"
    with atomic_directory(target) as tmp:
        assert tmp.parent == target.parent and not target.exists()
        (tmp / "config.json").write_text("{}")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "weights.bin").write_bytes(b"\0")
    assert [p.name for p in target.parent.iterdir()] == ["model"]
    assert (target / "config.json").read_text() == "{}"
    assert mode(target) == 0o755 and mode(target / "sub") == 0o755  # not mkdtemp's private 0o700
    assert mode(target / "config.json") == 0o644 and mode(target / "sub" / "weights.bin") == 0o644


def test_atomic_directory_leaves_nothing_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_directory(tmp_path / "model") as tmp:
            (tmp / "half-written").write_text("x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_directory_replaces_an_existing_directory_only_on_success(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    with atomic_directory(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no .old- or .tmp- sibling left


def test_atomic_open_writes_with_usual_permissions_or_not_at_all(tmp_path, usual_umask):
    path = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_open(path) as stream:
            stream.write("partial")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with atomic_open(path) as stream:
        stream.write("done")
    assert path.read_text() == "done" and mode(path) == 0o644
