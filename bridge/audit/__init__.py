"""The audit log: who did what, from where, when, with which outcome. Append-only."""
