"""`synthic play IN`: play a recording or song on the sound device, as `synthic wav` renders it.

Playback needs the optional package sounddevice (`pip install 'synthic[play]'`) and the PortAudio
library it loads (Debian/Ubuntu: `apt-get install libportaudio2`). When either is missing, or
there is no output device, the command says which in one line and exits with status 2. Ctrl-C
stops playback at once (the stream is aborted, not drained) and exits with status 130.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

from synthic.commands.wav import add_render_options, render_file
from synthic.errors import SynthicError

BLOCK_SECONDS = 0.1  # audio handed to the device per write: Ctrl-C is seen between writes


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "play",
        help="play a recording or song on the sound device",
        description="Play a recording (any format `synthic wav` reads) through Synthic's model "
        "of the DMG sound chip on the default sound output, exactly as `synthic wav` would "
        "render it. Needs the optional package sounddevice (pip install 'synthic[play]') and "
        "the PortAudio library (apt-get install libportaudio2). Ctrl-C stops.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("input", metavar="IN", help="a recording or song in any supported format")
    add_render_options(p, "play")
    p.set_defaults(run=run)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence C-level chatter on fd 2 (ALSA's, while PortAudio scans devices)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            sys.stderr.flush()
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_output():
    """The sounddevice module, once it and an output device are known to be there."""
    try:
        with _quiet_stderr():
            import sounddevice
    except ImportError:
        raise SynthicError(
            "playing needs the optional package sounddevice, which is not installed:"
            " pip install 'synthic[play]' (or write a file with `synthic wav`)"
        ) from None
    except OSError as e:  # sounddevice raises this when it cannot load PortAudio
        raise SynthicError(
            f"playing needs the PortAudio library, which sounddevice could not load ({e}):"
            " apt-get install libportaudio2 (macOS: brew install portaudio)"
        ) from None
    try:
        with _quiet_stderr():
            sounddevice.query_devices(kind="output")
    except (sounddevice.PortAudioError, ValueError) as e:
        raise SynthicError(
            f"no sound output device found ({e}); write a file with `synthic wav` instead"
        ) from None
    return sounddevice


def play_audio(sd, audio: np.ndarray, rate: int) -> None:
    """Play float32 (n, 2) audio on sd's default output, a block at a time; Ctrl-C aborts."""
    block = max(1, int(BLOCK_SECONDS * rate))
    stream = sd.OutputStream(samplerate=rate, channels=2, dtype="float32")
    try:
        stream.start()
        for lo in range(0, len(audio), block):
            stream.write(np.ascontiguousarray(audio[lo : lo + block]))
        stream.stop()  # waits for what is queued to finish playing
    except KeyboardInterrupt:
        stream.abort(ignore_errors=True)
        raise
    finally:
        stream.close(ignore_errors=True)


def run(args) -> int:
    src = Path(args.input)
    if src.is_dir():
        raise SynthicError(f"{src}: is a folder; play takes one recording")
    if not src.is_file():
        raise SynthicError(f"{src}: no such file")
    sd = open_output()
    audio = np.clip(render_file(str(src), args.rate, args.seconds, args.solo, args.mute), -1, 1)
    seconds = len(audio) / args.rate
    print(f"playing {src} ({seconds:.1f} s at {args.rate} Hz; Ctrl-C stops)", flush=True)
    try:
        play_audio(sd, audio.astype(np.float32, copy=False), args.rate)
    except KeyboardInterrupt:
        print(f"synthic play: stopped {src}", file=sys.stderr)
        return 130
    print(f"played {src}")
    return 0
