"""Persistence: SQLAlchemy Core tables, Alembic migrations, repositories and the reconciler's port.

``Store`` is the entry point (``Store.from_settings(settings)``, then ``store.migrate()``);
``StoreDesiredState`` adapts it to ``bridge.reconcile.ports.DesiredState``.
"""

from bridge.store.desired import StoreDesiredState
from bridge.store.records import Meta, Stored
from bridge.store.unit import Store, Tx

__all__ = ["Meta", "Store", "StoreDesiredState", "Stored", "Tx"]
