"""Use cases over the store: validation, writes with their dirty keys, deletes as tombstones.

The API and ``jenkins-bridge apply -f`` both go through these services, so a rule is enforced once.
Every write marks the object's sync state ``pending`` and enqueues its ``Ref`` in the same
transaction, so the worker (maybe another process) picks it up; every delete removes the row, leaves a
tombstone for the worker to remove from Jenkins, and enqueues the key too.
"""
