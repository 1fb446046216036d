"""Kubeconfigs from every source become one canonical, self-contained document, or a clear refusal."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from bridge.adapters.kube import kubeconfigs as kc
from bridge.adapters.kube.argocd import DEVOPS_LABEL, secret_record
from bridge.adapters.kube.kubesphere import cluster_record, placement_of

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n").decode()
CERT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----\n").decode()
KEY = base64.b64encode(b"-----BEGIN EC PRIVATE KEY-----\nK\n-----END EC PRIVATE KEY-----\n").decode()
TOKEN = "eyJhbGciOiJSUzI1NiJ9.test-token-value"


def _doc(text: str) -> dict[str, object]:
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def _only(doc: dict[str, object], key: str) -> dict[str, object]:
    entries = doc[key]
    assert isinstance(entries, list) and len(entries) == 1
    return entries[0]  # type: ignore[no-any-return]


def test_argocd_bearer_token_becomes_a_token_kubeconfig() -> None:
    config = {"bearerToken": TOKEN, "tlsClientConfig": {"insecure": False, "caData": CA, "serverName": "k8s"}}
    doc = _doc(kc.from_argocd("gondor", "https://10.0.1.20:6443/", config))
    assert doc["current-context"] == "gondor"
    assert _only(doc, "clusters") == {
        "name": "gondor",
        "cluster": {
            "server": "https://10.0.1.20:6443",
            "certificate-authority-data": CA,
            "tls-server-name": "k8s",
        },
    }
    assert _only(doc, "users") == {"name": "gondor", "user": {"token": TOKEN}}
    assert _only(doc, "contexts") == {"name": "gondor", "context": {"cluster": "gondor", "user": "gondor"}}


def test_argocd_client_certificate_basic_auth_insecure_and_proxy() -> None:
    certs = kc.from_argocd(
        "shire", "https://s:6443", {"tlsClientConfig": {"caData": CA, "certData": CERT, "keyData": KEY}}
    )
    assert _only(_doc(certs), "users")["user"] == {"client-certificate-data": CERT, "client-key-data": KEY}
    basic = _doc(
        kc.from_argocd(
            "b",
            "https://b",
            {
                "username": "admin",
                "password": "pw",
                "tlsClientConfig": {"insecure": True},
                "proxyUrl": "http://p:3128",
            },
        )
    )
    assert _only(basic, "users")["user"] == {"username": "admin", "password": "pw"}
    assert _only(basic, "clusters")["cluster"] == {
        "server": "https://b",
        "insecure-skip-tls-verify": True,
        "proxy-url": "http://p:3128",
    }


@pytest.mark.parametrize(
    ("server", "config", "why"),
    [
        ("https://x", {"execProviderConfig": {"command": "argocd-k8s-auth"}}, "execProviderConfig"),
        ("https://x", {"awsAuthConfig": {"clusterName": "eks"}}, "awsAuthConfig"),
        ("https://kubernetes.default.svc", {"tlsClientConfig": {"insecure": False}}, "in-cluster"),
        ("https://x", {"tlsClientConfig": {"caData": CA}}, "no bearerToken"),
    ],
)
def test_argocd_configs_the_bridge_cannot_use_are_refused(
    server: str, config: dict[str, object], why: str
) -> None:
    with pytest.raises(kc.UnusableKubeconfig, match=why):
        kc.from_argocd("x", server, config)


def _secret(name: str, server: str, config: object, **labels: str) -> dict[str, object]:
    def b64(v: str) -> str:
        return base64.b64encode(v.encode()).decode()

    return {
        "metadata": {
            "name": f"cluster-{name}",
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", **labels},
        },
        "data": {"name": b64(name), "server": b64(server), "config": b64(json.dumps(config))},
    }


def test_argocd_secret_record_devops_label_and_problems() -> None:
    record = secret_record(_secret("rohan", "https://r", {"bearerToken": TOKEN}, **{DEVOPS_LABEL: "true"}))
    assert record is not None
    assert record.devops and record.problem is None and record.origin == "Secret argocd/cluster-rohan"
    assert "argocd.argoproj.io/secret-type" not in record.labels
    plain = secret_record(_secret("shire", "https://s", {"execProviderConfig": {"command": "x"}}))
    assert plain is not None and not plain.devops and plain.kubeconfig == "" and plain.problem
    assert secret_record(_secret("https://10.0.1.20:6443", "https://10.0.1.20:6443", {})) is None


def _kubeconfig(user: dict[str, object], **cluster: object) -> str:
    return yaml.safe_dump(
        {
            "clusters": [{"name": "c", "cluster": {"server": "https://c:6443", **cluster}}],
            "users": [{"name": "u", "user": user}, {"name": "other", "user": {"token": "not-this"}}],
            "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "ctx",
        }
    )


def test_a_kubesphere_cluster_may_not_reference_files_or_run_commands() -> None:
    with pytest.raises(kc.UnusableKubeconfig, match="local files"):
        kc.normalise("r", _kubeconfig({"token": TOKEN}, **{"certificate-authority": "/etc/passwd"}))
    with pytest.raises(kc.UnusableKubeconfig, match="local files"):
        kc.normalise("r", _kubeconfig({"tokenFile": "/var/run/secrets/token"}))
    with pytest.raises(kc.UnusableKubeconfig, match="exec"):
        kc.normalise("r", _kubeconfig({"exec": {"command": "/bin/sh", "args": ["-c", "id"]}}))
    with pytest.raises(kc.UnusableKubeconfig, match="auth-provider"):
        kc.normalise("r", _kubeconfig({"auth-provider": {"name": "oidc"}}))


def test_operator_files_are_inlined_and_reduced_to_one_context(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(b"CA-PEM")
    (tmp_path / "token").write_text(TOKEN + "\n")
    text = _kubeconfig({"tokenFile": "token"}, **{"certificate-authority": "ca.crt"})
    doc = _doc(kc.normalise("rohan", text, files_from=tmp_path))
    assert _only(doc, "clusters")["cluster"] == {
        "server": "https://c:6443",
        "certificate-authority-data": base64.b64encode(b"CA-PEM").decode(),
    }
    assert _only(doc, "users") == {"name": "rohan", "user": {"token": TOKEN}}
    with pytest.raises(kc.UnusableKubeconfig, match="no context 'nope'"):
        kc.normalise("rohan", text, context="nope", files_from=tmp_path)


def test_kubesphere_cluster_object_to_record() -> None:
    kubeconfig = _kubeconfig({"token": TOKEN}, **{"certificate-authority-data": CA})
    obj = {
        "metadata": {"name": "host", "labels": {"cluster-role.kubesphere.io/host": "", "region": "x"}},
        "spec": {
            "connection": {"type": "direct", "kubeconfig": base64.b64encode(kubeconfig.encode()).decode()}
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "configz": {"devops": True, "openpitrix": True},
        },
    }
    record = cluster_record(obj)
    assert record is not None
    assert (record.role.value, record.devops, record.ready, record.problem) == ("host", True, True, None)
    assert _only(_doc(record.kubeconfig), "users")["user"] == {"token": TOKEN}
    obj["status"] = {"conditions": [{"type": "Ready", "status": "False"}], "configz": {"devops": False}}
    obj["spec"] = {"connection": {"kubeconfig": "not base64!"}}
    broken = cluster_record(obj)
    assert broken is not None and not broken.devops and broken.ready is False
    assert broken.kubeconfig == "" and broken.problem and "base64" in broken.problem


def test_workspace_template_placement() -> None:
    listed = {
        "metadata": {"name": "ws"},
        "spec": {"placement": {"clusters": [{"name": "host"}, {"name": "rohan"}]}},
    }
    assert placement_of(listed) == kc_placement("ws", clusters=("host", "rohan"))
    everything = {"metadata": {"name": "ws"}, "spec": {"placement": {"clusterSelector": {}}}}
    assert placement_of(everything) == kc_placement("ws", selector_all=True)
    by_label = {
        "metadata": {"name": "ws"},
        "spec": {"placement": {"clusterSelector": {"matchLabels": {"a": "b"}}}},
    }
    assert placement_of(by_label) == kc_placement("ws", match_labels={"a": "b"})
    assert placement_of({"metadata": {"name": "ws"}, "spec": {}}) == kc_placement("ws")


def kc_placement(name: str, **kw: object) -> object:
    from bridge.domain.clusters import Placement

    return Placement(name, **kw)  # type: ignore[arg-type]
