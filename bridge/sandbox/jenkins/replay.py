"""Replay (workflow-cps ``ReplayAction``): ``replay/run`` with ``json={"mainScript": …}``, and
``replay/rebuild``.

The new run gets ``UserIdCause`` + ``ReplayCause`` ("Replayed #N"), the original's parameters, quiet period
0, and the answer is a 302 to the job page (no queue Location), as in Jenkins.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import pages
from bridge.sandbox.jenkins.builds import BUILD, _user_cause, build_of
from bridge.sandbox.jenkins.buildstate import Cause, service
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import Conflict, Failure, Oops
from bridge.sandbox.jenkins.model import RUN_REPLAY
from bridge.sandbox.jenkins.routing import RouteTable

JOB = ("job",)


def register(routes: RouteTable) -> None:
    routes.add(BUILD + "/replay/(?P<how>run|rebuild)", replay, kinds=JOB, methods=("POST",))
    routes.add(BUILD + "/replay", replay_page, kinds=JOB)


def replay(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        ctx.require(RUN_REPLAY)
        job = build.job
        script = build.script
        if groups["how"] == "run":
            raw = ctx.request.form.get("json")
            if raw is None:
                raise Failure("Nothing is submitted")
            try:
                script = str(json.loads(raw)["mainScript"])
            except (ValueError, KeyError, TypeError) as error:
                raise Oops(f'JSONObject["mainScript"] not found: {error}') from error
        if job.disabled:
            raise Conflict(f"{job.full_name} is not buildable")
        if any(p.type == "PasswordParameterValue" for p in build.parameters):
            raise Failure("Replay is not allowed when password parameters are used.")
        word = "Replayed" if groups["how"] == "run" else "Rebuilt"
        causes = [
            _user_cause(ctx),
            Cause("org.jenkinsci.plugins.workflow.cps.replay.ReplayCause", f"{word} #{build.number}"),
        ]
        ctx.services["root_url"] = ctx.root_url
        service(ctx.state, ctx.services).schedule(
            job, causes=causes, parameters=list(build.parameters), delay_seconds=0, script=script
        )
        return pages.redirect(ctx.url_of(job))


def replay_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        return pages.page(f"Replay #{build.number}", build.script)
