"""One module per resource; each holds a ``routes`` registry merged by ``bridge.api.build_registry``."""
