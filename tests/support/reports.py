"""Real report files written at test time (PDF with fpdf2, Word with python-docx,
HTML by hand), plus the hostile ones a knowledge folder must survive."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

ALLOTMENTS = (
    "The Wessex gardening survey found that allotments gave older residents a strong sense "
    "of belonging. Allotment holders reported fewer visits to their GP over the year."
)
FILLER = (
    "Residents were asked about their local services in the spring. Responses came from "
    "every ward, and the response rate was higher than in previous years."
)


def make_pdf(
    path: Path,
    pages: list[list[str]],
    title="Wessex gardening and wellbeing survey",
    author="Wessex Healthwatch",
    header="Wessex Healthwatch | Survey report 2017",
    encrypt_with: str | None = None,
) -> Path:
    """A text PDF: one list of paragraphs per page, a running header and page numbers."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            if header:
                self.set_font("Helvetica", size=8)
                self.cell(0, 5, header)
                self.ln(10)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, str(self.page_no()), align="C")

    pdf = Report()
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creation_date(dt.datetime(2017, 3, 1, tzinfo=dt.UTC))
    if encrypt_with:
        pdf.set_encryption(owner_password="owner-" + encrypt_with, user_password=encrypt_with)
    for paragraphs in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for text in paragraphs:
            pdf.multi_cell(0, 6, text)
            pdf.ln(6)
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Pages with only drawings on them: what a scan without OCR looks like to a parser."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(80, 80, 80)
        for row in range(20):
            pdf.rect(20, 20 + row * 12, 170, 6, style="F")
    pdf.output(str(path))
    return path


def make_docx(path: Path, title="Voluntary sector views on the STP", author="Wessex CVS") -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    document.core_properties.created = dt.datetime(2017, 4, 12)
    document.add_heading(title, level=0)
    document.add_heading("Transport to appointments", level=1)
    document.add_paragraph(
        "Community transport schemes said that the STP had not asked them how patients would "
        "reach the new hub hospital. Volunteers drive most patients over the age of eighty."
    )
    document.add_heading("Funding", level=1)
    document.add_paragraph(FILLER)
    document.save(str(path))
    return path


def make_html(path: Path) -> Path:
    path.write_text(
        """<!doctype html><html><head><title>Engagement in STPs | Healthwatch Wessex</title>
<meta name="author" content="Sam Smith">
<meta property="article:published_time" content="2017-02-03">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<article><h1>Engagement in STPs</h1>
<p>Healthwatch Wessex asked 400 residents how they had been involved in the local STP. Most
said they had not heard of it at all, and only one in ten had been to a public meeting.</p>
<h2>What people told us</h2>
<p>Residents wanted plain-English summaries of the plans, published before decisions were
made, and meetings held in the evening so that working people could attend.</p>
</article>
<div class="comments"><h3>Leave a reply</h3><form><textarea>Your comment</textarea>
<button>Post comment</button></form></div>
<footer>Copyright 2017 Healthwatch Wessex. Privacy policy. Terms.</footer></body></html>""",
        encoding="utf-8",
    )
    return path


def make_navigation_page(path: Path) -> Path:
    links = "".join(f"<li><a href='/p{i}'>Page {i}</a></li>" for i in range(60))
    page = f"<html><head><title>Site map</title></head><body><nav><ul>{links}</ul></nav>"
    path.write_text(page + "</body></html>", encoding="utf-8")
    return path


def make_zip_bomb(path: Path, unpacked_mb: int) -> Path:
    """A real .docx whose main part is swapped for `unpacked_mb` MB of zeros: a few
    hundred kB on disk, far more once unpacked."""
    make_docx(path)
    real = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in real.infolist():
            if member.filename != "word/document.xml":
                archive.writestr(member, real.read(member))
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                part.write(chunk)
    path.write_bytes(buffer.getvalue())
    return path
