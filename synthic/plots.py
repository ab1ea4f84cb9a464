"""Figures and pages for the workflow's report (`snakemake --report`): piano rolls of songs.

`piano_roll(notes, png)` draws a song's note view (`synthic.notes.notes`) as a piano roll: one
bar per note, time across, MIDI pitch up, a colour per channel (CH1, CH2 pulse, CH3 wave); the
drum hits of CH4 (no pitch) sit in a strip below, one row per drum class. `songs_page` writes
an HTML fragment with each song's piano roll and its audio in a player, both embedded as data:
URIs, which the report's landing page includes (workflow/report/workflow.rst): Snakemake's
report offers a WAV only as a download, and shows an HTML result in a frame from a data: URL,
which Chromium blocks above 2 MB (its longest URL), so a page of songs cannot be a result.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path

from synthic.notes import DRUM_CLASSES, Note

CHANNEL_NAMES = {1: "CH1 pulse", 2: "CH2 pulse", 3: "CH3 wave", 4: "CH4 noise"}
CHANNEL_COLOURS = {1: "tab:blue", 2: "tab:orange", 3: "tab:green", 4: "tab:gray"}


def piano_roll(notes: Sequence[Note], png: str | os.PathLike, *, title: str = "") -> None:
    """Draw `notes` as a piano roll into `png` (written in place of a temporary file)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    pitched = [n for n in notes if n.pitch is not None]
    drums = [n for n in notes if n.pitch is None]
    fig, (ax, ax_drums) = plt.subplots(
        2, 1, figsize=(10, 5), sharex=True, height_ratios=(4, 1), layout="constrained"
    )
    for channel in (1, 2, 3):
        bars = [(n.onset, n.duration) for n in pitched if n.channel == channel]
        pitches = [n.pitch for n in pitched if n.channel == channel]
        for (onset, duration), pitch in zip(bars, pitches, strict=True):
            ax.broken_barh([(onset, duration)], (pitch - 0.4, 0.8),
                           color=CHANNEL_COLOURS[channel], alpha=0.75)  # fmt: skip
    if pitched:
        low = min(n.pitch for n in pitched)
        high = max(n.pitch for n in pitched)
        ax.set_ylim(low - 2, high + 2)
    ax.set_ylabel("MIDI pitch")
    ax.grid(alpha=0.3)
    ax.legend(
        handles=[Patch(color=CHANNEL_COLOURS[c], label=CHANNEL_NAMES[c]) for c in (1, 2, 3, 4)],
        loc="upper right",
        fontsize="small",
        ncols=4,
    )
    rows = {name: i for i, name in enumerate(DRUM_CLASSES)}
    for n in drums:
        row = rows.get(n.drum or "", 0)
        ax_drums.broken_barh([(n.onset, max(n.duration, 0.02))], (row - 0.4, 0.8),
                             color=CHANNEL_COLOURS[4])  # fmt: skip
    ax_drums.set_yticks(range(len(DRUM_CLASSES)), DRUM_CLASSES, fontsize="small")
    ax_drums.set_ylim(-0.6, len(DRUM_CLASSES) - 0.4)
    ax_drums.set_xlabel("seconds")
    end = max((n.end for n in notes), default=1.0)
    ax_drums.set_xlim(0, end)
    if title:
        ax.set_title(title)
    png = Path(png)
    tmp = png.with_name(f".{png.name}.tmp.png")
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    os.replace(tmp, png)


def data_uri(data: bytes, mime: str) -> str:
    """`data` as a base64 data: URI of type `mime`."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def listening_copy(wav: str | os.PathLike) -> tuple[bytes, str]:
    """The WAV at `wav` as Ogg Vorbis (about a tenth of the size) and its MIME type, or the
    WAV's own bytes where libsndfile has no Vorbis encoder."""
    import io

    import soundfile as sf

    if "VORBIS" not in sf.available_subtypes("OGG"):
        return Path(wav).read_bytes(), "audio/wav"
    audio, rate = sf.read(wav, dtype="float32")
    buf = io.BytesIO()
    sf.write(buf, audio, rate, format="OGG", subtype="VORBIS")
    return buf.getvalue(), "audio/ogg"


def songs_page(songs: Sequence[tuple[str, Path, Path | None]], page: str | os.PathLike) -> None:
    """Write an HTML fragment (no <html> or <head>: the report's landing page includes it) of
    (name, piano roll PNG, WAV or None) per song, every file embedded; the audio as
    `listening_copy` makes it."""
    parts = [
        '<div class="synthic-songs">',
        "<style>.synthic-songs img{max-width:100%;display:block}"
        ".synthic-songs audio{width:100%;max-width:800px}</style>",
    ]
    if not songs:
        parts.append("<p>No song passed the quality gate.</p>")
    for name, png, wav in songs:
        title = html.escape(name)
        roll = data_uri(Path(png).read_bytes(), "image/png")
        parts.append(f'<section id="song-{title}"><h3>{title}</h3>')
        parts.append(f'<img alt="piano roll of {title}" src="{roll}">')
        if wav is not None:
            audio = data_uri(*listening_copy(wav))
            parts.append(f'<audio controls preload="auto" src="{audio}"></audio>')
        parts.append("</section>")
    parts.append("</div>")
    page = Path(page)
    tmp = page.with_name(f".{page.name}.tmp")
    tmp.write_text("\n".join(parts) + "\n", encoding="utf-8")
    os.replace(tmp, page)
