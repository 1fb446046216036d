"""`jenkins-bridge demo` (what `make demo` runs): the whole loop on the embedded defaults.

Starts the sandbox Jenkins and the bridge (API + worker) with a temporary data directory, applies
``examples/demo.yaml`` through the service layer, waits until every object is synced, prints what
Jenkins now holds (folders, jobs, credential ids and classes; secrets stay redacted by Jenkins),
and stops everything. Exits non-zero if anything failed or did not sync in time.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

import click

from bridge.errors import BridgeError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"
DEMO_ENV = {"DEMO_GIT_PASSWORD": "demo-password", "DEMO_KUBECONFIG": "apiVersion: v1\nkind: Config\n"}


@click.command()
@click.option(
    "-f", "--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=EXAMPLE
)
@click.option("--timeout", type=float, default=60.0, help="Seconds to wait for everything to sync.")
def demo(path: Path, timeout: float) -> None:
    """Provision a sample project into a sandbox Jenkins and show the result."""
    import jenkins as pyjenkins
    from werkzeug.serving import make_server

    from bridge.app import create_app
    from bridge.bootstrap import build_container, run_worker
    from bridge.cli.apply import apply_objects, load
    from bridge.sandbox.jenkins import SandboxJenkins
    from bridge.settings import Settings

    with tempfile.TemporaryDirectory(prefix="bridge-demo-") as tmp, SandboxJenkins() as sandbox:
        click.echo(f"sandbox Jenkins at {sandbox.url}")
        env = {
            **DEMO_ENV,
            **os.environ,
            "BRIDGE_DATA_DIR": tmp,
            "BRIDGE_DATABASE_URL": "",
            "BRIDGE_ADMIN_TOKEN": secrets.token_hex(16),
            "BRIDGE_JENKINS_URL": sandbox.url,
            "BRIDGE_JENKINS_USER": sandbox.admin_user,
            "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
            "BRIDGE_RECONCILE_POLL_INTERVAL": "0.5",
        }
        env.pop("BRIDGE_CONFIG", None)
        try:
            container = build_container(Settings.load(env))
            server = make_server("127.0.0.1", 0, create_app(container=container), threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            click.echo(f"bridge API at http://127.0.0.1:{server.server_port}/api/v1")
            handle = run_worker(
                container.settings,
                desired=container.desired,
                jenkins=container.jenkins,
                run_service=container.run_service,
                block=False,
            )
            try:
                apply_objects(container, load(path, env), click.echo)
                ok = _wait(container.sync, timeout)
            finally:
                if handle is not None:
                    handle.stop()
                server.shutdown()
                container.close()
        except BridgeError as e:
            raise click.ClickException(e.detail) from None
        client = pyjenkins.Jenkins(sandbox.url, username=sandbox.admin_user, password=sandbox.admin_token)
        _show(client)
    if not ok:
        raise click.ClickException("the demo project did not sync; see the errors above")
    click.echo("demo finished: Jenkins matches examples/demo.yaml")


def _wait(sync: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        summary = sync.summary()  # type: ignore[attr-defined]
        pending = sum(c.get("pending", 0) for c in summary.counts.values())
        if summary.errors:
            for key, state in summary.errors:
                click.echo(f"error   {key.kind} {key.project}/{key.name}: {state.message}", err=True)
            return False
        if not pending and not summary.queued:
            synced = sum(c.get("synced", 0) for c in summary.counts.values())
            click.echo(f"all {synced} objects synced")
            return True
        if time.monotonic() > deadline:
            click.echo(f"timed out with {pending} objects pending", err=True)
            return False
        time.sleep(0.5)


def _show(client: object) -> None:
    import defusedxml.ElementTree as SafeET

    j: object = client
    click.echo("Jenkins now holds:")
    for job in j.get_jobs():  # type: ignore[attr-defined]
        click.echo(f"  folder {job['name']}  ({job['_class']})")
        for item in j.get_job_info(job["name"]).get("jobs", []):  # type: ignore[attr-defined]
            click.echo(f"    job {job['name']}/{item['name']}  ({item['_class']})")
        for cred in j.list_credentials(job["name"]):  # type: ignore[attr-defined]
            root = SafeET.fromstring(j.get_credential_config(cred["id"], job["name"]))  # type: ignore[attr-defined]
            redacted = sum(1 for e in root.iter() if e.tag == "secret-redacted")
            click.echo(f"    credential {cred['id']}  ({root.tag}; {redacted} secret fields redacted)")
