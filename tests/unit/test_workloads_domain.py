"""Image references and how a run is recognised in an image tag (``bridge.domain.workloads``)."""

from __future__ import annotations

import pytest

from bridge.domain.workloads import (
    ImageContainer,
    TargetStatus,
    TargetWorkloads,
    Workload,
    identify,
    parse_image,
    run_values,
    runs_in,
)


@pytest.mark.parametrize(
    ("reference", "repository", "tag", "digest"),
    [
        ("nginx", "nginx", "latest", None),
        ("docker.io/team/app:SNAPSHOT-master-42", "docker.io/team/app", "SNAPSHOT-master-42", None),
        ("registry.local:5000/app", "registry.local:5000/app", "latest", None),
        ("registry.local:5000/app:1.2", "registry.local:5000/app", "1.2", None),
        ("app@sha256:abc", "app", None, "sha256:abc"),
        ("app:1.0@sha256:abc", "app", "1.0", "sha256:abc"),
    ],
)
def test_image_references(reference: str, repository: str, tag: str | None, digest: str | None) -> None:
    image = parse_image(reference)
    assert (image.repository, image.tag, image.digest) == (repository, tag, digest)


def _deployment(name: str, tag: str) -> Workload:
    return Workload("Deployment", name, (ImageContainer("app", parse_image(f"repo/app:{tag}")),), 1, 1, 1)


def test_a_run_is_its_number_as_a_whole_token_of_the_tag() -> None:
    workloads = [_deployment("a", "SNAPSHOT-master-42"), _deployment("b", "SNAPSHOT-master-4")]
    assert [m.workload.name for m in runs_in(42, {}, workloads)] == ["a"]
    assert [m.workload.name for m in runs_in(4, {}, workloads)] == ["b"]
    assert runs_in(2, {}, workloads) == []
    (hit,) = runs_in(42, {"BRANCH_NAME": "master", "DRY": "true", "EMPTY": ""}, workloads)
    assert hit.values == ("number", "BRANCH_NAME")
    assert set(run_values(42, {"DRY": "true", "EMPTY": " "})) == {"number"}


def test_identify_takes_the_newest_run_a_workload_carries() -> None:
    target = TargetWorkloads("rohan", "dev", TargetStatus.OK, workloads=(_deployment("a", "v-7-release-3"),))
    seen = identify([(3, {}), (7, {}), (9, {})], target)
    assert [(o.workload, o.run) for o in seen] == [("Deployment/a", 7)]
    assert identify([(5, {})], target) == []
