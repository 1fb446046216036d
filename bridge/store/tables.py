"""The store's tables (SQLAlchemy Core). Alembic revisions create them; this module describes them.

Key columns follow ``Ref``: ``kind`` / ``project`` / ``name`` (empty for a project), so sync
state, tombstones and dirty keys share one shape and need no foreign keys to rows that may be gone.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

NAME = 63  # DNS-1123 label
LONG_NAME = 253  # DNS-1123 subdomain


def _stamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("version", Integer, nullable=False),
    ]


workspaces = Table(
    "workspaces",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("description", Text, nullable=False),
    Column("clusters", JSON, nullable=False),
    *_stamps(),
)

projects = Table(
    "projects",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column(
        "workspace",
        String(NAME),
        ForeignKey("workspaces.name", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    #: The cluster the project is placed on; its Jenkins controller holds the folder.
    Column("cluster", String(LONG_NAME), nullable=True, index=True),
    Column("description", Text, nullable=False),
    *_stamps(),
)

credentials = Table(
    "credentials",
    metadata,
    Column("project", String(NAME), ForeignKey("projects.name", ondelete="CASCADE"), primary_key=True),
    Column("id", String(NAME), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("description", Text, nullable=False),
    #: Non-secret data keys (``username``, ``filename``) in clear, for display.
    Column("public", JSON, nullable=False),
    #: Every data key, Fernet-sealed.
    Column("sealed", LargeBinary, nullable=False),
    *_stamps(),
)

pipelines = Table(
    "pipelines",
    metadata,
    Column("project", String(NAME), ForeignKey("projects.name", ondelete="CASCADE"), primary_key=True),
    Column("name", String(LONG_NAME), primary_key=True),
    Column("description", Text, nullable=False),
    Column("spec", JSON, nullable=False),
    *_stamps(),
)

#: What Jenkins's Declarative linter said about a pipeline's inline Jenkinsfile (``digest``: of the text
#: it judged). SCM pipelines have no row; the row goes with its pipeline.
pipeline_validations = Table(
    "pipeline_validations",
    metadata,
    Column("project", String(NAME), primary_key=True),
    Column("name", String(LONG_NAME), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("errors", JSON, nullable=False),
    Column("message", Text, nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["project", "name"], ["pipelines.project", "pipelines.name"], ondelete="CASCADE"),
)


def _key() -> list[Column[object]]:
    return [
        Column("kind", String(16), primary_key=True),
        Column("project", String(NAME), primary_key=True),
        Column("name", String(LONG_NAME), primary_key=True),
    ]


sync_states = Table(
    "sync_states",
    metadata,
    *_key(),
    Column("status", String(16), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=True),
    Column("message", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

tombstones = Table(
    "tombstones",
    metadata,
    *_key(),
    Column("jenkins", String(NAME), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

dirty_keys = Table(
    "dirty_keys",
    metadata,
    *_key(),
    Column("enqueued_at", DateTime(timezone=True), nullable=False, index=True),
)

#: Items the bridge created in a Jenkins (or saw carrying its marker): a memory of ownership that
#: survives restarts. The Jenkins-side marker stays the source of truth; this only lets the bridge
#: recognise its own item after someone stripped the marker (see ``bridge.reconcile.provision``).
owned_items = Table(
    "owned_items",
    metadata,
    *_key(),
    Column("jenkins", String(NAME), primary_key=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

#: The run index: every run of a pipeline the bridge started or found in Jenkins, so lists never ask
#: Jenkins and history survives a Jenkins restart. ``number`` is empty while the run is queued.
#: Finished rows keep their final stage ``graph``: Jenkins is never asked about them again.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(NAME), nullable=False),
    Column("pipeline", String(LONG_NAME), nullable=False),
    Column("number", Integer, nullable=True),
    Column("queue_id", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("result", String(16), nullable=True),
    Column("branch", String(LONG_NAME), nullable=True),
    Column("trigger", String(16), nullable=False),
    Column("trigger_user", String(LONG_NAME), nullable=True),
    Column("trigger_detail", JSON, nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("graph", JSON, nullable=True),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("next_refresh_at", DateTime(timezone=True), nullable=True, index=True),
    Column("unchanged", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(
        ["project", "pipeline"], ["pipelines.project", "pipelines.name"], ondelete="CASCADE"
    ),
    UniqueConstraint("project", "pipeline", "number", name="uq_runs_number"),
    Index("ix_runs_pipeline_id", "project", "pipeline", "id"),
)

#: The index of pipeline push triggers (``bridge.webhooks``): one row per pipeline with a ``webhook``,
#: keyed by the normalised repository URL (``bridge.webhooks.urls.repo_key``), written with the
#: pipeline. The trigger itself (filters, sealed secret) is in the pipeline's ``spec``.
webhook_triggers = Table(
    "webhook_triggers",
    metadata,
    Column("project", String(NAME), primary_key=True),
    Column("pipeline", String(LONG_NAME), primary_key=True),
    Column("repo_key", String(512), nullable=False, index=True),
    ForeignKeyConstraint(
        ["project", "pipeline"], ["pipelines.project", "pipelines.name"], ondelete="CASCADE"
    ),
)

#: Every delivery received, one row per (delivery, pipeline it concerns, ref): stored before the
#: provider gets its 202, turned into a run by the worker. ``project``/``pipeline`` are empty for a
#: delivery no trigger matched. ``(provider, delivery, project, pipeline, ref)`` is unique, so a
#: delivery sent twice adds nothing.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(16), nullable=False),
    Column("delivery", String(128), nullable=False),
    Column("event", String(64), nullable=False),
    Column("project", String(NAME), nullable=False),
    Column("pipeline", String(LONG_NAME), nullable=False),
    Column("repo_url", Text, nullable=False),
    Column("ref", String(512), nullable=False),
    Column("commit", String(64), nullable=False),
    Column("pusher", String(255), nullable=False),
    Column("signed", Boolean, nullable=False),
    Column("parameters", JSON, nullable=False),
    #: queued → started, or failed (age bound passed, or the pipeline is gone); ignored / unmatched
    #: are final at once.
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("queue_id", Integer, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    #: When it was (re)queued: the retry age bound counts from here.
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("provider", "delivery", "project", "pipeline", "ref", name="uq_webhook_deliveries_key"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_pipeline", "project", "pipeline", "id"),
)

#: Resyncs asked for through the API (``POST /api/v1/sync``, ``POST /api/v1/projects/{project}/sync``):
#: queued here for the worker, which marks them started and finished with what the pass did.
resync_requests = Table(
    "resync_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(NAME), nullable=True),  # NULL: every project
    Column("deep", Boolean, nullable=False),
    Column("requested_by", String(LONG_NAME), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=True),
)

#: Every input a paused run waited on, as the bridge saw it (``bridge.store.approvals``): the inbox
#: reads this table only. ``state``: waiting → approved, rejected, expired or gone (decided in Jenkins).
approval_inputs = Table(
    "approval_inputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(NAME), nullable=False),
    Column("pipeline", String(LONG_NAME), nullable=False),
    Column("number", Integer, nullable=False),
    Column("input_id", String(LONG_NAME), nullable=False),
    Column("message", Text, nullable=False),
    Column("ok", String(LONG_NAME), nullable=False),
    Column("submitter", Text, nullable=True),
    Column("parameters", JSON, nullable=False),
    Column("started_by", String(LONG_NAME), nullable=True),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),
    Column("decided_by", String(LONG_NAME), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("comment", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(
        ["project", "pipeline"], ["pipelines.project", "pipelines.name"], ondelete="CASCADE"
    ),
    UniqueConstraint("project", "pipeline", "number", "input_id", name="uq_approval_inputs_project"),
    Index("ix_approval_inputs_state", "state", "id"),
)

#: The approvals given so far to a waiting input that needs more than one (one per distinct user).
approval_votes = Table(
    "approval_votes",
    metadata,
    Column("input", Integer, ForeignKey("approval_inputs.id", ondelete="CASCADE"), primary_key=True),
    Column("user", String(LONG_NAME), primary_key=True),
    Column("comment", Text, nullable=True),
    Column("voted_at", DateTime(timezone=True), nullable=False),
)

#: Approval events (waiting, approved, approval, rejected, expired), in order: the SSE stream reads
#: them by id; the worker delivers each to the project's notification URL (``notify_*``).
approval_events = Table(
    "approval_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(NAME), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("body", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    #: none (no URL configured), queued, delivered, failed (retries exhausted)
    Column("notify_status", String(16), nullable=False),
    Column("notify_attempts", Integer, nullable=False),
    Column("notify_next_at", DateTime(timezone=True), nullable=True),
    Column("notify_error", Text, nullable=True),
    Index("ix_approval_events_notify", "notify_status", "notify_next_at"),
)

#: A project's outgoing approval notification webhook: the URL and its HMAC secret, sealed.
project_notifications = Table(
    "project_notifications",
    metadata,
    Column("project", String(NAME), ForeignKey("projects.name", ondelete="CASCADE"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("sealed_secret", LargeBinary, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: A lease per Jenkins controller (``reconcile.leases``): the worker that holds it (``holder``, NULL when
#: released) is the only one reconciling that controller until ``expires_at`` (database time);
#: ``generation`` counts the hand-overs.
controller_leases = Table(
    "controller_leases",
    metadata,
    Column("controller", String(NAME), primary_key=True),
    Column("holder", String(LONG_NAME), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("generation", Integer, nullable=False),
)

#: The workers sharing the controllers, each seen until ``seen_until`` (its heartbeat): how the
#: controllers are spread between the live ones.
lease_workers = Table(
    "lease_workers",
    metadata,
    Column("worker", String(LONG_NAME), primary_key=True),
    Column("seen_until", DateTime(timezone=True), nullable=False),
)
