"""A collection of jukebox ROMs from named sources: select, arrange, build, describe.

`arrange_songs(sources, count, seed)` walks `synthic.jukebox.sources.select` and arranges each
piece, skipping (deterministically) those that cannot be read or arranged, that last under
`min_seconds` or over `max_seconds`, or that do not fit in one bank. `build_collection` splits
the songs into ROMs (in selection order) and writes them with a table of their songs.
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
from synthic.events.registers import channel_of
from synthic.jukebox import arrange, build, model, sources
from synthic.jukebox.compile import CompileError, compile_song
from synthic.jukebox.song import FRAME_HZ, Song

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
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Song], list[Skipped]]:
    """`count` arranged songs from `specs` (see the module docstring)."""
    songs: list[Song] = []
    skipped: list[Skipped] = []
    for piece in sources.select(specs, seed):
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
        raise SynthicError(
            f"only {len(songs)} of {count} songs could be arranged from {', '.join(specs)}"
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


def build_collection(
    out_dir: str | os.PathLike,
    *,
    roms: int = 8,
    songs_per_rom: int = 25,
    specs: Sequence[str] = sources.DEFAULT_SOURCES,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Path], list[Skipped]]:
    """Write `roms` jukebox ROMs of `songs_per_rom` songs each to `out_dir` as
    jukebox_01.gb ..., and `jukebox.tsv` listing every song. Returns the ROM paths."""
    if roms < 1 or not 1 <= songs_per_rom <= build.MAX_SONGS:
        raise SynthicError(f"need at least 1 ROM and 1-{build.MAX_SONGS} songs per ROM")
    songs, skipped = arrange_songs(specs, roms * songs_per_rom, seed, progress=progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths, rows = [], []
    for r in range(roms):
        chunk = songs[r * songs_per_rom : (r + 1) * songs_per_rom]
        image = build.build_jukebox(chunk, title=f"SYNTHIC JB {r + 1:02d}")
        path = out / f"jukebox_{r + 1:02d}.gb"
        tmp = path.with_suffix(".gb.tmp")
        tmp.write_bytes(image)
        os.replace(tmp, path)
        paths.append(path)
        for i, song in enumerate(chunk):
            rows.append(
                {
                    "rom": path.name,
                    "song": i,
                    "title": song.title,
                    "author": song.author,
                    "source": song.source,
                    "seconds": f"{song.seconds():.2f}",
                    "style": song.tags.get("style", ""),
                }
            )
    table = out / "jukebox.tsv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    return paths, skipped
