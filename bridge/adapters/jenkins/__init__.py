"""The Jenkins adapter: ``JenkinsPort`` (what the bridge needs) and ``JenkinsAdapter`` (over HTTP).

Only this package imports ``jenkins`` (python-jenkins); everything above it sees the port and the
bridge's own error types.
"""

from bridge.adapters.jenkins.port import JenkinsPort, ObservedFolder, ObservedItem, RequestCounter

__all__ = ["JenkinsPort", "ObservedFolder", "ObservedItem", "RequestCounter"]
