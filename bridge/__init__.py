"""jenkins-bridge: DevOps projects, pipelines and credentials kept in step with Jenkins.

Importing the package does no I/O and reads no environment; see ``bridge.app.create_app``.
"""

__version__ = "0.1.0"
