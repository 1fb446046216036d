"""Nodes and executors: the built-in node, static agents and Kubernetes pod-template agents.

With a JCasC file the built-in node has ``jenkins.numExecutors`` executors (Pipeline's own flyweight
task always runs on its one-off executor, whatever the count); ``node``/``agent`` blocks need a regular
executor on a node whose labels match (the built-in node's label is ``built-in``; a node's name is also
one of its labels). A block is a queue task run as the build's identity, so the node must grant it
Agent/Build (``Node.canTake``). A pod template whose label matches provisions an agent
``<template>-<5 chars>`` with one executor, removed when the block ends. While nothing can take the
block, ``allocate`` answers the cause of blockage (``CauseOfBlockage`` texts, as the console prints
them). Without a JCasC file every block runs on the built-in node at once (the sandbox's old default).
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.jenkins import acl
from bridge.sandbox.jenkins.casc import CascConfig
from bridge.sandbox.jenkins.model import SandboxState
from bridge.sandbox.jenkins.pipeline.context import NodeLease

COMPUTER_BUILD = "hudson.model.Computer.Build"
BUILT_IN = "built-in"
LQ, RQ = "\u2018", "\u2019"  # Jenkins' typographic quotes in CauseOfBlockage texts
WORKSPACE = {"built-in": "/var/jenkins_home/workspace", "agent": "/home/jenkins/agent/workspace"}
KEY = "nodes"  # state.extensions key


@dataclass(eq=False)
class Node:
    name: str  # "" for the built-in node (its computer sorts first)
    labels: frozenset[str]
    num_executors: int
    kind: str  # built-in | permanent | pod
    mode: str = "NORMAL"  # EXCLUSIVE: only tasks whose label expression matches it
    slots: list[Any] = field(default_factory=list)  # the Build occupying each executor, or None

    def __post_init__(self) -> None:
        self.slots = [None] * self.num_executors

    @property
    def display(self) -> str:
        return "Built-In Node" if self.kind == "built-in" else self.name


@dataclass(frozen=True)
class Template:
    name: str
    labels: frozenset[str]
    mode: str = "EXCLUSIVE"  # the kubernetes plugin's default nodeUsageMode


class Executors:
    def __init__(self, state: SandboxState, controller_env: dict[str, str]) -> None:
        config = state.extensions.get("casc")
        self.state = state
        self.lock = threading.Lock()
        self.legacy = not isinstance(config, CascConfig)
        self.controller_env = dict(controller_env)
        executors = config.num_executors if isinstance(config, CascConfig) else 2
        mode = config.mode if isinstance(config, CascConfig) else "NORMAL"
        self.built_in = Node("", frozenset({BUILT_IN}), executors, "built-in", mode)
        self.agents: list[Node] = []
        self.templates: list[Template] = []
        if isinstance(config, CascConfig):
            for spec in config.agents:
                if spec.template:
                    self.templates.append(Template(spec.name, frozenset(spec.labels), spec.mode))
                else:
                    labels = frozenset({*spec.labels, spec.name})
                    self.agents.append(Node(spec.name, labels, spec.num_executors, "permanent", spec.mode))
        self._waiters: list[Callable[[], None]] = []

    def nodes(self) -> list[Node]:
        return [self.built_in, *sorted(self.agents, key=lambda n: n.name)]

    # -- allocation ------------------------------------------------------------------------------------
    def allocate(
        self, build: Any, who: acl.Identity, label: str | None, wake: Callable[[], None]
    ) -> NodeLease | str:
        """A lease, or the cause of blockage as the console prints it (``CauseOfBlockage.print``)."""
        with self.lock:
            if self.legacy:
                return self._lease(self.built_in, None, build)
            may_build = acl.has_permission(self.state, who, self.state.root, COMPUTER_BUILD)
            matching = [n for n in self.nodes() if _takes(n.labels, n.mode, label)]
            lacking: list[str] = []
            for node in matching:
                free = next((i for i, b in enumerate(node.slots) if b is None), None)
                if free is None:
                    continue
                if not may_build:  # Node.canTake: the block runs as the build's identity
                    lacking.append(
                        f"{LQ}{who.name}{RQ} lacks permission to run on {LQ}{_console_name(node)}{RQ}"
                    )
                    continue
                return self._lease(node, free, build)
            template = next((t for t in self.templates if _takes(t.labels, t.mode, label)), None)
            if template is not None:
                name = f"{template.name}-" + "".join(
                    secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5)
                )
                if not may_build:
                    lacking.append(f"{LQ}{who.name}{RQ} lacks permission to run on {LQ}{name}{RQ}")
                else:
                    pod = Node(name, frozenset({*template.labels, name}), 1, "pod", template.mode)
                    self.agents.append(pod)
                    note = f"Agent {name} is provisioned from template {template.name}"
                    return self._lease(pod, 0, build, note=note)
            if wake not in self._waiters:
                self._waiters.append(wake)
            return "; ".join(lacking) if lacking else self._why(label, matching)

    def _why(self, label: str | None, matching: list[Node]) -> str:
        """``Queue.BuildableItem.getCauseOfBlockage``: without agents labels are not discussed; a label
        without nodes; one busy node (named); several (the label named)."""
        if label is None or not self.agents:
            return "Waiting for next available executor"
        if not matching:
            return f"There are no nodes with the label {LQ}{label}{RQ}"
        if len(matching) == 1:
            return f"Waiting for next available executor on {LQ}{_console_name(matching[0])}{RQ}"
        return f"Waiting for next available executor on {LQ}{label}{RQ}"

    def _lease(self, node: Node, slot: int | None, build: Any, note: str | None = None) -> NodeLease:
        if slot is not None:
            node.slots[slot] = build
        elif node.kind == "built-in":
            node.slots.append(build)  # legacy: as many executors as blocks
        labels = " ".join(sorted(node.labels))
        if node.kind == "built-in":
            env = {**self.controller_env, "NODE_NAME": BUILT_IN, "NODE_LABELS": labels}
            files = {"/var/jenkins_home/secrets/master.key": _master_key(self.state)}
            return NodeLease(
                BUILT_IN, "Jenkins", WORKSPACE["built-in"], env, files, self._releaser(node, build)
            )
        env = {"NODE_NAME": node.name, "NODE_LABELS": labels}
        notes = (note,) if note else ()
        return NodeLease(
            node.name, node.name, WORKSPACE["agent"], env, {}, self._releaser(node, build), notes
        )

    def _releaser(self, node: Node, build: Any) -> Callable[[], None]:
        def release() -> None:
            with self.lock:
                if build in node.slots:
                    index = node.slots.index(build)
                    if self.legacy and node.kind == "built-in":
                        node.slots.pop(index)
                    else:
                        node.slots[index] = None
                if node.kind == "pod" and node in self.agents:
                    self.agents.remove(node)
                waiters, self._waiters = self._waiters, []
            for wake in waiters:
                wake()

        return release


def _takes(labels: frozenset[str], mode: str, label: str | None) -> bool:
    """``Node.canTake`` on labels: a labelled task needs the label; an unlabelled one a NORMAL node."""
    return label in labels if label is not None else mode == "NORMAL"


def _console_name(node: Node) -> str:
    """``ModelHyperlinkNote.encodeTo(Node)``: the built-in node's display name is ``Jenkins``."""
    return "Jenkins" if node.kind == "built-in" else node.name


def _master_key(state: SandboxState) -> str:
    import hashlib

    return hashlib.sha256(("master.key:" + state.instance_salt).encode()).hexdigest() * 8


_CREATING = threading.Lock()


def executors(state: SandboxState, services: dict[str, Any]) -> Executors:
    """The instance's executors (created on first use; safe without the instance lock)."""
    found = state.extensions.get(KEY)
    if isinstance(found, Executors):
        return found
    with _CREATING:
        found = state.extensions.get(KEY)
        if not isinstance(found, Executors):
            found = Executors(state, services.get("controller_env") or {})
            state.extensions[KEY] = found
        return found
