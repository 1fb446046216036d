"""Pydantic models: request bodies (``*In``, ``*Put``, ``*Patch``; unknown fields refused) and
responses (``*Out``). They validate shape only; the services enforce the rules, so ``apply -f`` gets
the same checks. Response models never carry secret credential values."""
