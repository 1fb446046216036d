"""The missed-push safety net: list the refs of watched repositories and run what no delivery announced.

Providers drop deliveries (GitHub and Gitea never retry, GitLab disables failing hooks, a push of more
than three refs may send none). For every pipeline whose trigger sets ``poll``, the worker lists the
repository's branches and tags (``git ls-remote`` with the pipeline's credential, through the injected
``RefLister``) every ``webhooks.poll_refs_interval`` seconds. A selected ref whose head commit has no
delivery row for the pipeline gets one, provider ``poll``, queued like any delivery. The first time a ref
is seen, its head is only recorded (``ignored``: the poll does not build history). A delivery and a poll
row for the same commit never both run: the dispatcher skips a commit already started for that ref.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bridge.domain.model import CredentialType, Pipeline
from bridge.errors import BridgeError
from bridge.store import Store
from bridge.store.webhooks import IGNORED, QUEUED, NewDelivery
from bridge.webhooks.events import Push, RefKind
from bridge.webhooks.matching import decide

log = logging.getLogger(__name__)

#: ``(url, (username, password) or None)`` → ``{full ref: commit}``; raises ``BridgeError`` when it cannot.
RefLister = Callable[[str, tuple[str, str] | None], Mapping[str, str]]
PROVIDER = "poll"
BASELINE = "first seen by the poll: the commit already there is not run"


@dataclass
class PollResult:
    pipelines: int = 0
    queued: int = 0
    errors: int = 0


def _push(ref: str, sha: str) -> Push | None:
    for prefix, kind in (("refs/heads/", RefKind.BRANCH), ("refs/tags/", RefKind.TAG)):
        if ref.startswith(prefix):
            return Push(ref, kind, ref[len(prefix) :], sha)
    return None


class RefPoller:
    def __init__(self, store: Store, ls_remote: RefLister) -> None:
        self.store, self.ls_remote = store, ls_remote

    def run(self) -> PollResult:
        result = PollResult()
        with self.store.read() as tx:
            watched = [p for p in tx.pipelines.with_triggers() if p.webhook is not None and p.webhook.poll]
        for p in watched:
            result.pipelines += 1
            try:
                result.queued += self._one(p)
            except BridgeError as e:
                result.errors += 1
                log.warning("ref poll of %s/%s: %s", p.project, p.name, e.detail)
        return result

    def _auth(self, p: Pipeline) -> tuple[str, str] | None:
        cid = p.scm.credential if p.scm is not None else None
        if cid is None:
            return None
        with self.store.read() as tx:
            stored = tx.credentials.get(p.project, cid)
        if stored is None or stored.obj.type is not CredentialType.BASIC_AUTH:
            return None  # SSH keys are not used for listing; a public repository needs none
        data = stored.obj.data
        return data.get("username", ""), data.get("password", "")

    def _one(self, p: Pipeline) -> int:
        assert p.webhook is not None
        url = p.webhook_repo or ""
        refs = self.ls_remote(url, self._auth(p))
        with self.store.read() as tx:
            seen = tx.deliveries.commits_by_ref(p.project, p.name)
        rows: list[NewDelivery] = []
        for ref, sha in sorted(refs.items()):
            push = _push(ref, sha)
            if push is None or not decide(p.webhook, push).start or sha in seen.get(ref, set()):
                continue
            first = ref not in seen
            rows.append(
                NewDelivery(
                    provider=PROVIDER,
                    delivery=f"poll-{sha}",
                    event="ls-remote",
                    project=p.project,
                    pipeline=p.name,
                    repo_url=url[:2048],
                    ref=ref[:512],
                    commit=sha[:64],
                    pusher="",
                    signed=True,
                    parameters=dict(decide(p.webhook, push).parameters),
                    status=IGNORED if first else QUEUED,
                    error=BASELINE if first else None,
                )
            )
        if not rows:
            return 0
        with self.store.write() as tx:
            tx.deliveries.add_all(rows)
        return sum(1 for r in rows if r.status == QUEUED)
