"""`jenkins-bridge apply -f`: the file format, ${ENV} references, idempotence through the services."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.bootstrap import build_container
from bridge.cli.apply import apply_objects, load
from bridge.domain.model import Credential, CredentialType, Pipeline
from bridge.errors import InvalidRequest
from bridge.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "examples" / "demo.yaml"
ENV = {"DEMO_GIT_PASSWORD": "pw", "DEMO_KUBECONFIG": "apiVersion: v1"}


def test_example_file_loads_with_env_references() -> None:
    objects = load(EXAMPLE, ENV)
    creds = {o.id: o for o in objects if isinstance(o, Credential)}
    assert creds["git"].data["password"] == "pw" and creds["rohan"].type is CredentialType.KUBECONFIG
    build = next(o for o in objects if isinstance(o, Pipeline) and o.name == "build")
    assert (
        build.cron == "H 2 * * *" and not build.concurrent and build.parameters[1].choices == ("dev", "prod")
    )


def test_missing_env_is_a_clear_error_naming_the_variable() -> None:
    with pytest.raises(InvalidRequest, match="DEMO_KUBECONFIG is not set"):
        load(EXAMPLE, {"DEMO_GIT_PASSWORD": "pw"})


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("projects:\n  - name: x\n")
    with pytest.raises(InvalidRequest, match="workspace"):
        load(bad, {})


def test_apply_is_idempotent_and_updates_changes(tmp_path: Path) -> None:
    settings = Settings.load(
        {"BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_SECRET_KEY": Fernet.generate_key().decode()}
    )
    store = build_container(settings)
    lines: list[str] = []
    assert apply_objects(store, load(EXAMPLE, ENV), lines.append)["created"] == 7
    assert apply_objects(store, load(EXAMPLE, ENV), lines.append) == {
        "created": 0,
        "updated": 0,
        "unchanged": 7,
    }
    counts = apply_objects(store, load(EXAMPLE, {**ENV, "DEMO_GIT_PASSWORD": "new"}), lines.append)
    assert counts == {"created": 0, "updated": 1, "unchanged": 6}
    assert "updated   credential demo/git" in lines
    assert not any("new" in line or "pw" in line.split()[-1] for line in lines)
    store.close()


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(text)
    return path


def test_an_unknown_key_is_an_error_naming_file_line_and_key(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "workspaces:\n"
        "  - name: ws\n"
        "projects:\n"
        "  - name: demo\n"
        "    workspace: ws\n"
        "    pipelines:\n"
        "      - name: build\n"
        "        jenkinsfile: echo hi\n"
        "        concurent: false\n",
    )
    with pytest.raises(InvalidRequest) as caught:
        load(path, {})
    assert caught.value.detail == f"{path}:9: projects[0].pipelines[0].concurent: unknown key 'concurent'"


def test_every_problem_is_reported_with_its_line_and_no_value(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "workspace:\n"  # a typo of the top-level key
        "  - name: ws\n"
        "projects:\n"
        "  - name: demo\n"
        "    workspace: ws\n"
        "    credentials:\n"
        "      - id: git\n"
        "        type: basic-oauth\n"
        "        data: {username: bot, password: hunter2-value}\n",
    )
    with pytest.raises(InvalidRequest) as caught:
        load(path, {})
    lines = caught.value.detail.splitlines()
    assert lines[0] == f"{path}:1: workspace: unknown key 'workspace'"
    assert lines[1].startswith(f"{path}:8: projects[0].credentials[0].type: Input should be")
    assert len(lines) == 2 and "hunter2" not in caught.value.detail


def test_same_rules_as_the_api_and_env_references_kept(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "projects:\n"
        "  - name: Not_A_Label_" + "x" * 60 + "\n"
        "    workspace: ws\n"
        "    credentials:\n"
        "      - {id: t, type: secret-text, data: {secret: '${TOKEN}'}}\n",
    )
    too_long = rf"^{path}:2: projects\[0\]\.name: String should have at most 63"
    with pytest.raises(InvalidRequest, match=too_long):
        load(path, {"TOKEN": "v"})
    ok = _file(
        tmp_path,
        "projects:\n"
        "  - name: demo\n"
        "    workspace: ws\n"
        "    credentials: [{id: t, type: secret-text, data: {secret: 'a-${TOKEN}'}}]\n",
    )
    creds = [o for o in load(ok, {"TOKEN": "v"}) if isinstance(o, Credential)]
    assert creds[0].data["secret"] == "a-v"
    missing = rf"^{ok}:4: credential demo/t: environment variable TOKEN is not set"
    with pytest.raises(InvalidRequest, match=missing):
        load(ok, {})


def _audited(container: object) -> list[str]:
    from bridge.audit.log import AuditLog, AuditQuery

    log = AuditLog(container.store.engine)  # type: ignore[attr-defined]
    return [e.path for e in reversed(log.query(AuditQuery(limit=100)))]


def test_a_project_is_written_whole_or_not_at_all_and_the_error_names_file_and_line(tmp_path: Path) -> None:
    from bridge.cli.apply import read

    settings = Settings.load(
        {"BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_SECRET_KEY": Fernet.generate_key().decode()}
    )
    container = build_container(settings)
    path = _file(
        tmp_path,
        "workspaces:\n"
        "  - name: ws\n"
        "projects:\n"
        "  - name: good\n"
        "    workspace: ws\n"
        "    pipelines:\n"
        "      - {name: one, scm: {url: 'https://git.example.com/a.git'}}\n"
        "  - name: bad\n"
        "    workspace: ws\n"
        "    credentials:\n"
        "      - {id: t, type: secret-text, data: {secret: s}}\n"
        "    pipelines:\n"
        "      - {name: fine, scm: {url: 'https://git.example.com/b.git'}}\n"
        "      - name: nightly\n"
        "        scm: {url: 'https://git.example.com/c.git'}\n"
        "        cron: '61 * * * *'\n",
    )
    loaded = read(path, {})
    with pytest.raises(InvalidRequest) as caught:
        apply_objects(container, loaded.objects, lambda _: None, loaded.where)
    detail = caught.value.detail
    assert detail.startswith(f"{path}:14: pipeline bad/nightly: ")
    assert "cron" in detail and detail.endswith("(nothing of project bad was written)")
    # the project before it is written; nothing of the failed one: no project, credential or pipeline
    assert container.pipelines.get("good", "one").obj.name == "one"
    assert [p.obj.name for p in container.projects.list()] == ["good"]
    assert _audited(container) == [
        "apply/workspaces/ws",
        "apply/projects/good",
        "apply/projects/good/pipelines/one",
    ]

    # an existing project is left as it was when one of its writes fails
    changed = _file(
        tmp_path,
        path.read_text()
        .replace("  - name: good\n", "  - name: good\n    description: new text\n")
        .replace("'https://git.example.com/a.git'}}\n", "'https://git.example.com/a.git'}, cron: 'nope'}\n"),
    )
    loaded = read(changed, {})
    with pytest.raises(InvalidRequest, match=rf"^{changed}:8: pipeline good/one: .*nothing of project good"):
        apply_objects(container, loaded.objects, lambda _: None, loaded.where)
    assert container.projects.get("good").obj.description == ""
    assert container.pipelines.get("good", "one").obj.cron is None
    assert len(_audited(container)) == 3
    container.close()
