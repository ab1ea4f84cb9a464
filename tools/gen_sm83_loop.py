"""The skeleton of the generated SM83 loop (synthic/gb/sm83.py): everything but the opcodes.

`render` wraps the opcode chain that `tools.gen_sm83` builds in the interpreter loop: the
full instruction boundary (limits, hardware events, HALT/STOP/lock-up sleeping, interrupt
dispatch), then an inner loop that runs instructions, each in five stages.

Two loops. Between two hardware events nothing the boundary checks can change unless an
instruction changes it, so the inner loop runs instructions with one test each, `t >=
state[CHECK_T]` (bus slot CHECK_T = min(t_limit, NEXT_EVENT_T), or 0 for one instruction at a
time: an instruction limit, EI's delay, the halt bug). Whatever may change what the boundary
decides sets CHECK_T to 0, and the inner loop ends after that instruction: every slow access
(`bus.read_slow` / `bus.write_slow`: a device may raise an interrupt or move its next event), a
plain write to FF0F or FFFF (IF and IE are plain memory in FLAT test mode, IE always), and the
opcodes DI EI RETI HALT STOP and the illegal ones (IME, EI's delay, the halt bug and the CPU
mode live in the cpu array, not in local variables, for that reason). EI's delay and the halt
bug are counted down after the inner loop, i.e. once per executed instruction.

Registers. The interpreter keeps A F B C D E H L SP in the cpu array (`cpu[A]` ...; only PC and
the T-cycle counter are local variables): with them in locals LLVM spilled and shuffled them at
every loop iteration, which cost more than the loads and stores (2x on the CPU-bound
benchmark). The generator writes the opcodes with register names, `registers_in_memory` turns
them into array slots.

Stages. On the SM83 every instruction makes its bus accesses in the same order: opcode fetch,
immediate operand bytes, at most one memory operand read (two for POP/RET), internal cycles, and
its writes last (checked against every M-cycle list of the SingleStepTests sm83 vectors). So the
loop makes the accesses in shared stages around the opcode chain, driven by one table, OP_INFO:
OPERAND_BYTES (0-2 immediate bytes, into `nn` = hi:lo) | READ_MODE << 2 (which address to read
into `v`; a stack pop puts the high byte from SP+1 in bits 8-15 of `v`). An opcode's own code
(stage 4) computes, counts its internal cycles and asks for up to two writes (`writes`,
`w_addr`, `w_data`, `w2_addr`, `w2_data`) that stage 5 makes. Only RET cc and CB xx with (HL)
read in their own code (RET's read depends on the condition; CB's register operands skip the
read stage). Few access sites keep the function small: numba's compile time grows with its
statements and blocks. The generator writes the opcodes with `lo`, `hi`, `v` and `v2`;
`gen_sm83.operand_lines` turns them into `nn & 0xFF`, `nn >> 8`, `v & 0xFF` and `v >> 8`: one
value each instead of two, live across the opcode chain (on the CPU-bound benchmark, about 3%
faster; keeping more values in locals, e.g. the code window, made it slower).

The fetch (stages 1 and 2). The fast path reads the opcode and the two bytes after it straight
from the code window: the pages around PC that map to mem at one offset (bus slots FETCH_START,
FETCH_END, FETCH_BASE), found by the slow path and dropped by every write to the mapper's
registers (0000-7FFF: it may switch banks). A byte the opcode does not use is harmless to read
from a plain page. PC moves past the opcode there, and past the operand bytes in the opcode's
own code, by a constant: the next fetch's address does not wait for the loads of this one. The
slow path reads byte by byte through the page table (SPECIAL pages, tracing, the halt bug, the
ends of the window).

Every other access is `bus.bus_read` / `bus.bus_write` written out (`read_lines` /
`write_lines`): a page-table lookup, the byte in `mem` for a plain page, `read_slow` /
`write_slow` otherwise. LDH A,(n8), the instruction games poll LY and STAT with (waiting for
VBlank all frame long, many of them), reads in its own code and tries `bus.read_quiet` before
`read_slow`: no call that passes the Bus, no exit from the inner loop (bench_poll.gb about 3x
faster). In stage 3, shared by every opcode, the same test cost the CPU-bound benchmark ~10%;
in the one opcode, ~5%. Array indices are cast to np.uint64 (they are never negative): numba
then skips the code that wraps negative indices.

Interrupts (Pan Docs "Interrupts", "halt"): checked at each full boundary as IF & IE
(mem[FF0F] & mem[FFFF]); EI's delay is IME_DELAY (2 after EI, counted down after each
instruction); dispatch is 5 M-cycles (two internal, PC high pushed, PC low pushed, jump), with
the vector chosen after the high-byte push (a push onto IE can cancel it: PC = 0000); leaving
HALT costs one M-cycle; the halt bug keeps the next fetch from advancing PC (HALT sets
HALT_BUG to 2; it is 1 during the fetch that does not advance PC).
"""

from __future__ import annotations

import re

HL = "(h << 8) | l"

# READ_MODE values: the memory operand's address (name, expression); 0 is "none". No opcode
# uses (FF00+n8) now (LDH A,(n8) reads in its own code); its branch stays in stage 3, as
# measured: the loop's speed is sensitive to small changes in how LLVM lays it out.
READ_MODES = (
    None,
    ("(HL)", HL),
    ("(BC)", "(b << 8) | c"),
    ("(DE)", "(d << 8) | e"),
    ("(n16)", "nn"),
    ("(FF00+n8)", "0xFF00 | (nn & 0xFF)"),
    ("(FF00+C)", "0xFF00 | c"),
    ("stack pop: SP, then SP+1 into v2", "sp"),
)
READ_HL, READ_BC, READ_DE, READ_NN, READ_FF_N, READ_FF_C, READ_POP = range(1, 8)


def indent(lines: list[str], levels: int = 1) -> list[str]:
    pad = "    " * levels
    return [pad + line if line else line for line in lines]


def read_lines(dst: str, address: str, now: str = "t", quiet: bool = False) -> list[str]:
    """`bus.bus_read` written out: plain pages are read here, SPECIAL ones by `read_slow`,
    after which the instruction ends at a full boundary (check_t = 0). With `quiet`, the I/O
    registers that `bus.read_quiet` can read (LY, STAT...) are read by it first."""
    lines = []
    if not address.isidentifier():
        lines.append(f"addr = {address}")
        address = "addr"
    slow = [f"{dst} = read_slow(bus, {address}, {now})"]
    if quiet:
        slow = [f"{dst} = read_quiet(state, mem, {address}, {now})", f"if {dst} < 0:"]
        slow += [f"    {dst} = read_slow(bus, {address}, {now})"]
    lines += [
        f"base = read_page[np.uint64({address} >> PAGE_SHIFT)]",
        "if base >= 0:",
        f"    {dst} = mem[np.uint64(base + {address})]",
        "else:",
    ]
    return lines + indent(slow)


def write_lines(address: str, value: str, boundary: bool = True) -> list[str]:
    """`bus.bus_write` written out, at T-cycle t. A slow write, or a plain one that may have
    changed IF or IE (FF0F, FFFF, and a few harmless others), ends the instruction at a full
    boundary (check_t = 0)."""
    if not boundary:
        return [
            f"base = write_page[np.uint64({address} >> PAGE_SHIFT)]",
            "if base >= 0:",
            f"    mem[np.uint64(base + {address})] = {value}",
            "else:",
            f"    write_slow(bus, {address}, {value}, t)",
        ]
    return [
        f"base = write_page[np.uint64({address} >> PAGE_SHIFT)]",
        "if base >= 0:",
        f"    mem[np.uint64(base + {address})] = {value}",
        f"    if ({address} & 0xFF0F) == 0xFF0F:",
        "        state[CHECK_T] = 0",
        "else:",
        f"    write_slow(bus, {address}, {value}, t)",
    ]


HEADER = '''\
# ruff: noqa: E501 (generated: registers as cpu[...] make long lines)
# fmt: off
"""The SM83 interpreter loop. GENERATED by tools/gen_sm83.py: do not edit this file;
edit the generator and run `python -m tools.gen_sm83`.

`run(cpu, bus, t_limit, max_instructions)` executes instructions until the T-cycle counter
reaches t_limit or max_instructions have retired, and returns a status (synthic.gb.cpu_state).
State layout: synthic.gb.cpu_state; bus and T-cycle contract: synthic.gb.bus; stages,
interrupts and HALT: tools.gen_sm83_loop; opcodes and timing model: tools.gen_sm83.
"""

import numpy as np

from synthic.gb import jit_cache
from synthic.gb.bus import (
    CHECK_T,
    FETCH_BASE,
    FETCH_END,
    FETCH_START,
    IE_ADDRESS,
    IF_ADDRESS,
    NEXT_EVENT_T,
    PAGE_SHIFT,
    enter_stop,
    halt_can_wake,
    read_quiet,
    read_slow,
    service_events,
    write_slow,
)
from synthic.gb.cpu_state import (
    HALT_BUG,
    HALTED,
    IME,
    IME_DELAY,
    INSTRUCTIONS,
    LOCKED,
    MODE,
    PC,
    RUNNING,
    SP,
    STATUS_HALTED_FOREVER,
    STATUS_LOCKED,
    STATUS_OK,
    STATUS_STOPPED,
    STOP_SKIPS_BYTE,
    STOPPED,
    T_CYCLES,
    A,
    B,
    C,
    D,
    E,
    F,
    H,
    L,
)
from synthic.numba_cache import jit
'''

TABLE = """
# {DOC}
{NAME} = np.array(
    [
        int(n)
        for n in (
{ROWS}        )
    ],
    dtype=np.int64,
)
"""

LOOP_HEAD = """

# OPERAND_BYTES | READ_MODE << 2, one load per instruction.
OP_INFO = OPERAND_BYTES | (READ_MODE << 2)
# The cpu slot of each CB operand field (6, (HL), is memory).
CB_SLOTS = np.array([B, C, D, E, H, L, -1, A], dtype=np.int64)
NO_LIMIT = 1 << 62  # max_instructions at or above this: no instruction limit


@jit
def run(cpu, bus, t_limit, max_instructions):
    \"\"\"Run from the state in cpu until t_limit T-cycles or max_instructions; return a
    status.\"\"\"
    mem = bus.mem  # the arrays of the bus, taken out once: the fast paths touch only these
    read_page = bus.read_page
    write_page = bus.write_page
    state = bus.state
    a = cpu[A]
    f = cpu[F]
    b = cpu[B]
    c = cpu[C]
    d = cpu[D]
    e = cpu[E]
    h = cpu[H]
    l = cpu[L]
    sp = cpu[SP]
    pc = cpu[PC]
    t = cpu[T_CYCLES]
    status = STATUS_OK
    n = 0
    state[FETCH_END] = 0  # the code window: none yet (Python may have changed the pages)
    while True:
        # The full instruction boundary: limits, hardware events, HALT/STOP, interrupts.
        if t >= t_limit or n >= max_instructions:
            break
        if t >= state[NEXT_EVENT_T]:  # some hardware is due to act
            status = service_events(bus, t)
            if status != STATUS_OK:
                break
        pending = mem[IF_ADDRESS] & mem[IE_ADDRESS] & 0x1F  # bus.interrupts_pending
        if cpu[MODE] != RUNNING:
            if cpu[MODE] == HALTED and pending != 0:
                cpu[MODE] = RUNNING
                t += 4  # leaving HALT takes one M-cycle (Pan Docs "Interrupts", HALT mode)
                continue
            if cpu[MODE] == HALTED and not halt_can_wake(bus):
                status = STATUS_HALTED_FOREVER  # no enabled interrupt can ever be raised
                break
            # Halted, stopped or locked: nothing changes before the next event, so skip to it
            # in whole M-cycles. A lock-up ignores interrupts; STOP waits for the joypad.
            target = min(state[NEXT_EVENT_T], t_limit)
            t += max(4, ((target - t + 3) >> 2) << 2)
            continue
        if cpu[IME] != 0 and pending != 0:
            # Interrupt dispatch, 5 M-cycles (Pan Docs "Interrupt Handling"): two wait states,
            # push PC high then low, jump. The vector is chosen after the high-byte push, which
            # may overwrite IE at FFFF (SP=0000): if nothing is left pending, PC becomes 0000.
            cpu[IME] = 0
            if cpu[HALT_BUG] != 0:  # EI; HALT with an interrupt pending: return to the HALT
                pc = (pc - 1) & 0xFFFF
                cpu[HALT_BUG] = 0
            t += 8
            sp = (sp - 1) & 0xFFFF
{PUSH_HIGH}
            t += 4
            pending = mem[IF_ADDRESS] & mem[IE_ADDRESS] & 0x1F
            sp = (sp - 1) & 0xFFFF
{PUSH_LOW}
            t += 4
            pc = 0
            if pending != 0:
                mask = pending & -pending  # the lowest bit wins: VBlank first
                mem[IF_ADDRESS] = mem[IF_ADDRESS] & (0xFF ^ mask)  # acknowledged
                pc = 0x40
                while mask > 1:  # vectors 40 48 50 58 60
                    mask >>= 1
                    pc += 8
            t += 4
            continue
        # Until check_t, nothing above can happen unless an instruction makes it happen (then
        # it sets check_t = 0): instructions run in the inner loop with one test each.
        state[CHECK_T] = min(t_limit, state[NEXT_EVENT_T])
        if max_instructions < NO_LIMIT or cpu[HALT_BUG] != 0 or cpu[IME_DELAY] != 0:
            state[CHECK_T] = 0  # one instruction, then the full boundary again
        if cpu[HALT_BUG] != 0:
            state[FETCH_END] = 0  # the slow fetch makes the halt bug
        while True:
            v = v2 = 0  # bytes read (reset: no value lives from one instruction to the next)
            writes = w_addr = w_data = w2_addr = w2_data = 0  # writes asked for by the opcode
            # Stages 1 and 2: the opcode fetch and its immediate operand bytes. The fast path
            # reads all three bytes from the code window (plain pages at one offset, found by
            # the slow path; a byte the opcode does not use is harmless to read there). PC
            # moves past the opcode here and past its operand bytes in the opcode's own code
            # (a constant there), so the next fetch's address does not wait for these loads.
            if state[FETCH_START] <= pc < state[FETCH_END]:
                at = np.uint64(state[FETCH_BASE] + pc)
                op = mem[at]
                # int64 (uint8 << 8 would be uint64)
                nn = np.int64(mem[at + np.uint64(1)]) | (np.int64(mem[at + np.uint64(2)]) << 8)
                pc += 1
                info = OP_INFO[np.uint64(op)]
                t += (1 + (info & 3)) << 2
            else:
{FETCH}
                t += 4
                if base >= 0:  # the code window: the pages around PC at the same offset
                    first = last = pc >> PAGE_SHIFT
                    while (first & 63) != 0 and read_page[first - 1] == base:
                        first -= 1
                    while (last & 63) != 63 and read_page[last + 1] == base:
                        last += 1
                    state[FETCH_START] = first << PAGE_SHIFT
                    state[FETCH_END] = ((last + 1) << PAGE_SHIFT) - 2  # all three bytes inside
                    state[FETCH_BASE] = base
                info = OP_INFO[np.uint64(op)]
                lo = hi = nn = 0  # int64, like the fast path's nn
                if info & 3 != 0:  # operand bytes from PC+1 (+2); PC moves past them later
{READ_LO}
                    t += 4
                    nn = lo
                    if info & 3 == 2:
{READ_HI}
                        t += 4
                        nn = (hi << 8) | lo
                pc = (pc + 1 - cpu[HALT_BUG]) & 0xFFFF  # the halt bug: PC stays
            # Stage 3: the memory operand.
            if info >= 4:  # a read mode (a test of its own: no jump table for opcodes without)
                read_mode = info >> 2
{READ_ADDRESS}
{READ_V}
                t += 4
                if read_mode == {READ_POP}:  # POP, RET: the high byte from SP+1
                    addr = (sp + 1) & 0xFFFF
{READ_V2}
                    t += 4
                    v |= v2 << 8  # one value: the opcode takes v & 0xFF and v >> 8
                    sp = (sp + 2) & 0xFFFF
            # Stage 4: the opcode's own work.
"""

LOOP_TAIL = """\
            # Stage 5: the writes the opcode asked for, its last M-cycles.
            if writes != 0:
{WRITE_1}
                t += 4
                if writes == 2:
{WRITE_2}
                    t += 4
            n += 1
            if t >= state[CHECK_T]:
                break
        # An instruction just ended the inner loop: count down EI's delay and the halt bug.
        if cpu[IME_DELAY] != 0:  # EI takes effect after the instruction that follows it
            cpu[IME_DELAY] -= 1
            if cpu[IME_DELAY] == 0:
                cpu[IME] = 1
        if cpu[HALT_BUG] != 0:  # 2 after HALT, 1 after the fetch that did not advance PC
            cpu[HALT_BUG] -= 1
    cpu[A] = a
    cpu[F] = f
    cpu[B] = b
    cpu[C] = c
    cpu[D] = d
    cpu[E] = e
    cpu[H] = h
    cpu[L] = l
    cpu[SP] = sp
    cpu[PC] = pc
    cpu[T_CYCLES] = t
    cpu[INSTRUCTIONS] += n
    if status == STATUS_OK:
        if cpu[MODE] == LOCKED:
            status = STATUS_LOCKED
        elif cpu[MODE] == STOPPED:
            status = STATUS_STOPPED
    return status


jit_cache.flush_if_sources_changed(__name__)
"""


def table(name: str, doc: str, values: list[int]) -> str:
    rows = ""
    for i in range(0, 256, 32):
        digits = "".join(str(n) for n in values[i : i + 32])
        rows += f'            "{digits}"  # {i:02X}-{i + 31:02X}\n'
    return TABLE.format(NAME=name, DOC=doc, ROWS=rows)


def read_address_lines() -> list[str]:
    lines = []
    for mode in range(1, len(READ_MODES)):
        name, address = READ_MODES[mode]
        head = "if" if mode == 1 else "elif"
        test = f"{head} read_mode == {mode}:" if mode < len(READ_MODES) - 1 else "else:"
        lines += [f"{test}  # {name}", f"    addr = {address}"]
    return lines


def render(chain: list[str], operand_bytes: list[int], read_mode: list[int]) -> str:
    """The source of sm83.py around `chain`, the `if op == ...` lines of stage 4."""
    join = "\n".join
    head = LOOP_HEAD.format(
        PUSH_HIGH=join(indent(write_lines("sp", "pc >> 8", boundary=False), 3)),
        PUSH_LOW=join(indent(write_lines("sp", "pc & 0xFF", boundary=False), 3)),
        FETCH=join(indent(read_lines("op", "pc"), 4)),
        READ_LO=join(indent(read_lines("lo", "(pc + 1) & 0xFFFF"), 5)),
        READ_HI=join(indent(read_lines("hi", "(pc + 2) & 0xFFFF"), 6)),
        READ_ADDRESS=join(indent(read_address_lines(), 4)),
        READ_V=join(indent(read_lines("v", "addr"), 4)),
        READ_POP=READ_POP,
        READ_V2=join(indent(read_lines("v2", "addr"), 5)),
    )
    tail = LOOP_TAIL.format(
        WRITE_1=join(indent(write_lines("w_addr", "w_data"), 4)),
        WRITE_2=join(indent(write_lines("w2_addr", "w2_data"), 5)),
    )
    tables = table("OPERAND_BYTES", "Immediate operand bytes (stage 2).", operand_bytes)
    tables += table("READ_MODE", "Memory operand (stage 3): gen_sm83_loop.READ_MODES.", read_mode)
    body = registers_in_memory(head + join(indent(chain, 3)) + "\n" + tail)
    return HEADER + tables + body


REGISTER_SLOTS = {"a": "A", "f": "F", "b": "B", "c": "C", "d": "D", "e": "E", "h": "H", "l": "L"}
REGISTER_SLOTS["sp"] = "SP"
REGISTER_NAME = re.compile(r"(?<![\w.\[])(a|f|b|c|d|e|h|l|sp)(?!\w)")


def registers_in_memory(source: str) -> str:
    """The registers as cpu[A] ... cpu[SP] instead of local variables; comments and
    docstrings untouched, the loads into locals and the stores back dropped."""
    out = []
    in_docstring = False
    for line in source.split("\n"):
        if '"""' in line or in_docstring:
            in_docstring ^= line.count('"""') % 2 == 1
            out.append(line)
            continue
        code, hash_, comment = line.partition("#")
        code = REGISTER_NAME.sub(lambda m: f"cpu[{REGISTER_SLOTS[m.group(1)]}]", code)
        left, eq, right = code.strip().partition(" = ")
        if eq and left == right:
            continue  # the loads into locals and the stores back
        out.append(code + hash_ + comment)
    return "\n".join(out)
