"""`jenkins-bridge worker`: runs reconciliation only (the API runs in `serve`).

Only one process per database runs the scheduler: a second worker waits as a standby until the
first exits (see ``bridge.reconcile.leader``). With ``BRIDGE_RECONCILE_LEASES`` (PostgreSQL) several
workers run at once and share the Jenkins controllers, a lease each (``bridge.reconcile.leases``).
A worker that loses the lock while running (its PostgreSQL session ended) stops and exits with
status 3, so its supervisor restarts it as a standby.
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
    from bridge.bootstrap import (
        DEFAULT_CONTROLLER,
        build_connections,
        build_inventory,
        build_jenkins,
        build_metrics,
        run_worker,
        worker_hooks,
    )
    from bridge.store import Store, StoreDesiredState

    inventory, store, listener = None, None, None
    try:
        settings = Settings.load(os.environ)
        configure_logging(settings.log, secrets=settings.secrets())
        store = Store.from_settings(settings)
        store.migrate()
        connections = build_connections(settings)
        jenkins = build_jenkins(settings, connections[DEFAULT_CONTROLLER])
        metrics = build_metrics(store, {name: c.counter for name, c in connections.items()})
        if settings.metrics.port:  # the worker has no API: its own /metrics listener
            from bridge.metrics.listener import serve_metrics

            listener = serve_metrics(metrics, host=settings.metrics.host, port=settings.metrics.port)
        if settings.clusters.source_names():  # the cluster inventory runs beside reconciliation
            inventory = build_inventory(settings, store)
            if inventory is not None:
                inventory.start()
        from bridge.cli.heap import freeze_built_heap

        freeze_built_heap()
        handle = run_worker(
            settings,
            desired=StoreDesiredState(store),
            jenkins=jenkins,
            hooks=worker_hooks(settings, metrics),
            connections=connections,
        )
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    finally:
        if inventory is not None:
            inventory.stop()
        if listener is not None:
            listener.stop()
        if store is not None:
            store.close()
    if handle is not None and handle.lost.is_set():
        raise click.exceptions.Exit(3)
