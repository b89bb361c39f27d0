"""New reports: PDF, Word and web pages in; every bad file skipped with its reason,
nothing of the index lost. Fixtures are generated here, not checked in."""

from __future__ import annotations

from pathlib import Path

import pytest

from stpbot.defaults import MB
from stpbot.errors import DocumentError
from stpbot.index.build import build_index
from stpbot.index.store import current_version, load_index, read_manifest
from stpbot.ingest import Limits, load_document
from tests.support.reports import (
    ALLOTMENTS,
    FILLER,
    make_docx,
    make_html,
    make_navigation_page,
    make_pdf,
    make_scanned_pdf,
    make_zip_bomb,
)

# --- loaders ---------------------------------------------------------------------


def test_pdf_has_metadata_pages_and_no_running_headers(tmp_path):
    path = make_pdf(tmp_path / "survey.pdf", [[FILLER, FILLER], [ALLOTMENTS, FILLER], [FILLER]])
    doc = load_document(path, tmp_path)
    assert doc.source.title == "Wessex gardening and wellbeing survey"
    assert doc.source.author == "Wessex Healthwatch"
    assert doc.source.date == "2017-03-01"
    assert doc.pages == 3
    texts = [b.text for b in doc.blocks]
    assert ALLOTMENTS in texts  # a paragraph wrapped over lines comes back whole
    assert [b.page for b in doc.blocks] == [1, 1, 2, 2, 3]
    assert not any("Survey report 2017" in t for t in texts)  # the running header
    assert not any(t.strip().isdigit() for t in texts)  # page numbers


def test_docx_keeps_headings_as_context_and_its_properties(tmp_path):
    doc = load_document(make_docx(tmp_path / "cvs.docx"), tmp_path)
    assert (doc.source.title, doc.source.author, doc.source.date) == (
        "Voluntary sector views on the STP",
        "Wessex CVS",
        "2017-04-12",
    )
    first = doc.blocks[0]
    assert first.heading == "Transport to appointments"
    assert first.text.startswith("Community transport schemes said")
    assert doc.blocks[1].heading == "Funding"


def test_html_keeps_the_article_and_drops_navigation_banners_and_comments(tmp_path):
    doc = load_document(make_html(tmp_path / "page.html"), tmp_path)
    text = " ".join(b.text for b in doc.blocks)
    assert "asked 400 residents" in text and "plain-English summaries" in text
    for furniture in ("About us", "cookies", "Leave a reply", "Post comment", "Privacy policy"):
        assert furniture not in text
    assert doc.source.title == "Engagement in STPs"
    assert (doc.source.author, doc.source.date) == ("Sam Smith", "2017-02-03")
    assert doc.blocks[1].heading == "What people told us"


def test_sidecar_metadata_overrides_the_file(tmp_path):
    path = make_pdf(tmp_path / "survey.pdf", [[ALLOTMENTS]])
    (tmp_path / "survey.meta.yaml").write_text(
        "title: Allotments and wellbeing\npublisher: Wessex Council\nurl: https://example.org/a\n"
    )
    doc = load_document(path, tmp_path)
    assert doc.source.title == "Allotments and wellbeing"
    assert doc.source.publisher == "Wessex Council"
    assert doc.source.author == "Wessex Healthwatch"  # not overridden, so kept from the PDF
    assert doc.source.url == "https://example.org/a"


# --- bad input -------------------------------------------------------------------


@pytest.fixture
def bad_files(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    good = make_pdf(folder / "good.pdf", [[FILLER], [ALLOTMENTS]])
    make_pdf(folder / "locked.pdf", [[FILLER]], encrypt_with="secret")
    make_scanned_pdf(folder / "scanned.pdf")
    (folder / "truncated.pdf").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (folder / "not-really.pdf").write_bytes(b"<html>this is not a PDF</html>")
    make_pdf(folder / "long.pdf", [[FILLER]] * 8)
    make_navigation_page(folder / "sitemap.html")
    make_zip_bomb(folder / "bomb.docx", unpacked_mb=40)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not a zip at all")
    (folder / "latin1.txt").write_bytes("Caf\xe9 society and the STP.\n".encode("latin-1"))
    (folder / "huge.txt").write_bytes(b"STP. " * (300 * 1024))
    return folder


LIMITS = Limits(max_bytes=1 * MB, max_pages=5, max_unzipped_bytes=20 * MB)
REASONS = {
    "locked.pdf": "is an encrypted PDF",
    "scanned.pdf": "has no text layer, needs OCR",
    "truncated.pdf": "is not a readable PDF (corrupt or truncated)",
    "not-really.pdf": "is not a readable PDF",
    "long.pdf": "has 8 pages, over the limit of 5",
    "sitemap.html": "has no main text",
    "bomb.docx": "MB, over the 20 MB limit (a zip bomb?)",
    "broken.docx": "is not a readable Word file",
    "latin1.txt": "is not UTF-8 text",
    "huge.txt": "MB, over the 1 MB limit",
}


@pytest.mark.parametrize("name", sorted(REASONS))
def test_each_bad_file_gets_a_one_line_reason(bad_files, name):
    with pytest.raises(DocumentError) as error:
        load_document(bad_files / name, bad_files, LIMITS)
    message = str(error.value)
    assert REASONS[name] in message and "\n" not in message
    assert message.startswith(name)


def test_bad_files_are_skipped_and_nothing_is_lost(workspace, embedder, bad_files):
    knowledge, index = workspace
    before = read_manifest(index)
    for path in bad_files.iterdir():
        path.rename(knowledge / path.name)
    report = build_index(knowledge, index, embedder, limits=LIMITS)
    skipped = {s.path: s.reason for s in report.skipped}
    assert set(skipped) == set(REASONS)
    for name, reason in REASONS.items():
        assert reason in skipped[name]
    assert report.added == ["good"]
    assert sorted(report.unchanged) == sorted(d.source.id for d in before.documents)
    loaded = load_index(index, embedder.name, embedder.backend)
    assert len(loaded.manifest.documents) == 6
    # A second build does not parse the bad files again: their reasons are kept.
    again = build_index(knowledge, index, embedder, limits=LIMITS)
    assert not again.published and {s.path for s in again.skipped} == set(REASONS)


@pytest.mark.slow
def test_a_file_that_exhausts_memory_is_skipped_and_the_build_goes_on(workspace, embedder):
    knowledge, index = workspace
    make_zip_bomb(knowledge / "bomb.docx", unpacked_mb=700)
    make_pdf(knowledge / "good.pdf", [[ALLOTMENTS]])
    limits = Limits(max_unzipped_bytes=10_000 * MB, parse_memory_mb=400)
    report = build_index(knowledge, index, embedder, limits=limits)
    (reason,) = [s.reason for s in report.skipped if s.path == "bomb.docx"]
    assert "needs more than 400 MB" in reason or "crashed the parser" in reason
    assert report.added == ["good"]


@pytest.mark.slow
def test_a_file_that_takes_too_long_is_skipped(workspace, embedder):
    knowledge, index = workspace
    # 1,600 pages take about a second to read: far over a 0.05 s allowance, and over
    # the tenth of a second at which pebble looks at the clock (200 pages, 0.1 s to
    # read, once finished before it looked). Copies of 200 pages: fpdf2 is slow.
    import pypdfium2

    make_pdf(knowledge.parent / "part.pdf", [[FILLER] * 6] * 200)
    part, whole = pypdfium2.PdfDocument(knowledge.parent / "part.pdf"), pypdfium2.PdfDocument.new()
    for _ in range(8):
        whole.import_pages(part)
    whole.save(knowledge / "slow.pdf")
    whole.close()
    part.close()
    report = build_index(knowledge, index, embedder, limits=Limits(parse_seconds=0.05))
    (reason,) = [s.reason for s in report.skipped if s.path == "slow.pdf"]
    assert reason == "slow.pdf took over 0.05 s to read (STPBOT_PARSE_SECONDS)"
    assert len(report.unchanged) == 5


# --- the life of a report ----------------------------------------------------------


def ask(knowledge, index, embedder, question):
    from stpbot.engine import Engine
    from stpbot.index.build import ensure_built

    ensure_built(knowledge, index, embedder)
    engine = Engine.open(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    return engine.ask(question)


def test_add_change_and_delete_a_pdf_report(workspace, embedder):
    knowledge, index = workspace
    question = "what did the Wessex survey find about allotments and GP visits?"
    assert not any(
        "allotment" in q.text.lower() for q in ask(knowledge, index, embedder, question).quotes
    )

    make_pdf(knowledge / "survey.pdf", [[FILLER, FILLER], [FILLER, ALLOTMENTS]])
    report = build_index(knowledge, index, embedder)
    assert report.added == ["survey"] and len(report.unchanged) == 5
    best = ask(knowledge, index, embedder, question).quotes[0]
    assert "allotments gave older residents" in best.text
    assert best.locator == "p. 2"
    assert best.source.title == "Wessex gardening and wellbeing survey"

    changed = ALLOTMENTS.replace("fewer visits to their GP", "fewer falls at home")
    make_pdf(knowledge / "survey.pdf", [[changed]])
    report = build_index(knowledge, index, embedder)
    assert report.changed == ["survey"]
    best = ask(
        knowledge, index, embedder, "what did the Wessex survey find about falls at home?"
    ).quotes[0]
    assert "fewer falls at home" in best.text and best.locator == "p. 1"

    (knowledge / "survey.pdf").unlink()
    report = build_index(knowledge, index, embedder)
    assert report.removed == ["survey"]
    assert not any(
        p.doc_id == "survey" for p in load_index(index, embedder.name, embedder.backend).passages
    )


def test_word_and_web_reports_answer_with_paragraph_locators(workspace, embedder):
    knowledge, index = workspace
    make_docx(knowledge / "cvs.docx")
    make_html(knowledge / "healthwatch.html")
    report = build_index(knowledge, index, embedder)
    assert sorted(report.added) == ["cvs", "healthwatch"]
    best = ask(knowledge, index, embedder, "how will patients reach the new hub hospital?").quotes[
        0
    ]
    assert best.source.id == "cvs" and best.locator == "para 1"
    best = ask(knowledge, index, embedder, "when did residents want STP meetings held?").quotes[0]
    assert best.source.id == "healthwatch" and best.locator == "para 2"


def test_rollback_returns_to_the_previous_version(workspace, embedder):
    from stpbot.index.store import rollback

    knowledge, index = workspace
    first = current_version(index)
    make_pdf(knowledge / "survey.pdf", [[ALLOTMENTS]])
    build_index(knowledge, index, embedder)
    second = current_version(index)
    manifest = rollback(index)
    assert current_version(index) == first and len(manifest.documents) == 5
    assert rollback(index).passage_count > manifest.passage_count  # and forward again
    assert current_version(index) == second


def test_rollback_without_an_earlier_version_is_one_line(tmp_path, run_cli, built):
    knowledge, _ = built
    index = tmp_path / "index"
    result = run_cli("index", "--rollback", knowledge=knowledge, index=index)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: no index in {index}; run `stpbot index`"


def path_names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_keep_working(
    run_cli_process, workspace
):
    import os

    knowledge, index = workspace
    bad = os.fsencode(knowledge) + b"/caf\xe9 notes.md"
    with open(bad, "wb") as file:  # noqa: PTH123 (a bytes path)
        file.write(b"# Notes\n\nThe board met to talk about the plan.\n")
    built = run_cli_process("index", knowledge=knowledge, index=index)
    assert built.returncode == 2, built.stderr
    assert "skipped caf\\xe9 notes.md: the file name is not UTF-8 text; rename it" in built.stderr
    assert "Traceback" not in built.stderr
    asked = run_cli_process("ask", "When were STPs submitted?", knowledge=knowledge, index=index)
    assert asked.returncode == 0 and "21 October" in asked.stdout


@pytest.mark.slow
def test_huge_files_do_not_fill_memory_when_the_build_checks_them(tmp_path):
    import shutil
    import subprocess
    import sys

    from tests.support import KNOWLEDGE, cli_environment, stpbot_executable

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    # Sparse files: 1.5 GB each on paper, nothing on disk.
    for name in ("talk.mp4", "dump.txt"):
        with (knowledge / name).open("wb") as file:
            file.truncate(1536 * 1024 * 1024)
    env = cli_environment(STPBOT_KNOWLEDGE_DIR=str(knowledge), STPBOT_INDEX_DIR=str(tmp_path / "i"))
    # A fresh parent, so the peak it reports is of `stpbot index` and its children only.
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(done.returncode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure, stpbot_executable(), "index"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    peak_mb = int(result.stdout.split()[-1]) / 1024
    assert result.returncode == 2, result.stderr
    assert "skipped dump.txt: dump.txt is 1,536.0 MB, over the 50 MB limit" in result.stderr
    assert "skipped talk.mp4: unsupported file type .mp4" in result.stderr
    assert peak_mb < 900, f"peak RSS {peak_mb:.0f} MB"
