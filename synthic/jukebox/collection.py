"""A collection of jukebox ROMs from named sources: select, arrange, build, describe.

`arrange_songs(sources, count, seed)` walks `synthic.jukebox.sources.select` and arranges each
piece, skipping (deterministically) those that cannot be read or arranged, that last under
`min_seconds` or over `max_seconds`, or that do not fit in one bank.

ROM i (from 1) of a collection of n songs per ROM draws its songs from its own share of the
sources: positions (i - 1) * n to i * n - 1 of each source's shuffled list, interleaved, the
first n that arrange. So ROMs share no piece, and ROM i is the same whatever the number of
ROMs: `build_rom` builds one alone (the workflow runs one job per ROM, and adding ROMs leaves
the others as they were), `build_collection` writes ROMs 1 to n with a table of their songs.
`statistics` measures a ROM with the driver model (synthic.jukebox.model): seconds of music and
register writes per channel.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthic.errors import SynthicError
from synthic.events.atomic import atomic_output
from synthic.events.registers import FRAME_HZ, channel_of
from synthic.jukebox import arrange, build, model, sources
from synthic.jukebox.compile import CompileError, compile_song
from synthic.jukebox.song import Song

MIN_SECONDS = 10.0
MAX_SECONDS = 240.0
CHANNELS = ("CH1", "CH2", "CH3", "CH4", "MIX")


@dataclass
class Skipped:
    key: str
    reason: str


def arrange_songs(
    specs: Sequence[str],
    count: int,
    seed: int = 0,
    *,
    min_seconds: float = MIN_SECONDS,
    max_seconds: float = MAX_SECONDS,
    share: slice | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Song], list[Skipped]]:
    """`count` arranged songs from `specs`, or from their `share` (see the module docstring)."""
    songs: list[Song] = []
    skipped: list[Skipped] = []
    for piece in sources.select(specs, seed, share):
        if len(songs) >= count:
            break
        try:
            score = sources.load(piece)
            song = arrange.arrange(score, seed=zlib.crc32(f"{seed}:{piece.key}".encode()))
            size = len(compile_song(song))
        except (SynthicError, CompileError, ValueError) as e:
            skipped.append(Skipped(piece.key, str(e).splitlines()[0][:200]))
            continue
        except Exception as e:  # music21 raises many kinds on files it cannot parse
            skipped.append(Skipped(piece.key, f"{type(e).__name__}: {e}".splitlines()[0][:200]))
            continue
        seconds = song.seconds()
        if not min_seconds <= seconds <= max_seconds:
            skipped.append(Skipped(piece.key, f"{seconds:.0f} s long"))
            continue
        if size > build.BANK_SIZE - build.DIR_HEADER_SIZE - 4 * build.MAX_SONGS:
            skipped.append(Skipped(piece.key, f"{size} bytes: too big for a bank"))
            continue
        songs.append(song)
        if progress:
            progress(f"{len(songs):4d} {seconds:6.1f} s  {piece.key}  {song.title}")
    if len(songs) < count:
        where = f"pieces {share.start + 1}-{share.stop} of each of " if share else ""
        raise SynthicError(
            f"only {len(songs)} of {count} songs could be arranged from {where}"
            f"{', '.join(specs)}; use fewer songs per ROM or more sources"
        )
    return songs, skipped


@dataclass
class RomStats:
    songs: int = 0
    seconds: float = 0.0
    writes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    notes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS[:4], 0))

    def add(self, other: RomStats) -> None:
        self.songs += other.songs
        self.seconds += other.seconds
        for k in self.writes:
            self.writes[k] += other.writes[k]
        for k in self.notes:
            self.notes[k] += other.notes[k]


def statistics(image: bytes) -> RomStats:
    """Songs, seconds and writes per channel of a jukebox ROM, from the driver model (the
    writes of each song from its start to its end, start-up writes included)."""
    stats = RomStats()
    for index in range(len(build.read_directory(image))):
        writes, frames = model.driver_writes(image, index)
        addresses = np.array([a for _, a, _ in writes], dtype=np.int64)
        per_channel = np.bincount(channel_of(addresses), minlength=5)
        for ch in range(4):
            stats.writes[CHANNELS[ch]] += int(per_channel[ch + 1])
        stats.writes["MIX"] += int(per_channel[0])
        triggers = [a for _, a, v in writes if a in (0xFF14, 0xFF19, 0xFF1E, 0xFF23) and v & 0x80]
        for ch, reg in enumerate((0xFF14, 0xFF19, 0xFF1E, 0xFF23)):
            stats.notes[CHANNELS[ch]] += triggers.count(reg)
        stats.songs += 1
        stats.seconds += frames / FRAME_HZ
    return stats


def rom_name(index: int) -> str:
    """The file stem of ROM `index` (from 1) of a collection: jukebox_01, jukebox_02, ..."""
    return f"jukebox_{index:02d}"


def build_rom(
    out_dir: str | os.PathLike,
    index: int,
    *,
    songs_per_rom: int = 25,
    specs: Sequence[str] = sources.DEFAULT_SOURCES,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, list[dict[str, str]], list[Skipped]]:
    """Write ROM `index` (from 1) of the collection to `out_dir`/jukebox_NN.gb, replacing the
    file at once (never half written). Returns its path, a table row per song, the skipped."""
    if index < 1 or not 1 <= songs_per_rom <= build.MAX_SONGS:
        raise SynthicError(f"need a ROM number from 1 and 1-{build.MAX_SONGS} songs per ROM")
    name = rom_name(index)
    share = slice((index - 1) * songs_per_rom, index * songs_per_rom)
    try:
        songs, skipped = arrange_songs(specs, songs_per_rom, seed, share=share, progress=progress)
    except SynthicError as e:
        raise SynthicError(f"{name}: {e}") from None
    image = build.build_jukebox(songs, title=f"SYNTHIC JB {index:02d}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.gb"
    with atomic_output(path, "wb") as f:
        f.write(image)
    rows = [
        {
            "rom": path.name,
            "song": str(i),
            "title": song.title,
            "author": song.author,
            "source": song.source,
            "seconds": f"{song.seconds():.2f}",
            "style": song.tags.get("style", ""),
        }
        for i, song in enumerate(songs)
    ]
    return path, rows, skipped


def write_table(path: str | os.PathLike, rows: Sequence[dict[str, str]]) -> None:
    """A tab-separated table of songs (rows of `build_rom`), written at once."""
    with atomic_output(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)


def build_collection(
    out_dir: str | os.PathLike,
    *,
    roms: int = 8,
    songs_per_rom: int = 25,
    specs: Sequence[str] = sources.DEFAULT_SOURCES,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Path], list[Skipped]]:
    """Write ROMs 1 to `roms` (`build_rom`) to `out_dir` and `jukebox.tsv` listing every
    song. Returns the ROM paths and the pieces skipped."""
    if roms < 1:
        raise SynthicError("need at least 1 ROM")
    paths, rows, skipped = [], [], []
    for index in range(1, roms + 1):
        path, more_rows, more_skipped = build_rom(
            out_dir,
            index,
            songs_per_rom=songs_per_rom,
            specs=specs,
            seed=seed,
            progress=progress,
        )
        paths.append(path)
        rows += more_rows
        skipped += more_skipped
    write_table(Path(out_dir) / "jukebox.tsv", rows)
    return paths, skipped
