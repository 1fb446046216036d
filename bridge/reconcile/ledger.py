"""The ownership ledger during one pass: what the store named, and the changes to write back.

See ``provision.py`` ("Ownership") for why the ledger exists next to the marker in Jenkins.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from bridge.domain.plan import PROJECT, Ref, Seen


class Ledger:
    """The ownership ledger during one pass: what the store named, and the changes to write back."""

    def __init__(self, owned: set[Ref]) -> None:
        self._lock = threading.Lock()  # projects are applied side by side (``pool.py``)
        self.owned = owned
        self.added: set[Ref] = set()
        self.removed: set[Ref] = set()

    def folders(self) -> set[str]:
        return {ref.project for ref in self.owned if ref.kind == PROJECT}

    def claim(self, ref: Ref) -> None:
        with self._lock:
            if ref not in self.owned:
                self.owned.add(ref)
                self.added.add(ref)
            self.removed.discard(ref)

    def release(self, ref: Ref) -> None:
        """``ref`` is gone from Jenkins; a folder takes everything recorded inside it along."""
        with self._lock:
            gone = {r for r in self.owned if r == ref or (ref.kind == PROJECT and r.project == ref.project)}
            self.owned -= gone
            self.removed |= gone
            self.added -= gone

    def apply(self, seen: Mapping[Ref, Seen], *, observed: set[str]) -> dict[Ref, Seen]:
        """Observation with ownership applied: marked items are recorded; recorded items that lost
        their marker count as ours (when still the right kind of item); recorded items seen absent
        are forgotten, so a later same-named item is not ours."""
        for ref in [r for r in self.owned if r.project in observed and r not in seen]:
            self.owned.discard(ref)
            self.removed.add(ref)
        result = dict(seen)
        for ref, item in seen.items():
            if item.managed:
                self.claim(ref)
            elif ref in self.owned and item.compatible:
                result[ref] = Seen(managed=True, stamp=item.stamp)  # ours, marker removed in Jenkins
        return result
