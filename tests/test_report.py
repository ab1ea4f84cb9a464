"""The workflow's report (`snakemake --report`), opened in headless Chromium.

The quick configuration runs in a copy of the checkout (the songs, the evaluation and the
report's piano rolls), `snakemake --report report.html` builds the report, and Chromium, driven
over the DevTools protocol (websocket-client), opens it: every image the report shows (on
its landing page the logo and the songs' piano rolls; as results the training curves and each
piano roll) must have decoded (naturalWidth > 0), and every audio element of the landing page's
songs must load (readyState >= 2) and play (currentTime advances after play()). A screenshot of
the landing page's songs is kept in tests/artifacts/ (ignored by git; the test prints the
path). Skipped with the reason where Chromium (Debian: apt-get install chromium,
tests/install.sh) or websocket-client is missing.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from synthic import events
from synthic.commands import pianoroll
from synthic.demo import song_names

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_pianoroll_page(tmp_path):
    """synthic pianoroll: a PNG per song and a page embedding each roll and its WAV."""
    from synthic.cli import main

    songs = tmp_path / "songs"
    songs.mkdir()
    wav = tmp_path / "wav"
    wav.mkdir()
    assert main(["demo", song_names()[0], "-o", str(tmp_path / "demo.vgm")]) == 0
    rec = events.read(tmp_path / "demo.vgm")
    events.write(rec, songs / "song_01.events")
    import numpy as np
    import soundfile as sf

    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000.0)
    sf.write(wav / "song_01.wav", np.stack([tone, tone], axis=1), 8000)
    out, page = tmp_path / "rolls", tmp_path / "songs.html"
    assert (
        main(["pianoroll", str(songs), "-o", str(out), "--wav", str(wav), "--page", str(page)]) == 0
    )
    assert [p.name for p in out.iterdir()] == ["song_01.png"]
    assert (out / "song_01.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.read_text()
    assert text.count('src="data:image/png;base64,') == 1
    assert text.count('<audio controls preload="auto" src="data:audio/') == 1
    (audio,) = (part for part in text.split('"') if part.startswith("data:audio/"))
    mime, data = audio.removeprefix("data:").split(";base64,")
    with sf.SoundFile(io.BytesIO(base64.b64decode(data))) as f:  # what the page plays
        assert (f.samplerate, f.channels, f.frames) == (8000, 2, 8000)
        assert f.format == ("OGG" if mime == "audio/ogg" else "WAV")
    assert pianoroll.song_files([songs]) == [songs / "song_01.events"]
    (wav / "song_01.wav").unlink()
    assert main(["pianoroll", str(songs), "-o", str(out), "--wav", str(wav)]) == 2


class DevTools:
    """A minimal Chrome DevTools protocol client: one page target, commands by id."""

    def __init__(self, url: str):
        import websocket

        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def send(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def eval(self, expression: str, context_id: int | None = None):
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        if context_id is not None:
            params["contextId"] = context_id
        result = self.send("Runtime.evaluate", **params)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, context_id: int | None = None, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression, context_id)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.2)


# In a frame: every image decoded, every audio element loaded, then played for a while.
IMAGES_JS = """Array.from(document.images).map(i => ({src: i.src.slice(0, 40),
    complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))"""
AUDIO_READY_JS = """Array.from(document.querySelectorAll('audio')).every(a => a.readyState >= 2)"""
AUDIO_PLAY_JS = """(async () => {
    const audios = Array.from(document.querySelectorAll('audio'));
    const out = [];
    for (const a of audios) {
        const before = a.currentTime;
        let error = null;
        try { await a.play(); } catch (e) { error = String(e); }
        await new Promise(r => setTimeout(r, 1000));
        out.push({readyState: a.readyState, duration: a.duration, before: before,
                  after: a.currentTime, paused: a.paused, error: error});
        a.pause();
    }
    return out;
})()"""


@pytest.fixture(scope="module")
def chromium():
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium (Debian: apt-get install chromium; tests/install.sh)")
    pytest.importorskip("websocket", reason="websocket-client is missing (pip install -e .[dev])")
    return binary


@pytest.mark.slow
def test_report_in_chromium(tmp_path, chromium):
    work = tmp_path / "checkout"
    work.mkdir()
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.split(b"\0")  # fmt: skip
    for name in filter(None, files):
        src = REPO / os.fsdecode(name)
        if src.is_file():
            dst = work / os.fsdecode(name)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    quick = ["--configfile", "config.quick.yaml"]
    targets = ["all", "results/report/songs.html"]
    t0 = time.monotonic()
    run = subprocess.run(["snakemake", *targets, "--cores", "2", *quick],
                         cwd=work, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    t1 = time.monotonic()
    run = subprocess.run(["snakemake", *targets, "--report", "report.html", "--cores", "1", *quick],
                         cwd=work, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    report = work / "report.html"
    print(f"\nworkflow {t1 - t0:.0f} s, report {time.monotonic() - t1:.0f} s: {report} "
          f"({report.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
    n_songs = len(list((work / "results" / "wav").glob("*.wav")))
    assert n_songs >= 1
    check_report(report, chromium, n_songs, tmp_path / "profile")


def check_report(report: Path, chromium: str, n_songs: int, profile: Path) -> None:
    """Open `report` in headless Chromium and check its images and the songs' audio
    (`n_songs` players); the screenshot goes to tests/artifacts/report_songs.png."""
    shutil.rmtree(profile, ignore_errors=True)  # no stale DevToolsActivePort
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0",
         "--remote-allow-origins=*", f"--user-data-dir={profile}", "--window-size=1280,1000",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.is_file() or not port_file.read_text().strip():
            assert browser.poll() is None, browser.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        cdp = DevTools(pages[0]["webSocketDebuggerUrl"])
        cdp.send("Page.enable")
        cdp.send("Runtime.enable")
        cdp.send("Page.navigate", url=report.as_uri())
        assert cdp.wait_for("typeof app !== 'undefined' && document.readyState === 'complete'")
        results = cdp.eval("Object.entries(results).map(([p, r]) => [p, r.mime_type])")
        names = sorted(p for p, _ in results)
        print("report results:", ", ".join(names))
        pngs = [p for p, mime in results if mime == "image/png"]
        assert "results/model/loss.png" in pngs
        rolls = [p for p in pngs if p.startswith("results/report/pianoroll/")]
        assert len(rolls) == n_songs
        for table in ("results/recordings.tsv", "results/samples.tsv", "results/manifest.tsv"):
            assert table in names
        # The landing page: the workflow's description with the songs, then the rule graph.
        assert cdp.wait_for("document.querySelectorAll('.synthic-songs audio').length > 0")
        assert cdp.wait_for("Array.from(document.images).every(i => i.complete)")
        images = cdp.eval(IMAGES_JS)
        rolls_shown = [i for i in images if i["src"].startswith("data:image/png")]
        n_audio = cdp.eval("document.querySelectorAll('audio').length")
        sizes = [(i["width"], i["height"]) for i in rolls_shown]
        print(f"landing page: {len(images)} images (piano rolls {sizes}), {n_audio} audio")
        assert len(rolls_shown) == n_songs and n_audio == n_songs
        assert all(i["complete"] and i["width"] > 0 for i in images), images
        assert cdp.wait_for(AUDIO_READY_JS), "audio elements did not load"
        played = cdp.eval(AUDIO_PLAY_JS)
        for a in played:
            print(f"audio: readyState {a['readyState']}, duration {a['duration']:.2f} s, "
                  f"currentTime {a['before']:.2f} -> {a['after']:.2f} s after 1 s of play()"
                  + (f", error {a['error']}" if a["error"] else ""))  # fmt: skip
        assert all(a["error"] is None and a["after"] > a["before"] for a in played), played
        cdp.eval("document.querySelector('.synthic-songs').scrollIntoView()")
        time.sleep(0.5)
        shot = cdp.send("Page.captureScreenshot", format="png")["data"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / "report_songs.png"
        path.write_bytes(base64.b64decode(shot))
        print(f"screenshot: {path}")
        # Each image result as the report shows it (what its eye button does).
        for path in pngs:
            cdp.eval(f"app.setView({{content: 'img', contentPath: results[{path!r}].data_uri, "
                     f"resultPath: {path!r}}})")  # fmt: skip
            assert cdp.wait_for(f"Array.from(document.images).some(i => i.complete && "
                                f"i.src === results[{path!r}].data_uri)"), path  # fmt: skip
            images = cdp.eval(IMAGES_JS)
            assert all(i["complete"] and i["width"] > 0 for i in images), (path, images)
            shown = cdp.eval(f"Array.from(document.images).filter(i => i.src === "
                             f"results[{path!r}].data_uri).map(i => [i.naturalWidth, "
                             f"i.naturalHeight])")  # fmt: skip
            print(f"{path}: shown {shown}")
        cdp.ws.close()
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-m", "slow or not slow", "-s"]))
