"""The `linkify` filter: message text shown inert, with line breaks and safe web links."""

import pytest

from support.templatetags.support_tags import linkify


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (
            '<a href="javascript:alert(1)">x</a>',
            "&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;",
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("data:text/html,<b>x</b>", "data:text/html,&lt;b&gt;x&lt;/b&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("a\nb\r\nc", "a<br>\nb<br>\nc"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("", ""),
    ],
)
def test_text_is_escaped_and_line_breaks_kept(text, html):
    assert linkify(text) == html


def test_web_links_become_safe_links():
    assert linkify("see https://example.com/a?b=1&c=2 now") == (
        'see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
        "https://example.com/a?b=1&amp;c=2</a> now"
    )


def test_sentence_punctuation_is_not_part_of_the_link():
    html = linkify("Go to (http://example.com/x). Thanks!")
    assert '<a href="http://example.com/x" rel="nofollow noopener noreferrer">' in html
    assert "</a>). Thanks!" in html


def test_a_link_cannot_break_out_of_its_attribute():
    html = linkify('https://example.com/"onmouseover="alert(1)')
    assert 'href="https://example.com/"' in html
    assert 'onmouseover="' not in html
    assert "&quot;onmouseover=&quot;alert(1)" in html


def test_a_link_inside_markup_stays_text_and_is_still_escaped():
    html = linkify("<a href='https://evil.example/'>https://evil.example/</a>")
    assert "<a href='" not in html
    assert html.startswith("&lt;a href=&#x27;")


def test_only_http_and_https_become_links():
    for text in (
        "ftp://example.com",
        "javascript://example.com/%0aalert(1)",
        "https://",
        "xhttps://a.b",
    ):
        assert "<a " not in linkify(text), text
