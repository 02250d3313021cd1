/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The riscv64 kernel's virtual memory layout (DESIGN.md §2), shared by
 * boot.S and C. The kernel half is the upper half of the root (indices
 * 256..511), sign-extended from bit 47 (Sv48) or bit 38 (Sv39) (RISC-V
 * Privileged Spec v1.12, 4.4.1 and 4.5.1).
 *
 *   Sv48                   Sv39
 *   0xffff800000000000     0xffffffc000000000   PHYS_OFFSET: the linear map,
 *                                               pa at PHYS_OFFSET + pa (the
 *                                               kernel half's first slot).
 *   0xffffc00000000000     0xffffffe000000000   RISCV_UNMAPPED_TEST_ADDR:
 *                                               root slot 384, never mapped.
 *   0xffffffff80000000     0xffffffff80000000   KERNEL_VMA_BASE: the image,
 *                                               linked at KERNEL_VMA_BASE +
 *                                               2 MiB (the RAM base +
 *                                               2 MiB, where OpenSBI and
 *                                               U-Boot put it); its load
 *                                               address is found at boot.
 */

#include "ostd/config.h"

#ifdef __ASSEMBLER__
#define RISCV_LAYOUT_UL(x) x
#else
#define RISCV_LAYOUT_UL(x) x##UL
#endif

#if CONFIG_RISCV_SV39
#define PHYS_OFFSET RISCV_LAYOUT_UL(0xffffffc000000000)
#define RISCV_UNMAPPED_TEST_ADDR RISCV_LAYOUT_UL(0xffffffe000000000)
#else
#define PHYS_OFFSET RISCV_LAYOUT_UL(0xffff800000000000)
#define RISCV_UNMAPPED_TEST_ADDR RISCV_LAYOUT_UL(0xffffc00000000000)
#endif

#define KERNEL_VMA_BASE RISCV_LAYOUT_UL(0xffffffff80000000)
/* The image's offset from KERNEL_VMA_BASE, and the Image header's text_offset. */
#define KERNEL_TEXT_OFFSET RISCV_LAYOUT_UL(0x200000)
