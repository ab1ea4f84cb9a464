"""The collection is untrusted: hostile names, zip bombs, oversized files, FIFOs and devices.

Issue 11, sections 1-3: names that would run shell commands survive the inventory exactly and
become safe wildcards; nothing is read whole before its size is checked, a zip member's
declared size is checked before inflating and inflation stops at the limit (peak memory
measured); only regular files are read; the inventory is written once and reused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from synthic.collection import (
    NAME_MAX,
    find_inputs,
    fingerprint,
    read_input,
    read_inventory,
    safe_name,
    scan,
    write_inventory,
)
from synthic.errors import SynthicError
from synthic.limits import MAX_ROM_BYTES, MAX_VGM_BYTES, MiB

# Names a user's disk may hold: shell syntax, quotes, control characters, a leading dash,
# undecodable bytes, and the longest name a file system allows.
HOSTILE = [
    "$(touch PWNED).vgm",
    "`touch PWNED`.vgm",
    "a; touch PWNED; b.vgm",
    'it\'s "quoted".vgm',
    "new\nline.vgm",
    "tab\there.vgm",
    "-rf --help.vgm",
    "  spaces  .vgm",
    os.fsdecode(b"caf\xe9 \xff.vgm"),  # Latin-1 bytes: not UTF-8
    "\x1b[31mred\x1b[0m.vgm",
    "x" * 251 + ".vgm",
]


def is_text(name: str) -> bool:
    """Not holding undecodable bytes (which a zip member name, being text, cannot)."""
    return name.encode("utf-8", "surrogateescape") == name.encode("utf-8", "replace")


def hostile_folder(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(HOSTILE):
        (root / name).write_bytes(b"Vgm " + bytes([i]) * 60)
    with zipfile.ZipFile(root / "$(touch PWNED).zip", "w") as z:
        for i, name in enumerate(HOSTILE):
            if is_text(name):  # zip member names are text
                z.writestr(name, b"Vgm " + bytes([100 + i]) * 60)


def test_hostile_names_survive_the_inventory_exactly_and_get_safe_wildcards(tmp_path):
    folder = tmp_path / "pack"
    hostile_folder(folder)
    found, skipped = find_inputs(str(folder))
    assert skipped == []
    on_disk = {os.fsdecode(p) for p in os.listdir(os.fsencode(folder)) if not p.endswith(b".zip")}
    assert {os.path.basename(i.path) for i in found if i.member is None} == on_disk
    members = {i.member for i in found if i.member}
    assert members == {n for n in HOSTILE if is_text(n)}
    names = [i.name for i in found]
    assert len(set(names)) == len(names) == len(found)
    for n in names:
        assert n.isascii() and n == n.lower() and len(n) <= NAME_MAX
        assert all(c.isalnum() or c == "_" for c in n) and not n.startswith(("-", "_"))
    # The table holds every name exactly (one row each) and labels are printable.
    table = tmp_path / "inventory.tsv"
    write_inventory(found, skipped, table)
    assert len(table.read_text(encoding="utf-8").splitlines()) == 1 + len(found)
    again, _ = read_inventory(table)
    assert again == found
    for item in again:
        assert item.label.isprintable() and "\x1b" not in item.label
    assert r"caf\xe9 \xff.vgm" in {os.path.basename(i.label) for i in again}


def test_long_names_are_cut_with_a_hash_and_stay_distinct():
    a, b = safe_name("y" * 300 + "a.gb"), safe_name("y" * 300 + "b.gb")
    assert len(a) <= NAME_MAX and len(b) <= NAME_MAX and a != b
    assert safe_name("Zelda (v1.2).gb") == "zelda_v1_2"


def bomb(path: Path, member: str, inflated: int) -> None:
    """A zip with one member of `inflated` zero bytes, deflated (about 1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            block = bytes(MiB)
            for _ in range(inflated // MiB):
                f.write(block)


def peak_memory(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_zip_bomb_is_refused_before_inflating_with_little_memory(tmp_path):
    """A 300 KB archive whose ROM member inflates to 300 MiB (the limit is 8 MiB): skipped with
    the reason from its declared size, without inflating it."""
    folder = tmp_path / "c"
    folder.mkdir()
    bomb(folder / "bomb.zip", "game.gb", 300 * MiB)
    assert (folder / "bomb.zip").stat().st_size < 1 * MiB
    (found, skipped), peak = peak_memory(lambda: find_inputs(str(folder)))
    print(f"\nzip bomb (300 MiB declared): skipped, peak traced memory {peak / MiB:.2f} MiB")
    assert found == []
    assert len(skipped) == 1 and "declared 314,572,800 bytes" in skipped[0].reason
    assert peak < 100 * MiB
    with pytest.raises(SynthicError, match="larger than a rom can be"):
        read_input(folder / "bomb.zip", "game.gb")


def _forge_sizes(path: Path, size: int) -> None:
    """Rewrite the member's declared sizes (local header and central directory) to `size`: a
    bomb that lies about how much it inflates to."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.infolist()[0]
    local = info.header_offset
    assert data[local : local + 4] == b"PK\x03\x04"
    central = data.rindex(b"PK\x01\x02")
    data[local + 22 : local + 26] = size.to_bytes(4, "little")  # local: uncompressed size
    data[central + 24 : central + 28] = size.to_bytes(4, "little")  # central: uncompressed
    path.write_bytes(bytes(data))


def test_zip_bomb_that_lies_about_its_size_stops_at_the_declared_size(tmp_path):
    """Declared 1,000 bytes, inflates to 200 MiB: inflation stops at what was declared (and the
    checksum then fails), so memory stays small; the member is skipped with the reason."""
    folder = tmp_path / "c"
    folder.mkdir()
    path = folder / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("song.vgm", bytes(200 * MiB))
    _forge_sizes(path, 1000)
    (found, skipped), peak = peak_memory(lambda: find_inputs(str(folder)))
    print(f"\nlying zip bomb (200 MiB as 1,000 bytes): peak traced memory {peak / MiB:.2f} MiB")
    assert found == [] and len(skipped) == 1
    assert "unreadable zip member" in skipped[0].reason
    assert peak < 100 * MiB


def test_oversized_files_are_skipped_by_their_size_without_being_read(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    with open(folder / "huge.gb", "wb") as f:  # sparse: 9 MiB of nothing on disk
        f.truncate(MAX_ROM_BYTES + MiB)
    with open(folder / "huge.vgz", "wb") as f:
        f.truncate(MAX_VGM_BYTES + 1)
    (folder / "fine.gb").write_bytes(b"\1" * 32768)
    (found, skipped), peak = peak_memory(lambda: find_inputs(str(folder)))
    assert [i.name for i in found] == ["fine"]
    reasons = {Path(s.label).name: s.reason for s in skipped}
    assert "larger than a rom can be (8,388,608 bytes" in reasons["huge.gb"]
    assert "larger than a vgm can be" in reasons["huge.vgz"]
    assert peak < 4 * MiB
    with pytest.raises(SynthicError, match="more than 8,388,608 bytes"):
        read_input(folder / "huge.gb")


def test_fifos_and_devices_are_never_read(tmp_path):
    """A FIFO named .gb would block a reader forever; /dev/zero behind a .vgm link never ends.
    Both are skipped with the reason; a scan in a subprocess ends promptly."""
    folder = tmp_path / "c"
    folder.mkdir()
    os.mkfifo(folder / "pipe.gb")
    os.symlink("/dev/zero", folder / "zero.vgm")
    os.symlink(folder / "missing.gbs", folder / "dangling.gbs")
    (folder / "ok.vgm").write_bytes(b"Vgm 1")
    code = (
        "from synthic.collection import find_inputs; import sys\n"
        f"found, skipped = find_inputs({str(folder)!r})\n"
        "print([i.name for i in found]); print(sorted((s.label.rsplit('/', 1)[1], s.reason)"
        " for s in skipped))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "['ok']"
    assert "('pipe.gb', 'not a regular file (a FIFO)')" in out.stdout
    assert "('zero.vgm', 'not a regular file (a device)')" in out.stdout
    assert "('dangling.gbs', 'cannot read (No such file or directory)')" in out.stdout
    for path in ("pipe.gb", "zero.vgm"):
        with pytest.raises(SynthicError, match="not a regular file"):
            read_input(folder / path)


def test_inventory_is_reused_for_unchanged_files_and_remade_on_change(tmp_path):
    """The fingerprint (names, sizes, times) changes when a file is added or edited; a scan
    with the previous inventory reuses the SHA-1 of a file whose size and time are unchanged
    (shown by editing one in place and restoring its time: its stale SHA-1 is kept)."""
    folder = tmp_path / "c"
    folder.mkdir()
    for i in range(3):
        (folder / f"song{i}.vgm").write_bytes(b"Vgm " + bytes([i]) * 10)
    table = tmp_path / "inventory.tsv"
    found, skipped, unchanged = scan(str(folder))
    assert unchanged == 0
    write_inventory(found, skipped, table)
    first = fingerprint(str(folder))
    assert fingerprint(str(folder)) == first

    song0 = folder / "song0.vgm"
    st = song0.stat()
    song0.write_bytes(b"Vgm " + b"\x09" * 10)  # same size
    os.utime(song0, ns=(st.st_atime_ns, st.st_mtime_ns))  # same time: looks unchanged
    assert fingerprint(str(folder)) == first
    reused, _, unchanged = scan(str(folder), previous=table)
    assert reused[0].sha1 == found[0].sha1 and unchanged == 3  # not read again
    fresh, _, _ = scan(str(folder))
    assert fresh[0].sha1 != found[0].sha1

    (folder / "song3.vgm").write_bytes(b"Vgm 3")
    assert fingerprint(str(folder)) != first
    more, _, unchanged = scan(str(folder), previous=table)
    assert [i.name for i in more] == ["song0", "song1", "song2", "song3"] and unchanged == 3


# -- fuzzing zip discovery -------------------------------------------------------------------

ZIP_EXAMPLES = 200  # in the default suite; the slow test: SYNTHIC_FUZZ_EXAMPLES (20,000)


def _zip_seeds() -> list[bytes]:
    import io

    out = []
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            z.writestr("music/song.vgm", b"Vgm " + bytes(range(256)) * 4)
            z.writestr("game.gb", bytes(0x150) + b"\x55" * 2000)
            z.writestr("colour.gbc", bytes(0x143) + b"\xc0" + bytes(100))
            z.writestr("readme.txt", "not an input")
            z.writestr("folder/", b"")
        out.append(buf.getvalue())
    return out


ZIP_SEEDS = _zip_seeds()


def _zip_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, width) of the size, count and offset fields of every zip header in `data`."""
    fields = []
    for sig, offsets in (
        (b"PK\x03\x04", [(18, 4), (22, 4), (26, 2), (28, 2)]),  # local: sizes, name/extra
        (b"PK\x01\x02", [(20, 4), (24, 4), (28, 2), (30, 2), (42, 4)]),  # central directory
        (b"PK\x05\x06", [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)]),  # end of directory
    ):
        at = data.find(sig)
        while at >= 0:
            fields += [(at + o, w) for o, w in offsets]
            at = data.find(sig, at + 1)
    return fields


def mutated_zip(draw_data) -> bytes:
    from hypothesis import strategies as st

    data = bytearray(draw_data.draw(st.sampled_from(ZIP_SEEDS)))
    for _ in range(draw_data.draw(st.integers(1, 5))):
        fields = _zip_fields(bytes(data))
        op = draw_data.draw(st.sampled_from(["field", "field", "flip", "byte", "truncate", "cut"]))
        pos = draw_data.draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "field" and fields:
            at, width = draw_data.draw(st.sampled_from(fields))
            value = draw_data.draw(st.sampled_from([0, 1, 0xFF, 0xFFFF, 2**31 - 1, 2**32 - 1]))
            data[at : at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
        elif op == "flip" and data:
            data[pos] ^= 1 << draw_data.draw(st.integers(0, 7))
        elif op == "byte" and data:
            data[pos] = draw_data.draw(st.integers(0, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "cut":
            del data[pos : pos + draw_data.draw(st.integers(1, 64))]
    return bytes(data)


def _fuzz_zip_discovery(examples: int, tmp_path: Path) -> int:
    """find_inputs on a folder holding one mutated archive: never an exception (a bad archive
    or member is skipped with the reason), bounded memory, and every member it lists reads
    back with read_input or fails with SynthicError only. Returns the inputs tried."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    tried = 0
    folder = tmp_path / "zipfuzz"
    folder.mkdir()

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(draw_data):
        nonlocal tried
        tried += 1
        (folder / "pack.zip").write_bytes(mutated_zip(draw_data))
        (found, skipped), peak = peak_memory(lambda: find_inputs(str(folder)))
        assert peak < 48 * MiB
        for item in found:
            try:
                data = read_input(item.path, item.member)
            except SynthicError:
                continue
            assert len(data) == item.size

    run()
    return tried


def test_zip_discovery_survives_fuzzing(tmp_path):
    tried = _fuzz_zip_discovery(ZIP_EXAMPLES, tmp_path)
    print(f"\nzip discovery: {tried} mutated archives")
    assert tried >= ZIP_EXAMPLES


@pytest.mark.slow
def test_zip_discovery_survives_long_fuzzing(tmp_path):
    examples = int(os.environ.get("SYNTHIC_FUZZ_EXAMPLES", "20000"))
    tried = _fuzz_zip_discovery(examples, tmp_path)
    print(f"\nzip discovery (long run): {tried} mutated archives")


def test_display_name_escapes_what_a_terminal_would_act_on():
    from synthic.errors import display_name

    assert display_name(b"caf\xe9.gb") == r"caf\xe9.gb"
    assert display_name("a\nb\tc\x1b[31m\x9b") == r"a\nb\tc\x1b[31m\x9b"
    assert display_name("evil\u202egpj.gb") == r"evil\u202egpj.gb"  # right-to-left override
    assert display_name("back\\slash") == r"back\\slash"
    assert display_name("Pokémon ♪.gb") == "Pokémon ♪.gb"  # printable text stays as it is


def test_lzma_zip_members_are_not_inflated(tmp_path):
    """An LZMA member sets its decoder's dictionary size itself (up to 4 GiB, allocated before
    a byte is inflated; the zip fuzzer found a one-bit flip costing 64 MiB): skipped, with the
    reason, and refused by read_input."""
    folder = tmp_path / "c"
    folder.mkdir()
    with zipfile.ZipFile(folder / "pack.zip", "w", zipfile.ZIP_LZMA) as z:
        z.writestr("song.vgm", b"Vgm " + bytes(100))
    with zipfile.ZipFile(folder / "plain.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("song.vgm", b"Vgm " + bytes(101))
    found, skipped = find_inputs(str(folder))
    assert [(i.name, i.member) for i in found] == [("plain_song", "song.vgm")]
    assert [s.reason for s in skipped] == [
        "LZMA-compressed zip member: not read (its decoder's memory is set by the file)"
    ]
    with pytest.raises(SynthicError, match="LZMA-compressed"):
        read_input(folder / "pack.zip", "song.vgm")


def test_zip_member_with_an_empty_name_is_passed_over(tmp_path):
    """zipfile's ZipInfo.is_dir() raises IndexError on an empty name (found by the fuzzer)."""
    folder = tmp_path / "c"
    folder.mkdir()
    with zipfile.ZipFile(folder / "pack.zip", "w") as z:
        z.writestr(zipfile.ZipInfo(""), b"x")
        z.writestr("a.vgm", b"Vgm ")
    found, skipped = find_inputs(str(folder))
    assert [i.member for i in found] == ["a.vgm"] and skipped == []
