; bank.s -- contents of ROM banks 1..N-1 of the MBC test ROMs (mbc1, mbc3, mbc5).
;
; The builder assembles this file once per bank with BANK = the bank number (see
; tools/asm.py); the bank is seen at 0x4000-0x7FFF when mapped. It holds only a 4-byte
; signature, at the start and at the end of the bank (everything else is 0xFF):
;     BANK & 0xFF, BANK >> 8, (BANK & 0xFF) ^ 0x5A, 0xA5
; Bank 0 carries the same signature at 0x3FFC (see mbc.inc, BANK_SIGNATURE).

    .include "common.inc"
    .include "mbc.inc"

    .area _ROMX (ABS)
    .org 0x4000
    BANK_SIGNATURE BANK
    .org 0x7FFC
    BANK_SIGNATURE BANK
