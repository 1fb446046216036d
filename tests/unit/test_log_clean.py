"""``clean``: Jenkins's progressiveText bodies as plain text, whatever the chunk boundaries."""

from __future__ import annotations

import random

from bridge.adapters.jenkins.logs import MAX_LINE, clean

NOTE = b"\x1b[8mha:AAAAH+LCAAAAAAAA/5WOMQ7CMBAEL0EUtDwjwlAhRJWWiiYvMOYHF2uFpWz\x1b[0m"
BODY = (
    b"Started by user " + NOTE + b"admin\r\n" + NOTE + b"[Pipeline] Start of Pipeline\r\n"
    b"line with a lone \r inside\r\n" + "unicode: \u00e9\u00e8 \u2713\r\n".encode() + b"last without end"
)
EXPECTED = (
    b"Started by user admin\n[Pipeline] Start of Pipeline\nline with a lone \r inside\n"
    + "unicode: \u00e9\u00e8 \u2713\n".encode()
    + b"last without end"
)


def test_every_split_of_the_body_gives_the_same_text() -> None:
    for cut in range(1, len(BODY)):
        assert b"".join(clean(iter([BODY[:cut], BODY[cut:]]))) == EXPECTED, cut


def test_random_chunking() -> None:
    rng = random.Random(7)
    for _ in range(200):
        chunks, rest = [], BODY
        while rest:
            n = rng.randint(1, 9)
            chunks.append(rest[:n])
            rest = rest[n:]
        assert b"".join(clean(iter(chunks))) == EXPECTED


def test_a_line_longer_than_the_limit_is_passed_on_in_pieces() -> None:
    long = b"x" * (MAX_LINE + 10)
    pieces = list(clean(iter([long[: MAX_LINE // 2], long[MAX_LINE // 2 :], b"\r\nend\r\n"])))
    assert b"".join(pieces) == long + b"\nend\n"
    assert len(pieces) >= 2 and max(len(p) for p in pieces) <= MAX_LINE + 10


def test_nothing_in_nothing_out() -> None:
    assert list(clean(iter([]))) == [] and list(clean(iter([b""]))) == []
