"""Git push webhooks, provider by provider, without I/O or frameworks.

``providers`` reads one delivery (headers + raw body) into a ``Delivery``: who sent it, its id, the
signature it carries and, for a push, one ``Push`` per ref; ``signatures`` checks a signature against a
candidate secret in constant time; ``urls`` normalises repository URLs into the key triggers are
indexed by; ``matching`` decides whether a push starts a pipeline and with which parameters.
"""
