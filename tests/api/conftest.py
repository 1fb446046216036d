"""Fixtures shared by the API tests (the ``tenants`` world of tests/api/tenants.py)."""

from tests.api.tenants import tenants

__all__ = ["tenants"]
