"""Bad input never destroys data, leaks the key, hangs or ends in a traceback.

Two parts: the generated corpus of bad inputs (``tests/fuzz``), each run through the
real ``bienphong`` entry point, and property-based tests (hypothesis) of the readers
and writers every input goes through.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.errors import BienphongError, InputError
from annotations.labelstudio import check_task
from annotations.text import MAX_ARTICLE_CHARS, decode_article, normalize, split_sentences, text_problem, tokenize
from inference.articles import Article, BadRecord, jsonl_records, record_from_object
from inference.extract import json_line
from tests.fuzz.cases import SECRET, all_cases
from tests.fuzz.harness import Places, SilentServer, closed_port_url, run_case

CASES = all_cases()


def test_the_corpus_is_large_and_covers_every_kind():
    assert len(CASES) >= 200
    kinds = {case.name.split("/")[0] for case in CASES}
    assert kinds >= {"record", "accept", "path", "export", "config", "model", "option", "output", "resume", "server"}


@pytest.fixture(scope="module")
def places(tiny_model, seed_corpus):
    server = SilentServer()
    yield Places(tiny_model, seed_corpus, server.url, closed_port_url())
    server.close()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case, places, tmp_path, capsys, monkeypatch):
    run_case(case, tmp_path, places, capsys, monkeypatch)


# --------------------------------------------------------------------------- properties

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Any code point, lone surrogates and line separators included.
ANY_TEXT = st.text(st.characters(codec=None, blacklist_categories=()), max_size=60)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=12,
)


def _encodable(text: str) -> bool:
    return text_problem(text) is None or "lone surrogate" not in text_problem(text)


@PROPERTY
@given(article_id=st.one_of(ANY_TEXT, st.integers()), text=ANY_TEXT, date=st.none() | ANY_TEXT)
def test_a_written_record_reads_back_as_itself_or_as_one_bad_record(article_id, text, date):
    record = {"id": article_id, "text": text} | ({"date": date} if date is not None else {})
    line = json_line(record)
    # One record per line, for a reader that splits on \n and for one that splits on every line break.
    assert line.endswith("\n") and line.count("\n") == 1 and len(line.splitlines()) == 1
    records = list(jsonl_records([line.encode("utf-8", "surrogatepass")], "f.jsonl"))
    assert len(records) == 1
    (read,) = records
    assert read.source == "f.jsonl:1"
    if isinstance(read, Article):
        assert read.id == normalize(str(article_id).strip()) and read.text == normalize(text)
        assert read.text == normalize(read.text)
    else:
        assert isinstance(read, BadRecord) and read.reason and "\n" not in read.reason


@PROPERTY
@given(st.lists(st.binary(max_size=80), max_size=5))
def test_any_bytes_are_records_or_bad_records(chunks):
    lines = [line + b"\n" for line in b"\n".join(chunks).split(b"\n")]  # what a file opened "rb" yields
    for record in jsonl_records(lines, "f.jsonl"):
        assert isinstance(record, (Article, BadRecord))
        if isinstance(record, Article):
            assert record.text == normalize(record.text) and record.id == normalize(record.id)
            assert text_problem(record.text) is None


@PROPERTY
@given(JSON_VALUES)
def test_any_decoded_value_is_an_article_or_a_bad_record(value):
    record = record_from_object(value, "f.jsonl:1")
    assert isinstance(record, (Article, BadRecord))
    if isinstance(record, BadRecord):
        json.dumps(record.to_dict())  # the errors file can always hold it


@PROPERTY
@given(st.dictionaries(st.sampled_from(["id", "text", "date", "x"]), JSON_VALUES, max_size=4))
def test_records_with_any_field_types(value):
    assert isinstance(record_from_object(value, "f.jsonl:3"), (Article, BadRecord))


@PROPERTY
@given(st.binary(max_size=200))
def test_an_article_file_is_nfc_text_or_one_input_error(data):
    try:
        text = decode_article(data, "a.txt")
    except InputError as error:
        assert str(error).startswith("a.txt: ") and "\n" not in str(error)
    else:
        assert text == normalize(text) and text_problem(text) is None


@PROPERTY
@given(ANY_TEXT.filter(_encodable) | st.text(alphabet=st.sampled_from("Đồn 12. Bắt\n\r\u2028\u0085!?…“”TP. A."), max_size=80))
def test_sentences_are_exact_slices_in_order(raw):
    text = normalize(raw)
    sentences = split_sentences(text)
    previous_end = 0
    for index, sentence in enumerate(sentences):
        assert sentence.index == index
        assert previous_end <= sentence.start < sentence.end <= len(text)
        assert text[sentence.start : sentence.end] == sentence.text == sentence.text.strip()
        previous_end = sentence.end
        for token in tokenize(sentence.text, sentence.start):
            assert text[token.start : token.end] == token.text and token.text.strip()
    # Nothing but white space is left out.
    covered = set()
    for sentence in sentences:
        covered.update(range(sentence.start, sentence.end))
    assert all(text[i].isspace() or text[i] in "\n\r\u2028\u2029\x85" for i in range(len(text)) if i not in covered)


@PROPERTY
@given(ANY_TEXT)
def test_normalisation_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@PROPERTY
@given(JSON_VALUES)
def test_any_task_is_an_example_or_listed_problems(task):
    problems: list[str] = []
    check_task(task, "f.json: task 1", problems)
    assert all(isinstance(problem, str) and problem.startswith("f.json: task 1") for problem in problems)


TASK = st.fixed_dictionaries(
    {
        "id": JSON_VALUES,
        "data": st.fixed_dictionaries(
            {"text": st.just("Đồn tuần tra 12 lần."), "sentence_index": JSON_VALUES, "article_id": JSON_VALUES}
        ),
        "annotations": st.lists(
            st.fixed_dictionaries(
                {
                    "id": JSON_VALUES,
                    "updated_at": JSON_VALUES,
                    "result": st.lists(
                        st.fixed_dictionaries(
                            {
                                "type": st.just("labels"),
                                "value": st.fixed_dictionaries({"start": JSON_VALUES, "end": JSON_VALUES, "labels": JSON_VALUES}),
                            }
                        ),
                        max_size=3,
                    ),
                }
            ),
            max_size=3,
        ),
    }
)


@PROPERTY
@given(TASK)
def test_tasks_with_any_field_values(task):
    problems: list[str] = []
    example = check_task(task, "f.json: task 1", problems)
    if example is not None and not problems:
        assert isinstance(example.sentence_index, int) and example.sentence_index >= 0
        for span in example.spans:
            assert 0 <= span.start < span.end <= len(example.text)


@PROPERTY
@given(st.dictionaries(st.sampled_from(["segmenter", "max_length", "stride", "model_version", "decoding", "x"]), JSON_VALUES))
def test_run_settings_from_any_dict_are_settings_or_one_error(raw):
    from inference.settings import RunSettings

    try:
        RunSettings.from_dict(raw, "config.json")
    except BienphongError as error:
        assert str(error).startswith("config.json: ")


@PROPERTY
@given(st.text(max_size=120))
def test_a_split_file_of_any_text_is_a_split_or_one_input_error(tmp_path_factory, text):
    from annotations.corpus import load_split

    path = tmp_path_factory.mktemp("split") / "split.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_split(path)
    except InputError as error:
        assert str(path) in str(error)


@PROPERTY
@given(url=st.one_of(ANY_TEXT, st.sampled_from(["http://h:8080", "http://u:p@h:1/", "https://h/x y"])), key=ANY_TEXT)
def test_a_connection_is_checked_and_never_shows_the_key(url, key):
    from inference.review.client import Connection

    secret_key = SECRET + key
    try:
        conn = Connection(url, secret_key, tries=1, backoff=0.0, connect_timeout=1.0, read_timeout=1.0)
    except BienphongError as error:
        assert SECRET not in str(error)
    else:
        assert SECRET not in repr(conn) and SECRET not in conn.shown_url
        assert conn.api_key.isascii() and conn.api_key.isprintable()


@PROPERTY
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True))
def test_connection_timeouts_are_finite(backoff, timeout):
    from inference.review.client import Connection

    try:
        conn = Connection("http://127.0.0.1:1", "key", backoff=backoff, read_timeout=timeout)
    except BienphongError:
        return
    assert math.isfinite(conn.backoff) and math.isfinite(conn.read_timeout) and conn.read_timeout > 0


def test_an_article_of_the_size_limit_is_read_and_one_more_character_is_refused():
    text = "a" * MAX_ARTICLE_CHARS
    assert text_problem(text) is None
    assert "limit" in text_problem(text + "a")


# --------------------------------------------------------------------------- properties through the command line

CLI = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _one_line_or_success(capsys, code: int, allowed: set[int]) -> None:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and code in allowed, (code, err[-2000:])
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err


@CLI
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".jsonl", ".txt"]))
def test_any_input_file_is_read_or_refused_in_one_line(tiny_model, tmp_path_factory, capsys, data, suffix):
    from inference.cli import main

    folder = tmp_path_factory.mktemp("any-input")
    source = folder / f"in{suffix}"
    source.write_bytes(data)
    output = folder / "out.jsonl"
    code = main(["extract", "--model", str(tiny_model), str(source), "--output", str(output), "--strict", "--quiet"])
    _one_line_or_success(capsys, code, {0, 2})
    assert source.read_bytes() == data
    assert output.exists() == (code == 0) and not list(folder.glob("*.part*"))


@CLI
@given(text=st.text(max_size=300) | st.builds(lambda d: json.dumps(d), JSON_VALUES))
def test_any_config_text_is_refused_in_one_line(tmp_path_factory, capsys, text):
    from inference.cli import main

    folder = tmp_path_factory.mktemp("any-config")
    (folder / "c.yaml").write_text(text, encoding="utf-8")
    code = main(["train", "--config", str(folder / "c.yaml"), "--output-dir", str(folder / "run")])
    _one_line_or_success(capsys, code, {2})
    assert sorted(p.name for p in folder.iterdir()) == ["c.yaml"]


@CLI
@given(value=st.lists(TASK | JSON_VALUES, max_size=3))
def test_any_export_is_validated_without_a_traceback(tmp_path_factory, capsys, value):
    from inference.cli import main

    path = tmp_path_factory.mktemp("any-export") / "e.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    code = main(["validate", str(path)])
    _one_line_or_success(capsys, code, {0, 1})


@CLI
@given(texts=st.lists(ANY_TEXT.filter(lambda t: text_problem(t) is None), min_size=1, max_size=3))
def test_any_valid_text_is_tagged(tiny_model, tmp_path_factory, capsys, texts):
    """Odd but valid text (combining marks, emoji, controls, line separators) tags without failing."""
    from inference.cli import main

    folder = tmp_path_factory.mktemp("any-text")
    source = folder / "in.jsonl"
    source.write_text("".join(json_line({"id": f"a{i}", "text": t}) for i, t in enumerate(texts)), encoding="utf-8")
    output = folder / "tasks.json"
    code = main(["tasks", "--model", str(tiny_model), str(source), "--output", str(output), "--quiet"])
    _one_line_or_success(capsys, code, {0})
    tasks = json.loads(output.read_text(encoding="utf-8"))
    assert {task["data"]["article_id"] for task in tasks} <= {f"a{i}" for i in range(len(texts))}
