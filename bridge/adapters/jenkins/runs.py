"""``JenkinsRuns``: the ``RunPort`` over HTTP, in one of two attribution modes (``jenkins.attribution``).

``user-token``: every run and input decision is sent authenticated as the real user, with an API
token the service account minted for them (``usertokens.UserTokens``). Jenkins then records
``UserIdCause(userId=alice)`` ("Started by user alice"), ``ApproverAction(bob)`` and "Approved by bob",
and applies the input's ``submitter`` list and its own permissions to the user; a refusal (400
``Failure`` "You need to be … to submit this.") becomes ``InputRefused``.

``parameter`` (default, any Jenkins): the service account acts. A run gets the job parameter
``BRIDGE_REQUESTED_BY`` (which the rendered job defines) set to the user, overriding any value the
caller passed; before an approval the bridge reads the input's ``submitter`` (``N/input/api/json``)
and refuses a non-submitter itself (``Actor.may_submit``) without calling Jenkins; after a decision
it appends ``Actor.approval_note`` to the run's description (``submitDescription``, best effort).
A rejection is allowed to anyone the API let through (the operator role, Jenkins's Job/Cancel), as
Jenkins allows it, and noted the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar
from urllib.parse import quote, urlsplit

import requests

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.connection import JenkinsConnection
from bridge.adapters.jenkins.errors import BadCredentials, InputRefused
from bridge.adapters.jenkins.port import QueuedRun
from bridge.adapters.jenkins.usertokens import TokenVault, UserTokens
from bridge.errors import BridgeError, NotFound, UpstreamError
from bridge.identity.attribution import Actor
from bridge.identity.tenancy import ReservedNames
from bridge.settings import AttributionMode, JenkinsSettings

log = logging.getLogger(__name__)

INPUT_TREE = "executions[id,input[submitter]]"
T = TypeVar("T")


def connect_runs(
    connection: JenkinsConnection, settings: JenkinsSettings, vault: TokenVault | None = None
) -> JenkinsRuns:
    """The run side of the controller behind ``connection``, attributed as ``settings.attribution``
    says (``vault`` needed for user-token). Users' own sessions are opened on the same connection."""
    service = JenkinsAdapter(connection)
    if settings.attribution == "parameter":
        return JenkinsRuns(service)
    if vault is None:
        raise ValueError("user-token attribution needs the store's Jenkins token table")
    reserved = ReservedNames.of(
        prefix=settings.project_identity_prefix,
        service_account=settings.user,
        reserved=list(settings.reserved_users),
    )

    def connect(user: str, token: str) -> JenkinsAdapter:
        return JenkinsAdapter(connection.as_user(user, token))

    tokens = UserTokens(service, vault, connect, reserved=reserved)
    return JenkinsRuns(service, mode="user-token", tokens=tokens)


class JenkinsRuns:
    """Runs and input decisions for real users; ``tokens`` is required in ``user-token`` mode."""

    def __init__(
        self,
        service: JenkinsAdapter,
        *,
        mode: AttributionMode = "parameter",
        tokens: UserTokens | None = None,
    ) -> None:
        if mode == "user-token" and tokens is None:
            raise ValueError("user-token attribution needs a UserTokens")
        self._service = service
        self._mode = mode
        self._tokens = tokens

    @property
    def mode(self) -> AttributionMode:
        return self._mode

    def forget(self, user: str) -> bool:
        """The user lost their access to the bridge: revoke their Jenkins token (user-token mode).

        Best effort: ``False`` when Jenkins could not be told (the stored copy is deleted anyway).
        """
        return self._tokens.revoke(user) if self._tokens is not None else True

    # -- runs ----------------------------------------------------------------------------------

    def trigger_run(self, job_path: str, parameters: Mapping[str, str], actor: Actor) -> QueuedRun:
        if self._mode == "parameter":
            form = {**parameters, **actor.run_parameters()}  # the bridge's value wins over the caller's
            return queued(self._service.post_form(paths.item(job_path) + "buildWithParameters", form))
        return self._as(actor, lambda jenkins: queued(_queue(jenkins, job_path, parameters)))

    # -- inputs --------------------------------------------------------------------------------

    def proceed_input(
        self,
        job_path: str,
        build: int,
        input_id: str,
        parameters: Mapping[str, str],
        actor: Actor,
        *,
        earlier: Sequence[str] = (),
    ) -> None:
        also = f"Input {input_id} also approved by {', '.join(earlier)} via jenkins-bridge" if earlier else ""
        if self._mode == "user-token":
            self._as(actor, lambda jenkins: _settle(jenkins, job_path, build, input_id, parameters))
            if also:  # Jenkins records the last approver itself; the earlier ones are noted
                self._note(job_path, build, also)
            return
        submitter = self._submitter(job_path, build, input_id)
        if not actor.may_submit(submitter):
            raise InputRefused(f"{actor.user} may not approve input {input_id}: it is for {submitter}")
        _settle(self._service, job_path, build, input_id, parameters)
        note = actor.approval_note(approved=True, input_id=input_id)
        self._note(job_path, build, f"{note}\n{also}" if also else note)

    def abort_input(self, job_path: str, build: int, input_id: str, actor: Actor) -> None:
        if self._mode == "user-token":
            self._as(actor, lambda jenkins: _settle(jenkins, job_path, build, input_id, None))
            return
        self._submitter(job_path, build, input_id)  # NotFound when it is not pending
        _settle(self._service, job_path, build, input_id, None)
        self._note(job_path, build, actor.approval_note(approved=False, input_id=input_id))

    def expire_input(self, job_path: str, build: int, input_id: str, note: str) -> None:
        self._submitter(job_path, build, input_id)  # NotFound when it is not pending
        _settle(self._service, job_path, build, input_id, None)
        self._note(job_path, build, note)

    # -- for other run actions (``runactions.py``) ----------------------------------------------

    @property
    def service(self) -> JenkinsAdapter:
        """The service account's session (reads, and notes in parameter mode)."""
        return self._service

    def act(self, actor: Actor, call: Callable[[JenkinsAdapter], T]) -> T:
        """Run ``call`` with the session Jenkins will record: the user's own (user-token mode) or the
        service account's (parameter mode; the caller then leaves a ``note``)."""
        if self._mode == "user-token":
            return self._as(actor, call)
        return call(self._service)

    def note(self, job_path: str, build: int, text: str) -> None:
        """Append a line to a run's description (best effort)."""
        self._note(job_path, build, text)

    # -- helpers -------------------------------------------------------------------------------

    def _as(self, actor: Actor, call: Callable[[JenkinsAdapter], T]) -> T:
        """Run ``call`` authenticated as the actor; a 401 (token revoked in Jenkins) re-mints once."""
        assert self._tokens is not None
        jenkins = self._tokens.session(actor.user)
        try:
            return call(jenkins)
        except BadCredentials:
            return call(self._tokens.renew(actor.user, jenkins))

    def _submitter(self, job_path: str, build: int, input_id: str) -> str | None:
        """The pending input's ``submitter`` (``None``: anyone who may build); ``NotFound`` if not pending."""
        data = self._service.get_json(_run(job_path, build) + "input/api/json", tree=INPUT_TREE)
        for execution in data.get("executions") or []:
            if isinstance(execution, dict) and execution.get("id") == input_id:
                step = execution.get("input") or {}
                submitter = step.get("submitter") if isinstance(step, dict) else None
                return str(submitter) if submitter else None
        raise NotFound(f"no pending input {input_id} in run {build} of {job_path}")

    def _note(self, job_path: str, build: int, note: str) -> None:
        """Append a line to the run's description; the decision is already made, so failures only log."""
        try:
            current = self._service.get_json(_run(job_path, build) + "api/json", tree="description")
            text = str(current.get("description") or "")
            description = f"{text}\n{note}" if text else note
            self._service.post_form(_run(job_path, build) + "submitDescription", {"description": description})
        except BridgeError as e:
            log.warning("could not note the input decision on %s #%d: %s", job_path, build, e.detail)


def _run(job_path: str, build: int) -> str:
    return paths.item(job_path) + f"{build}/"


def _queue(jenkins: JenkinsAdapter, job_path: str, parameters: Mapping[str, str]) -> requests.Response:
    """``buildWithParameters`` with parameters; without, ``build`` (a parameterized job answers it 400
    "Nothing is submitted", and is then queued with its defaults through ``buildWithParameters``)."""
    if parameters:
        return jenkins.post_form(paths.item(job_path) + "buildWithParameters", parameters)
    try:
        return jenkins.post_form(paths.item(job_path) + "build")
    except UpstreamError as e:
        if e.extra.get("status") != 400:
            raise
        return jenkins.post_form(paths.item(job_path) + "buildWithParameters")


def _settle(
    jenkins: JenkinsAdapter, job_path: str, build: int, input_id: str, parameters: Mapping[str, str] | None
) -> None:
    """Proceed (``parameters`` given, maybe empty) or abort (``None``) one input, as ``jenkins``'s user."""
    base = _run(job_path, build) + f"input/{quote(input_id, safe='')}/"
    try:
        if parameters is None:
            jenkins.post_form(base + "abort")
        elif parameters:
            values = [{"name": name, "value": value} for name, value in parameters.items()]
            jenkins.post_form(base + "proceed", {"json": json.dumps({"parameter": values})})
        else:
            jenkins.post_form(base + "proceedEmpty")
    except UpstreamError as e:
        # InputStepExecution answers every refusal with a 400 Failure: not a submitter, already
        # decided, nothing submitted. The input was pending and the request well formed, so it is
        # a refusal for this user; Jenkins's reason is in the detail.
        if e.extra.get("status") != 400:
            raise
        raise InputRefused(
            f"Jenkins refused the decision on input {input_id} for {jenkins.user}: {e.detail}"
        ) from e


def queued(response: requests.Response) -> QueuedRun:
    """The queue item from ``Location: …/queue/item/N/`` of a 201 (or 303: identical request queued)."""
    location = response.headers.get("Location", "")
    number = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    if "/queue/item/" not in location or not number.isdigit():
        raise UpstreamError("Jenkins queued the run without telling where (no queue item Location)")
    return QueuedRun(url=location, number=int(number))
