"""Test doubles the project ships: wire-faithful emulators of the external systems the bridge talks to.

They are not mocks. Each one answers at the HTTP level exactly as the real system does (URLs, methods,
status codes, headers, JSON/XML shapes), because the bridge is only as good as the tests that ran it,
and no real Jenkins can run on the machines that run those tests. See ``docs/sandbox.md``.
"""
