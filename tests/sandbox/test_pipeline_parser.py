"""Parser and compile-error tests: Groovy string forms, command calls, declarative validation."""

from __future__ import annotations

import pytest

from bridge.sandbox.jenkins.pipeline import CompileErrors, Pipeline, Scripted, compile_program
from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.errors import CompileError, format_compile_errors
from bridge.sandbox.jenkins.pipeline.parser import parse_groovy
from tests.sandbox.pipeline_helpers import SEED


def expr(source: str) -> s.Expr:
    (stmt,) = parse_groovy(source)
    assert isinstance(stmt, s.ExprStmt)
    return stmt.expr


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (r"'it\'s'", "it's"),
        ("'$NOT_INTERPOLATED ${x}'", "$NOT_INTERPOLATED ${x}"),
        ("'''multi\nline'''", "multi\nline"),
        (r'"tab\tnew\nline \$x \u00e9"', "tab\tnew\nline $x \u00e9"),
        ('"""no vars here"""', "no vars here"),
        ("'// not a comment /* nor this */'", "// not a comment /* nor this */"),
    ],
)
def test_plain_strings(source: str, value: str) -> None:
    assert expr(source) == s.Literal(value)


def test_gstring_parts() -> None:
    parsed = expr("\"SNAPSHOT-$BRANCH_NAME-${env.BUILD_NUMBER}-${ x == '}' ? \"a}\" : 'b' }-$params.X.\"")
    assert isinstance(parsed, s.GString)
    assert parsed.parts[0] == "SNAPSHOT-"
    assert parsed.parts[1] == s.Var("BRANCH_NAME")
    assert parsed.parts[3] == s.Prop(s.Var("env"), "BUILD_NUMBER")
    assert isinstance(parsed.parts[5], s.Ternary)
    assert parsed.parts[7] == s.Prop(s.Var("params"), "X")
    assert parsed.parts[-1] == "."


def test_command_calls_named_args_lists_maps_and_trailing_commas() -> None:
    call = expr("git branch: 'master', url: 'https://x/y.git'")
    assert call == s.Call(
        None, "git", (), (("branch", s.Literal("master")), ("url", s.Literal("https://x/y.git")))
    )
    call = expr(
        "withCredentials([usernamePassword(passwordVariable : 'P' ,usernameVariable : 'U' ,"
        "credentialsId : \"$ID\" ,)]) {\n sh 'x'\n}"
    )
    assert isinstance(call, s.Call) and call.closure is not None
    (binding,) = call.args[0].items  # type: ignore[union-attr]
    assert [k for k, _ in binding.named] == ["passwordVariable", "usernameVariable", "credentialsId"]
    assert expr("[a: 1, 'b': [1, 2,], c: [:]]") == s.MapLit(
        (("a", s.Literal(1)), ("b", s.ListLit((s.Literal(1), s.Literal(2)))), ("c", s.MapLit(())))
    )


def test_comments_and_statements() -> None:
    body = parse_groovy(
        "// c\n/* block\n comment */ def x = 1; if (x == 1) { echo 'a' } else echo 'b'\nreturn x"
    )
    assert [type(b).__name__ for b in body] == ["Assign", "If", "Return"]


def test_seed_is_declarative() -> None:
    program = compile_program(SEED)
    assert isinstance(program, Pipeline)
    assert [st.name for st in program.stages][-3:] == [
        "deploy to dev",
        "deploy to staging",
        "deploy to production",
    ]
    assert [(p.type, p.name, p.default) for p in program.parameters] == [
        ("StringParameterDefinition", "BRANCH_NAME", "master")
    ]
    assert isinstance(compile_program("node { echo 'scripted' }"), Scripted)


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        (
            "pipeline {\n  agent any\n  stages {\n    stage('a') {\n      steps { echo 'x' \n    }\n  }\n",
            "expecting '}', found ''",
            8,
            1,
        ),
        ("echo 'unterminated\n", "unexpected char: '\\''", 1, 6),
        ("pipeline { agent any }", 'Missing required section "stages"', 1, 1),
        (
            "pipeline { stages { stage('a') { steps { echo 'x' } } } }",
            'Missing required section "agent"',
            1,
            1,
        ),
        ("pipeline { agent any; stages { stage('a') { sh 'x' } } }", 'Unknown stage section "sh".', 1, 32),
        ("pipeline { agent any; stages { } }", "No stages specified", 1, 23),
        (
            "pipeline { agent any; stages { stage('a') { steps { echo 'x' } } };"
            " post { sometimes { echo 'y' } } }",
            'Invalid condition "sometimes"',
            1,
            76,
        ),
        ("sh 'x' )", "unexpected token: )", 1, 8),
    ],
)
def test_compile_errors(source: str, message: str, line: int, column: int) -> None:
    program = compile_program(source)
    assert isinstance(program, CompileErrors)
    error = program.errors[0]
    assert error.message.startswith(message)
    assert (error.line, error.column) == (line, column)


def test_compile_error_text_is_groovys() -> None:
    source = "pipeline {\n  agent any\nstages { stage('a') { steps { echo 'x' ) } } }\n}"
    program = compile_program(source)
    assert isinstance(program, CompileErrors)
    text = format_compile_errors(source, program.errors)
    assert text == (
        "org.codehaus.groovy.control.MultipleCompilationErrorsException: startup failed:\n"
        "WorkflowScript: 3: unexpected token: ) @ line 3, column 40.\n"
        "   stages { stage('a') { steps { echo 'x' ) } } }\n"
        "                                          ^\n"
        "\n"
        "1 error\n"
    )


def test_long_lines_are_cut_around_the_column() -> None:
    source = "x" * 60 + " )"
    text = format_compile_errors(source, [CompileError("unexpected token: )", 1, 62)])
    sample = text.splitlines()[2:4]
    assert sample == ["   " + "x" * 29 + " )", "   " + " " * 30 + "^"]


@pytest.mark.parametrize(
    "hostile",
    [
        "'\\",
        '"${',
        '"${}"',
        '"$"',
        "[a: 1, 2]",
        "{ -> ",
        "pipeline { agent any; stages { stage(x) { steps {} } } }",
        "\x00",
        "'''never closed",
        "a = = b",
    ],
)
def test_hostile_input_is_a_compile_error_not_a_crash(hostile: str) -> None:
    program = compile_program(hostile)
    assert isinstance(program, CompileErrors)
    assert format_compile_errors(hostile, program.errors).startswith("org.codehaus.groovy.control.")


def test_command_chain_on_one_line_is_groovy_but_not_declarative() -> None:
    """``when {…} steps {…}`` on one line is valid Groovy (a command chain, ``when({…}).steps({…})``);
    Declarative's ModelParser then rejects it: the chained call has no symbol for a section name."""
    chained = expr("when { branch 'main' } steps { echo 'x' }")
    assert isinstance(chained, s.Call) and chained.name == "steps"
    assert isinstance(chained.target, s.Call) and chained.target.name == "when"
    source = (
        "pipeline { agent any\n  stages {\n    stage('a') {\n"
        "      when { branch 'main' } steps { echo 'x' }\n    }\n  }\n}"
    )
    program = compile_program(source)
    assert isinstance(program, CompileErrors)
    assert [(e.message.split(".")[0], e.line, e.column) for e in program.errors] == [
        ("Expected a symbol", 4, 7),
        ('Unknown stage section "error"', 3, 5),
        ('Expected one of "steps", "stages", or "parallel" for stage "a"', 3, 5),
    ]
    separated = source.replace("} steps", "}; steps")
    assert isinstance(compile_program(separated), Pipeline)
