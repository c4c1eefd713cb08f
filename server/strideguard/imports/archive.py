"""(PURE) Checks and reads for uploaded zip archives: entry names, counts, sizes, bomb ratios.

Nothing is extracted to disk: each entry is read into memory, bounded by the per-file limit,
when its turn comes. Refusals of a single entry are per-file errors; refusals of the whole
archive (too many entries, too large in total, not a zip) raise :class:`ArchiveError`.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

from strideguard.imports.parse import Limits, ParseError, format_of

STRAVA_INDEX = "activities.csv"
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(Exception):
    """The archive as a whole is refused; ``str(error)`` says why."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 5000
    max_total_bytes: int = 1024 * 1024 * 1024
    file: Limits = Limits()


@dataclass(frozen=True)
class Entry:
    """A zip member worth a look: an activity file, the Strava index, or an unsafe name."""

    position: int
    name: str
    size: int
    compressed: int
    problem: str | None = None  # set: refused without being read

    @property
    def is_index(self) -> bool:
        return posixpath.basename(self.name).lower() == STRAVA_INDEX and self.problem is None


def unsafe_name(name: str) -> str | None:
    """Why an entry name is refused (absolute, ``..``, drive letters, NUL), or None."""
    if "\x00" in name:
        return "Its name contains a NUL character."
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "Its name is an absolute path: refused."
    parts = re.split(r"[\\/]+", name)
    if any(part == ".." for part in parts):
        return "Its name climbs out of the archive (../): refused."
    return None


def list_entries(archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[Entry]:
    """The entries to process, in archive order. Raises ArchiveError for the whole archive."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveError(f"The archive has {len(infos):,} entries; the limit is {limits.max_entries:,}.")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        raise ArchiveError(f"Uncompressed the archive would be {declared // (1024 * 1024):,} MB; "
                           f"the limit is {limits.max_total_bytes // (1024 * 1024):,} MB.")
    found: list[Entry] = []
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        problem = unsafe_name(name)
        base = posixpath.basename(name.replace("\\", "/"))
        if problem is None and (base.startswith("._") or name.startswith("__MACOSX/")):
            continue  # macOS resource forks, not files of the runner
        fmt, _ = format_of(name)
        if problem is None and fmt is None and base.lower() != STRAVA_INDEX:
            continue  # photos, routes, profile data of a Strava export: not ours to import
        if problem is None and info.flag_bits & 0x1:
            problem = "It is password-protected."
        if problem is None and info.file_size > limits.file.max_file_bytes:
            problem = f"It is larger than {limits.file.max_file_bytes // (1024 * 1024)} MB uncompressed."
        if problem is None and info.file_size > 1024 * 1024 and \
                info.file_size > limits.file.max_ratio * max(info.compress_size, 1):
            problem = f"It expands more than {limits.file.max_ratio} times: refused as a compression bomb."
        found.append(Entry(len(found), name, info.file_size, info.compress_size, problem))
    return found


def read_entry(archive: zipfile.ZipFile, entry: Entry, limits: ArchiveLimits) -> bytes:
    """The entry's bytes (at most the per-file limit). Raises ParseError."""
    if entry.problem:
        raise ParseError(entry.problem)
    try:
        with archive.open(entry.name) as stream:
            data = stream.read(limits.file.max_file_bytes + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ParseError(f"It is damaged inside the archive ({str(exc)[:100]}).") from None
    except NotImplementedError as exc:
        raise ParseError(f"Its compression is not supported ({exc}).") from None
    if len(data) > limits.file.max_file_bytes:
        raise ParseError(f"It is larger than {limits.file.max_file_bytes // (1024 * 1024)} MB uncompressed.")
    return data


def open_archive(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"It is not a readable zip archive ({str(exc)[:100]}).") from None
