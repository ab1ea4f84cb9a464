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

from synthic.commands.wav import add_render_options, render_file_blocks
from synthic.errors import SynthicError, display_name

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


def _device_blocks(blocks, size: int):
    """Float32 blocks of exactly `size` samples (the last may be shorter) from blocks of any
    size, holding at most one of each at a time."""
    pending: list[np.ndarray] = []
    held = 0
    for block in blocks:
        block = np.clip(block, -1, 1).astype(np.float32, copy=False)
        while len(block):
            take = min(size - held, len(block))
            pending.append(block[:take])
            held += take
            block = block[take:]
            if held == size:
                yield np.ascontiguousarray(np.concatenate(pending))
                pending, held = [], 0
    if held:
        yield np.ascontiguousarray(np.concatenate(pending))


def play_audio(sd, audio, rate: int) -> None:
    """Play float32 (n, 2) audio, or consecutive blocks of it, on sd's default output, a block
    of BLOCK_SECONDS at a time; Ctrl-C aborts."""
    block = max(1, int(BLOCK_SECONDS * rate))
    blocks = [audio] if isinstance(audio, np.ndarray) else audio
    stream = sd.OutputStream(samplerate=rate, channels=2, dtype="float32")
    try:
        stream.start()
        for chunk in _device_blocks(blocks, block):
            stream.write(chunk)
        stream.stop()  # waits for what is queued to finish playing
    except KeyboardInterrupt:
        stream.abort(ignore_errors=True)
        raise
    finally:
        stream.close(ignore_errors=True)


def run(args) -> int:
    src = Path(args.input)
    name = display_name(src)
    if src.is_dir():
        raise SynthicError(f"{name}: is a folder; play takes one recording")
    if not src.is_file():
        raise SynthicError(f"{name}: no such file")
    sd = open_output()
    frames, blocks = render_file_blocks(str(src), args.rate, args.seconds, args.solo, args.mute)
    seconds = frames / args.rate
    print(f"playing {name} ({seconds:.1f} s at {args.rate} Hz; Ctrl-C stops)", flush=True)
    try:
        play_audio(sd, blocks, args.rate)
    except KeyboardInterrupt:
        print(f"synthic play: stopped {name}", file=sys.stderr)
        return 130
    print(f"played {name}")
    return 0
