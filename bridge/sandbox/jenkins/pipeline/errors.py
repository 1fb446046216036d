"""The failures a simulated pipeline can raise, worded as Jenkins prints them.

Compile errors print like Groovy's ``MultipleCompilationErrorsException`` (``WorkflowScript: N: msg @ line N,
column M.`` followed by the source line and a caret, then ``1 error``); run-time failures carry the text and
Java
type that Jenkins shows in the console (``ERROR: …`` for ``AbortException``) and in Stage View's ``error``.
"""

from __future__ import annotations

SOURCE_NAME = "WorkflowScript"


class CompileError(Exception):
    """A syntax or declarative-validation error at a source position (1-based line and column)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _sample(source: str, line: int, column: int) -> str | None:
    """The source excerpt with a caret, cut the way Groovy's ``AbstractReaderSource.getSample`` does."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1].rstrip("\r")
    if column <= 0:
        return text
    marker = " " * (column - 1) + "^"
    if column > 40:
        start = column - 30 - 1
        end = min(len(text), column + 10 - 1)
        return "   " + text[start:end] + "\n   " + marker[start:]
    return "   " + text + "\n   " + marker


def syntax_error_block(source: str, error: CompileError) -> str:
    """One error as Groovy's ``SyntaxErrorMessage.write`` prints it: ``WorkflowScript: L: msg @ line L,
    column C.``, then the source line and a caret, each followed by a line break."""
    entry = f"{SOURCE_NAME}: {error.line}: {error.message} @ line {error.line}, column {error.column}."
    sample = _sample(source, error.line, error.column)
    return entry if sample is None else f"{entry}\n{sample}\n"


def format_compile_errors(source: str, errors: list[CompileError]) -> str:
    """The exception text Jenkins prints into the console when the Jenkinsfile does not compile."""
    out = ["org.codehaus.groovy.control.MultipleCompilationErrorsException: startup failed:"]
    for error in errors:
        entry = f"{SOURCE_NAME}: {error.line}: {error.message} @ line {error.line}, column {error.column}."
        sample = _sample(source, error.line, error.column)
        out.append(entry if sample is None else f"{entry}\n{sample}")
    out.append("")
    out.append(f"{len(errors)} error" + ("s" if len(errors) > 1 else ""))
    return "\n".join(out) + "\n"


class StepFailure(Exception):
    """A step failed the build: ``type`` is the Java exception class Jenkins would record."""

    java_type = "hudson.AbortException"
    result = "FAILURE"

    def __init__(self, message: str, *, java_type: str | None = None, abort_like: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if java_type:
            self.java_type = java_type
        # AbortException and its subclasses print as "ERROR: message", without a stack trace.
        self.abort_like = self.java_type == "hudson.AbortException" if abort_like is None else abort_like

    def console_text(self) -> str:
        """What the end of the console shows for this failure."""
        if self.abort_like:
            return f"ERROR: {self.message}"
        return f"{self.java_type}: {self.message}"


class Interrupted(StepFailure):
    """``FlowInterruptedException``: stop/abort of the build or rejection of an input; result ABORTED."""

    java_type = "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"
    result = "ABORTED"

    def __init__(self, message: str = "", *, result: str = "ABORTED") -> None:
        super().__init__(message)
        self.result = result

    def console_text(self) -> str:
        return ""  # "Aborted by …" / "Rejected by …" is printed when it happens


class Suspended(BaseException):
    """The controller is shutting down: the run's thread unwinds without recording anything, and the run
    resumes from its saved state at the next start (nothing may catch this)."""


class TimeoutExceeded(Interrupted):
    """``FlowInterruptedException(ABORTED, ExceededTimeout)`` from the ``timeout`` step whose start node is
    ``owner``. Inside that step's body it is an actual interruption (nothing catches it); once it has
    passed the step, ``actualInterruption`` is false, so ``retry`` and ``catchError`` may handle it."""

    def __init__(self, owner: str) -> None:
        super().__init__("Timeout has been exceeded")
        self.owner = owner
        self.actual_interruption = True

    def console_text(self) -> str:
        return self.message  # ExceededTimeout.getShortDescription, printed by FlowInterruptedException.handle


def actual_interruption(error: BaseException) -> bool:
    """Whether ``retry``/``catchError``/``try`` must let ``error`` through (a stop, an abort, a timeout
    still inside its own step)."""
    return isinstance(error, Interrupted) and getattr(error, "actual_interruption", True)
