"""Auth, crumbs and the headers every response carries (reference §0.1, §0.3, §1)."""

from __future__ import annotations

import re

import jenkins
import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from tests.sandbox.wire import FOLDER_MODE, python_jenkins, token_session


def test_every_response_carries_the_jenkins_headers(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    for resp in (
        requests.get(j.url),  # anonymous 403
        requests.get(j.url + "api/json", auth=(j.admin_user, "wrong")),  # 401
        token_session(j).get(j.url + "api/json"),  # 200
        token_session(j).get(j.url + "job/missing/api/json"),  # 404
    ):
        assert resp.headers["X-Jenkins"] == "2.479.3"
        assert re.fullmatch(r"[0-9a-f]{8}", resp.headers["X-Jenkins-Session"])
        assert resp.headers["X-Hudson"] == "1.395"
        assert "Traceback" not in resp.text
    api = token_session(j).get(j.url + "api/json")
    assert api.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["X-Frame-Options"] == "deny"


def test_anonymous_is_403_everywhere_but_whoami(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    for path in ("", "api/json", "crumbIssuer/api/json", "job/nope/api/json", "no/such/thing"):
        assert requests.get(j.url + path).status_code == 403, path
    who = requests.get(j.url + "whoAmI/api/json").json()
    assert who == {
        "_class": "hudson.security.WhoAmI",
        "anonymous": True,
        "authenticated": True,
        "authorities": ["anonymous"],
        "name": "anonymous",
    }


def test_wrong_credentials_are_401_with_the_basic_realm(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    for auth in ((j.admin_user, "wrong"), ("nobody", j.admin_token)):
        resp = requests.get(j.url + "whoAmI/api/json", auth=auth)
        assert resp.status_code == 401
        assert resp.headers["WWW-Authenticate"] == 'Basic realm="Jenkins"'
        assert f"Invalid password/token for user: {auth[0]}" in resp.text


def test_api_token_posts_need_no_crumb(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    resp = token_session(j).post(
        j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE}, allow_redirects=False
    )
    assert resp.status_code == 302


def test_password_posts_need_the_crumb_of_their_session(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = requests.Session()
    s.auth = (j.admin_user, j.admin_password)
    url = j.url + "createItem"
    form = {"name": "f", "mode": FOLDER_MODE}

    denied = s.post(url, data=form, allow_redirects=False)
    assert denied.status_code == 403
    assert "No valid crumb was included in the request" in denied.text

    crumb = s.get(j.url + "crumbIssuer/api/json")
    assert crumb.status_code == 200
    body = crumb.json()
    assert body["_class"] == "hudson.security.csrf.DefaultCrumbIssuer"
    assert body["crumbRequestField"] == "Jenkins-Crumb"
    assert re.fullmatch(r"[0-9a-f]{64}", body["crumb"])
    cookie = crumb.headers["Set-Cookie"]
    assert cookie.startswith("JSESSIONID.") and "HttpOnly" in cookie

    # The same crumb from another session (no cookie) is refused.
    stranger = requests.post(url, data=form, auth=s.auth, headers={"Jenkins-Crumb": body["crumb"]})
    assert stranger.status_code == 403
    ok = s.post(url, data=form, headers={"Jenkins-Crumb": body["crumb"]}, allow_redirects=False)
    assert ok.status_code == 302
    # A crumb may also come as a form field.
    ok2 = s.post(
        url, data={"name": "g", "mode": FOLDER_MODE, "Jenkins-Crumb": body["crumb"]}, allow_redirects=False
    )
    assert ok2.status_code == 302


def test_get_and_delete_never_need_a_crumb(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    token_session(j).post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    s = requests.Session()
    s.auth = (j.admin_user, j.admin_password)
    assert s.get(j.url + "job/f/api/json").status_code == 200
    assert s.delete(j.url + "job/f/").status_code == 204


def test_python_jenkins_with_password_works_through_crumbs(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    client = jenkins.Jenkins(j.url, username=j.admin_user, password=j.admin_password)
    client.create_folder("team")
    assert client.is_folder("team")
    assert client.get_whoami()["id"] == "admin"
    assert client.get_version() == "2.479.3"


def test_a_restart_forgets_sessions_so_password_crumbs_expire(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = requests.Session()
    s.auth = (j.admin_user, j.admin_password)
    crumb = s.get(j.url + "crumbIssuer/api/json").json()["crumb"]
    before = s.get(j.url + "api/json").headers["X-Jenkins-Session"]
    j.restart()
    after = s.get(j.url + "api/json").headers["X-Jenkins-Session"]
    assert after != before
    stale = s.post(
        j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE}, headers={"Jenkins-Crumb": crumb}
    )
    assert stale.status_code == 403
    fresh = s.get(j.url + "crumbIssuer/api/json").json()["crumb"]
    ok = s.post(
        j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE}, headers={"Jenkins-Crumb": fresh}
    )
    assert ok.status_code == 200  # the redirect to the configure page, followed


def test_whoami_and_me_for_a_user_with_groups(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    j = sandbox_jenkins_factory(users=[UserSpec("dev", tokens=("devtoken",), groups=("Team-A",))])
    who = requests.get(j.url + "whoAmI/api/json", auth=("DEV", "devtoken")).json()  # ids case-insensitive
    assert who["name"] == "dev" and who["authorities"] == ["authenticated", "Team-A"] and not who["anonymous"]
    me = requests.get(j.url + "me/api/json", auth=("dev", "devtoken")).json()
    assert me["_class"] == "hudson.model.User" and me["id"] == "dev"
    assert me["absoluteUrl"] == j.url + "user/dev"


def test_missing_permission_is_403_with_the_permission_headers(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    j = sandbox_jenkins_factory(users=[UserSpec("dev", tokens=("devtoken",))])
    resp = requests.post(
        j.url + "createItem", params={"name": "x", "mode": FOLDER_MODE}, auth=("dev", "devtoken")
    )
    assert resp.status_code == 403
    assert resp.headers["X-You-Are-Authenticated-As"] == "dev"
    assert resp.headers["X-Required-Permission"] == "hudson.model.Item.Create"
    assert "X-Permission-Implied-By" in resp.headers
    assert requests.get(j.url + "api/json", auth=("dev", "devtoken")).status_code == 200


def test_python_jenkins_maps_our_errors_like_real_jenkins(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    bad = jenkins.Jenkins(j.url, username=j.admin_user, password="wrong")
    with pytest.raises(jenkins.JenkinsException, match=r"\[401\]"):
        bad.get_info()
    client = python_jenkins(j)
    with pytest.raises(jenkins.NotFoundException):
        client.jenkins_open(requests.Request("GET", j.url + "job/missing/api/json"))
    with pytest.raises(jenkins.JenkinsException, match=r"job\[missing\] does not exist"):
        client.get_job_info("missing")
