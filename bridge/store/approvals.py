"""Approvals in the store: the inputs paused runs wait on, partial approvals and approval events.

``ApprovalRepo`` is ``Tx.approvals``: every method runs inside the caller's transaction, so an
approval's vote, its decision, its event and the API's audit entry commit together. A decision is
written only while the input is still ``waiting`` (``decide`` answers whether it was), so two approvers
racing for the last approval cannot both proceed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from bridge.domain.approvals import InputState, PendingInput
from bridge.store.records import utc
from bridge.store.tables import approval_events, approval_inputs, approval_votes

Clock = Callable[[], datetime]
IN, V, E = approval_inputs.c, approval_votes.c, approval_events.c


def _of(row: Any, approvals: Sequence[str] = ()) -> PendingInput:
    return PendingInput(
        id=row.id,
        project=row.project,
        pipeline=row.pipeline,
        number=row.number,
        input_id=row.input_id,
        message=row.message,
        ok=row.ok,
        submitter=row.submitter,
        parameters=list(row.parameters or ()),
        started_by=row.started_by,
        since=utc(row.since),
        state=InputState(row.state),
        decided_by=row.decided_by,
        decided_at=utc(row.decided_at) if row.decided_at else None,
        comment=row.comment,
        approvals=tuple(approvals),
    )


class ApprovalRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def _with_votes(self, rows: Sequence[Any]) -> list[PendingInput]:
        ids = [r.id for r in rows]
        votes: dict[int, list[str]] = {}
        if ids:
            found = self.conn.execute(
                select(V.input, V.user).where(V.input.in_(ids)).order_by(V.voted_at, V.user)
            )
            for v in found:
                votes.setdefault(v.input, []).append(v.user)
        return [_of(r, votes.get(r.id, ())) for r in rows]

    def get(self, project: str, pipeline: str, number: int, input_id: str) -> PendingInput | None:
        row = self.conn.execute(
            select(approval_inputs).where(
                IN.project == project, IN.pipeline == pipeline, IN.number == number, IN.input_id == input_id
            )
        ).first()
        return None if row is None else self._with_votes([row])[0]

    def for_run(self, project: str, pipeline: str, number: int) -> list[PendingInput]:
        rows = self.conn.execute(
            select(approval_inputs)
            .where(IN.project == project, IN.pipeline == pipeline, IN.number == number)
            .order_by(IN.id)
        ).all()
        return self._with_votes(rows)

    def add(self, p: PendingInput) -> PendingInput:
        """Record an input seen waiting (the caller checked it is not recorded yet)."""
        values = {
            "project": p.project,
            "pipeline": p.pipeline,
            "number": p.number,
            "input_id": p.input_id,
            "message": p.message,
            "ok": p.ok,
            "submitter": p.submitter,
            "parameters": [dict(x) for x in p.parameters],
            "started_by": p.started_by,
            "since": p.since,
            "state": p.state.value,
            "updated_at": self.clock(),
        }
        new_id = self.conn.execute(insert(approval_inputs).values(**values)).inserted_primary_key
        assert new_id is not None
        return replace(p, id=int(new_id[0]))

    def waiting(
        self, *, projects: Collection[str] | None = None, after_id: int = 0, limit: int | None = None
    ) -> list[PendingInput]:
        """Waiting inputs in id order (of ``projects`` only, when given)."""
        q = select(approval_inputs).where(IN.state == InputState.WAITING.value, IN.id > after_id)
        if projects is not None:
            q = q.where(IN.project.in_(list(projects)))
        q = q.order_by(IN.id)
        if limit is not None:
            q = q.limit(limit)
        return self._with_votes(self.conn.execute(q).all())

    def vote(self, input_row: int, user: str, comment: str | None) -> None:
        """One approval of ``user`` (a second one of the same user is a duplicate: ``Conflict``)."""
        self.conn.execute(
            insert(approval_votes).values(input=input_row, user=user, comment=comment, voted_at=self.clock())
        )

    def decide(
        self,
        input_row: int,
        state: InputState,
        user: str | None,
        comment: str | None,
        *,
        also_from: Collection[InputState] = (),
    ) -> bool:
        """Close a waiting input (or one in ``also_from``); ``False`` when it was not (decided already)."""
        now = self.clock()
        states = [InputState.WAITING.value, *(s.value for s in also_from)]
        done = self.conn.execute(
            update(approval_inputs)
            .where(and_(IN.id == input_row, IN.state.in_(states)))
            .values(state=state.value, decided_by=user, decided_at=now, comment=comment, updated_at=now)
        )
        return done.rowcount == 1

    # -- events ----------------------------------------------------------------------------------

    def add_event(self, project: str, kind: str, body: Mapping[str, Any], *, notify: bool) -> int:
        now = self.clock()
        new_id = self.conn.execute(
            insert(approval_events).values(
                project=project,
                kind=kind,
                body=dict(body),
                at=now,
                notify_status="queued" if notify else "none",
                notify_attempts=0,
                notify_next_at=now if notify else None,
            )
        ).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def events_after(self, after_id: int, *, limit: int = 100) -> list[tuple[int, str, str, dict[str, Any]]]:
        """``(id, project, kind, body)`` of the events after ``after_id``, oldest first."""
        rows = self.conn.execute(
            select(E.id, E.project, E.kind, E.body).where(E.id > after_id).order_by(E.id).limit(limit)
        )
        return [(r.id, r.project, r.kind, dict(r.body)) for r in rows]

    def last_event_id(self) -> int:
        row = self.conn.execute(select(E.id).order_by(E.id.desc()).limit(1)).first()
        return int(row.id) if row else 0

    def due_notifications(
        self, now: datetime, *, limit: int = 50
    ) -> list[tuple[int, str, dict[str, Any], int]]:
        """``(id, project, body, attempts)`` of queued notifications whose time has come."""
        rows = self.conn.execute(
            select(E.id, E.project, E.kind, E.body, E.notify_attempts)
            .where(E.notify_status == "queued", E.notify_next_at <= now)
            .order_by(E.id)
            .limit(limit)
        )
        return [(r.id, r.project, {"event": r.kind, **dict(r.body)}, r.notify_attempts) for r in rows]

    def notified(
        self, event_id: int, *, status: str, attempts: int, next_at: datetime | None, error: str | None
    ) -> None:
        self.conn.execute(
            update(approval_events)
            .where(E.id == event_id)
            .values(
                notify_status=status, notify_attempts=attempts, notify_next_at=next_at, notify_error=error
            )
        )
