// SPDX-License-Identifier: MPL-2.0
/*
 * TLB maintenance for the page-table core on this CPU (remote shootdown
 * comes with SMP; arch/common/smp.c until then).
 */

#include "ostd/arch/cpu.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
	(void)pt;
	switch (op.kind) {
	case TLB_OP_PAGE:
		/* invlpg drops the page's entries, global ones too (SDM vol
		 * 3A, 4.10.4.1). */
		__asm__ volatile("invlpg (%0)" : : "r"(op.va) : "memory");
		break;
	case TLB_OP_RANGE:
		for (uint64_t off = 0; off < op.len; off += PAGE_SIZE) {
			__asm__ volatile("invlpg (%0)"
					 :
					 : "r"(op.va + off)
					 : "memory");
		}
		break;
	case TLB_OP_ALL: {
		/* A CR3 write flushes every non-global entry (4.10.4.1). */
		uint64_t cr3;

		__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
		__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
		break;
	}
	}
}

void arch_cpu_relax(void)
{
	__asm__ volatile("pause");
}
