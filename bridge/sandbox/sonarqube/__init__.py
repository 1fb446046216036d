"""The sandbox SonarQube: the few Web API endpoints a Jenkins build and the bridge use, over HTTP.

``SandboxSonarQube`` (``server.py``) answers ``api/server/version``, ``api/ce/submit`` (what a scanner
calls at the end of an analysis), ``api/ce/task``, ``api/qualitygates/project_status``,
``api/measures/component`` and ``api/issues/search`` with SonarQube's documented shapes, errors and
authentication (a user token as the Basic user with an empty password, or ``Bearer``). What an analysis
finds is the project's *profile* (``state.Profile``): tests set it, otherwise a fixed default is used.
Modules: ``state`` (projects, tasks, analyses), ``metrics`` (the metric catalogue), ``shapes`` (JSON
of each endpoint), ``app`` (WSGI: auth, routing, errors), ``server`` (lifecycle, outage).
It imports nothing of ``bridge`` outside ``bridge.sandbox``.
"""

from bridge.sandbox.sonarqube.server import SandboxSonarQube
from bridge.sandbox.sonarqube.state import Account, Condition, Issue, Profile

__all__ = ["Account", "Condition", "Issue", "Profile", "SandboxSonarQube"]
