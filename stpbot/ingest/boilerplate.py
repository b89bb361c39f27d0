"""Recognise web-page furniture that briefings copied from websites carry.

Rules work on whole lines of the raw file, before paragraphs are assembled, because
banners and forms arrive as lines of their own (often glued to the last paragraph
without a blank line). A comment section runs to the end of a page, so its header
cuts everything after it.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE

# A line matching any of these is dropped on its own.
_LINE_PATTERNS = [
    # Cookie and privacy banners.
    r"\bcookies?\b.*\b(we use|this (web)?site|accept|continu|privacy|experience)",
    r"^(we|this (web)?site) uses? cookies",
    # Newsletter and mailing-list sign-ups.
    r"^(sign up|subscribe|register)\b.{0,40}\b(newsletter|mailing list|updates|alerts)\b",
    r"^by (signing up|subscribing)\b",
    r"\bunsubscribe\b.*\b(any ?time|preferences)\b",
    # Paywalls and log-in prompts.
    r"^(please )?(log ?in|sign ?in|register)( now)? to (access|view|read|continue|comment)\b",
    r"^(you must be|you need to be) (logged|signed) in\b",
    # Comment forms.
    r"your email address will not be (published|displayed|shared)",
    r"required fields are marked",
    r"^please fill (out|in) (all|the required) fields",
    r"^to help prevent spam\b",
    r"^please enter your answer\b",
    # Navigation, sharing and taxonomy furniture.
    r"^read more( about\b.{0,60})?$",
    r"^(continue reading|back to top|skip to (main )?content|print this (page|article))\b",
    r"^(categories|category|tags|tagged|filed under|posted in)\s*:",
    r"^share( this)?( (article|post|page|story))?( on| via)?\s*:?\s*"
    r"(facebook|twitter|x|linkedin|email|whatsapp|\s|,)*$",
    r"^(you are here|breadcrumbs?)\s*:",
    r"^(previous|next) (post|article)\s*:?",
    r"^(close|accept|dismiss|ok|got it)$",
]

# A line matching any of these starts a comment section: it and the rest are dropped.
_SECTION_PATTERNS = [
    r"^(leave a (reply|comment)|add a comment|post a comment|join the discussion)\b",
    r"^comments?( on [^.!?]{3,150})?$",
    r"^\d+ (comments?|responses?|replies)( on [^.!?]{3,150})?$",
    r"^(related (posts|articles|stories)|you (may|might) also like)\b",
]

_LINE_RE = re.compile("|".join(f"(?:{p})" for p in _LINE_PATTERNS), _FLAGS)
_SECTION_RE = re.compile("|".join(f"(?:{p})" for p in _SECTION_PATTERNS), _FLAGS)


# Furniture is short; a long line is prose that merely mentions cookies or comments.
_MAX_FURNITURE_LINE = 400
_MAX_SECTION_HEADER = 160


def is_boilerplate_line(line: str) -> bool:
    """True for a line of page furniture (cookie banner, sign-up, form text, share links)."""
    line = line.strip()
    return len(line) <= _MAX_FURNITURE_LINE and bool(_LINE_RE.search(line))


def starts_trailing_section(line: str) -> bool:
    """True for a header that opens a comment or related-links section."""
    line = line.strip()
    return len(line) <= _MAX_SECTION_HEADER and bool(_SECTION_RE.search(line))


def strip_boilerplate(text: str) -> str:
    """Remove furniture lines and any trailing comment section, keeping line structure."""
    kept: list[str] = []
    for line in text.splitlines():
        if starts_trailing_section(line):
            break
        # Blank lines stand in for dropped ones so paragraphs never merge across them.
        kept.append("" if is_boilerplate_line(line) else line)
    return "\n".join(kept)
