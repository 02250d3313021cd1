/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The x86_64 kernel's virtual memory layout (DESIGN.md §2), shared by
 * boot.S and C:
 *
 *   0xffff800000000000  PHYS_OFFSET: the linear map, pa at PHYS_OFFSET + pa
 *                       (the kernel half's first root slot, PML4[256]).
 *   0xffffc00000000000  X86_UNMAPPED_TEST_ADDR: nothing maps it (PML4[384]
 *                       stays empty), for the page-fault demo.
 *   0xffffffff80000000  KERNEL_VMA_OFFSET: the kernel image, linked at
 *                       KERNEL_VMA_OFFSET + 1 MiB and loaded at 1 MiB
 *                       (PML4[511], PDPT[510]; -mcmodel=kernel).
 */

#ifdef __ASSEMBLER__
#define X86_ULL(x) x
#else
#define X86_ULL(x) x##ULL
#endif

#define PHYS_OFFSET X86_ULL(0xffff800000000000)
#define PHYS_OFFSET_PML4_INDEX 256
#define KERNEL_VMA_OFFSET X86_ULL(0xffffffff80000000)
#define X86_UNMAPPED_TEST_ADDR X86_ULL(0xffffc00000000000)
