import pytest

from geo.escape import escape_markdown, escape_text

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>window.pwned=1</script>",
    "${window.pwned=1}",
    "\\\\`;window.pwned=1;`",
    '" onmouseover="alert(1)',
    "'); alert(1); ('",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_text_leaves_no_active_character(text):
    escaped = escape_text(text)
    for char in "<>\"'`$\\":
        assert char not in escaped


def test_escape_text_keeps_words_and_handles_none():
    assert escape_text("Saydnaya — سجن صيدنايا & co") == "Saydnaya — سجن صيدنايا &amp; co"
    assert escape_text(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[click](javascript:alert(1))", "\\[click\\]\\(javascript\\:alert\\(1\\)\\)"),
        (
            "![x](http://tracker.example/p.png)",
            "\\!\\[x\\]\\(http\\://tracker\\.example/p\\.png\\)",
        ),
        ("$x^2$", "\\$x^2\\$"),
        (":red[alarm]", "\\:red\\[alarm\\]"),
        ("# heading\n- item", "\\# heading \\- item"),
        ("plain words", "plain words"),
    ],
)
def test_escape_markdown(text, expected):
    assert escape_markdown(text) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a longer line", 10, "a longer…"),
        ("cut at a  space", 10, "cut at a…"),  # no space left before the ellipsis
    ],
)
def test_shorten(text, limit, expected):
    from geo.escape import shorten

    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit
