"""`jenkins-bridge demo` (what `make demo` runs): the seed story, end to end, on the embedded defaults.

Starts the clusters (``kube.py``), a sandbox Jenkins and the bridge in this process (``runtime.py``),
then tells the story through the bridge's public HTTP API (``client.py``, ``story.py``, ``run.py``),
printing a readable account as it goes (``printer.py``). Afterwards the API keeps running, with its
URL and a token printed, until Ctrl-C; with ``--once`` it stops at once. The exit status is 0 when
the story succeeded, 1 with the failed step named otherwise.
"""

from __future__ import annotations

import signal
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import click

from bridge.cli.demo.kube import CLUSTERS
from bridge.cli.demo.story import JENKINSFILE, PROJECT, StoryFailed


@click.command()
@click.option("--once", is_flag=True, help="Exit when the story ends (0 on success) instead of serving.")
@click.option(
    "--clusters",
    "clusters_mode",
    type=click.Choice(["auto", "real", "static"]),
    default="auto",
    show_default=True,
    help="real: start kube-apiservers (needs `make k8s-bin`); static: kubeconfigs only; auto: real if built.",
)
@click.option(
    "--jenkinsfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=JENKINSFILE,
    help="The pipeline's Jenkinsfile (default: the seed's).",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="The API's port."
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=0.4,
    show_default=True,
    help="Seconds a simulated build step takes in the sandbox Jenkins (0: instant).",
)
@click.option(
    "--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for each step."
)
def demo(once: bool, clusters_mode: str, jenkinsfile: Path, port: int, speed: float, timeout: float) -> None:
    """The seed story: a pipeline across three clusters, two approvals, through the bridge's API."""
    from bridge.cli.demo import runtime
    from bridge.cli.demo.printer import Printer

    printer = Printer()
    printer.write(printer.paint("jenkins-bridge demo: a pipeline across three Kubernetes clusters", "bold"))
    try:
        rt = runtime.start(clusters_mode=clusters_mode, time_scale=speed, port=port, say=printer.fact)
    except Exception as e:
        raise click.ClickException(f"the demo could not start: {e}") from None
    try:
        printer.fact(f"sandbox Jenkins at {rt.jenkins_url}")
        printer.fact(f"bridge API at {rt.url}/api/v1 (OpenAPI: {rt.url}/api/v1/openapi.json)")
        failure = _tell(printer, rt, jenkinsfile.read_text(encoding="utf-8"), timeout)
        if failure is not None:
            printer.write()
            printer.bad(f"the demo failed at step '{failure.step}': {failure.reason}")
        else:
            printer.write()
            printer.write(
                printer.paint("The seed story ran end to end through the bridge's API.", "bold", "green")
            )
        if not once:
            _explore(printer, rt)
    finally:
        rt.stop()
    if failure is not None:
        sys.exit(1)


def _tell(printer: Any, rt: Any, jenkinsfile: str, timeout: float) -> StoryFailed | None:
    from bridge.cli.demo.client import ApiError, BridgeClient
    from bridge.cli.demo.run import RunStory
    from bridge.cli.demo.story import Story

    admin = BridgeClient(rt.url, rt.admin_token)
    story = Story(
        printer=printer,
        url=rt.url,
        admin=admin,
        mint=lambda user: _mint(rt.container, user),
        jenkinsfile=jenkinsfile,
        real_clusters=rt.clusters.real,
        timeout=timeout,
        policy=rt.policy,
        policy_reason=rt.policy_reason,
        folder_kubeconfig=rt.folder_kubeconfig,
    )
    try:
        story.clusters()
        story.workspace_and_project()
        story.people_and_tokens()
        story.credentials_and_pipeline()
        story.sync()
        RunStory(story).tell()
    except StoryFailed as e:
        return e
    except ApiError as e:
        return StoryFailed(story.current, str(e))
    finally:
        admin.close()
        for client in story.people.values():
            client.close()
    rt.tokens = story.tokens
    return None


def _mint(container: Any, user: str) -> str:
    """A token for ``user`` through the identity features, audited as ``token create`` audits it."""
    from bridge.cli.operator_audit import operator, recording

    token_id = uuid.uuid4().hex
    with recording(container.store.engine, action="token.create", path=f"token/{token_id}"):
        issued = container.identity.tokens.create(
            user=user,
            groups=(),
            expires_in=None,
            description="jenkins-bridge demo",
            created_by=operator(),
            token_id=token_id,
        )
    return str(issued.token)


def _explore(printer: Any, rt: Any) -> None:
    """Keep the API up until Ctrl-C (or SIGTERM), with what to try."""
    api = f"{rt.url}/api/v1"
    token = rt.tokens.get("alice")
    printer.step("Explore: the API keeps running (Ctrl-C stops everything)")
    printer.fact(f"API        {api}   OpenAPI {api}/openapi.json")
    printer.fact(f"admin      token {rt.admin_token} (platform admin)")
    if token:
        printer.fact(f"alice      token {token} (admin of {PROJECT})")
        printer.fact(f'try        curl -s -H "Authorization: Bearer {token}" {api}/projects/{PROJECT}/audit')
    printer.fact(f"clusters   {', '.join(CLUSTERS)}; Jenkins at {rt.jenkins_url}")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    printer.write()
    printer.fact("stopping ...")
