// SPDX-License-Identifier: MPL-2.0
/*
 * The kernel page table, for a kernel port that still runs on its boot
 * translation (riscv64 and aarch64 with the MMU off): the core's kernel
 * table is created but not installed. A port's own kernel_pt.c replaces
 * this file (same name) when its kernel moves onto the table.
 */

#include "ostd/arch/mm.h"

void arch_kernel_pt_activate(struct page_table *kpt)
{
	(void)kpt;
}
