"""Shared fixtures live in tests/fixtures/*, one module per external system, loaded as plugins."""

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.kube",
    "tests.fixtures.postgres",
    "tests.fixtures.gitea",
    "tests.fixtures.app",
    "tests.fixtures.leaks",
    "tests.fixtures.audit_trail",
    "tests.fixtures.workers",
]
