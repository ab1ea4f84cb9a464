"""A libretro core (Gambatte, Debian package libretro-gambatte) run through a small ctypes frontend.

The cores Debian packages are accurate Game Boy emulators; Gambatte's APU has "zombie mode"
(`EnvelopeUnit::nr2Change`), which libgme 0.6.3 lacks, so it is the reference for NRx2 writes on
a playing channel. The package depends on RetroArch, which we do not want: tests/install.sh
fetches only the core (`apt-get download libretro-gambatte`, `dpkg -x`) into a cache folder, and
`find_core` looks for it there:

1. $SYNTHIC_LIBRETRO_DIR (a folder holding `gambatte_libretro.so`, or a `dpkg -x` root);
2. ~/.cache/synthic/libretro (or $XDG_CACHE_HOME/synthic/libretro), where tests/install.sh puts it;
3. the folders where the installed Debian package keeps its cores.

The frontend is written from the libretro API header (libretro.h): it sets the callbacks,
answers the environment queries a core makes at start-up (core options, from which Gambatte's
`gambatte_gb_hwmode` = "GB" selects a DMG; pixel format; system and save folders; whether frames
may be duplicated) and returns False for every other query. Video frames are dropped; audio
batches are collected. A core is a process-wide singleton (its state lives in the shared
library), so one `Player` at a time may be open.

    with Player(rom_bytes) as player:      # or a path
        pcm = player.run(frames=120)        # float32 (n, 2) at player.rate_hz
        pcm = player.run(seconds=1.0, buttons={"start"})
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from synthic.errors import SynthicError

ENV_DIR = "SYNTHIC_LIBRETRO_DIR"
DEBIAN_PACKAGES = {"gambatte": "libretro-gambatte"}
# Options a DMG recording needs: the core's own defaults may pick a Game Boy Color ("Auto" on a
# CGB-flagged ROM) or a GBA. Values must be among those the core declares (SET_VARIABLES).
DEFAULT_OPTIONS = {"gambatte": {"gambatte_gb_hwmode": "GB"}}

# libretro.h: environment commands this frontend answers.
_GET_CAN_DUPE = 3
_GET_SYSTEM_DIRECTORY = 9
_SET_PIXEL_FORMAT = 10
_GET_VARIABLE = 15
_SET_VARIABLES = 16
_GET_VARIABLE_UPDATE = 17
_GET_SAVE_DIRECTORY = 31
_EXPERIMENTAL = 0x10000
_PIXEL_FORMATS = (0, 1, 2)  # 0RGB1555, XRGB8888, RGB565: frames are dropped, any will do

_DEVICE_JOYPAD = 1
_MEMORY_SYSTEM_RAM = 2
# RETRO_DEVICE_ID_JOYPAD_*: the Game Boy's eight buttons.
BUTTON_IDS = {
    "b": 0,
    "select": 2,
    "start": 3,
    "up": 4,
    "down": 5,
    "left": 6,
    "right": 7,
    "a": 8,
}


class _Variable(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class _GameInfo(ctypes.Structure):
    _fields_ = [
        ("path", ctypes.c_char_p),
        ("data", ctypes.c_void_p),
        ("size", ctypes.c_size_t),
        ("meta", ctypes.c_char_p),
    ]


class _SystemInfo(ctypes.Structure):
    _fields_ = [
        ("library_name", ctypes.c_char_p),
        ("library_version", ctypes.c_char_p),
        ("valid_extensions", ctypes.c_char_p),
        ("need_fullpath", ctypes.c_bool),
        ("block_extract", ctypes.c_bool),
    ]


class _Geometry(ctypes.Structure):
    _fields_ = [
        ("base_width", ctypes.c_uint),
        ("base_height", ctypes.c_uint),
        ("max_width", ctypes.c_uint),
        ("max_height", ctypes.c_uint),
        ("aspect_ratio", ctypes.c_float),
    ]


class _Timing(ctypes.Structure):
    _fields_ = [("fps", ctypes.c_double), ("sample_rate", ctypes.c_double)]


class _AvInfo(ctypes.Structure):
    _fields_ = [("geometry", _Geometry), ("timing", _Timing)]


_ENVIRONMENT = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_uint, ctypes.c_void_p)
_VIDEO_REFRESH = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_size_t
)
_AUDIO_SAMPLE = ctypes.CFUNCTYPE(None, ctypes.c_int16, ctypes.c_int16)
_AUDIO_SAMPLE_BATCH = ctypes.CFUNCTYPE(
    ctypes.c_size_t, ctypes.POINTER(ctypes.c_int16), ctypes.c_size_t
)
_INPUT_POLL = ctypes.CFUNCTYPE(None)
_INPUT_STATE = ctypes.CFUNCTYPE(
    ctypes.c_int16, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint
)


def _search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(ENV_DIR):
        dirs.append(Path(os.environ[ENV_DIR]).expanduser())
    dirs.append(cache_dir())
    dirs += [Path("/usr/lib/x86_64-linux-gnu/libretro"), Path("/usr/lib/libretro")]
    return dirs


def cache_dir() -> Path:
    """Where tests/install.sh unpacks the cores: $XDG_CACHE_HOME (or ~/.cache)/synthic/libretro."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "synthic" / "libretro"


def find_core(name: str = "gambatte") -> Path | None:
    """The path of `<name>_libretro.so` in the first folder that has it (module docstring)."""
    filename = f"{name}_libretro.so"
    for d in _search_dirs():
        for candidate in (d / filename, *sorted(d.glob(f"usr/lib/*/libretro/{filename}"))):
            if candidate.is_file():
                return candidate
    return None


def available(name: str = "gambatte") -> bool:
    return find_core(name) is not None


_cores: dict[Path, ctypes.CDLL] = {}
_open: dict[Path, Player] = {}


def _load(path: Path) -> ctypes.CDLL:
    if path in _cores:
        return _cores[path]
    try:
        lib = ctypes.CDLL(os.fspath(path))
    except OSError as e:
        raise SynthicError(f"libretro: {path}: cannot load the core ({e})") from None
    for setter, kind in (
        ("retro_set_environment", _ENVIRONMENT),
        ("retro_set_video_refresh", _VIDEO_REFRESH),
        ("retro_set_audio_sample", _AUDIO_SAMPLE),
        ("retro_set_audio_sample_batch", _AUDIO_SAMPLE_BATCH),
        ("retro_set_input_poll", _INPUT_POLL),
        ("retro_set_input_state", _INPUT_STATE),
    ):
        getattr(lib, setter).argtypes = [kind]
        getattr(lib, setter).restype = None
    lib.retro_api_version.restype = ctypes.c_uint
    lib.retro_get_system_info.argtypes = [ctypes.POINTER(_SystemInfo)]
    lib.retro_get_system_av_info.argtypes = [ctypes.POINTER(_AvInfo)]
    lib.retro_load_game.argtypes = [ctypes.POINTER(_GameInfo)]
    lib.retro_load_game.restype = ctypes.c_bool
    lib.retro_get_memory_data.argtypes = [ctypes.c_uint]
    lib.retro_get_memory_data.restype = ctypes.c_void_p
    lib.retro_get_memory_size.argtypes = [ctypes.c_uint]
    lib.retro_get_memory_size.restype = ctypes.c_size_t
    for fn in ("retro_init", "retro_deinit", "retro_run", "retro_unload_game"):
        getattr(lib, fn).argtypes = []
        getattr(lib, fn).restype = None
    _cores[path] = lib
    return lib


class Player:
    """One ROM running in a libretro core; `run` gives its audio, float32 stereo (n, 2).

    `rom` is the cartridge image (bytes) or a path; `options` overrides core options (merged over
    `DEFAULT_OPTIONS`, e.g. Gambatte's hardware mode "GB"); `core` is a core name for
    `find_core` or the path of a core's shared library. Only one Player may be open at a time.
    """

    def __init__(
        self,
        rom: bytes | str | os.PathLike,
        *,
        core: str | os.PathLike = "gambatte",
        options: Mapping[str, str] | None = None,
    ) -> None:
        self._lib = None
        if isinstance(core, str) and os.sep not in core:
            path = find_core(core)
            if path is None:
                pkg = DEBIAN_PACKAGES.get(core, f"libretro-{core}")
                raise SynthicError(
                    f"libretro: core {core!r} not found in {', '.join(map(str, _search_dirs()))}"
                    f" (run tests/install.sh, or apt-get download {pkg}, dpkg -x it"
                    f" and point {ENV_DIR} at the folder)"
                )
            name = core
        else:
            path = Path(core)
            name = path.name.removesuffix("_libretro.so")
            if not path.is_file():
                raise SynthicError(f"libretro: {path}: no such core")
        path = path.resolve()
        if path in _open:
            raise SynthicError(f"libretro: {path}: a Player already runs this core; close it")
        if isinstance(rom, (str, os.PathLike)):
            self.rom_name = os.fspath(rom)
            try:
                rom = Path(rom).read_bytes()
            except OSError as e:
                raise SynthicError(f"libretro: {self.rom_name}: {e.strerror}") from None
        else:
            self.rom_name = "<rom bytes>"
        self._rom = ctypes.create_string_buffer(bytes(rom), len(rom))
        self.core_path = path
        self.options = {**DEFAULT_OPTIONS.get(name, {}), **(options or {})}
        self.declared: dict[str, list[str]] = {}  # the options the core offers, with values
        self._option_values = {k: ctypes.c_char_p(v.encode()) for k, v in self.options.items()}
        self._dir = tempfile.TemporaryDirectory(prefix="synthic-libretro-")
        self._dir_bytes = ctypes.c_char_p(os.fsencode(self._dir.name))
        self._chunks: list[np.ndarray] = []
        self._pressed: set[str] = set()
        self._frames = 0
        lib = _load(path)
        if lib.retro_api_version() != 1:
            raise SynthicError(f"libretro: {path}: API version {lib.retro_api_version()}, not 1")
        self._callbacks = (  # referenced for as long as the core may call them
            _ENVIRONMENT(self._environment),
            _VIDEO_REFRESH(lambda data, w, h, pitch: None),
            _AUDIO_SAMPLE(self._audio_sample),
            _AUDIO_SAMPLE_BATCH(self._audio_batch),
            _INPUT_POLL(lambda: None),
            _INPUT_STATE(self._input_state),
        )
        lib.retro_set_environment(self._callbacks[0])
        lib.retro_init()
        self._lib = lib
        _open[path] = self
        lib.retro_set_video_refresh(self._callbacks[1])
        lib.retro_set_audio_sample(self._callbacks[2])
        lib.retro_set_audio_sample_batch(self._callbacks[3])
        lib.retro_set_input_poll(self._callbacks[4])
        lib.retro_set_input_state(self._callbacks[5])
        for key, value in self.options.items():
            if self.declared and key not in self.declared:
                self.close()
                raise SynthicError(f"libretro: {path.name} has no option {key!r}")
            if key in self.declared and value not in self.declared[key]:
                self.close()
                raise SynthicError(
                    f"libretro: {path.name}: option {key} is one of"
                    f" {'|'.join(self.declared[key])}, not {value!r}"
                )
        sysinfo = _SystemInfo()
        lib.retro_get_system_info(ctypes.byref(sysinfo))
        self.library = f"{_s(sysinfo.library_name)} {_s(sysinfo.library_version)}".strip()
        game = _GameInfo(None, ctypes.cast(self._rom, ctypes.c_void_p), len(rom), None)
        if isinstance(self.rom_name, str) and self.rom_name != "<rom bytes>":
            game.path = os.fsencode(self.rom_name)
        if sysinfo.need_fullpath and not game.path:
            rom_path = os.path.join(self._dir.name, "game.gb")
            Path(rom_path).write_bytes(bytes(rom))
            game.path = os.fsencode(rom_path)
        with _stdout_to_stderr():  # Gambatte printf()s what it loaded
            loaded = lib.retro_load_game(ctypes.byref(game))
        if not loaded:
            self.close()
            raise SynthicError(f"libretro: {self.rom_name}: {path.name} could not load the ROM")
        self._loaded = True
        av = _AvInfo()
        lib.retro_get_system_av_info(ctypes.byref(av))
        self.fps = float(av.timing.fps)
        self.sample_rate = float(av.timing.sample_rate)
        if not (self.fps > 0 and self.sample_rate > 0):
            self.close()
            raise SynthicError(f"libretro: {path.name}: no frame or sample rate in its av_info")

    @property
    def rate_hz(self) -> float:
        """The core's audio sample rate (its av_info)."""
        return self.sample_rate

    # -- callbacks ------------------------------------------------------------------------------

    def _environment(self, cmd: int, data: int) -> bool:
        try:
            return self._answer(cmd & ~_EXPERIMENTAL, data)
        except Exception:  # an exception must not unwind through the core's C++ frames
            return False

    def _answer(self, cmd: int, data: int) -> bool:
        if cmd == _SET_VARIABLES:
            var = ctypes.cast(data, ctypes.POINTER(_Variable))
            k = 0
            while var[k].key:
                desc = _s(var[k].value)
                values = desc.split(";", 1)[1].strip() if ";" in desc else ""
                self.declared[_s(var[k].key)] = values.split("|") if values else []
                k += 1
            return True
        if cmd == _GET_VARIABLE:
            var = ctypes.cast(data, ctypes.POINTER(_Variable)).contents
            value = self._option_values.get(_s(var.key))
            if value is None:
                return False
            var.value = value
            return True
        if cmd == _GET_VARIABLE_UPDATE:
            ctypes.cast(data, ctypes.POINTER(ctypes.c_bool))[0] = False
            return True
        if cmd == _SET_PIXEL_FORMAT:
            return ctypes.cast(data, ctypes.POINTER(ctypes.c_int))[0] in _PIXEL_FORMATS
        if cmd in (_GET_SYSTEM_DIRECTORY, _GET_SAVE_DIRECTORY):
            ctypes.cast(data, ctypes.POINTER(ctypes.c_char_p))[0] = self._dir_bytes
            return True
        if cmd == _GET_CAN_DUPE:
            ctypes.cast(data, ctypes.POINTER(ctypes.c_bool))[0] = True
            return True
        return False

    def _audio_sample(self, left: int, right: int) -> None:
        self._chunks.append(np.array([[left, right]], np.int16))

    def _audio_batch(self, data, frames: int) -> int:
        if frames:
            self._chunks.append(np.ctypeslib.as_array(data, (frames, 2)).copy())
        return frames

    def _input_state(self, port: int, device: int, index: int, button: int) -> int:
        if port != 0 or device != _DEVICE_JOYPAD:
            return 0
        return int(any(BUTTON_IDS[b] == button for b in self._pressed))

    # -- running ----------------------------------------------------------------------------------

    @property
    def frames(self) -> int:
        """Frames run since the ROM was loaded."""
        return self._frames

    def run(
        self,
        frames: int | None = None,
        *,
        seconds: float | None = None,
        buttons: Iterable[str] | None = None,
    ) -> np.ndarray:
        """Run `frames` frames (or `seconds`, rounded to whole frames at the core's frame rate)
        and return their audio, float32 (n, 2) in [-1, 1). `buttons` are held throughout (names
        in BUTTON_IDS); without it the buttons stay as `press`/`release` left them."""
        if self._lib is None:
            raise SynthicError(f"libretro: {self.rom_name}: the player is closed")
        if (frames is None) == (seconds is None):
            raise ValueError("give exactly one of frames, seconds")
        if frames is None:
            frames = round(seconds * self.fps)
        if frames < 0:
            raise ValueError(f"cannot run a negative number of frames ({frames})")
        held = self._pressed
        if buttons is not None:
            self._pressed = self._checked(buttons)
        self._chunks = []
        try:
            for _ in range(frames):
                self._lib.retro_run()
                self._frames += 1
        finally:
            if buttons is not None:
                self._pressed = held
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros((0, 2), np.int16)
        self._chunks = []
        return pcm.astype(np.float32) / 32768.0

    def _checked(self, buttons: Iterable[str]) -> set[str]:
        names = {b.lower() for b in ([buttons] if isinstance(buttons, str) else buttons)}
        bad = sorted(names - set(BUTTON_IDS))
        if bad:
            raise SynthicError(f"libretro: unknown button(s) {bad}; buttons: {list(BUTTON_IDS)}")
        return names

    def press(self, *buttons: str) -> None:
        self._pressed |= self._checked(buttons)

    def release(self, *buttons: str) -> None:
        self._pressed -= self._checked(buttons)

    def system_ram(self) -> bytes:
        """A copy of the core's system RAM (RETRO_MEMORY_SYSTEM_RAM: on a Game Boy, WRAM from
        0xC000), e.g. to read a test ROM's result block."""
        if self._lib is None:
            raise SynthicError(f"libretro: {self.rom_name}: the player is closed")
        ptr = self._lib.retro_get_memory_data(_MEMORY_SYSTEM_RAM)
        size = self._lib.retro_get_memory_size(_MEMORY_SYSTEM_RAM)
        if not ptr or not size:
            raise SynthicError(f"libretro: {self.core_path.name} does not expose its system RAM")
        return ctypes.string_at(ptr, size)

    # -- closing ----------------------------------------------------------------------------------

    def close(self) -> None:
        lib, self._lib = self._lib, None
        if lib is None:
            return
        if getattr(self, "_loaded", False):
            lib.retro_unload_game()
            self._loaded = False
        lib.retro_deinit()
        _open.pop(self.core_path, None)
        self._dir.cleanup()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


@contextmanager
def _stdout_to_stderr():
    """Send what the core prints to stdout (file descriptor 1) to stderr instead, so that a
    command writing data to stdout is not corrupted."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError):  # no usable descriptors (a daemon): leave them alone
        yield
        return
    try:
        yield
    finally:
        ctypes.CDLL(None).fflush(None)
        os.dup2(saved, 1)
        os.close(saved)


def _s(b: bytes | None) -> str:
    return b.decode(errors="replace") if b else ""
