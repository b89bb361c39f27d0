"""Ingestion: files in, clean paragraphs with metadata out."""

from __future__ import annotations

import pytest

from stpbot.errors import DocumentError
from stpbot.ingest import candidates, discover, load_document
from stpbot.ingest.boilerplate import strip_boilerplate
from tests.support import KNOWLEDGE

FURNITURE = [
    "We use cookies to ensure you have the best possible experience on our website. "
    "By continuing we’ll assume that you are happy to receive them. Close",
    "This website uses cookies",
    "Sign up to receive our newsletter",
    "By signing up to our mailing list, you agree to our terms and conditions.",
    "Login to access this content",
    "Please log in to read the full article",
    "Read more about Rhion",
    "Categories: Libre",
    "Tags: NHS, STP",
    "Share this article: Facebook Twitter LinkedIn",
    "Your email address will not be published. Required fields are marked *",
    "Please fill out all fields to post a comment.",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_lines_are_dropped(line):
    text = f"Real first paragraph.\n\n{line}\n\nReal last paragraph."
    cleaned = strip_boilerplate(text)
    assert line not in cleaned
    assert "Real first paragraph." in cleaned
    assert "Real last paragraph." in cleaned


@pytest.mark.parametrize(
    "header", ["Leave a Reply", "Add a comment", "3 Comments", "Comments on My post"]
)
def test_comment_section_is_cut_to_the_end(header):
    text = f"Body text here.\n\n{header}\n\nA reader said something.\n\nPost comment"
    cleaned = strip_boilerplate(text)
    assert "Body text here." in cleaned
    assert "A reader said" not in cleaned


def test_prose_mentioning_cookies_or_comments_is_kept():
    prose = (
        "Comments on the draft plan were invited until March, and the council said that "
        "we use cookies only as an example of how consent banners confuse older residents, "
        + "which the engagement team discussed at length with Healthwatch. "
        * 6
    )
    assert strip_boilerplate(prose).strip() == prose.strip()


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_markdown_front_matter_and_paragraphs(tmp_path):
    path = _write(
        tmp_path,
        "brief.md",
        "---\ntitle: A Brief\npublisher: Healthwatch Somewhere\ndate: 2017-01-02\n---\n"
        "# A Brief\n\nFirst paragraph is here.\nIt wraps onto a second line.\n\n"
        "## Findings\n\n1. An item in a list.\n2. Another item.\n",
    )
    doc = load_document(path, tmp_path)
    assert doc.source.title == "A Brief"
    assert doc.source.publisher == "Healthwatch Somewhere"
    assert doc.source.date == "2017-01-02"
    assert doc.source.author is None
    assert doc.source.id == "brief"
    texts = [b.text for b in doc.blocks]
    assert texts == [
        "First paragraph is here. It wraps onto a second line.",
        "An item in a list.",
        "Another item.",
    ]
    assert [b.number for b in doc.blocks] == [1, 2, 3]
    assert doc.blocks[1].heading == "Findings"


def test_plain_text_rejoins_hard_wrapped_lines(tmp_path):
    path = _write(
        tmp_path,
        "note.txt",
        "A Short Title\n\nSo a report published this week has\nsaid that the Government has work "
        "to do.\n\n  1. First point made.\n  2. Second point made.\n",
    )
    doc = load_document(path, tmp_path)
    assert doc.source.title == "A Short Title"
    assert doc.blocks[0].text == (
        "So a report published this week has said that the Government has work to do."
    )
    assert [b.text for b in doc.blocks[1:]] == ["First point made.", "Second point made."]


def test_not_utf8_is_a_clear_document_error(tmp_path):
    path = _write(tmp_path, "latin.txt", "Caf\u00e9 society and the NHS.", encoding="latin-1")
    with pytest.raises(DocumentError, match=r"latin\.txt is not UTF-8 text"):
        load_document(path, tmp_path)


def test_file_with_only_furniture_has_no_paragraphs(tmp_path):
    path = _write(tmp_path, "empty.md", "Sign up to receive our newsletter\n\nLeave a Reply\n")
    with pytest.raises(DocumentError, match="no readable paragraphs"):
        load_document(path, tmp_path)


def test_bundled_briefings_load_with_their_metadata():
    docs = {d.id: d for d in (load_document(p, KNOWLEDGE) for p in discover(KNOWLEDGE))}
    assert len(docs) == 5
    ten = docs["ten-reflections-publishing-stps"].source
    assert ten.author == "Chris Hopson and Daniel Reynolds"
    assert ten.date == "2016-11-07"
    assert ten.publisher is None  # the text never names its publisher
    navca = docs["navca-kings-fund-report-engagement"]
    text = " ".join(b.text for b in navca.blocks)
    assert "Bridget Evans" not in text  # reader comments are not the briefing
    assert "Sustainability and Transformation Plans (STPs) have been a source of pain" in text


def test_discover_walks_folders_in_order_and_skips_what_is_not_a_document(tmp_path):
    root = tmp_path / "knowledge"
    outside = tmp_path / "elsewhere"
    for rel in [
        "b.md",
        "a/z.pdf",
        "a/b/c.txt",
        "a/b/c.txt.meta.yaml",
        "a/report.meta.yml",
        "a/z.meta.yaml",
        "topics.yaml",
        "README.md",
        ".hidden.md",
        ".git/notes.md",
        "a/.cache/x.md",
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "far.md").write_text("x", encoding="utf-8")
    (outside / "one.md").write_text("x", encoding="utf-8")
    (root / "linked.md").symlink_to(outside / "one.md")
    (root / "broken.md").symlink_to(outside / "missing.md")
    (root / "folder-link").symlink_to(outside / "deep")
    (root / "a-b.md").write_text("x", encoding="utf-8")
    found = [p.relative_to(root).as_posix() for p in discover(root)]
    assert found == ["a/b/c.txt", "a/z.pdf", "a-b.md", "b.md", "linked.md"]
    sidecars = {c.rel: c.sidecar for c in candidates(root)}
    assert sidecars["a/b/c.txt"] == str(root / "a/b/c.txt.meta.yaml")
    assert sidecars["a/z.pdf"] == str(root / "a/z.meta.yaml")
    assert sidecars["b.md"] is None
    assert list(discover(tmp_path / "missing")) == []
