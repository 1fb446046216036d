"""Prometheus metrics: the instruments (``instruments.py``), Jenkins request operations
(``operations.py``) and the gauges read from the store at scrape time (``store_gauges.py``).

One ``Metrics`` per process, built in the composition root and handed to whoever records: the API's
request hook, the Jenkins adapter's request observer, the worker's pass hook and the leader lock.
Its registry is its own (never prometheus_client's global one), so several apps in one test process
never collide.
"""

from bridge.metrics.instruments import CONTENT_TYPE, Metrics

__all__ = ["CONTENT_TYPE", "Metrics"]
