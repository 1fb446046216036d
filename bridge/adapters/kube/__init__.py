"""Kubernetes adapters (the host cluster and member clusters)."""
