// SPDX-License-Identifier: MPL-2.0
/*
 * Shared by the kernel ports until SMP arrives: one CPU, so its index is
 * 0 and no flush ever has a remote target. A port with SMP provides its
 * own arch/<isa>/smp.c, which replaces this file.
 */

#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"

unsigned int arch_cpu_id(void)
{
	return 0;
}

void arch_tlb_flush_remote(unsigned int cpu, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count)
{
	(void)cpu;
	(void)pt;
	(void)ops;
	(void)count;
	/* No second CPU is ever started, so none is ever a target. */
	CHECK(false);
}
