"""Markdown and plain text: UTF-8, optional YAML front matter, web boilerplate removed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.errors import DocumentError
from stpbot.ingest.boilerplate import strip_boilerplate
from stpbot.ingest.loaded import Loaded
from stpbot.ingest.markdown import parse_markdown
from stpbot.ingest.plaintext import parse_plaintext

if TYPE_CHECKING:
    from stpbot.ingest.limits import Limits


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{name} is not UTF-8 text (byte {exc.start}); re-save it as UTF-8"
        ) from exc


def _front_matter(text: str, name: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        return {}, text
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        raise DocumentError(f"{name} has unreadable front matter: {exc}") from exc
    return dict(post.metadata), post.content


def load_markdown(data: bytes, name: str, limits: Limits) -> Loaded:
    meta, body = _front_matter(decode(data, name), name)
    return Loaded(parse_markdown(strip_boilerplate(body)), meta)


def load_plaintext(data: bytes, name: str, limits: Limits) -> Loaded:
    meta, body = _front_matter(decode(data, name), name)
    return Loaded(parse_plaintext(strip_boilerplate(body)), meta)
