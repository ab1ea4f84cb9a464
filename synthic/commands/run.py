"""`synthic run ROM`: run a Game Boy ROM (or a GBS song) headless and record its sound writes."""

from __future__ import annotations

BUTTONS_HELP = """\
button script: the script itself or the path of a file holding it. Actions are separated by
new lines, ';' or ','; each is WHEN ACTION BUTTONS: WHEN a frame number from power-on (70,224
T-cycles each) or seconds with an 's' ('2.5s'), ACTION press/release (or down/up), BUTTONS
among a b select start right left up down, joined with '+'. Example:
'10 press a; 20 release a; 1.5s press start+right; 2s release start+right'"""


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, int_between, positive_seconds, seed

    p = sub.add_parser(
        "run",
        help="run a ROM headless and record its sound writes",
        description="Run a Game Boy (DMG) ROM, or one song of a GBS file, in Synthic's "
        "emulator without a screen, pressing buttons as a script says, and write every write "
        "it made to the sound registers FF10-FF3F, with its T-cycle, as a recording. The same "
        "ROM, script and seed always give the same recording. A lock-up (illegal opcode, a "
        "HALT nothing can end) is reported on stderr; the recording ends where the run "
        "ends.\n\n" + BUTTONS_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("rom", help="ROM image (.gb) or GBS file (.gbs)")
    p.add_argument("--seconds", type=positive_seconds, default=10.0, help="emulated seconds to run")
    p.add_argument("--buttons", metavar="SCRIPT", help="button script (see above)")
    p.add_argument(
        "--serial", action="store_true", help="print what the program sent over the serial port"
    )
    p.add_argument("-o", "--output", help="recording to write (format from the extension)")
    p.add_argument(
        "--song",
        type=int_between(1, 255),
        help="GBS song number, from 1 (default: the file's first)",
    )
    p.add_argument("--seed", type=seed, help="fill RAM from this seed at power-on (default: zeros)")
    p.set_defaults(run=run)


MAX_SCRIPT_BYTES = 1 << 20  # a button script file: far more than any script needs


def _script(text: str) -> str:
    import os

    from synthic.errors import SynthicError, display_name

    if "\n" not in text and os.path.isfile(text):
        with open(text, "rb") as f:
            data = f.read(MAX_SCRIPT_BYTES + 1)
        if len(data) > MAX_SCRIPT_BYTES:
            raise SynthicError(f"--buttons {display_name(text)}: larger than 1 MiB")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SynthicError(
                f"--buttons {display_name(text)}: not UTF-8 text (byte {e.start})"
            ) from None
    return text


def run(args) -> int:
    import os
    import sys

    from synthic import events
    from synthic.cli import refuse_overwriting_input
    from synthic.errors import SynthicError, display_name
    from synthic.gb import Emulator
    from synthic.gb.buttons import parse_script
    from synthic.limits import MAX_GBS_BYTES

    name = display_name(args.rom)
    if args.output:
        refuse_overwriting_input(args.output, args.rom)
    script = parse_script(_script(args.buttons)) if args.buttons else None
    with open(args.rom, "rb") as f:
        data = f.read(MAX_GBS_BYTES + 1)
    if len(data) > MAX_GBS_BYTES:
        raise SynthicError(f"{name}: larger than {MAX_GBS_BYTES} bytes: not a ROM or GBS file")
    if data[:3] == b"GBS":
        from synthic.gb.gbs import parse_gbs

        gbs = parse_gbs(data, args.rom)
        song = gbs.first_song if args.song is None else args.song
        if not 1 <= song <= gbs.song_count:
            raise SynthicError(f"{name}: song {song} is not between 1 and {gbs.song_count}")
        emu = Emulator.from_gbs(gbs, song - 1, seed=args.seed, buttons=script,
                                meta={"sha1": _sha1(data)})  # fmt: skip
    else:
        if args.song is not None:
            raise SynthicError("--song is for GBS files")
        emu = Emulator(args.rom, seed=args.seed, buttons=script)
    for warning in emu.warnings:
        print(f"synthic run: warning: {name}: {warning}", file=sys.stderr)
    emu.run(seconds=args.seconds)
    rec = emu.recording()
    rec.meta["source"] = display_name(os.path.basename(args.rom))
    if args.serial:
        sys.stdout.write(emu.serial.decode("latin-1"))
        sys.stdout.flush()
    if emu.lockup:
        print(f"synthic run: {name}: lock-up: {emu.lockup}", file=sys.stderr)
    if args.output:
        events.write(rec, args.output)
        print(
            f"wrote {display_name(args.output)} ({len(rec)} writes, {rec.duration_seconds:.2f} s)",
            file=sys.stderr if args.serial else sys.stdout,
        )
    return 0


def _sha1(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(data).hexdigest()
