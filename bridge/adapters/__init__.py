"""One adapter per external system, each behind a small interface."""
