"""The run of the seed story: started by alice with ``BRANCH_NAME=master``, followed stage by stage,
approved twice by bob (carol, a viewer, is refused first), then its result, where each stage's log is
and the audit trail, all through the public API."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bridge.cli.demo import views
from bridge.cli.demo.client import API, ApiError, path
from bridge.cli.demo.printer import flatten
from bridge.cli.demo.story import PIPELINE, PROJECT, SECRETS, Story, StoryFailed

FINISHED = {"succeeded", "failed", "unstable", "aborted", "not_built"}
#: The seed's two approvals, in order: (the stage that waits, what it deploys to).
APPROVALS = (("deploy to staging", "gondor"), ("deploy to production", "shire"))
APPROVER, OUTSIDER = "bob", "carol"


def runs_path(*rest: str | int) -> str:
    return path("projects", PROJECT, "pipelines", PIPELINE, "runs", *rest)


class RunStory:
    def __init__(self, story: Story) -> None:
        self.story = story
        self.p = story.printer
        self.number = 0

    def tell(self) -> None:
        self.start()
        deployed = "deploy to dev"  # the stage before each pause deploys
        for stage, cluster in APPROVALS:
            run = self.follow(f"the run to pause at '{stage}'", partial(_paused_at, stage=stage))
            if run["status"] != "paused":
                break
            views.deploy(self.story, run, deployed)
            self.approve(run, stage, cluster)
            deployed = stage
        run = self.follow("the run to finish", lambda r: r["status"] in FINISHED)
        self.result(run)
        views.deploy(self.story, run, deployed)
        self.logs(run)
        views.show_code_quality(self.story, self.number)
        views.show_workloads(self.story, self.number)
        self.audit()

    # --- the run -------------------------------------------------------------------------------

    def start(self) -> None:
        self.story.begin("run", f"Run {PIPELINE} with BRANCH_NAME=master (as alice)")
        alice = self.story.as_("alice")
        queued = alice.post(runs_path(), {"parameters": {"BRANCH_NAME": "master"}})
        who = queued["trigger"]["user"]
        self.p.fact(f"queued in Jenkins as queue item {queued.get('queue_id')}, started by {who}")

        def numbered() -> int | None:
            for run in alice.items(runs_path()):
                if run.get("queue_id") == queued.get("queue_id") and run.get("number"):
                    return int(run["number"])
            return None

        self.number = self.story.wait("Jenkins to start the run", numbered)
        self.p.fact(f"run #{self.number}: {self.story.url}{runs_path(self.number)}")

    def follow(self, what: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The run's detail as it progresses, shown each time, until ``done(run)`` or it finishes."""
        alice = self.story.as_("alice")

        def look() -> dict[str, Any] | None:
            run: dict[str, Any] = alice.get(runs_path(self.number))
            self.p.progress(run)
            return run if done(run) or run["status"] in FINISHED else None

        return self.story.wait(what, look, interval=0.3)

    # --- approvals -----------------------------------------------------------------------------

    def approve(self, run: dict[str, Any], stage: str, cluster: str) -> None:
        p, story = self.p, self.story
        pending = run.get("pending_input") or {}
        story.begin("approval", f"Approval: '{stage}' waits for a person (deploys to {cluster})")

        def listed() -> dict[str, Any] | None:
            waiting = [i for i in self._inputs(APPROVER) if i.get("state", "waiting") == "waiting"]
            return next((i for i in waiting if i["id"] == pending.get("id")), None)

        waiting = story.wait(f"the bridge to list the input {pending.get('id')} as waiting", listed)
        submitters = waiting.get("submitter") or []
        if submitters:
            rule = ", ".join(submitters)
        else:
            members = story.admin.items(path("projects", PROJECT, "members"))
            allowed = sorted(m["subject"] for m in members if m["role"] in ("operator", "admin"))
            rule = f"no submitter list, so the project's operators and admins: {', '.join(allowed)}"
        p.fact(f'input {waiting["id"]}: "{waiting.get("message")}", waiting since {_clock(waiting["since"])}')
        p.fact(f"who may approve: {rule}")
        for user in (APPROVER, OUTSIDER):
            mine = next((i for i in self._inputs(user) if i["id"] == waiting["id"]), {})
            why = mine.get("reason_text") or mine.get("reason") or ""
            p.fact(f"  {user:<6} approvable: {'yes' if mine.get('approvable') else 'no'}  {why}".rstrip())
        url = runs_path(self.number, "inputs", waiting["id"], "approve")
        try:
            story.as_(OUTSIDER).post(url, {"comment": "looks fine to me"})
        except ApiError as e:
            if e.status != 403:
                raise StoryFailed(
                    "approval", f"{OUTSIDER}'s attempt answered {e.status}, not 403: {e.detail}"
                ) from None
            p.good(f"{OUTSIDER} tried to approve: refused ({e.status} {e.detail})")
        else:
            raise StoryFailed("approval", f"{OUTSIDER} (a viewer) was allowed to approve '{stage}'")
        comment = f"ship it to {cluster}"
        decided = story.as_(APPROVER).post(url, {"comment": comment})
        p.good(f'approved by {decided.get("decided_by") or APPROVER}: "{comment}"')

    def _inputs(self, user: str) -> list[dict[str, Any]]:
        client = self.story.as_(user)
        return list(client.items(runs_path(self.number, "inputs")))

    # --- the end -------------------------------------------------------------------------------

    def result(self, run: dict[str, Any]) -> None:
        p = self.p
        self.story.begin("result", f"Result of run #{self.number}")
        took = f" in {(run.get('duration_ms') or 0) / 1000:.1f}s" if run.get("duration_ms") else ""
        if run["status"] != "succeeded":
            failed = [s for _, s in flatten(run.get("stages") or ()) if s["status"] in ("failed", "aborted")]
            where = f" at stage '{failed[0]['name']}'" if failed else ""
            why = (failed[0].get("error") or {}).get("message") if failed else None
            p.bad(
                f"run #{self.number} {run['status']} ({run.get('result')}){where}"
                + (f": {why}" if why else "")
            )
            raise StoryFailed(
                "result", f"run #{self.number} {run['status']}{where}" + (f": {why}" if why else "")
            )
        p.good(f"run #{self.number} {run['status']} ({run.get('result')}){took}")

    def logs(self, run: dict[str, Any]) -> None:
        p, story = self.p, self.story
        story.begin("logs", "Logs: where to read each stage's (secrets masked)")
        alice = story.as_("alice")
        secrets = [v for value in SECRETS.values() for v in (value if isinstance(value, tuple) else (value,))]
        whole = story.url + runs_path(self.number, "log")
        p.fact(f"whole run  {whole}")
        leaked: list[str] = []
        for _, stage in flatten(run.get("stages") or ()):
            stage_path = runs_path(self.number, "stages", stage["id"], "log")
            text = alice.text(stage_path)
            leaked += [stage["name"] for s in secrets if s in text]
            p.fact(f"{stage['name']:<20} {story.url}{stage_path}")
        if leaked:
            raise StoryFailed("logs", f"a secret appears in the log of {', '.join(sorted(set(leaked)))}")
        masked = alice.text(runs_path(self.number, "log")).count("****")
        p.good(f"every stage's log read; no secret in any of them ({masked} values masked as ****)")

    def audit(self) -> None:
        p, story = self.p, self.story
        story.begin("audit", f"Audit trail of {PROJECT}")
        entries = list(story.as_("alice").items(path("projects", PROJECT, "audit")))
        rows = [["when", "who", "action", "on", "outcome"]]
        project, pipeline = path("projects", PROJECT), path("projects", PROJECT, "pipelines", PIPELINE)
        for e in sorted(entries, key=lambda e: e["id"]):
            on = next((e["path"][len(x) :] for x in (pipeline, project, API) if e["path"].startswith(x)), "")
            on = on.removeprefix("/") or PROJECT
            rows.append([_clock(e["at"]), e["actor"], e["action"], on, f"{e['outcome']} {e['status']}"])
        p.table(rows)
        approvals = [e for e in entries if e["path"].endswith("/approve") and e["outcome"] == "success"]
        if len(approvals) < len(APPROVALS):
            raise StoryFailed("audit", f"{len(approvals)} approvals audited, {len(APPROVALS)} expected")
        names = ", ".join(sorted({e["actor"] for e in approvals}))
        p.good(f"{len(entries)} entries; both approvals recorded with the approver's name: {names}")


def _paused_at(run: dict[str, Any], stage: str) -> bool:
    return run["status"] == "paused" and any(
        s["name"] == stage and s["status"] == "paused" for _, s in flatten(run.get("stages") or ())
    )


def _clock(at: str) -> str:
    """``2026-12-03T05:12:20.123+00:00`` → ``05:12:20``."""
    return at[11:19] if len(at) >= 19 else at
