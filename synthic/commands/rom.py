"""`synthic rom IN -o OUT.gb`: any recording or generated song as a playable Game Boy ROM."""

from __future__ import annotations

from synthic import events


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter
    from synthic.jukebox.rom import DEFAULT_TICK_CYCLES

    p = sub.add_parser(
        "rom",
        help="pack a recording into a playable ROM",
        description="Pack a recording (any format `synthic convert` reads) into a Game Boy ROM "
        "whose player replays its register writes from the timer interrupt, each on the "
        "nearest tick (at most 32 writes a tick; later ones move to the next ticks). The writes "
        "fill MBC5 banks, so long recordings fit.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("input", help="recording to pack")
    p.add_argument("-o", "--output", required=True, help="ROM file to write (.gb)")
    p.add_argument("--from", dest="from_format", choices=list(events.FORMATS), help="input format")
    p.add_argument(
        "--tick-cycles",
        type=int,
        default=DEFAULT_TICK_CYCLES,
        help="the player's tick in T-cycles (4,096 = 1,024 ticks a second)",
    )
    p.add_argument("--title", help="cartridge title (default: the recording's, 15 characters)")
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.cli import refuse_overwriting_input
    from synthic.errors import display_name
    from synthic.events.atomic import atomic_output
    from synthic.jukebox import rom

    refuse_overwriting_input(args.output, args.input)
    rec = events.read(args.input, args.from_format)
    image = rom.export_rom(rec, tick_cycles=args.tick_cycles, title=args.title)
    with atomic_output(args.output, "wb") as f:
        f.write(image)
    moved = sum(
        1
        for (t, _, _), t0 in zip(
            rom.quantise(rec, args.tick_cycles), rec.t_cycles.tolist(), strict=True
        )
        if t != (t0 + args.tick_cycles // 2) // args.tick_cycles
    )
    note = f", {moved} moved to a later tick" if moved else ""
    print(
        f"wrote {display_name(args.output)} ({len(image) // 1024} KiB, {len(rec)} writes, "
        f"{rec.duration_seconds:.2f} s, tick {args.tick_cycles} T-cycles{note})"
    )
    return 0
