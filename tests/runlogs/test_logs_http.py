"""Run logs through the API, over real HTTP against the sandbox Jenkins: the whole log, offsets across a
build that is still writing, per-stage and per-step logs, masked secrets, and who may read them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.fixtures.app import ApiClient
from tests.runlogs.conftest import SECRET, VERSIONS, Served, log_requests
from tests.waiting import wait_until

NUMBERS = [str(n) for n in range(1, 61)]


def _numbers(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.isdigit()]


@pytest.mark.parametrize("jenkins_version", VERSIONS, indirect=True)
def test_offsets_across_a_build_that_is_still_writing(served: Served) -> None:
    build = served.start_run()
    url = served.run_url(build) + "/log"
    offset, pieces, reads_while_running = 0, [], 0
    while True:
        r = served.http.get(url, params={"start": offset})
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.headers.get("X-More-Data") in (None, "true"), "present and true, or absent"
        pieces.append(r.text)
        offset = int(r.headers["X-Text-Size"])
        if "X-More-Data" not in r.headers:
            break
        reads_while_running += 1 if _numbers(r.text) else 0
        wait_until(
            lambda o=offset: (
                int(served.http.get(url, params={"start": o}).headers["X-Text-Size"]) > o
                or served.finished(build)
            ),
            what="the log to grow",
        )
    assert served.finished(build), "X-More-Data went away only when the run ended"
    whole = served.http.get(url)
    assert "X-More-Data" not in whole.headers and int(whole.headers["X-Text-Size"]) == offset
    assert "".join(pieces) == whole.text, "the pieces add up to the whole log, nothing lost or repeated"
    assert _numbers(whole.text) == NUMBERS
    assert reads_while_running >= 2, "numbers arrived in several reads while the step was printing"
    assert "\r" not in whole.text and "\x1b[8mha:" not in whole.text
    assert "Started by user" in whole.text and "Finished: SUCCESS" in whole.text, "lines outside stages"
    again = served.http.get(url, params={"start": offset})
    assert (again.text, again.headers["X-Text-Size"], "X-More-Data" in again.headers) == (
        "",
        str(offset),
        False,
    )


def test_download_is_an_attachment(served: Served) -> None:
    build = served.start_run()
    wait_until(lambda: served.finished(build), what="the run to end")
    r = served.http.get(served.run_url(build) + "/log", params={"download": "1"})
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == f'attachment; filename="demo-build-{build}.log"'
    assert _numbers(r.text) == NUMBERS


def test_logs_go_over_the_controllers_one_connection(served: Served) -> None:
    build = served.start_run()
    wait_until(lambda: served.finished(build), what="the run to end")
    container = served.stack.container
    conn = container.connections["default"]
    assert container.run_logs is not None and container.run_logs.port.counter is conn.counter
    before = conn.operations.snapshot()
    r = served.http.get(served.run_url(build) + "/log")
    assert r.status_code == 200 and _numbers(r.text) == NUMBERS
    after = conn.operations.snapshot()
    assert after.get("log", 0) - before.get("log", 0) == 1  # one pass-through progressiveText read
    assert getattr(container.jenkins, "connection", None) is conn  # provisioning shares it


def _stages(served: Served, build: int) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Stage name -> (stage node id, [(step node id, step name)]) as Jenkins's Stage View lists them."""
    sandbox = served.stack.sandbox
    jenkins = requests.Session()
    jenkins.auth = (sandbox.admin_user, sandbox.admin_token)
    base = f"{sandbox.url}job/demo/job/build/{build}/"
    out = {}
    for stage in jenkins.get(base + "wfapi/describe").json()["stages"]:
        nodes = jenkins.get(f"{base}execution/node/{stage['id']}/wfapi/describe").json()["stageFlowNodes"]
        out[stage["name"]] = (stage["id"], [(n["id"], n["name"]) for n in nodes])
    return out


def test_stage_and_step_logs(served: Served) -> None:
    build = served.start_run()
    wait_until(lambda: served.finished(build), what="the run to end")
    stages = _stages(served, build)
    count_id, count_steps = stages["count"]
    ((sh_id, sh_name),) = count_steps
    assert sh_name == "Shell Script"

    stage = served.http.get(served.run_url(build) + f"/stages/{count_id}/log")
    assert stage.status_code == 200 and "X-More-Data" not in stage.headers
    assert _numbers(stage.text) == NUMBERS
    assert "Started by" not in stage.text and "[Pipeline]" not in stage.text, "only the stage's own steps"

    step_url = served.run_url(build) + f"/steps/{sh_id}/log"
    step = served.http.get(step_url)
    assert step.status_code == 200 and _numbers(step.text) == NUMBERS
    size = int(step.headers["X-Text-Size"])
    assert size == len(step.text.encode()), "a step log has no console notes: offsets are its bytes"
    half = served.http.get(step_url, params={"start": size // 2})
    assert step.text.encode()[size // 2 :] == half.content and half.headers["X-Text-Size"] == str(size)

    whole = served.http.get(served.run_url(build) + "/log").text
    assert stage.text in whole, "the stage's lines are in the whole log too"

    for bad in ("/stages/999/log", f"/stages/{sh_id}/log", "/steps/999/log", "/steps/x/log"):
        r = served.http.get(served.run_url(build) + bad)
        assert r.status_code == 404, (bad, r.text)
        assert r.headers["Content-Type"] == "application/problem+json"


def test_secrets_stay_masked_everywhere(served: Served) -> None:
    build = served.start_run()
    wait_until(lambda: served.finished(build), what="the run to end")
    secret_id, secret_steps = _stages(served, build)["secret"]
    texts = [
        served.http.get(served.run_url(build) + "/log").text,
        served.http.get(served.run_url(build) + "/log", params={"start": 0}).text,
        served.http.get(served.run_url(build) + f"/stages/{secret_id}/log").text,
        *(served.http.get(served.run_url(build) + f"/steps/{sid}/log").text for sid, _ in secret_steps),
    ]
    with served.http.get(served.run_url(build) + "/log/stream", stream=True) as r:
        texts.append(r.text)
    for text in texts:
        assert SECRET not in text
    assert "+ echo ****" in texts[0] and "+ echo ****" in texts[2], "masked as Jenkins masks it"


def test_runs_of_other_projects_are_not_found(served: Served) -> None:
    api = served.stack.api
    assert api.post("/api/v1/projects", {"name": "other", "workspace": "ws"}).status_code == 201
    assert (
        api.post("/api/v1/projects/other/members", {"subject": "mallory", "role": "viewer"}).status_code
        == 200
    )
    assert api.post("/api/v1/projects/demo/members", {"subject": "vera", "role": "viewer"}).status_code == 200
    build = served.start_run()
    wait_until(lambda: served.finished(build), what="the run to end")
    count_id, ((sh_id, _),) = _stages(served, build)["count"]
    paths = ["/log", "/log?start=0", "/log/stream", f"/stages/{count_id}/log", f"/steps/{sh_id}/log"]

    def as_user(user: str) -> requests.Session:
        from bridge.identity.token_store import TokenStore
        from tests.fixtures.leaks import register_secret

        token = TokenStore(served.stack.container.store.engine).create(user=user, groups=(), created_by="t")
        register_secret(token.token)
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token.token}"
        return s

    mallory, vera = as_user("mallory"), as_user("vera")
    for path in paths:
        r = mallory.get(served.run_url(build) + path)
        assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json", path
        assert "1\n2\n3" not in r.text
        assert vera.get(served.run_url(build) + path).status_code == 200, path
        assert requests.get(served.run_url(build) + path).status_code == 401, path
    assert mallory.get(served.run_url(build, project="nope") + "/log").status_code == 404
    assert vera.get(served.run_url(build, pipeline="nope") + "/log").status_code == 404
    assert vera.get(served.run_url(7) + "/log").status_code == 404, "a run Jenkins does not have"


def test_openapi_lists_the_log_routes(served: Served) -> None:
    doc = ApiClient(served.stack.api.client).get("/api/v1/openapi.json").json
    run = "/api/v1/projects/{project}/pipelines/{pipeline}/runs/{run}"
    assert set(doc["paths"][run + "/log"]["get"]["responses"]["200"]["content"]) == {
        "text/plain; charset=utf-8"
    }
    assert "text/event-stream" in doc["paths"][run + "/log/stream"]["get"]["responses"]["200"]["content"]
    for path in ("/stages/{stage}/log", "/steps/{step}/log"):
        assert doc["paths"][run + path]["get"]["x-permission"] == "run.read"


def test_pollers_of_a_running_log_share_one_jenkins_read(served: Served) -> None:
    """Ten clients polling ``?start=`` while the build writes: every Jenkins request of the log side is
    one of the shared tail's polls (plus one state read at the end and the final whole read below)."""
    build = served.start_run()
    url = served.run_url(build) + "/log"
    logs = served.stack.container.run_logs
    assert logs is not None

    def poller() -> str:
        state = {"offset": 0, "text": ""}

        def one_read() -> bool:
            r = requests.get(url, params={"start": state["offset"]}, headers=served.http.headers, timeout=30)
            assert r.status_code == 200, r.text
            state["text"] += r.text
            state["offset"] = int(r.headers["X-Text-Size"])
            return "X-More-Data" not in r.headers

        wait_until(one_read, timeout=60, interval=0.05, what="the end of the log")
        return str(state["text"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        texts = list(pool.map(lambda _: poller(), range(10)))
    whole = served.http.get(url).text
    assert all(text == whole for text in texts) and _numbers(whole) == NUMBERS
    (tail,) = logs.tails._tails.values()
    assert log_requests(served.stack) == {"log": tail.polls + 1, "log_state": 1}
