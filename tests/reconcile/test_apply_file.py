"""`jenkins-bridge apply -f`: the file format, ${ENV} references, idempotence through the services."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.cli.apply import apply_objects, load
from bridge.domain.model import Credential, CredentialType, Pipeline
from bridge.errors import InvalidRequest
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine
from bridge.store.unit import Store

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
    store = Store(make_engine(f"sqlite:///{tmp_path / 'b.db'}"), SecretBox(Fernet.generate_key().decode()))
    store.migrate()
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
