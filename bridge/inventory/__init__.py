"""The cluster inventory: sources feed it, it merges them into the store and tells listeners what changed.

``ports.py`` names what it needs from the outside (sources, a reachability probe); ``inventory.py``
merges and persists; ``prober.py`` checks reachability; ``runner.py`` runs it all in threads. Only
``bridge.adapters.kube`` talks to Kubernetes (import-linter).
"""
