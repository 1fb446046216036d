"""`jenkins-bridge sandbox ...`: the test doubles the project ships (sandbox Jenkins, sandbox SonarQube)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bridge.sandbox.jenkins.server import UserSpec


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
@click.option(
    "--add-user",
    "add_users",
    multiple=True,
    metavar="ID:TOKEN[:GROUP,GROUP...]",
    help="A non-admin user with an API token and groups (repeatable).",
)
@click.option(
    "--casc",
    "casc",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A JCasC YAML file (repeatable, merged), e.g. jenkins-config/casc/jenkins.yaml; "
    "${VAR} comes from the environment or from files in $SECRETS (default /run/secrets).",
)
@click.option(
    "--mount",
    "mounts",
    multiple=True,
    metavar="CONTROLLER_PATH=DIR",
    help="Serve a controller path from a local folder (repeatable), e.g. the shim library: "
    "--mount /usr/share/jenkins/shared-library=jenkins-config/shared-library.",
)
@click.option(
    "-D",
    "properties",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Jenkins system property (repeatable), e.g. -D jenkins.install.runSetupWizard=false.",
)
@click.option(
    "--sonar-scanner",
    is_flag=True,
    help="Scanners in withSonarQubeEnv reach the installation's server (a sandbox SonarQube): they "
    "submit the analysis and the build records it. Without it no report is written.",
)
def jenkins(
    host: str,
    port: int,
    user: str,
    token: str | None,
    password: str | None,
    state_dir: str | None,
    url_prefix: str,
    add_users: tuple[str, ...],
    casc: tuple[str, ...],
    mounts: tuple[str, ...],
    properties: tuple[str, ...],
    sonar_scanner: bool,
) -> None:
    """Serve a sandbox Jenkins until interrupted (Ctrl-C)."""
    import os

    from bridge.sandbox.jenkins import SandboxJenkins
    from bridge.sandbox.jenkins.casc import CascError

    try:
        server = _server(
            SandboxJenkins,
            casc,
            dict(os.environ),
            properties,
            add_users,
            host,
            port,
            user,
            token,
            password,
            state_dir,
            url_prefix,
            mounts,
        )
        server.services["sonar_scanner"] = sonar_scanner
    except CascError as e:
        raise click.ClickException(str(e)) from None
    server.start()
    click.echo(f"Sandbox Jenkins {server.version} at {server.url}")
    click.echo(f"user: {server.admin_user}")
    if token is None:
        click.echo(f"API token: {server.admin_token}")
    if password is None and not casc:  # with --casc the realm's password (from the file) stays
        click.echo(f"password: {server.admin_password}")
    _serve_until_interrupted(server)


@sandbox.command("sonarqube")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=9000, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--token", default=None, help="An administrator's user token (generated when omitted).")
@click.option(
    "--scanner-token",
    "scanner_tokens",
    multiple=True,
    help="A token that may submit analyses but not browse them (repeatable), as a CI user's.",
)
def sonarqube(host: str, port: int, token: str | None, scanner_tokens: tuple[str, ...]) -> None:
    """Serve a sandbox SonarQube (the Web API a scanner and the bridge use) until interrupted."""
    from bridge.sandbox.sonarqube import Account, SandboxSonarQube

    server = SandboxSonarQube(
        admin_token=token,
        host=host,
        port=port,
        tokens={t: Account("scanner", browse=False) for t in scanner_tokens},
    )
    server.start()
    click.echo(f"Sandbox SonarQube at {server.url}")
    if token is None:
        click.echo(f"token: {server.admin_token}")
    _serve_until_interrupted(server)


def _serve_until_interrupted(server: Any) -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("stopped")


def _server(
    factory: Any,
    casc: tuple[str, ...],
    environ: dict[str, str],
    properties: tuple[str, ...],
    add_users: tuple[str, ...],
    host: str,
    port: int,
    user: str,
    token: str | None,
    password: str | None,
    state_dir: str | None,
    url_prefix: str,
    mounts: tuple[str, ...] = (),
) -> Any:
    """With ``--casc`` the process environment is the controller's (JCasC variables; what builds on
    the built-in node inherit), and the admin user's token is added to the realm user of that name."""
    return factory(
        users=[_user_spec(spec) for spec in add_users],
        system_properties=dict(_property(p) for p in properties),
        host=host,
        port=port,
        admin_user=user,
        admin_token=token,
        admin_password=password,
        state_dir=state_dir,
        url_prefix=url_prefix,
        casc=list(casc) or None,
        casc_environ=environ if casc else None,
        mounts=dict(_property(m) for m in mounts),
    )


def _user_spec(spec: str) -> UserSpec:
    from bridge.sandbox.jenkins.server import UserSpec

    user_id, _, rest = spec.partition(":")
    token, _, groups = rest.partition(":")
    if not user_id or not token:
        raise click.BadParameter(f"{spec!r}: expected ID:TOKEN[:GROUP,GROUP...]", param_hint="--add-user")
    return UserSpec(id=user_id, tokens=(token,), groups=tuple(g for g in groups.split(",") if g))


def _property(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not name or not sep:
        raise click.BadParameter(f"{text!r}: expected NAME=VALUE", param_hint="-D")
    return name, value
