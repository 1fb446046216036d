"""The seed story's last two views as the demo prints them: the run's Code Quality report and, after the
production approval, the workloads of each cluster with the run's image. Both are read through the
bridge's API only (``get`` is a client's GET of an API path); nothing here asks SonarQube or a cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from kubernetes.client.exceptions import ApiException

from bridge.cli.demo.client import ApiError, path
from bridge.cli.demo.deploy import DEPLOYS, SeedManifest, apply, seed_image
from bridge.cli.demo.printer import flatten
from bridge.cli.demo.story import PIPELINE, PROJECT, TARGETS, Story, StoryFailed

MEASURES = (
    ("bugs", "bugs", ""),
    ("vulnerabilities", "vulnerabilities", ""),
    ("code smells", "code_smells", ""),
    ("coverage", "coverage", "%"),
    ("duplications", "duplications", "%"),
    ("lines of code", "lines_of_code", ""),
)
_BELOW = {"LT": "below", "GT": "above"}
#: How many issues the report shows (the API gives the top ones and the total).
TOP_ISSUES = 5


class Says(Protocol):
    def fact(self, text: str, *, indent: int = 4) -> None: ...
    def good(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def table(self, rows: Sequence[Sequence[str]], *, indent: int = 4) -> None: ...


def code_quality(say: Says, report: Mapping[str, Any]) -> None:
    """The report of ``GET .../runs/{run}/code-quality``: gate and its conditions, measures, top issues."""
    say.fact(
        f"SonarQube {report['installation']!r}: project {report['project_key']}, analysis "
        f"{report.get('analysis_id') or '-'} ({report['status']})"
    )
    gate = report.get("gate") or "NONE"
    failing = [c for c in report.get("conditions") or () if c["status"] != "OK"]
    conditions = ", ".join(
        f"{c['metric']} {c.get('actual') or '-'} (fails when {_BELOW.get(c['comparator'], c['comparator'])} "
        f"{c['threshold']})"
        for c in report.get("conditions") or ()
    )
    line = f"quality gate {gate}" + (f": {conditions}" if conditions else "")
    (say.good if gate == "OK" else say.warn)(line)
    if failing:
        say.fact("failing: " + ", ".join(c["metric"] for c in failing))
    measures = report.get("measures") or {}
    say.fact(
        "  ".join(
            f"{label} {measures.get(key) or '-'}{unit if measures.get(key) else ''}"
            for label, key, unit in MEASURES
        )
    )
    issues = list(report.get("issues") or ())[:TOP_ISSUES]
    if issues:
        rows = [["severity", "type", "where", "issue"]]
        rows += [
            [i["severity"], i["type"], f"{i.get('file') or '(project)'}:{i.get('line') or '-'}", i["message"]]
            for i in issues
        ]
        say.table(rows)
    total = report.get("issues_total", len(issues))
    say.fact(f"{total} open issues; dashboard {report.get('dashboard_url') or '-'}")


def workloads(
    say: Says,
    get: Callable[[str], Any],
    pipeline_path: str,
    run: int,
    targets: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], bool | None]:
    """Each target's workloads (``.../targets/{cluster}/{namespace}/workloads``) with their images and
    replicas, then whether ``run``'s build runs there (``.../runs/{run}/targets``); returns the latter."""
    rows = [["cluster", "namespace", "workload", "image", "ready/desired"]]
    for cluster, namespace in targets:
        listed = get(f"{pipeline_path}/targets/{cluster}/{namespace}/workloads")
        if listed["status"] != "ok":
            rows.append([cluster, namespace, f"({listed['status']}: {listed.get('reason') or '-'})", "", ""])
            continue
        for w in listed["items"] or [{"kind": "", "name": "(none)", "images": [], "ready": 0, "desired": 0}]:
            images = (
                ", ".join(f"{i['repository'].rsplit('/', 1)[-1]}:{i['tag'] or '-'}" for i in w["images"])
                or "-"
            )
            rows.append(
                [
                    cluster,
                    namespace,
                    f"{w['kind']}/{w['name']}".lstrip("/"),
                    images,
                    f"{w['ready']}/{w['desired']}",
                ]
            )
    say.table(rows)
    running = {
        (t["cluster"], t["namespace"]): t["running"]
        for t in get(f"{pipeline_path}/runs/{run}/targets")["items"]
    }
    for (cluster, namespace), here in sorted(running.items()):
        state = {True: "runs there", False: "does not run there", None: "unknown (cluster not read)"}[here]
        say.fact(f"run #{run} on {cluster}/{namespace}: {state}")
    return running


# --- the story's steps -------------------------------------------------------------------------------


def deploy(story: Story, run: Mapping[str, Any], stage: str) -> None:
    """What ``stage``'s ``kubectl apply`` would have created, once the run's graph shows it succeeded:
    the sandbox Jenkins traces ``sh`` without running it, so the demo applies the seed's Deployment with
    the kubeconfig the run was given (read back from the project's folder in the sandbox Jenkins)."""
    cluster, manifest = DEPLOYS[stage]
    done = {s["name"]: s["status"] for _, s in flatten(run.get("stages") or ())}
    if done.get(stage) != "succeeded":
        return
    where = f"{cluster}/{manifest.namespace}"
    if not story.real_clusters:
        story.printer.fact(f"'{stage}' traced kubectl apply for {where}: static clusters, nothing deployed")
        return
    kubeconfig = story.folder_kubeconfig(PROJECT, cluster)
    if kubeconfig is None:
        raise StoryFailed("deploy", f"the project's folder holds no kubeconfig credential {cluster!r}")
    image = seed_image(int(run["number"]))
    try:
        applied = apply(kubeconfig, manifest, image)
    except ApiException as e:
        raise StoryFailed(
            "deploy", f"'{stage}' could not deploy to {where}: HTTP {e.status} {e.reason}"
        ) from None
    story.printer.good(
        f"'{stage}': deployment.apps/{manifest.name} {applied} in {where} ({image.rsplit(':', 1)[-1]}), "
        f"with the folder's credential {cluster!r} ({story.policy})"
    )
    if story.policy == "scoped" and stage == "deploy to production":
        _refused_elsewhere(story, kubeconfig, cluster, manifest, image)


def _refused_elsewhere(
    story: Story, kubeconfig: str, cluster: str, manifest: SeedManifest, image: str
) -> None:
    """The same scoped credential, pointed at a namespace that is not the project's target: refused."""
    elsewhere = SeedManifest(manifest.name, manifest.container, "default", 1)
    try:
        apply(kubeconfig, elsewhere, image)
    except ApiException as e:
        if e.status != 403:
            raise StoryFailed("deploy", f"outside its namespace the credential got HTTP {e.status}") from None
        story.printer.good(
            f"the same credential deploying to {cluster}/default: refused ({e.status} Forbidden)"
        )
        return
    raise StoryFailed("deploy", f"the scoped credential {cluster!r} could deploy outside its namespace")


def show_code_quality(story: Story, number: int) -> None:
    story.begin("code quality", f"Code Quality of run #{number}: the 'sonarqube analysis' stage's report")
    alice = story.as_("alice")
    url = path("projects", PROJECT, "pipelines", PIPELINE, "runs", number, "code-quality")

    def processed() -> dict[str, Any] | None:
        try:
            report: dict[str, Any] = alice.get(url)
        except ApiError as e:
            if e.status == 404:
                raise StoryFailed("code quality", e.detail) from None
            if e.status == 503:  # SonarQube busy or down: the API says when to ask again
                return None
            raise
        return report if report["status"] in ("SUCCESS", "FAILED", "CANCELED") else None

    report = story.wait("SonarQube to process the analysis", processed)
    code_quality(story.printer, report)
    story.printer.fact(f"read through the bridge: {story.url}{url}")


def show_workloads(story: Story, number: int) -> None:
    story.begin("workloads", f"Workloads: what run #{number} deployed, per cluster")
    pipeline = path("projects", PROJECT, "pipelines", PIPELINE)
    running = workloads(story.printer, story.as_("alice").get, pipeline, number, TARGETS)
    if not story.real_clusters:
        story.printer.warn("static clusters: nothing runs there, so no target could be read")
        return
    missing = sorted(f"{c}/{n}" for (c, n), here in running.items() if here is not True)
    if missing:
        raise StoryFailed("workloads", f"run #{number} is not running in {', '.join(missing)}")
    story.printer.good(f"run #{number}'s image runs in all {len(running)} targets")
    story.printer.fact("(ready 0: these apiservers run no controller-manager and no nodes, so no pod starts)")
