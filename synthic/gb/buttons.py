"""Button scripts: when to press and release which joypad buttons, as text.

A script is a list of actions separated by new lines, `;` or `,` (`#` starts a comment):

    WHEN ACTION BUTTONS

- WHEN: a frame number counted from power-on (`120`; a frame is 70,224 T-cycles) or a time in
  seconds (`2.5s`); an optional `:` may follow it (`120:press a`).
- ACTION: `press` (or `down`) or `release` (or `up`).
- BUTTONS: one or more of a, b, select, start, right, left, up, down, joined by `+`
  (case does not matter).

Example: `10 press a; 20 release a; 1.5s press start+right; 2s release start+right`.
Actions run in time order (the order written for equal times), each at the first instruction
boundary at or after its time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthic.errors import SynthicError
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES
from synthic.gb.joypad import BUTTON_BITS

ACTIONS = {"press": "press", "down": "press", "release": "release", "up": "release"}
_ACTION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(s?)\s*:?\s*([a-zA-Z]+)\s+(\S+)\s*$")

EXAMPLE = "10 press a; 20 release a; 1.5s press start+right; 2s release start+right"


@dataclass(frozen=True)
class ButtonAction:
    t_cycles: int
    action: str  # "press" or "release"
    buttons: tuple[str, ...]


def button_mask(buttons) -> int:
    """The BUTTONS bit mask for a name or an iterable of names; raises ValueError if unknown."""
    if isinstance(buttons, str):
        buttons = [b for b in re.split(r"[+,\s]+", buttons) if b]
    mask = 0
    for name in buttons:
        bit = BUTTON_BITS.get(str(name).lower())
        if bit is None:
            raise ValueError(f"unknown button {name!r}; buttons: {', '.join(BUTTON_BITS)}")
        mask |= bit
    return mask


def parse_script(text: str) -> list[ButtonAction]:
    """The actions of a script (see the module docstring), sorted by time (stable)."""
    actions = []
    lines = re.split(r"[\n;,]", "\n".join(line.split("#")[0] for line in text.splitlines()))
    for number, item in enumerate(lines, 1):
        if not item.strip():
            continue
        m = _ACTION.match(item)
        if not m:
            raise SynthicError(
                f"button script: cannot read {item.strip()!r} (action {number}); expected "
                f"WHEN ACTION BUTTONS, e.g. {EXAMPLE!r}"
            )
        when, seconds, verb, names = m.groups()
        if verb.lower() not in ACTIONS:
            raise SynthicError(f"button script: unknown action {verb!r} (press or release)")
        if seconds:
            t = round(float(when) * CLOCK_HZ)
        elif "." in when:
            raise SynthicError(f"button script: frame {when!r} must be whole (or add 's')")
        else:
            t = int(when) * FRAME_T_CYCLES
        try:
            mask = button_mask(names)
        except ValueError as e:
            raise SynthicError(f"button script: {e}") from None
        buttons = tuple(name for name, bit in BUTTON_BITS.items() if mask & bit)
        actions.append(ButtonAction(t, ACTIONS[verb.lower()], buttons))
    return sorted(actions, key=lambda a: a.t_cycles)
