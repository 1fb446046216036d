"""Jenkins requests as a small, fixed set of operation names: a metric label must never carry a
project, job or credential name (unbounded cardinality, and names are tenants' data)."""

from __future__ import annotations

#: The last path segment of a Jenkins request → its operation (POST and GET may differ).
_BY_SEGMENT: dict[tuple[str, str], str] = {
    ("POST", "createItem"): "create_item",
    ("POST", "doDelete"): "delete_item",
    ("POST", "config.xml"): "update_config",
    ("GET", "config.xml"): "read_config",
    ("DELETE", "config.xml"): "delete_credential",
    ("POST", "createCredentials"): "create_credential",
    ("GET", "crumbIssuer"): "crumb",
    ("GET", "whoAmI"): "whoami",
    ("POST", "validateJenkinsfile"): "validate_jenkinsfile",
    ("POST", "buildWithParameters"): "start_run",
    ("POST", "build"): "start_run",
    ("POST", "stop"): "stop_run",
    ("POST", "createAccountByAdmin"): "create_user",
    ("POST", "generateNewToken"): "mint_token",
    ("POST", "revoke"): "revoke_token",
    ("GET", "progressiveText"): "log",
    ("GET", "progressiveHtml"): "log",
    ("GET", "consoleText"): "log",
    ("GET", "describe"): "describe_run",
    ("GET", "pendingInputActions"): "pending_inputs",
}


def operation_of(method: str, path: str) -> str:
    """``("POST", "/job/a/job/b/config.xml")`` → ``update_config``; reads of ``api/json`` → ``read``;
    anything unknown → ``other``. ``path`` is the URL path (no query)."""
    method = method.upper()
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "other"
    if parts[-1] in ("json", "xml") and len(parts) >= 2 and parts[-2] == "api":
        parts = parts[:-2]
        if parts and parts[-1] in ("crumbIssuer", "whoAmI"):
            return _BY_SEGMENT[("GET", parts[-1])]
        if "credentials" in parts:
            return "read_credentials"
        return "read" if method == "GET" else "other"
    last = parts[-1]
    if method == "POST" and len(parts) >= 2 and parts[-2] == "input":
        return "answer_input"
    if method == "POST" and last in ("proceedEmpty", "abort", "submit"):
        return "answer_input"
    return _BY_SEGMENT.get((method, last), "other")
