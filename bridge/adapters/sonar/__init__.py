"""SonarQube's Web API: the reads behind the code-quality views (``port.py``, ``client.py``)."""
