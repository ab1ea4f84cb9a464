#!/usr/bin/env bash
# Install what the tests need: the package with its development extras and, where this runs as
# root with apt-get (Debian/Ubuntu, CI), the programs the tests compare against: sdcc (the
# assembler that builds our test ROMs), gbsplay and libgme0 (reference Game Boy sound players).
# Without them, the tests that need them are skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing=""
    for pkg in sdcc gbsplay libgme0; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        echo "tests/install.sh: apt-get install$missing"
        apt-get update -qq || echo "tests/install.sh: apt-get update failed; trying the install anyway" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
            echo "tests/install.sh: could not install$missing; the tests that need them will be skipped" >&2
    fi
else
    echo "tests/install.sh: not root or no apt-get: sdcc, gbsplay and libgme0 are not installed;" \
        "the tests that need them will be skipped" >&2
fi

python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
