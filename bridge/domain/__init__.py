"""Domain values and pure logic: no I/O, no frameworks, no clients (enforced by import-linter)."""
