"""The ownership ledger behind ``DesiredState``: survives a new store instance, filters by project."""

from __future__ import annotations

from bridge.reconcile.ports import Kind, Ref
from bridge.store import Store, StoreDesiredState
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine

A = Ref(Kind.PROJECT, "a")
A_JOB = Ref(Kind.PIPELINE, "a", "build")
A_CRED = Ref(Kind.CREDENTIAL, "a", "build")  # same name, other kind: a different item
B = Ref(Kind.PROJECT, "b")


def test_ledger_round_trip_and_survives_a_restart(store: Store, database_url: str, secret_key: str) -> None:
    desired = StoreDesiredState(store)
    assert desired.owned(["a", "b"]) == set()
    desired.record_owned(add=[A, A_JOB, A_CRED, B])
    desired.record_owned(add=[A])  # recording twice is harmless
    assert desired.owned(["a"]) == {A, A_JOB, A_CRED}
    desired.record_owned(add=[A_JOB], remove=[A_JOB, A_CRED])  # removals first, then additions
    again = Store(make_engine(database_url), SecretBox(secret_key))
    try:
        assert StoreDesiredState(again).owned(["a", "b", "c"]) == {A, A_JOB, B}
    finally:
        again.close()


def test_long_project_lists_are_read_without_one_parameter_each(store: Store) -> None:
    desired = StoreDesiredState(store)
    desired.record_owned(add=[A, B])
    many = [f"p{i}" for i in range(2000)] + ["b"]
    assert desired.owned(many) == {B}
