"""The composition root's webhook part (``bridge.bootstrap`` re-exports it): the worker jobs that turn
push deliveries into runs and poll watched repositories' refs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bridge.settings import Settings
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.services.deliveries import DeliveryDispatcher
    from bridge.services.refpoll import RefPoller
    from bridge.services.webhooks import WebhookReceiver


def build_receiver(settings: Settings) -> WebhookReceiver:
    """The push receiver alone, on a store of its own (``jenkins-bridge receive``; close its ``store``)."""
    from bridge.services.webhooks import WebhookReceiver

    store = Store.from_settings(settings)
    store.migrate()
    return WebhookReceiver(store)


def build_ref_poller(store: Store) -> RefPoller:
    """The missed-push safety net over ``git ls-remote``."""
    from bridge.adapters.git.remote import ls_remote
    from bridge.services.refpoll import RefPoller

    return RefPoller(store, ls_remote)


def build_dispatcher(
    settings: Settings,
    store: Store,
    connection: JenkinsConnection,
    connections: Mapping[str, JenkinsConnection] | None = None,
) -> DeliveryDispatcher:
    """The worker job that starts the runs of webhook deliveries, over the default controller's
    ``connection`` (with several controllers: each project's, from ``connections``). Runs are started
    by the service account (``parameter`` attribution: ``BRIDGE_REQUESTED_BY`` names the provider and
    pusher), since no bridge user stands behind a push."""
    from bridge.adapters.jenkins.port import RunPort
    from bridge.adapters.jenkins.runs import connect_runs
    from bridge.bootstrap_placement import build_routed_runs
    from bridge.services.deliveries import DeliveryDispatcher

    runs: RunPort
    if connections and len(connections) > 1:
        runs = build_routed_runs(settings, store, connections, parameter=True)
    else:
        runs = connect_runs(connection, settings.jenkins.model_copy(update={"attribution": "parameter"}))
    w = settings.webhooks
    return DeliveryDispatcher(store, runs, max_age=w.max_age, retry_base=w.retry_base, retry_max=w.retry_max)
