"""Outgoing notification webhooks (``post.py``)."""
