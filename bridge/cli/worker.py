"""`jenkins-bridge worker`: runs reconciliation only (the API runs in `serve`).

Only one process per database runs the scheduler: a second worker waits as a standby until the
first exits (see ``bridge.reconcile.leader``). A worker that loses the lock while running (its
PostgreSQL session ended) stops and exits with status 3, so its supervisor restarts it as a standby.
"""

from __future__ import annotations

import os

import click

from bridge.errors import BridgeError
from bridge.log import configure_logging
from bridge.settings import Settings


@click.command()
def worker() -> None:
    """Keep Jenkins in step with the store: event-driven passes plus periodic full resyncs."""
    from bridge.bootstrap import build_inventory, run_worker
    from bridge.store import Store

    inventory, store = None, None
    try:
        settings = Settings.load(os.environ)
        configure_logging(settings.log, secrets=settings.secrets())
        if settings.clusters.source_names():  # the cluster inventory runs beside reconciliation
            store = Store.from_settings(settings)
            store.migrate()
            inventory = build_inventory(settings, store)
            if inventory is not None:
                inventory.start()
        handle = run_worker(settings)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    finally:
        if inventory is not None:
            inventory.stop()
        if store is not None:
            store.close()
    if handle is not None and handle.lost.is_set():
        raise click.exceptions.Exit(3)
