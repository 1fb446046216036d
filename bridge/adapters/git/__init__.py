"""Git remotes, through the ``git`` binary (``remote.py``)."""
