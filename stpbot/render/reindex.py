"""Where a rebuild is and what it did, as plain lines every chat renderer formats its own way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.chat.replies import ReindexOutcome, ReindexProgress

MAX_LISTED = 10


def progress_line(progress: ReindexProgress | None) -> str:
    """Where a running rebuild is, in words."""
    if progress is None or progress.total == 0:
        return "Rebuilding the index from the knowledge folder…"
    return (
        f"Rebuilding the index: {progress.done:,}/{progress.total:,} passage views embedded "
        f"({progress.fraction:.0%})."
    )


def reindex_lines(outcome: ReindexOutcome) -> tuple[bool, str, list[str]]:
    """(succeeded, headline, detail lines): counts, the documents named, files skipped."""
    if outcome.report is None:
        reason = outcome.error or "unknown error"
        return False, f"The rebuild failed; the previous index is still answering. {reason}", []
    report = outcome.report
    m = report.manifest
    headline = (
        f"Index rebuilt in {outcome.seconds:.1f} s: {len(m.documents)} documents, "
        f"{m.passage_count} passages. Now answering from it."
    )
    details = [
        f"Added {len(report.added)}, changed {len(report.changed)}, "
        f"removed {len(report.removed)}, unchanged {len(report.unchanged)}."
    ]
    for label, ids in (
        ("Added", report.added),
        ("Changed", report.changed),
        ("Removed", report.removed),
    ):
        if ids:
            more = " …" if len(ids) > MAX_LISTED else ""
            details.append(f"• {label}: {', '.join(ids[:MAX_LISTED])}{more}")
    details += [f"• Skipped {s.path}: {s.reason}" for s in m.skipped[:MAX_LISTED]]
    return True, headline, details
