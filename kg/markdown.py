"""Text for report.md: one helper, so every section escapes the same way."""

from __future__ import annotations


def md_cell(text: object) -> str:
    """Plain text safe inside a Markdown table cell or list item: no HTML, no pipes, one line.

    >>> md_cell("a|b <script>\\nc")
    'a\\\\|b &lt;script&gt; c'
    """
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")
