"""Comments are dropped from a Jenkinsfile before its ``parameters {}`` directive is read; strings are not."""

from __future__ import annotations

import pytest

from bridge.domain.jenkinsfile_params import _strip_comments, declared_parameters


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("a // c\nb", "a \nb"),
        ("a /* c */ b", "a  b"),
        ("a /* open", "a "),
        ("'// kept' // gone", "'// kept' "),
        ('"/* kept */" x', '"/* kept */" x'),
        ("'it\\'s' // c", "'it\\'s' "),
        ("'unterminated // kept", "'unterminated // kept"),
        ("'ends in backslash\\", "'ends in backslash\\"),
        ("a/b/*c*/d//e", "a/bd"),
        ("x = '''multi\n// line''' // c\ny", "x = '''multi\n// line''' \ny"),
        ('"a\\"b" /* c\nd */ e', '"a\\"b"  e'),
        ("/", "/"),
        ("a /* x */ /* y */ b", "a   b"),
    ],
)
def test_comments_go_and_strings_stay(text: str, stripped: str) -> None:
    assert _strip_comments(text) == stripped


def test_a_commented_out_parameter_is_not_declared() -> None:
    text = (
        "pipeline {\n  agent any\n  parameters {\n"
        "    string(name: 'TAG', defaultValue: 'a//b')  // string(name: 'GONE')\n"
        "    /* booleanParam(name: 'ALSO_GONE', defaultValue: true) */\n"
        "  }\n  stages { stage('s') { steps { echo 'x' } } }\n}\n"
    )
    declared = declared_parameters(text)
    assert [(p.name, p.default) for p in declared.parameters] == [("TAG", "a//b")]
    assert declared.complete
