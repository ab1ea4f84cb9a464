"""`synthic play`: what it says without sounddevice, PortAudio or a device; what it would play.

This machine and CI have no sound device (and usually no sounddevice), so the playback tests
hand `synthic play` a stand-in for the sounddevice module that records what it is given; the
not-installed cases run the real import machinery with the package hidden or failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types

import numpy as np
import pytest
import soundfile

from synthic import demo, events
from synthic.commands import play
from synthic.errors import SynthicError
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("play") / "twinkle.events"
    events.write(demo.render("twinkle"), path)
    return path


class FakeStream:
    """Records what an sd.OutputStream would send to the device."""

    def __init__(self, log, fail_on_write=None, **kw):
        self.log, self.kw, self.fail_on_write = log, kw, fail_on_write
        self.blocks: list[np.ndarray] = []
        log.append(self)
        self.calls: list[str] = []

    def start(self):
        self.calls.append("start")

    def write(self, block):
        if self.fail_on_write is not None and len(self.blocks) == self.fail_on_write:
            raise KeyboardInterrupt
        assert block.flags.c_contiguous and block.dtype == np.float32
        self.blocks.append(block.copy())

    def stop(self):
        self.calls.append("stop")

    def abort(self, ignore_errors=True):
        self.calls.append("abort")

    def close(self, ignore_errors=True):
        self.calls.append("close")


def fake_sounddevice(fail_on_write=None):
    sd = types.SimpleNamespace(streams=[])
    sd.OutputStream = lambda **kw: FakeStream(sd.streams, fail_on_write, **kw)
    return sd


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("synthic play: error: ")
    return lines[0]


def test_help_shows_defaults(cli):
    status, out, _ = cli("play", "--help")
    assert status == 0
    text = " ".join(out.split())
    assert "--rate {44100,48000} sample rate (Hz) (default: 44100)" in text
    assert "play only the first SECONDS (default: all of it)" in text
    assert "--solo" in text and "(repeatable; default: none)" in text


def test_solo_and_mute_conflict(cli, recording):
    status, _, err = cli("play", recording, "--solo", "1", "--mute", "2")
    assert status == 2 and "not allowed with argument" in err


def test_without_sounddevice(cli, recording, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import sounddevice -> ImportError
    status, _, err = cli("play", recording)
    assert status == 2
    line = one_line_error(err)
    assert "sounddevice, which is not installed" in line and "pip install 'synthic[play]'" in line


def test_without_portaudio(cli, recording, monkeypatch):
    class NoPortAudio:
        """Fails the import the way sounddevice does when it cannot load PortAudio."""

        def find_spec(self, name, path=None, target=None):
            if name == "sounddevice":
                raise OSError("PortAudio library not found")
            return None

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    status, _, err = cli("play", recording)
    assert status == 2
    line = one_line_error(err)
    assert "PortAudio library" in line and "apt-get install libportaudio2" in line


def test_without_an_output_device(cli, recording, monkeypatch):
    class PortAudioError(Exception):
        pass

    def query_devices(kind=None):
        assert kind == "output"
        raise PortAudioError("Error querying device -1")  # what PortAudio says with no device

    sd = types.ModuleType("sounddevice")
    sd.PortAudioError, sd.query_devices = PortAudioError, query_devices
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    status, _, err = cli("play", recording)
    assert status == 2
    assert "no sound output device found (Error querying device -1)" in one_line_error(err)


def test_on_this_machine_it_says_what_is_missing(recording):
    """The real thing, as a user runs it: one line on stderr, status 2, no traceback."""
    try:
        play.open_output()
    except SynthicError:
        pass
    else:
        pytest.skip("this machine has sounddevice, PortAudio and an output device")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    result = subprocess.run(
        [sys.executable, "-m", "synthic", "play", str(recording), "--seconds", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result
    line = one_line_error(result.stderr)
    assert any(
        s in line for s in ("sounddevice, which is not installed", "PortAudio", "no sound output")
    )


@pytest.mark.parametrize(
    "options", [[], ["--seconds", "3", "--solo", "1", "--rate", "48000"], ["--mute", "3"]]
)
def test_plays_what_wav_writes(cli, recording, tmp_path, monkeypatch, options):
    sd = fake_sounddevice()
    monkeypatch.setattr(play, "open_output", lambda: sd)
    status, out, err = cli("play", recording, *options)
    assert status == 0, err
    assert out.startswith(f"playing {recording}") and f"played {recording}" in out
    (stream,) = sd.streams
    rate = 48000 if "48000" in options else 44100
    assert stream.kw == {"samplerate": rate, "channels": 2, "dtype": "float32"}
    assert stream.calls == ["start", "stop", "close"]
    assert all(len(b) == int(play.BLOCK_SECONDS * rate) for b in stream.blocks[:-1])
    played = np.concatenate(stream.blocks)

    wav = tmp_path / "same.wav"
    status, _, err = cli("wav", recording, "-o", wav, *options)
    assert status == 0, err
    written, wav_rate = soundfile.read(wav, dtype="int16")
    assert wav_rate == rate and written.shape == played.shape
    # The file holds the same audio as 16-bit samples (libsndfile: about x * 32768): within 1 LSB.
    assert np.abs(played * 32768.0 - written).max() <= 1.0
    assert np.sqrt(np.mean(played**2)) > 0.01  # not silence


def test_ctrl_c_stops_playback_at_once(cli, recording, monkeypatch):
    sd = fake_sounddevice(fail_on_write=3)
    monkeypatch.setattr(play, "open_output", lambda: sd)
    status, out, err = cli("play", recording)
    assert status == 130
    (stream,) = sd.streams
    assert len(stream.blocks) == 3
    assert stream.calls == ["start", "abort", "close"]  # aborted, not drained
    assert err.strip() == f"synthic play: stopped {recording}"
    assert "played" not in out


def test_bad_inputs_are_one_line_errors(cli, tmp_path):
    status, _, err = cli("play", tmp_path)
    assert status == 2 and "is a folder" in one_line_error(err)
    status, _, err = cli("play", tmp_path / "missing.events")
    assert status == 2 and "no such file" in one_line_error(err)
