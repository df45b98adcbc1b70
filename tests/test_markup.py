"""The letters' Markdown subset: parsing, escaping user text, and the HTML renderer."""
import pytest

from foia import markup
from foia.markup import Heading, ListBlock, Paragraph, Run


def test_blocks():
    blocks = markup.parse(
        "# Title\n\nFirst line\ncontinues here.\n\n## Section\n\n1. one\n   more of one\n2. two\n\n"
        "3. three\n- a\n- b\nAfter the list.\n\n### Small\n"
    )
    assert [type(b).__name__ for b in blocks] == [
        "Heading", "Paragraph", "Heading", "ListBlock", "ListBlock", "Paragraph", "Heading"
    ]
    assert blocks[0] == Heading(1, [Run("Title")])
    assert blocks[1] == Paragraph([Run("First line continues here.")])
    assert blocks[2].level == 2 and blocks[6].level == 3
    assert blocks[3] == ListBlock(True, 1, [[Run("one more of one")], [Run("two")], [Run("three")]])
    assert blocks[4] == ListBlock(False, 1, [[Run("a")], [Run("b")]])
    assert blocks[5] == Paragraph([Run("After the list.")])


def test_numbered_list_keeps_its_start():
    (block,) = markup.parse("4. four\n5) five")
    assert block.ordered and block.start == 4 and len(block.items) == 2
    assert '<ol start="4">' in markup.to_html([block])


def test_inline_emphasis():
    (para,) = markup.parse("plain **bold** and *italic* and ***both*** end")
    assert para.runs == [
        Run("plain "), Run("bold", bold=True), Run(" and "), Run("italic", italic=True), Run(" and "),
        Run("both", bold=True, italic=True), Run(" end"),
    ]


@pytest.mark.parametrize("text", ["5 * 3 = 15", "a lone *star", "**unclosed bold"])
def test_unmatched_stars_stay_literal(text):
    (para,) = markup.parse(text)
    assert markup.plain_text(para.runs) == text
    assert not any(r.bold or r.italic for r in para.runs)


def test_hard_line_breaks_for_address_blocks():
    (para,) = markup.parse("Jane Doe\\\n1 Main St  \nSpringfield\nIL")
    assert markup.plain_text(para.runs) == "Jane Doe\n1 Main St\nSpringfield IL"
    assert markup.to_html([para]) == "<p>Jane Doe<br>\n1 Main St<br>\nSpringfield IL</p>\n"


def test_html_is_text_never_markup():
    blocks = markup.parse('<script>alert(1)</script> & <b onclick="x">b</b>\n\n- <img src=x>')
    html = markup.to_html(blocks)
    assert "<script>" not in html and "<img" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b onclick=\u201cx\u201d&gt;b&lt;/b&gt;" in html
    assert "<li>&lt;img src=x&gt;</li>" in html


@pytest.mark.parametrize("value", [
    "# not a heading",
    "1. not a list",
    "12) nor this",
    "- nor a bullet",
    "+ nor this",
    "**not bold** and *not italic*",
    "back\\slash \\* and trailing \\",
    "ends with two spaces  \nnext line",
    "<b>bold?</b> [link](http://x) `code`",
    "  - indented dash",
    "{: .date}",
])
def test_escaped_values_read_back_literally(value):
    blocks = markup.parse(markup.escape(value))
    assert all(isinstance(b, Paragraph) for b in blocks)
    text = " ".join(markup.plain_text(b.runs) for b in blocks)
    expected = " ".join(line.strip() for line in value.splitlines())
    assert text == expected.replace('"', "\u201c")
    assert not any(b.part for b in blocks)
    assert not any(r.bold or r.italic or r.br for b in blocks for r in b.runs)


def test_escaped_value_keeps_paragraphs():
    blocks = markup.parse(markup.escape("First paragraph.\n\nSecond paragraph."))
    assert [markup.plain_text(b.runs) for b in blocks] == ["First paragraph.", "Second paragraph."]


def test_block_texts_in_order():
    blocks = markup.parse("# H\n\nP one\n\n1. x\n2. y\n\n- z")
    assert markup.block_texts(blocks) == ["H", "P one", "x", "y", "z"]


def test_part_lines_mark_the_block_before():
    blocks = markup.parse("September 1, 2026\n{: .date}\n\nAgency\\\n1 Main St\n{: .address}\n\nBody.\n\n"
                          "{: .nonsense}\n\n- a\n{: .enclosures}")
    assert [b.part for b in blocks] == ["date", "address", "", "", "enclosures"]
    assert markup.plain_text(blocks[3].runs) == "{: .nonsense}"  # not a part name: plain text
    html = markup.to_html(blocks)
    assert '<p class="date">September 1, 2026</p>' in html and '<ul class="enclosures">' in html


@pytest.mark.parametrize("source, typeset", [
    ('"Request for Assistance" posts', "\u201cRequest for Assistance\u201d posts"),
    ("the agency's own posts", "the agency\u2019s own posts"),
    ("('quoted')", "(\u2018quoted\u2019)"),
    ("Gov. Code § 7920.000 and §§ 67.901, 67.902", "Gov. Code §\u00a07920.000 and §§\u00a067.901, 67.902"),
])
def test_typography(source, typeset):
    (para,) = markup.parse(source)
    assert markup.plain_text(para.runs) == typeset


def test_quote_after_emphasis_closes():
    (para,) = markup.parse('"**Ring**" and "*Flock*"')
    assert markup.plain_text(para.runs) == "\u201cRing\u201d and \u201cFlock\u201d"
