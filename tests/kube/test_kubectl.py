"""kubectl (the machine's, or the one `make k8s-bin` built) works with the generated kubeconfigs."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.kube


def test_kubectl_lists_namespaces(kube_clusters: Mapping[str, KubeCluster]) -> None:
    done = kube_clusters["gondor"].kubectl("get", "namespaces", "-o", "json")
    assert done.returncode == 0, done.stderr
    names = {item["metadata"]["name"] for item in json.loads(done.stdout)["items"]}
    assert {"default", "kube-system", "kube-public"} <= names


def test_kubectl_uses_the_context_named_after_the_cluster(kube_clusters: Mapping[str, KubeCluster]) -> None:
    shire = kube_clusters["shire"]
    done = shire.kubectl("config", "current-context")
    assert done.stdout.strip() == "shire"
    who = shire.kubectl("auth", "can-i", "create", "secrets", "--all-namespaces")
    assert who.stdout.strip() == "yes", who.stderr


def test_kubectl_reports_unknown_resources(kube_clusters: Mapping[str, KubeCluster]) -> None:
    done = kube_clusters["host"].kubectl("get", "nosuchthings")
    assert done.returncode != 0
    assert "nosuchthings" in done.stderr
