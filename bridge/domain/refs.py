"""The one key type: ``Ref`` names one managed object, in the store, the plan and the worker alike.

``Ref(Kind.PROJECT, "demo")`` is a project's folder (``name`` empty); ``Ref(Kind.PIPELINE, "demo",
"build")`` and ``Ref(Kind.CREDENTIAL, "demo", "git")`` are objects in it. The dirty-key table, the
sync state, tombstones, the ownership ledger and the plan's actions all use it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.StrEnum):
    PROJECT = "project"
    CREDENTIAL = "credential"
    PIPELINE = "pipeline"


PROJECT = Kind.PROJECT
CREDENTIAL = Kind.CREDENTIAL
PIPELINE = Kind.PIPELINE


@dataclass(frozen=True, order=True)
class Ref:
    """One managed object: a project folder (``name`` empty), or a credential or pipeline in it."""

    kind: Kind
    project: str
    name: str = ""

    @property
    def folder(self) -> Ref:
        return Ref(Kind.PROJECT, self.project)

    def __str__(self) -> str:
        return f"{self.kind} {self.project}" + (f"/{self.name}" if self.name else "")
