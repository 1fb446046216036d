"""JenkinsAdapter at the HTTP level: URL prefix, error translation by status, retries, crumbs, counting.

A scripted ``requests`` transport stands in for Jenkins (the sandbox tests cover the real wire).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.errors import Conflict, Forbidden, NotFound, UpstreamError, UpstreamUnavailable

Handler = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]


class Scripted(BaseAdapter):
    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.seen: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.seen.append(request)
        status, headers, body = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = body
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def adapter(handler: Handler, url: str = "http://jenkins.test/jenkins/") -> tuple[JenkinsAdapter, Scripted]:
    jenkins = JenkinsAdapter.connect(url, user="admin", token="t0ken", retries=2, backoff=0.001)
    transport = Scripted(handler)
    jenkins.connection._session.mount("http://", transport)
    return jenkins, transport


def test_observe_folder_uses_one_tree_query_under_the_url_prefix() -> None:
    body = json.dumps(
        {
            "_class": "com.cloudbees.hudson.plugins.folder.Folder",
            "description": "d",
            "jobs": [{"_class": "x.WorkflowJob", "name": "b", "description": "m"}],
        }
    ).encode()
    jenkins, transport = adapter(lambda r: (200, {}, body))
    folder = jenkins.observe_folder("my proj")
    assert folder is not None and folder.is_folder and folder.description == "d"
    assert folder.items["b"].description == "m"
    (request,) = transport.seen
    assert request.url is not None
    assert request.url.startswith("http://jenkins.test/jenkins/job/my%20proj/api/json?tree=")
    assert jenkins.counter.snapshot() == {"GET": 1}


def test_missing_folder_is_none_and_non_folder_is_flagged() -> None:
    jenkins, _ = adapter(lambda r: (404, {}, b"<html>nope</html>"))
    assert jenkins.observe_folder("x") is None
    jenkins, _ = adapter(lambda r: (200, {}, b'{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob"}'))
    folder = jenkins.observe_folder("x")
    assert folder is not None and not folder.is_folder


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, NotFound),
        (409, Conflict),
        (401, Forbidden),
        (403, Forbidden),
        (400, UpstreamError),
        (500, UpstreamError),
    ],
)
def test_errors_are_chosen_by_status(status: int, error: type[Exception]) -> None:
    jenkins, _ = adapter(lambda r: (status, {"X-Error": "A job already exists"}, b"Oops <html>"))
    with pytest.raises(error) as info:
        jenkins.delete_credential("f", "c")
    assert "Oops" not in str(info.value)


def test_unavailable_reads_are_retried_with_backoff_then_succeed() -> None:
    answers = iter(
        [(503, {"Retry-After": "0"}, b""), (502, {}, b""), (200, {}, b'{"credentials":[{"id":"a"}]}')]
    )
    jenkins, transport = adapter(lambda r: next(answers))
    assert list(jenkins.observe_credentials("f")) == ["a"]
    assert len(transport.seen) == 3


def test_retries_are_bounded_and_raise_retryable_error() -> None:
    jenkins, transport = adapter(lambda r: (503, {"Retry-After": "0"}, b""))
    with pytest.raises(UpstreamUnavailable) as info:
        jenkins.observe_credentials("f")
    assert info.value.retryable and info.value.retry_after == 0
    assert len(transport.seen) == 3


def test_creates_are_not_retried() -> None:
    jenkins, transport = adapter(lambda r: (503, {}, b"") if r.method == "POST" else (404, {}, b""))
    with pytest.raises(UpstreamUnavailable):
        jenkins.create_item("f/job", b"<flow-definition/>")
    assert [r.method for r in transport.seen] == ["GET", "POST"]  # crumb lookup (404: no CSRF), one POST


def test_transport_errors_are_unavailable() -> None:
    def refuse(r: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        raise requests.ConnectionError("refused")

    jenkins, _ = adapter(refuse)
    with pytest.raises(UpstreamUnavailable):
        jenkins.ping()


def test_crumb_is_sent_on_posts_only_and_refetched_after_a_403() -> None:
    crumbs = iter(["c1", "c2"])
    posts: list[str | None] = []

    def handle(r: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        if r.url and "crumbIssuer" in r.url:
            return 200, {}, json.dumps({"crumb": next(crumbs), "crumbRequestField": "Jenkins-Crumb"}).encode()
        if r.method == "POST":
            posts.append(r.headers.get("Jenkins-Crumb"))
            return (403, {}, b"") if len(posts) == 1 else (200, {}, b"")
        assert "Jenkins-Crumb" not in r.headers
        return 200, {}, b"<flow-definition/>"

    jenkins, _ = adapter(handle)
    jenkins.item_config("f/j")
    jenkins.update_item("f/j", b"<flow-definition/>")
    assert posts == ["c1", "c2"]
    assert jenkins.counter.snapshot() == {"GET": 3, "POST": 2} and jenkins.counter.writes == 2


def test_create_item_posts_xml_to_the_parent_with_the_short_name() -> None:
    jenkins, transport = adapter(lambda r: (404, {}, b"") if r.method == "GET" else (200, {}, b""))
    jenkins.create_item("proj/build", b"<x/>")
    post = transport.seen[-1]
    assert post.url == "http://jenkins.test/jenkins/job/proj/createItem?name=build"
    assert post.headers["Content-Type"].startswith("application/xml") and post.body == b"<x/>"
