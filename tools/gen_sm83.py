"""Generator of `synthic/gb/sm83.py`, the SM83 interpreter loop. Run: python -m tools.gen_sm83

Why generate: the fastest numba dispatch we measured is an `if op == 0x00: ... elif ...` chain
over the opcode (LLVM turns it into jump tables; split in quarters, see `generate`), with the
registers in the cpu array (tools.gen_sm83_loop explains why not in local variables).
Here each opcode family is written once, as a template, and the output is checked in (a test
fails when it differs from what this script writes; `--check` does the same).

Timing model (Pan Docs "CPU Instruction Set"; the M-cycle lists of the SingleStepTests sm83
vectors): `t` is the T-cycle counter. An M-cycle is one bus access at T-cycle `t` then `t += 4`,
or an internal cycle, `t += 4` alone. An instruction's first M-cycle is its opcode fetch, so NOP
takes 4 T-cycles and CALL n16 24, with the bus accesses in the hardware's order (CALL: fetch,
low byte, high byte, internal, PC high written at SP-1, PC low at SP-2).

Each opcode's code is one `Code` (below): what it computes, its internal M-cycles, the writes it
asks for, and the operand bytes and memory read that the loop makes for it before it runs (the
stages of `tools.gen_sm83_loop`, which renders everything around the opcode chain).

CB-prefixed opcodes are decoded from their bit fields (operation = bits 7-6 and 5-3, operand =
bits 2-0) rather than 256 more branches: it compiles faster, and CB opcodes are rarer.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tools.gen_sm83_loop import (
    HL,
    READ_BC,
    READ_DE,
    READ_FF_C,
    READ_HL,
    READ_NN,
    READ_POP,
    indent,
    read_lines,
    render,
)

OUTPUT = Path(__file__).resolve().parents[1] / "synthic" / "gb" / "sm83.py"

R8 = ("b", "c", "d", "e", "h", "l", None, "a")  # operand field value 6 is (HL)
R8_NAMES = ("B", "C", "D", "E", "H", "L", "(HL)", "A")
PAIRS = (("b", "c"), ("d", "e"), ("h", "l"))
PAIR_NAMES = ("BC", "DE", "HL", "SP")
CONDITIONS = (  # name, Python test on f
    ("NZ", "(f & 0x80) == 0"),
    ("Z", "(f & 0x80) != 0"),
    ("NC", "(f & 0x10) == 0"),
    ("C", "(f & 0x10) != 0"),
)
ALU_NAMES = ("ADD", "ADC", "SUB", "SBC", "AND", "XOR", "OR", "CP")
ILLEGAL = (0xD3, 0xDB, 0xDD, 0xE3, 0xE4, 0xEB, 0xEC, 0xED, 0xF4, 0xFC, 0xFD)
# Opcodes that change what the full instruction boundary decides (IME, EI's delay, the halt bug,
# the CPU mode, all kept in the cpu array): the boundary follows them (CHECK_T = 0).
BOUNDARY_OPS = (0x10, 0x76, 0xD9, 0xF3, 0xFB) + ILLEGAL


# -- building blocks -------------------------------------------------------------------------


class Code:
    """The code of one opcode (or one branch of it): its lines, the internal M-cycles not yet
    added to `t` (one `t += ...` closes the path), the writes it asks for, and, for the loop's
    tables, its immediate operand bytes and memory read mode."""

    def __init__(self, lines: list[str] | None = None) -> None:
        self.lines: list[str] = list(lines or [])
        self.cycles = 0
        self.writes = 0
        self.operand_bytes = 0
        self.read_mode = 0

    def internal(self, n: int = 1) -> None:
        assert self.writes == 0, "writes are an instruction's last M-cycles"
        self.cycles += n

    def code(self, *lines: str) -> None:
        self.lines.extend(lines)

    def write(self, address: str, value: str) -> None:
        """Ask the write stage for a write (in order, after this path's internal cycles)."""
        prefix = "w" if self.writes == 0 else "w2"
        self.writes += 1
        self.code(f"{prefix}_addr = {address}", f"{prefix}_data = {value}")
        self.code(f"writes = {self.writes}")

    def flush(self) -> None:
        if self.cycles:
            self.lines.append(f"t += {4 * self.cycles}")
            self.cycles = 0

    def when(self, test: str, build) -> None:
        """`if test:` around the code build(path) writes, with its own cycles and writes."""
        self.flush()
        inner = Code()
        build(inner)
        inner.flush()
        self.lines += [f"if {test}:"] + indent(inner.lines)

    def done(self) -> list[str]:
        self.flush()
        return self.lines or ["pass"]


# Flags without branches (a branch per flag would double the function's blocks). For a result r
# of an 8-bit addition or subtraction (-256..511), bit 8 is the carry or borrow; for a nibble sum
# or difference s (-16..31), bit 4 is the half carry or borrow.
def zero(x: str, flag: str = "0x80") -> str:
    """`flag` if x (0..255) is 0: x - 1 borrows into bit 8 only from 0."""
    x = x if x.isidentifier() else f"({x})"
    return f"(({x} - 1) >> 8) & {flag}"


def half(s: str) -> str:
    return f"(({s}) << 1) & 0x20"


def carry_out(r: str) -> str:
    r = r if r.isidentifier() else f"({r})"
    return f"({r} >> 4) & 0x10"


def either(*terms: str) -> str:
    """terms joined by |, each in parentheses unless it is a plain name or number."""
    if len(terms) == 1:
        return terms[0]
    return " | ".join(t if t.replace("0x", "").isalnum() else f"({t})" for t in terms)


def get_pair(index: int) -> str:
    """Expression for 16-bit register pair index (0 BC, 1 DE, 2 HL, 3 SP)."""
    if index == 3:
        return "sp"
    hi, lo = PAIRS[index]
    return f"({hi} << 8) | {lo}"


def set_pair(p: Code, index: int, value: str, high: str, low: str) -> None:
    if index == 3:
        p.code(f"sp = {value}")
    else:
        hi, lo = PAIRS[index]
        p.code(f"{hi} = {high}", f"{lo} = {low}")


def push(p: Code, value: str) -> None:
    """PUSH/CALL/RST stack writes: the high byte first, at SP-1 (the vectors' order)."""
    p.write("(sp - 1) & 0xFFFF", f"{value} >> 8")
    p.write("(sp - 2) & 0xFFFF", f"{value} & 0xFF")
    p.code("sp = (sp - 2) & 0xFFFF")


def alu(p: Code, kind: int, v: str) -> None:
    """A = A op v with flags Z N H C (Pan Docs "CPU Instruction Set", 8-bit arithmetic)."""
    name = ALU_NAMES[kind]
    cy = ""
    if name in ("ADC", "SBC"):
        p.code("carry = (f >> 4) & 1")  # read before f is overwritten
        cy = " + carry"
    if name in ("ADD", "ADC"):
        p.code(
            f"r = a + {v}{cy}",
            f"f = {either(zero('r & 0xFF'), carry_out('r'))}",
            f"f |= {half(f'(a & 0xF) + ({v} & 0xF){cy}')}",
            "a = r & 0xFF",
        )
    elif name in ("SUB", "SBC", "CP"):
        cy = cy.replace("+", "-")
        p.code(
            f"r = a - {v}{cy}",
            f"f = {either('0x40', zero('r & 0xFF'), carry_out('r'))}",
            f"f |= {half(f'(a & 0xF) - ({v} & 0xF){cy}')}",
        )
        if name != "CP":
            p.code("a = r & 0xFF")
    else:
        op = {"AND": "&", "XOR": "^", "OR": "|"}[name]
        terms = ("0x20", zero("a")) if name == "AND" else (zero("a"),)
        p.code(f"a {op}= {v}", f"f = {either(*terms)}")


def inc8(p: Code, x: str) -> None:
    h = zero(f"{x} & 0xF", "0x20")  # the low nibble became 0: it carried
    p.code(f"{x} = ({x} + 1) & 0xFF", f"f = {either('f & 0x10', zero(x), h)}")


def dec8(p: Code, x: str) -> None:
    h = half(f"({x} & 0xF) + 1")  # the low nibble became F: it borrowed
    p.code(f"{x} = ({x} - 1) & 0xFF", f"f = {either('0x40', 'f & 0x10', zero(x), h)}")


def sp_plus_e8(p: Code) -> None:
    """r = SP + signed e8 (lo); flags from the unsigned addition to SP's low byte, Z = N = 0."""
    p.operand_bytes = 1
    p.code(
        "r = (sp + lo - ((lo & 0x80) << 1)) & 0xFFFF",
        f"f = {either(half('(sp & 0xF) + (lo & 0xF)'), carry_out('(sp & 0xFF) + lo'))}",
    )


JUMP_E8 = "pc = (pc + lo - ((lo & 0x80) << 1)) & 0xFFFF"  # lo: the signed offset's byte


# -- the opcode table ------------------------------------------------------------------------


def opcode(op: int) -> tuple[str, Code]:
    """(mnemonic, code) of one unprefixed opcode, run after the fetch, operand and read stages."""
    x, y, z = op >> 6, (op >> 3) & 7, op & 7
    p, q = y >> 1, y & 1
    b = Code()

    if op in ILLEGAL:
        b.code("cpu[MODE] = LOCKED")
        return "illegal: the CPU locks up", b
    if op == 0x00:
        return "NOP", b
    if op == 0x08:
        b.operand_bytes = 2
        b.write("nn", "sp & 0xFF")
        b.write("(nn + 1) & 0xFFFF", "sp >> 8")
        return "LD (n16),SP", b
    if op == 0x10:  # Pan Docs "Using the STOP Instruction" (DMG, no button held)
        b.code(
            "enter_stop(bus, t)",
            "cpu[STOP_SKIPS_BYTE] = 1 if (mem[IF_ADDRESS] & mem[IE_ADDRESS] & 0x1F) == 0 else 0",
            "cpu[MODE] = STOPPED",
        )
        return "STOP", b
    if op == 0x18:
        b.operand_bytes = 1
        b.code(JUMP_E8)
        b.internal()
        return "JR e8", b
    if x == 0 and z == 0:  # 20 28 30 38
        name, test = CONDITIONS[y - 4]
        b.operand_bytes = 1
        b.when(test, lambda j: (j.code(JUMP_E8), j.internal()))
        return f"JR {name},e8", b
    if x == 0 and z == 1 and q == 0:
        b.operand_bytes = 2
        set_pair(b, p, "nn", "hi", "lo")
        return f"LD {PAIR_NAMES[p]},n16", b
    if x == 0 and z == 1:
        b.internal()
        b.code(
            f"rr = {get_pair(p)}",
            f"r = ({HL}) + rr",
            f"f = (f & 0x80) | ((((({HL}) & 0xFFF) + (rr & 0xFFF)) >> 7) & 0x20)",
            "f |= (r >> 12) & 0x10",
            "h = (r >> 8) & 0xFF",
            "l = r & 0xFF",
        )
        return f"ADD HL,{PAIR_NAMES[p]}", b
    if x == 0 and z == 2:
        target = ("(BC)", "(DE)", "(HL+)", "(HL-)")[p]
        if q == 0:
            b.write((get_pair(0), get_pair(1), HL, HL)[p], "a")
        else:
            b.read_mode = (READ_BC, READ_DE, READ_HL, READ_HL)[p]
            b.code("a = v")
        if p >= 2:
            delta = "+ 1" if p == 2 else "- 1"
            b.code(f"rr = (({HL}) {delta}) & 0xFFFF", "h = rr >> 8", "l = rr & 0xFF")
        return (f"LD {target},A" if q == 0 else f"LD A,{target}"), b
    if x == 0 and z == 3:
        b.internal()
        sign, wrap = ("+", "0") if q == 0 else ("-", "0xFF")
        if p == 3:
            b.code(f"sp = (sp {sign} 1) & 0xFFFF")
        else:
            hi, lo = PAIRS[p]
            b.code(f"{lo} = ({lo} {sign} 1) & 0xFF", f"if {lo} == {wrap}:")
            b.code(f"    {hi} = ({hi} {sign} 1) & 0xFF")
        return ("INC " if q == 0 else "DEC ") + PAIR_NAMES[p], b
    if x == 0 and z in (4, 5):
        change = inc8 if z == 4 else dec8
        if R8[y] is None:
            b.read_mode = READ_HL
            change(b, "v")
            b.write(HL, "v")
        else:
            change(b, R8[y])
        return ("INC " if z == 4 else "DEC ") + R8_NAMES[y], b
    if x == 0 and z == 6:
        b.operand_bytes = 1
        if R8[y] is None:
            b.write(HL, "lo")
        else:
            b.code(f"{R8[y]} = lo")
        return f"LD {R8_NAMES[y]},n8", b
    if x == 0 and z == 7:
        name, lines = ACCUMULATOR_OPS[y]
        b.code(*lines)
        return name, b
    if op == 0x76:  # Pan Docs "halt"
        b.code(
            "if (mem[IF_ADDRESS] & mem[IE_ADDRESS] & 0x1F) == 0:",
            "    cpu[MODE] = HALTED",
            "elif cpu[IME] == 0:",
            "    cpu[HALT_BUG] = 2  # the fetch after the next boundary does not advance PC",
        )
        return "HALT", b
    if x == 1:
        src, dst = R8[z], R8[y]
        if src is None:
            b.read_mode = READ_HL
            b.code(f"{dst} = v")
        elif dst is None:
            b.write(HL, src)
        elif src != dst:
            b.code(f"{dst} = {src}")
        return f"LD {R8_NAMES[y]},{R8_NAMES[z]}", b
    if x == 2:
        if R8[z] is None:
            b.read_mode = READ_HL
        alu(b, y, R8[z] or "v")
        return f"{ALU_NAMES[y]} A,{R8_NAMES[z]}", b
    # x == 3
    if z == 0 and y < 4:
        name, test = CONDITIONS[y]
        b.internal()
        b.when(test, lambda j: (j.code(*RET_CC_POP), j.internal(3)))
        return f"RET {name}", b
    if op in (0xE0, 0xF0):
        b.operand_bytes = 1
        if op == 0xE0:
            b.write("0xFF00 | lo", "a")
        else:  # the read in its own code, trying bus.read_quiet first: where games poll LY
            b.code(*read_lines("v", "0xFF00 | lo", quiet=True), "t += 4", "a = v")
        return ("LDH (n8),A" if op == 0xE0 else "LDH A,(n8)"), b
    if op == 0xE8:
        sp_plus_e8(b)
        b.internal(2)
        b.code("sp = r")
        return "ADD SP,e8", b
    if op == 0xF8:
        sp_plus_e8(b)
        b.internal()
        b.code("h = r >> 8", "l = r & 0xFF")
        return "LD HL,SP+e8", b
    if z == 1 and q == 0:
        b.read_mode = READ_POP
        if p == 3:
            b.code("a = v2", "f = v & 0xF0")
        else:
            set_pair(b, p, "(v2 << 8) | v", "v2", "v")
        return f"POP {'AF' if p == 3 else PAIR_NAMES[p]}", b
    if op in (0xC9, 0xD9):
        b.read_mode = READ_POP
        b.code("pc = (v2 << 8) | v")
        b.internal()
        if op == 0xD9:
            b.code("cpu[IME] = 1  # at once, unlike EI", "cpu[IME_DELAY] = 0")
        return ("RET" if op == 0xC9 else "RETI"), b
    if op == 0xE9:
        b.code(f"pc = {HL}")
        return "JP HL", b
    if op == 0xF9:
        b.internal()
        b.code(f"sp = {HL}")
        return "LD SP,HL", b
    if z == 2 and y < 4:
        name, test = CONDITIONS[y]
        b.operand_bytes = 2
        b.when(test, lambda j: (j.code("pc = nn"), j.internal()))
        return f"JP {name},n16", b
    if op in (0xE2, 0xF2):
        if op == 0xE2:
            b.write("0xFF00 | c", "a")
        else:
            b.read_mode = READ_FF_C
            b.code("a = v")
        return ("LDH (C),A" if op == 0xE2 else "LDH A,(C)"), b
    if op in (0xEA, 0xFA):
        b.operand_bytes = 2
        if op == 0xEA:
            b.write("nn", "a")
        else:
            b.read_mode = READ_NN
            b.code("a = v")
        return ("LD (n16),A" if op == 0xEA else "LD A,(n16)"), b
    if op == 0xC3:
        b.operand_bytes = 2
        b.code("pc = nn")
        b.internal()
        return "JP n16", b
    if op == 0xCB:
        return "prefix CB", cb_body()
    if op == 0xF3:
        b.code("cpu[IME] = 0", "cpu[IME_DELAY] = 0")
        return "DI", b
    if op == 0xFB:
        b.code("cpu[IME_DELAY] = 2  # IME turns on after the next instruction")
        return "EI", b
    if z == 4 and y < 4:
        name, test = CONDITIONS[y]
        b.operand_bytes = 2
        b.when(test, lambda j: (j.internal(), j.flush(), push(j, "pc"), j.code("pc = nn")))
        return f"CALL {name},n16", b
    if op == 0xCD:
        b.operand_bytes = 2
        b.internal()
        b.flush()
        push(b, "pc")
        b.code("pc = nn")
        return "CALL n16", b
    if z == 5 and q == 0:
        b.internal()
        b.flush()
        push(b, "((a << 8) | f)" if p == 3 else f"({get_pair(p)})")
        return f"PUSH {'AF' if p == 3 else PAIR_NAMES[p]}", b
    if z == 6:
        b.operand_bytes = 1
        alu(b, y, "lo")
        return f"{ALU_NAMES[y]} A,n8", b
    if z == 7:
        b.internal()
        b.flush()
        push(b, "pc")
        b.code(f"pc = 0x{y * 8:02X}")
        return f"RST {y * 8:02X}h", b
    raise AssertionError(f"opcode {op:02X} not covered")


# RET cc, taken: after its internal cycle, pop PC (SP, SP+1) and one more internal cycle.
RET_CC_POP = (
    read_lines("v", "sp")
    + read_lines("v2", "(sp + 1) & 0xFFFF", "t + 4")
    + ["sp = (sp + 2) & 0xFFFF", "pc = (v2 << 8) | v"]
)

ACCUMULATOR_OPS = [  # 07 0F 17 1F 27 2F 37 3F; the rotates clear Z (unlike their CB forms)
    ("RLCA", ["f = (a >> 3) & 0x10", "a = ((a << 1) | (a >> 7)) & 0xFF"]),
    ("RRCA", ["f = (a << 4) & 0x10", "a = (a >> 1) | ((a & 1) << 7)"]),
    ("RLA", ["r = (a << 1) | ((f >> 4) & 1)", "f = (r >> 4) & 0x10", "a = r & 0xFF"]),
    ("RRA", ["r = (a >> 1) | ((f & 0x10) << 3)", "f = (a << 4) & 0x10", "a = r"]),
    (
        "DAA",
        [
            "if (f & 0x40) == 0:  # after an addition",
            "    if (f & 0x10) != 0 or a > 0x99:",
            "        a += 0x60",
            "        f |= 0x10",
            "    if (f & 0x20) != 0 or (a & 0xF) > 9:",
            "        a += 0x06",
            "else:  # after a subtraction",
            "    if (f & 0x10) != 0:",
            "        a -= 0x60",
            "    if (f & 0x20) != 0:",
            "        a -= 0x06",
            "a &= 0xFF",
            f"f = {either('f & 0x50', zero('a'))}",
        ],
    ),
    ("CPL", ["a ^= 0xFF", "f |= 0x60"]),
    ("SCF", ["f = (f & 0x80) | 0x10"]),
    ("CCF", ["f = (f & 0x90) ^ 0x10"]),
]

CB_SHIFTS = [  # CB 00-3F by bits 5-3: r = the result in bits 0-7 and the carry out in bit 8
    ("RLC", "r = (v << 1) | (v >> 7)"),
    ("RRC", "r = (v >> 1) | ((v & 1) << 7) | ((v & 1) << 8)"),
    ("RL", "r = (v << 1) | ((f >> 4) & 1)"),
    ("RR", "r = (v >> 1) | ((f & 0x10) << 3) | ((v & 1) << 8)"),
    ("SLA", "r = v << 1"),
    ("SRA", "r = (v >> 1) | (v & 0x80) | ((v & 1) << 8)"),
    ("SWAP", "r = ((v << 4) | (v >> 4)) & 0xFF"),
    ("SRL", "r = (v >> 1) | ((v & 1) << 8)"),
]


def cb_body() -> Code:
    """CB xx, the second byte in lo: operand = bits 2-0 (B C D E H L (HL) A), operation = bits
    7-6 (shift group, BIT, RES, SET) and 5-3 (which shift, or the bit number). The read stage
    a register operand is read and written back through its slot in the cpu array (CB_SLOTS),
    without a branch per register; (HL) is read here (not in the read stage, so that register
    operands skip that stage), after the operand byte like the read stage would."""
    b = Code()
    b.operand_bytes = 1
    b.code("reg = lo & 7", "bit = (lo >> 3) & 7", "group = lo >> 6")
    b.code("if reg != 6:", "    v = cpu[CB_SLOTS[np.uint64(reg)]]", "else:")
    b.code(*indent(read_lines("v", HL)), "    t += 4")
    b.code("if group == 0:")
    for i, (name, line) in enumerate(CB_SHIFTS):
        head = "if" if i == 0 else "elif"
        b.code(f"    {head} bit == {i}:  # {name}" if i < 7 else f"    else:  # {name}")
        b.code(f"        {line}")
    b.code("    v = r & 0xFF", f"    f = {either(zero('v'), carry_out('r'))}")
    b.code("elif group == 1:  # BIT: flags only, nothing is written back")
    b.code(f"    f = {either('f & 0x10', '0x20', zero('(v >> bit) & 1'))}")
    b.code("elif group == 2:  # RES", "    v &= 0xFF ^ (1 << bit)")
    b.code("else:  # SET", "    v |= 1 << bit")
    b.code("if group != 1:")
    b.code("    if reg != 6:", "        cpu[CB_SLOTS[np.uint64(reg)]] = v", "    else:")
    b.code(f"        w_addr = {HL}", "        w_data = v", "        writes = 1")
    return b


OPERAND_NAMES = {"lo": "(nn & 0xFF)", "hi": "(nn >> 8)"}
OPERAND_NAME = re.compile(r"(?<![\w.\[])(lo|hi)(?!\w)")
POP_NAMES = {"v": "(v & 0xFF)", "v2": "(v >> 8)"}
POP_NAME = re.compile(r"(?<![\w.\[])(v|v2)(?!\w)")


def operand_lines(lines: list[str], pop: bool) -> list[str]:
    """An opcode's lines with its operand bytes taken from nn alone (lo = nn & 0xFF, hi = nn
    >> 8) and, after a stack pop (v = the popped 16-bit value), v and v2 from v: fewer values
    live across the opcode chain, which LLVM would otherwise keep in registers or spill."""
    out = []
    for line in lines:
        code, hash_, comment = line.partition("#")
        code = OPERAND_NAME.sub(lambda m: OPERAND_NAMES[m.group(1)], code)
        if pop:
            code = POP_NAME.sub(lambda m: POP_NAMES[m.group(1)], code)
        out.append(code + hash_ + comment)
    return out


def generate() -> str:
    """The source of sm83.py. The opcode chain is split in quarters under two tests of op
    (`op < 0x80`, then `op < 0x40` or `op < 0xC0`): LLVM makes each quarter one jump table,
    where one flat chain of 256 became five range tests in a row before the jump."""
    quarters: list[list[str]] = [[], [], [], []]
    operand_bytes, read_mode = [], []
    for op in range(256):
        mnemonic, path = opcode(op)
        quarter = quarters[op >> 6]
        quarter.append(f"{'if' if op & 63 == 0 else 'elif'} op == 0x{op:02X}:  # {mnemonic}")
        lines = path.done()
        if path.operand_bytes:  # PC past the operand bytes: a constant, known before the fetch
            step = f"pc = (pc + {path.operand_bytes}) & 0xFFFF"
            lines = [step] + [line for line in lines if line != "pass"]
        if op in BOUNDARY_OPS:
            lines = [line for line in lines if line != "pass"] + ["state[CHECK_T] = 0"]
        quarter += indent(operand_lines(lines, path.read_mode == READ_POP))
        operand_bytes.append(path.operand_bytes)
        read_mode.append(path.read_mode)
    chain = ["if op < 0x80:", "    if op < 0x40:"] + indent(quarters[0], 2)
    chain += ["    else:"] + indent(quarters[1], 2)
    chain += ["else:", "    if op < 0xC0:"] + indent(quarters[2], 2)
    chain += ["    else:"] + indent(quarters[3], 2)
    return render(chain, operand_bytes, read_mode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if sm83.py is out of date")
    args = parser.parse_args(argv)
    source = generate()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != source:
            print(f"{OUTPUT} is out of date: run python -m tools.gen_sm83", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
