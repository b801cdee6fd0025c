"""``bienphong serve`` connected to a real Label Studio server, as a user connects it in Settings -> Model.

Label Studio (started by tests/test_review_server.py's fixtures, with ML_BLOCK_LOCAL_IP=false and
SSRF_PROTECTION_ENABLED=false so that it may call a backend and its webhook on 127.0.0.1) gets tasks
without predictions, asks the backend for them, and stores what it answered; a newer model put in
place gives a second prediction of its own version; an annotation reaches the backend's /webhook.
"""

from __future__ import annotations

import time

import pytest

from annotations.schema import labeling_config_xml
from inference.serve import predict_tasks
from tests.test_review_server import client, label_studio, label_studio_process  # noqa: F401 (fixtures)
from tests.test_serve import Running, _copy_model, _set_version, cli_tasks, spanning_model  # noqa: F401 (fixtures)


def _predictions(ls, project_id: int) -> dict[int, tuple[str, list[dict]]]:
    tasks = [t.model_dump(mode="json") for t in ls.tasks.list(project=project_id, fields="all", page_size=100)]
    return {t["id"]: (t["data"]["text"], t["predictions"]) for t in tasks}


@pytest.mark.server
def test_label_studio_gets_predictions_from_the_backend(label_studio, client, spanning_model, cli_tasks, tmp_path):  # noqa: F811
    backend = Running(_copy_model(spanning_model, tmp_path / "served"), interval=0.0)
    try:
        texts = [task["data"]["text"] for task in cli_tasks[:6]]
        texts.append(" ".join(texts[:2]))  # several sentences in one task: tagged whole
        project = client.projects.create(title="bienphong-serve-test", label_config=labeling_config_xml())
        client.projects.import_tasks(id=project.id, request=[{"data": {"text": text}} for text in texts])
        assert all(not predictions for _, predictions in _predictions(client, project.id).values())

        # Settings -> Model -> Connect model: Label Studio checks /health and /setup
        ml = client.ml.create(url=backend.url, project=project.id, title="bienphong")
        version = backend.model.model_version
        connected = client.ml.get(id=ml.id)
        assert connected.state == "CO" and connected.model_version == version

        # "Retrieve predictions" on every task (Data Manager action) -> POST /predict
        client.actions.create(id="retrieve_tasks_predictions", project=project.id, selected_items={"all": True, "excluded": []})
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
        client.actions.create(id="retrieve_tasks_predictions", project=project.id, selected_items={"all": True, "excluded": []})
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
    finally:
        backend.close()
