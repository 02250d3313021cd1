/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * RISC-V Sv39 and Sv48 page-table entries: manual facts only, no policy.
 *
 * Sources: RISC-V Privileged Spec v1.12, 4.3.1 "Addressing and Memory
 * Protection" (bits 9..0, Figure "Sv32 page table entry", Table "Encoding of
 * PTE R/W/X fields"), 4.4.1 "Sv39" (Figure "Sv39 page table entry"), 4.5.1
 * "Sv48" (Figure "Sv48 page table entry"), and the "Svpbmt" and "Svnapot"
 * chapters for bits 63..61. Both formats share one 64-bit entry layout:
 *
 *  63  62 61 60      54 53                          10 9   8 7 6 5 4 3 2 1 0
 * +---+-----+----------+------------------------------+-----+-+-+-+-+-+-+-+-+
 * | N |PBMT | Reserved |             PPN              | RSW |D|A|G|U|X|W|R|V|
 * +---+-----+----------+------------------------------+-----+-+-+-+-+-+-+-+-+
 *   1    2       7                   44                  2   1 1 1 1 1 1 1 1
 *
 * Sv39 splits the PPN into PPN[2] (53..28), PPN[1] (27..19), PPN[0]
 * (18..10); Sv48 into PPN[3] (53..37), PPN[2] (36..28), PPN[1], PPN[0]. A
 * leaf found with VPN[i] (OSTD level i + 1) must have PPN[i-1:0] == 0, or
 * the walk faults as a misaligned superpage (4.3.2 step 6).
 *
 * Pure C and header-only, so the host's software MMU can include it: the
 * CSR helpers with inline assembly stay in ostd/arch/riscv64.h.
 */

#ifdef __ASSEMBLER__
#define RISCV_PTE_C(x) x
#else
#define RISCV_PTE_C(x) x##ULL
#endif

/* 4.3.1: V=0 makes every other bit a don't-care, free for software. */
#define RISCV_PTE_V (RISCV_PTE_C(1) << 0)
/*
 * 4.3.1, Table "Encoding of PTE R/W/X fields": R=W=X=0 is a pointer to the
 * next level; anything else is a leaf; W without R is reserved.
 */
#define RISCV_PTE_R (RISCV_PTE_C(1) << 1)
#define RISCV_PTE_W (RISCV_PTE_C(1) << 2)
#define RISCV_PTE_X (RISCV_PTE_C(1) << 3)
/*
 * 4.3.1 "U bit": U-mode may access the page only if U=1; S-mode only if
 * U=0, or U=1 with sstatus.SUM=1 for loads and stores (never fetches).
 */
#define RISCV_PTE_U (RISCV_PTE_C(1) << 4)
/*
 * 4.3.1: a global mapping exists in every address space. On a non-leaf
 * entry it makes everything below global.
 */
#define RISCV_PTE_G (RISCV_PTE_C(1) << 5)
/*
 * 4.3.1: accessed and dirty. Either the hardware sets them (QEMU does) or
 * an access with them clear page-faults. On non-leaf entries D, A and U are
 * reserved and software must clear them.
 */
#define RISCV_PTE_A (RISCV_PTE_C(1) << 6)
#define RISCV_PTE_D (RISCV_PTE_C(1) << 7)
/* 4.3.1: RSW, reserved for supervisor software; the hardware ignores it. */
#define RISCV_PTE_RSW0 (RISCV_PTE_C(1) << 8)
#define RISCV_PTE_RSW1 (RISCV_PTE_C(1) << 9)

#define RISCV_PTE_RWX (RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X)

/* 4.4.1 / 4.5.1: a 44-bit PPN at bits 53..10: physical addresses of 56 bits. */
#define RISCV_PTE_PPN_SHIFT 10
#define RISCV_PTE_PPN_BITS 44
#define RISCV_PTE_PPN_MASK                                         \
	(((RISCV_PTE_C(1) << RISCV_PTE_PPN_BITS) - RISCV_PTE_C(1)) \
	 << RISCV_PTE_PPN_SHIFT)
#define RISCV_PA_BITS 56

/*
 * 4.4.1 / 4.5.1: bits 60..54 are reserved for future standard use; the
 * walk raises a page fault if any is set.
 */
#define RISCV_PTE_RESERVED_MASK (RISCV_PTE_C(0x7f) << 54)
/*
 * Svpbmt chapter: page-based memory type, bits 62..61. Without Svpbmt they
 * remain reserved. QEMU 7.2's default CPU lacks Svpbmt, so here they are
 * always zero.
 */
#define RISCV_PTE_PBMT_SHIFT 61
#define RISCV_PTE_PBMT_MASK (RISCV_PTE_C(3) << RISCV_PTE_PBMT_SHIFT)
/*
 * Svnapot chapter: N marks a NAPOT (contiguous 64 KiB) range. Without
 * Svnapot it is reserved; always zero here.
 */
#define RISCV_PTE_N (RISCV_PTE_C(1) << 63)
/* Every bit above the PPN: all of them must be zero in this build. */
#define RISCV_PTE_HIGH_MASK \
	(RISCV_PTE_RESERVED_MASK | RISCV_PTE_PBMT_MASK | RISCV_PTE_N)

/* 4.3.2 and 4.4.1: 4 KiB pages, 8-byte PTEs, 9 VPN bits per level. */
#define RISCV_PAGE_SHIFT 12
#define RISCV_PTE_SIZE 8
#define RISCV_VPN_BITS 9
#define RISCV_SV39_LEVELS 3
#define RISCV_SV48_LEVELS 4

#ifndef __ASSEMBLER__

#include "ostd/pt_config.h"

/*
 * The codec objects of arch/riscv64/pt_format.c. The host test binary links
 * them too, next to the other ports' formats.
 */
extern const struct pt_config riscv_sv48_user_config;
extern const struct pt_config riscv_sv48_kernel_config;
extern const struct pt_config riscv_sv39_user_config;
extern const struct pt_config riscv_sv39_kernel_config;

#endif /* !__ASSEMBLER__ */
