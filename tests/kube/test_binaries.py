"""How the kube fixtures find their binaries: the build cache, KUBEBUILDER_ASSETS, or a clear instruction."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures import kube_binaries
from tests.fixtures.kube_binaries import GO_MODULE, MissingBinaries

NAMES = ("etcd", "kube-apiserver", "kubectl", "helm")


def _fake_binaries(folder: Path, names: tuple[str, ...] = NAMES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)
    return folder


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache, no KUBEBUILDER_ASSETS and no kubectl on PATH."""
    monkeypatch.setenv("BRIDGE_K8S_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    return tmp_path


def test_missing_binaries_say_how_to_get_them(isolated: Path) -> None:
    with pytest.raises(MissingBinaries, match=r"run `make k8s-bin`.*KUBEBUILDER_ASSETS"):
        kube_binaries.resolve()


def test_binaries_come_from_the_cache_folder_of_the_current_pins(isolated: Path) -> None:
    folder = kube_binaries.cache_dir()
    assert folder.parent == isolated / "cache"
    _fake_binaries(folder)
    found = kube_binaries.resolve()
    assert found.kube_apiserver == folder / "kube-apiserver"
    assert found.kubectl == folder / "kubectl"


def test_kubebuilder_assets_win_and_helm_may_come_from_the_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = _fake_binaries(isolated / "assets", ("etcd", "kube-apiserver", "kubectl"))
    _fake_binaries(kube_binaries.cache_dir(), NAMES)
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    found = kube_binaries.resolve()
    assert (found.etcd, found.kube_apiserver, found.kubectl) == (
        assets / "etcd",
        assets / "kube-apiserver",
        assets / "kubectl",
    )
    assert found.helm == kube_binaries.cache_dir() / "helm"


def test_build_script_and_fixtures_agree_on_the_cache_folder(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = _fake_binaries(isolated / "assets")
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    done = subprocess.run(
        ["bash", str(GO_MODULE / "build.sh")], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"binaries up to date in {kube_binaries.cache_dir()}\n" in done.stdout


def test_build_script_refuses_incomplete_kubebuilder_assets(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = _fake_binaries(isolated / "assets", ("etcd",))
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    done = subprocess.run(
        ["bash", str(GO_MODULE / "build.sh")], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 1
    assert "no executable 'kube-apiserver'" in done.stderr
