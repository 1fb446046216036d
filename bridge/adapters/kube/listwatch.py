"""List, then watch from the list's ``resourceVersion``; re-list on 410 Gone and periodically.

The Kubernetes list-watch contract: a list returns a consistent snapshot and its ``resourceVersion``; a
watch from that version delivers every later change (``ADDED``/``MODIFIED``/``DELETED``, plus
``BOOKMARK`` events that only advance the version). When the version is too old for the server's
history it answers 410 Gone (as the HTTP status or as an ``ERROR`` event with code 410): the client
must list again. A watch ends after ``timeout_seconds``; it is then resumed from the last version seen.
A full re-list every ``relist_interval`` is the safety net. Errors back off and retry, never end the
loop; their log lines hold a status or an exception type, never a response body.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

log = logging.getLogger(__name__)

Obj = Mapping[str, Any]
GONE = 410
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)


class Gone(Exception):
    """The resource version is too old: list again."""


class WatchFailed(Exception):
    """A list or watch call failed; the message is safe to log."""


@dataclass
class ListWatch:
    #: What is watched, for logs: ``clusters.cluster.kubesphere.io``.
    what: str
    #: A generated list function with its positional arguments bound (``CustomObjectsApi.list_…``).
    call: Callable[..., Any]
    on_list: Callable[[Sequence[Obj]], None]
    on_event: Callable[[str, Obj], None]
    relist_interval: float = 300.0
    #: Seconds a single watch request lasts before it is resumed.
    watch_window: int = 60
    request_timeout: float = 30.0
    #: Counters, for tests and logs.
    lists: int = 0
    gone: int = 0
    _resp: Any = field(default=None, repr=False)

    def run(self, stop: threading.Event, *, resource_version: str | None = None) -> None:
        """Until ``stop``: list, watch, resume; ``resource_version`` starts with a watch instead."""
        rv = resource_version
        next_list = time.monotonic() + self.relist_interval if rv else 0.0
        failures = 0
        while not stop.is_set():
            try:
                if rv is None or time.monotonic() >= next_list:
                    rv = self.list_once()
                    next_list = time.monotonic() + self.relist_interval
                window = max(1, min(self.watch_window, int(next_list - time.monotonic()) + 1))
                rv = self.watch_once(rv, window=window, stop=stop)
                failures = 0
            except Gone:
                self.gone += 1
                log.info("%s: resource version expired (410 Gone); listing again", self.what)
                rv = None
            except WatchFailed as e:
                if stop.is_set():
                    return
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("%s: %s; retrying in %.0fs", self.what, e, delay)
                rv = None if failures > 1 else rv
                stop.wait(delay)

    def interrupt(self) -> None:
        """Unblock a running watch (for a prompt stop)."""
        resp = self._resp
        if resp is not None:
            with contextlib.suppress(Exception):  # best effort; the watch window ends it anyway
                resp.shutdown()

    def list_once(self) -> str:
        """List everything, hand it to ``on_list``; returns the list's resource version."""
        document = self._json(self._request(_request_timeout=self.request_timeout))
        self.lists += 1
        items = document.get("items") or []
        self.on_list([i for i in items if isinstance(i, dict)])
        return str((document.get("metadata") or {}).get("resourceVersion") or "")

    def watch_once(self, rv: str, *, window: int, stop: threading.Event | None = None) -> str:
        """One watch request from ``rv``; returns the last version seen. Raises ``Gone`` on 410."""
        resp = self._request(
            watch=True,
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=window,
            _request_timeout=(self.request_timeout, window + self.request_timeout),
        )
        self._check_status(resp)
        self._resp = resp
        try:
            # ``stop`` is set before ``interrupt()`` runs: a stop that came while this request was being
            # opened found no response to shut down, so it is seen here instead of after the window.
            if stop is not None and stop.is_set():
                return rv
            for line in iter_resp_lines(resp):  # type: ignore[no-untyped-call]
                if stop is not None and stop.is_set():
                    break
                rv = self._event(line, rv)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            if stop is not None and stop.is_set():
                return rv
            raise WatchFailed(f"watch interrupted: {type(e).__name__}") from None
        finally:
            self._resp = None
            resp.release_conn()
        return rv

    def _event(self, line: str, rv: str) -> str:
        try:
            event = json.loads(line)
        except ValueError:
            raise WatchFailed("the watch sent a line that is not JSON") from None
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            code = obj.get("code")
            if code == GONE:
                raise Gone()
            raise WatchFailed(f"the watch ended with an error status {code} {obj.get('reason', '')}".rstrip())
        new_rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self.on_event(str(kind), obj)
        return new_rv

    def _request(self, **kwargs: Any) -> Any:
        try:
            return self.call(_preload_content=False, **kwargs)
        except ApiException as e:
            if e.status == GONE:
                raise Gone() from None
            raise WatchFailed(f"HTTP {e.status} {e.reason or ''}".rstrip()) from None
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise WatchFailed(f"cannot reach the API server: {type(e).__name__}") from None

    def _check_status(self, resp: Any) -> None:
        status = getattr(resp, "status", 200)
        if 200 <= status <= 299:
            return
        resp.release_conn()
        if status == GONE:
            raise Gone()
        raise WatchFailed(f"HTTP {status}")

    def _json(self, resp: Any) -> dict[str, Any]:
        self._check_status(resp)
        try:
            document = json.loads(resp.data)
        except ValueError:
            raise WatchFailed("the list answer is not JSON") from None
        finally:
            resp.release_conn()
        if not isinstance(document, dict):
            raise WatchFailed("the list answer is not an object")
        return document
