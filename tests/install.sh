#!/usr/bin/env bash
# Install what the tests need: the package with its development extras (among them PyBoy, the peer
# emulator the tests run our ROMs in, from the package index) and, where this runs as root with
# apt-get (Debian/Ubuntu, CI), the programs the tests compare against: sdcc (the assembler that
# builds our test ROMs), gbsplay and libgme0 (reference Game Boy sound players), slurm-wlm and
# munge (the one-node SLURM cluster of tests/test_slurm.py, tests/slurm/cluster.sh), chromium
# (the headless browser that opens the workflow's report, tests/test_report.py); and, wherever
# apt-get works, the libretro-gambatte core (below). Without the system programs, the tests that
# need them are skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing=""
    for pkg in sdcc gbsplay libgme0 slurm-wlm munge chromium; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        echo "tests/install.sh: apt-get install$missing"
        apt-get update -qq || echo "tests/install.sh: apt-get update failed; trying the install anyway" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
            echo "tests/install.sh: could not install$missing; the tests that need them will be skipped" >&2
    fi
else
    echo "tests/install.sh: not root or no apt-get: sdcc, gbsplay, libgme0, slurm-wlm, munge and" \
        "chromium" \
        "are not installed; the tests that need them will be skipped" >&2
fi

# The Gambatte libretro core (an accurate DMG emulator with zombie mode, the reference of
# tests/test_apu_libretro.py), without the RetroArch that its package depends on: download the
# package alone and unpack it into the cache folder that tests/reference/libretro.py searches.
core_dir="${SYNTHIC_LIBRETRO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/synthic/libretro}"
if [ -n "$(find "$core_dir" -name gambatte_libretro.so 2>/dev/null)" ]; then
    :
elif command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
    echo "tests/install.sh: apt-get download libretro-gambatte, unpacked into $core_dir"
    deb_dir="$(mktemp -d)"
    fetch() {
        (cd "$deb_dir" && apt-get download -qq -o APT::Sandbox::User=root libretro-gambatte)
    }
    if { fetch || { [ "$(id -u)" = 0 ] && apt-get update -qq && fetch; }; } &&
        mkdir -p "$core_dir" && dpkg -x "$deb_dir"/libretro-gambatte_*.deb "$core_dir"; then
        :
    else
        echo "tests/install.sh: could not fetch libretro-gambatte; its tests will be skipped" >&2
    fi
    rm -rf "$deb_dir"
else
    echo "tests/install.sh: no apt-get: libretro-gambatte is not installed; its tests will be" \
        "skipped" >&2
fi

# The dev extra includes pyboy (tests/test_roms_build.py, tests/test_jukebox_build.py).
python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# The audio metrics (tests/audio_metrics.py) are librosa and mir_eval, from the dev extra above.
python -c "import librosa, mir_eval" ||
    echo "tests/install.sh: librosa or mir_eval did not install; the APU reference tests need them" >&2
