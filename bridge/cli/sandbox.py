"""`jenkins-bridge sandbox ...`: the test doubles the project ships (sandbox Jenkins)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click


@click.group()
def sandbox() -> None:
    """Run a sandbox service standalone."""


@sandbox.command("jenkins")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--user", default="admin", show_default=True, help="Administrator user id.")
@click.option("--token", default=None, help="Administrator API token (generated when omitted).")
@click.option("--password", default=None, help="Administrator password (generated when omitted).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None, help="Persist state here.")
@click.option("--url-prefix", default="", help="Context path, e.g. /jenkins.")
def jenkins(
    host: str,
    port: int,
    user: str,
    token: str | None,
    password: str | None,
    state_dir: str | None,
    url_prefix: str,
) -> None:
    """Serve a sandbox Jenkins until interrupted (Ctrl-C)."""
    from bridge.sandbox.jenkins import SandboxJenkins

    server = SandboxJenkins(
        host=host,
        port=port,
        admin_user=user,
        admin_token=token,
        admin_password=password,
        state_dir=state_dir,
        url_prefix=url_prefix,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    click.echo(f"Sandbox Jenkins {server.version} at {server.url}")
    click.echo(f"user: {server.admin_user}")
    if token is None:
        click.echo(f"API token: {server.admin_token}")
    if password is None:
        click.echo(f"password: {server.admin_password}")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("stopped")
