"""The folder on the server the app may load cost exports from (FINOPS_IMPORT_ROOT), and the files a
load from it may name: every path resolved and inside the folder (no `..`, no link out of it), a cost
export by its suffix, a regular file, within the caps on files and bytes per load. All of it is decided
from names and file metadata, before a byte is read or the store's write lock is taken; refusals name
paths relative to the folder and never quote a file."""

from __future__ import annotations

import fnmatch
import functools
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analytics.ingest.files import is_data

ROOT_VARIABLE = "FINOPS_IMPORT_ROOT"
MAX_FILES_VARIABLE = "FINOPS_IMPORT_MAX_FILES"
MAX_BYTES_VARIABLE = "FINOPS_IMPORT_MAX_BYTES"
DEFAULT_MAX_FILES = 500
DEFAULT_MAX_BYTES = 20 * 10**9
EXPORTS = "CSV, CSV.gz, Parquet or JSON lines"
OUTSIDE = "not under the import folder"
NOT_AN_EXPORT = f"not a cost export ({EXPORTS})"
_GLOB_CHARACTERS = frozenset("*?[")


class ImportRefused(ValueError):
    """The whole load is refused before anything is read; the message is one line for the user."""


@dataclass(frozen=True)
class ImportRoot:
    """The import folder as configured (made absolute) and resolved; both name the same folder."""

    given: Path
    real: Path

    def shown(self, path: Path) -> str:
        """`path` (resolved, inside the folder) as users see it: relative to the folder."""
        return path.relative_to(self.real).as_posix()


@dataclass(frozen=True)
class Limits:
    """The caps of one load: files named and their bytes on disk (compressed files as stored)."""

    max_files: int = DEFAULT_MAX_FILES
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Refusal:
    """A path a load names but will not read: `file` relative to the import folder (or as typed)."""

    file: str
    problem: str

    @property
    def line(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass
class Selection:
    """What a load may read: resolved files inside the folder, and the paths refused, each once."""

    files: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    total_bytes: int = 0


def configured(env: Mapping[str, str] = os.environ) -> ImportRoot | None:
    """The import folder, or None when loading from the server is off (unset, or not a folder)."""
    setting = env.get(ROOT_VARIABLE, "").strip()
    if not setting or "\x00" in setting:
        return None
    given = Path(os.path.abspath(os.path.expanduser(setting)))
    try:
        real = given.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return ImportRoot(given, real) if real.is_dir() else None


def limits(env: Mapping[str, str] = os.environ) -> Limits:
    """The caps from FINOPS_IMPORT_MAX_FILES and FINOPS_IMPORT_MAX_BYTES (whole numbers), else defaults."""
    return Limits(
        _whole(env, MAX_FILES_VARIABLE, DEFAULT_MAX_FILES),
        _whole(env, MAX_BYTES_VARIABLE, DEFAULT_MAX_BYTES),
    )


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ImportRefused(f"{name} must be a whole number above 0 (it is {text!r}); nothing was loaded")
    return int(text)


def select(root: ImportRoot, typed: str, caps: Limits) -> Selection:
    """The files `typed` (a file, a folder searched recursively, or a glob; relative to the folder)
    names under `root`. Raises ImportRefused when they pass a cap."""
    chosen = _Chooser(root, caps)
    typed = typed.strip()
    if "\x00" in typed:
        chosen.refuse(typed.replace("\x00", ""), "not a valid path")
        return chosen.selection
    lexical = Path(os.path.normpath(os.path.join(root.given, typed)))
    base = next((b for b in (root.given, root.real) if lexical.is_relative_to(b)), None)
    if base is None:  # decided on the name alone: nothing outside the folder is even looked at
        chosen.refuse(typed, OUTSIDE)
        return chosen.selection
    relative = lexical.relative_to(base)
    shown = relative.as_posix()
    if os.path.lexists(lexical) or not _GLOB_CHARACTERS & set(shown):
        chosen.literal(lexical, shown)
    else:
        chosen.glob(base, relative.parts)
    if not chosen.selection.files and not chosen.selection.refused:
        chosen.refuse(shown, f"no cost exports ({EXPORTS}) found there")
    chosen.check_bytes()
    return chosen.selection


class _Chooser:
    """Collects the files of one load, refusing as it goes; the file cap stops the search early."""

    def __init__(self, root: ImportRoot, caps: Limits) -> None:
        self.root, self.caps = root, caps
        self.selection = Selection()
        self._seen: set[Path] = set()
        self._named = 0

    def refuse(self, file: str, problem: str) -> None:
        self.selection.refused.append(Refusal(file, problem))

    def literal(self, path: Path, shown: str) -> None:
        """A path named outright: a folder is searched for exports, a file must be one."""
        real = self._resolved(path, shown)
        if real is None:
            return
        if real.is_dir():
            self._walk(real, shown, ())
        else:
            self.file(path, real, shown)

    def glob(self, base: Path, parts: tuple[str, ...]) -> None:
        """The files under the folder a glob matches; the search starts at its last literal folder."""
        literal = 0
        while literal < len(parts) and not _GLOB_CHARACTERS & set(parts[literal]):
            literal += 1
        start = base.joinpath(*parts[:literal])
        shown = start.relative_to(base).as_posix()
        real = self._resolved(start, shown)
        if real is not None and real.is_dir():
            self._walk(real, "" if shown == "." else shown, _collapsed(parts[literal:]))

    def _walk(self, folder: Path, shown: str, pattern: tuple[str, ...]) -> None:
        # Links to folders are not followed: a loop cannot make the search endless, and a link's
        # target would need checking anyway. Links to files are listed and checked like any file.
        for path, relative in _files(folder, pattern):
            if is_data(path.name):
                self.file(path, None, "/".join(p for p in (shown, *relative) if p and p != "."))

    def file(self, path: Path, real: Path | None, shown: str) -> None:
        """One file named: counted against the cap, then kept only if every check passes."""
        self._named += 1
        if self._named > self.caps.max_files:
            raise ImportRefused(
                f"This load names more than {_files_text(self.caps.max_files)}, the cap per load; nothing was loaded. "
                f"Name a narrower folder or glob, or have the admin raise {MAX_FILES_VARIABLE}."
            )
        real = real or self._resolved(path, shown)
        if real is None:
            return
        if not (is_data(path.name) and is_data(real.name)):
            self.refuse(shown, NOT_AN_EXPORT)
            return
        try:
            info = real.stat()
        except OSError:
            self.refuse(shown, "cannot be opened")
            return
        if not stat.S_ISREG(info.st_mode):
            self.refuse(shown, "not a regular file")
        elif real not in self._seen:
            self._seen.add(real)
            self.selection.files.append(real)
            self.selection.total_bytes += info.st_size

    def _resolved(self, path: Path, shown: str) -> Path | None:
        """`path` with every link followed, if it exists and stays inside the folder."""
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, a dangling link or a link loop
            self.refuse(shown, "no such file or folder" if not os.path.islink(path) else "a link that leads nowhere")
            return None
        if not real.is_relative_to(self.root.real):
            self.refuse(shown, OUTSIDE)
            return None
        return real

    def check_bytes(self) -> None:
        total, cap = self.selection.total_bytes, self.caps.max_bytes
        if total > cap:
            count = _files_text(len(self.selection.files))
            raise ImportRefused(
                f"This load names {count} totalling {_size(total)}, more than the cap of {_size(cap)} per load; "
                f"nothing was loaded. Load fewer at a time, or have the admin raise {MAX_BYTES_VARIABLE} (in bytes)."
            )


def _files(folder: Path, pattern: tuple[str, ...]) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Files (and links that are not to folders) under `folder`, as paths and parts relative to it,
    that match `pattern` (glob parts, `**` any number of folders); an empty pattern matches all."""
    depth = None if not pattern or "**" in pattern else len(pattern)
    for current, folders, names in os.walk(folder, followlinks=False):
        parts = Path(current).relative_to(folder).parts
        if depth is not None and len(parts) + 1 >= depth:
            folders.clear()  # deeper folders cannot match a glob without `**`
        for name in sorted(names):
            relative = (*parts, name)
            if not pattern or _matches(pattern, relative):
                yield Path(current, name), relative
        folders.sort()


def _collapsed(pattern: tuple[str, ...]) -> tuple[str, ...]:
    """`**/**` is `**`: fewer ways for a long pattern to try the same match."""
    parts: list[str] = []
    for part in pattern:
        if not (part == "**" and parts and parts[-1] == "**"):
            parts.append(part)
    return tuple(parts)


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """Glob semantics of the command line (glob.glob, recursive): `*`, `?` and `[...]` within one
    name, `**` across folders; hidden names match only a pattern that starts with a dot."""

    @functools.cache
    def match(p: int, n: int) -> bool:
        if p == len(pattern):
            return n == len(parts)
        if pattern[p] == "**":
            return match(p + 1, n) or (n < len(parts) and not parts[n].startswith(".") and match(p, n + 1))
        return n < len(parts) and _name_matches(pattern[p], parts[n]) and match(p + 1, n + 1)

    return match(0, 0)


def _name_matches(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


def caps_text(caps: Limits) -> str:
    """'500 files and 20 GB': the caps as the page states them."""
    return f"{_files_text(caps.max_files)} and {_size(caps.max_bytes)}"


def _files_text(count: int) -> str:
    return f"{count:,} file{'' if count == 1 else 's'}"


def _size(count: int) -> str:
    """Bytes in decimal units, as disks and clouds count them: '20 GB', '1.5 MB', '700 bytes'."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{count:,} bytes"
