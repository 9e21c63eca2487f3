"""How a source file is named to people (the Data page, packs): an upload by the name it was
uploaded with, never the server's temp folder it was staged in; a file on the server by its path."""

from __future__ import annotations

import re
from pathlib import Path

UPLOAD_PREFIX = "finops-upload-"  # the temp folder the app stages uploads in
# A staged upload inside a note: up to the end of the text or of the clause (file names may hold spaces).
_STAGED = re.compile(rf"[^\s,;]*{re.escape(UPLOAD_PREFIX)}[^/\\\s]*[/\\][^,;]+?(?=$|[,;] )")


def shown_file(path: str) -> str:
    """'march.csv (uploaded)' for a staged upload; any other path as it is."""
    parts = Path(path).parts
    if any(part.startswith(UPLOAD_PREFIX) for part in parts[:-1]):
        return f"{parts[-1]} (uploaded)"
    return path


def shown_paths(text: str) -> str:
    """`text` with every staged upload's path in it shown as `shown_file` shows it."""
    return _STAGED.sub(lambda m: shown_file(m.group(0)), text)
