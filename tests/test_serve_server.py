# ruff: noqa: F811 (pytest fixtures imported from other test modules are parameters here)
"""``bienphong serve`` connected to a real Label Studio server, as a user connects it in Settings -> Model.

Label Studio (started by tests/test_review_server.py's fixtures, with ML_BLOCK_LOCAL_IP=false and
SSRF_PROTECTION_ENABLED=false so that it may call a backend and its webhook on 127.0.0.1) gets tasks
without predictions, asks the backend for them, and stores what it answered; a newer model put in
place gives a second prediction of its own version; an annotation reaches the backend's /webhook, and
*Start Training* runs a retraining round that pulls through a personal access token and whose model
Label Studio then gets predictions from. A backend that is down or crashes is an error on both sides.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from annotations.schema import labeling_config_xml
from inference.cli import main
from inference.review.client import Connection
from inference.serve import predict_tasks
from tests.conftest import write_seed_corpus
from tests.test_review_server import (  # noqa: F401 (fixtures)
    client,
    label_studio,
    label_studio_process,
    personal_access_token,
)
from tests.test_serve import Running, _copy_model, _set_version, cli_tasks, spanning_model  # noqa: F401 (fixtures)
from training.retrain import Retrainer, pull_from


def _predictions(ls, project_id: int) -> dict[int, tuple[str, list[dict]]]:
    tasks = [t.model_dump(mode="json") for t in ls.tasks.list(project=project_id, fields="all", page_size=100)]
    return {t["id"]: (t["data"]["text"], t["predictions"]) for t in tasks}


def _retrieve(ls, project_id: int) -> None:
    """The Data Manager's "Retrieve predictions" action on every task -> POST /predict."""
    ls.actions.create(id="retrieve_tasks_predictions", project=project_id, selected_items={"all": True, "excluded": []})


@pytest.mark.server
def test_label_studio_gets_predictions_from_the_backend(
    label_studio,
    client,
    personal_access_token,
    spanning_model,
    cli_tasks,
    tmp_path,
):
    # retraining pulls through a personal access token, created as a user does, with a 150-step tiny config
    config = write_seed_corpus(tmp_path / "corpus", steps=150)
    pull = pull_from(Connection(label_studio.url, personal_access_token))
    rounds = tmp_path / "rounds"
    backend = Running(
        _copy_model(spanning_model, tmp_path / "served"),
        interval=0.0,
        retrain=lambda model: Retrainer(model, config, rounds, pull, after=100),
    )
    try:
        tasks = [dict(task["data"]) for task in cli_tasks[:6]]  # text, article_id, sentence_index, task_key
        texts = [task["text"] for task in tasks]
        texts.append(" ".join(texts[:2]))  # several sentences in one task: tagged whole
        tasks.append({"text": texts[-1], "article_id": "joined", "sentence_index": 0})
        project = client.projects.create(title="bienphong-serve-test", label_config=labeling_config_xml())
        client.projects.import_tasks(id=project.id, request=[{"data": task} for task in tasks])
        assert all(not predictions for _, predictions in _predictions(client, project.id).values())

        # Settings -> Model -> Connect model: Label Studio checks /health and /setup
        ml = client.ml.create(url=backend.url, project=project.id, title="bienphong")
        version = backend.model.model_version
        connected = client.ml.get(id=ml.id)
        assert connected.state == "CO" and connected.model_version == version

        _retrieve(client, project.id)
        stored = _predictions(client, project.id)
        assert sorted(text for text, _ in stored.values()) == sorted(texts)
        expected = dict(zip(texts, predict_tasks(backend.model.tagger, [{"data": {"text": t}} for t in texts])))
        spans = 0
        for text, predictions in stored.values():
            (prediction,) = predictions
            assert prediction["model_version"] == version
            assert prediction["score"] == pytest.approx(expected[text]["score"])
            assert prediction["result"] == expected[text]["result"]
            for item in prediction["result"]:
                value = item["value"]
                assert text[value["start"] : value["end"]] == value["text"]  # offsets into the exact task text
                spans += 1
        assert spans > 0

        # a newer model put in place: Label Studio's /setup sees the new version and asks again
        _set_version(backend.model.directory, "serve-server-test@2")
        _retrieve(client, project.id)
        for text, predictions in _predictions(client, project.id).values():
            assert sorted(p["model_version"] for p in predictions) == sorted([version, "serve-server-test@2"])
        assert client.ml.get(id=ml.id).model_version == "serve-server-test@2"

        # a reviewer's annotation reaches the backend's /webhook (Label Studio made the webhook on connect)
        task_id, (text, predictions) = next(iter(_predictions(client, project.id).items()))
        result = [{k: v for k, v in item.items() if k != "score"} for item in predictions[0]["result"]]
        client.annotations.create(id=task_id, result=result)
        events = backend.server.get_app().events
        deadline = time.monotonic() + 20
        while "ANNOTATION_CREATED" not in events and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "ANNOTATION_CREATED" in events
        assert backend.retrainer.state()["new_annotations"] == 1  # counted, below --train-after

        # Settings -> Model -> Start Training: a round pulls the annotation, trains, and its model is served
        client.ml.train(id=ml.id)
        assert backend.retrainer.wait_idle(900), "the retraining round did not finish in 15 minutes"
        (done,) = backend.retrainer.rounds
        assert done.project == "bienphong-serve-test" and done.pulled == 1
        assert done.state == "promoted", done.message
        assert (rounds / "round-001" / "pulled.json").is_file()
        _retrieve(client, project.id)
        for text, predictions in _predictions(client, project.id).values():
            newest = next(p for p in predictions if p["model_version"] == done.candidate_version)
            for item in newest["result"]:
                assert text[item["value"]["start"] : item["value"]["end"]] == item["value"]["text"]
        assert client.ml.get(id=ml.id).model_version == done.candidate_version
    finally:
        backend.close()


@pytest.mark.server
def test_a_backend_that_is_down_or_crashes_is_an_error_on_both_sides(
    label_studio,
    client,
    spanning_model,
    tmp_path,
    capsys,
    caplog,
):
    from label_studio_sdk.core.api_error import ApiError

    # a bad model directory: the backend exits with one line and never listens ...
    assert main(["serve", "--model", str(tmp_path / "no-model"), "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no-model" in error
    # ... so connecting it in Label Studio is refused with the reason
    project = client.projects.create(title="bienphong-serve-down", label_config=labeling_config_xml())
    client.projects.import_tasks(id=project.id, request=[{"data": {"text": "Đồn Biên phòng bắt giữ 02 đối tượng."}}])
    with pytest.raises(ApiError) as refused:
        client.ml.create(url="http://127.0.0.1:9", project=project.id, title="down")
    assert refused.value.status_code == 400
    assert "Can't connect to ML backend http://127.0.0.1:9" in json.dumps(refused.value.body)

    # a backend that fails while predicting answers a JSON error and logs the traceback; no prediction is stored
    backend = Running(_copy_model(spanning_model, tmp_path / "served"), interval=0.0)
    try:
        ml = client.ml.create(url=backend.url, project=project.id, title="crashing")

        def crash(*args, **kwargs):
            raise RuntimeError("the model crashed")

        backend.model.tagger.predict = crash
        caplog.set_level(logging.ERROR, "bienphong.serve")
        _retrieve(client, project.id)
        assert "POST /predict failed" in caplog.text and "the model crashed" in caplog.text
        assert all(not predictions for _, predictions in _predictions(client, project.id).values())
        assert "500 Server Error" in label_studio.log.read_text(encoding="utf-8", errors="replace")
    finally:
        backend.close()
    # a backend that is gone: Label Studio marks it disconnected on the next call
    _retrieve(client, project.id)
    assert client.ml.get(id=ml.id).state == "DI"
