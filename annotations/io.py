"""Atomic outputs: a file or directory is built beside its target, then renamed into place.

Standard library only, so that any module can use it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


@contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[str]]:
    """Open ``path`` for writing text; it appears only if the block finishes without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
        # mkstemp makes private (0600) files; give the output the usual permissions instead.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary directory beside ``target`` that replaces it once the block succeeds.

    If the block fails, neither ``target`` (when new) nor the temporary directory remains;
    an existing ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        _apply_umask(tmp)
        if target.exists():
            # rename cannot replace a non-empty directory: move the old one aside first.
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    umask = os.umask(0)  # the only way to read it is to set it
    os.umask(umask)
    return umask


def _apply_umask(directory: Path) -> None:
    """Give the directory and everything in it the usual permissions (mkdtemp makes them private)."""
    umask = _umask()
    os.chmod(directory, 0o777 & ~umask)
    for path in directory.rglob("*"):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


def check_name(path: Path, shown: Path | None = None) -> None:
    """Refuse a path the system cannot even look up (a name too long) with one ``InputError`` naming ``shown``."""
    from annotations.errors import InputError

    try:
        path.is_symlink()  # lstat: raises for such a name, where exists() and is_dir() would say False
    except OSError as error:
        raise InputError(f"{str(shown or path)[:120]}: cannot read ({error.strerror or type(error).__name__})") from None


def write_json(path: str | Path, value: Any) -> None:
    with atomic_open(path) as stream:
        json.dump(value, stream, ensure_ascii=False, indent=2)
        stream.write("\n")


def read_yaml(path: str | Path, what: str) -> Any:
    """A YAML file's content; a missing, unreadable or malformed file is one ``InputError`` naming it.

    A key written twice is an error too: YAML would keep the last one silently (a second ``test:``
    in a split file would turn the first one's articles into training data)."""
    import yaml

    from annotations.errors import InputError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if "\x00" in text:
            raise InputError(f"{path}: holds NUL characters (is it UTF-16?); save the {what} as UTF-8")
        return yaml.load(text, Loader=_unique_keys_loader())  # a SafeLoader that refuses repeated keys
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a {what}") from None
    except OSError as error:  # a dangling symlink, no permission
        raise InputError(f"{path}: cannot read the {what} ({error.strerror or type(error).__name__})") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 (byte {error.start}); save the {what} as UTF-8") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML ({str(error).strip().splitlines()[0]})") from None
    except RecursionError:
        raise InputError(f"{path}: not valid YAML (nested too deeply)") from None
    except ValueError as error:  # a value YAML reads as an impossible date: 2024-13-45
        raise InputError(f"{path}: not valid YAML ({error})") from None


def _unique_keys_loader():
    import yaml

    class UniqueKeys(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *defaults" may be overridden, by design
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: construct_mapping reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} appears twice (line {key_node.start_mark.line + 1})", key_node.start_mark
                    )
            return super().construct_mapping(node, deep=deep)

    return UniqueKeys
