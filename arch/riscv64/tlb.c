// SPDX-License-Identifier: MPL-2.0
/*
 * TLB maintenance for the page-table core: this hart's. The remote half,
 * arch_tlb_flush_remote(), is in smp.c (SBI RFENCE).
 */

#include "ostd/arch/tlb.h"

#include "ostd/arch/cpu.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
	(void)pt;
	switch (op.kind) {
	case TLB_OP_PAGE:
		/* sfence.vma with rs1 = va: that page, any ASID (Privileged
		 * Spec v1.12, 4.2.1). */
		__asm__ volatile("sfence.vma %0, zero"
				 :
				 : "r"(op.va)
				 : "memory");
		break;
	case TLB_OP_RANGE:
		for (uint64_t off = 0; off < op.len; off += PAGE_SIZE) {
			__asm__ volatile("sfence.vma %0, zero"
					 :
					 : "r"(op.va + off)
					 : "memory");
		}
		break;
	case TLB_OP_ALL:
	case TLB_OP_ALL_GLOBAL:
		/*
		 * rs1 = rs2 = x0: every address, every ASID, global mappings
		 * included (4.2.1). That is TLB_OP_ALL_GLOBAL; for TLB_OP_ALL
		 * it drops more than promised: the only form that keeps the
		 * global entries (rs2 != x0) is per ASID, and the promise is
		 * for every address space.
		 */
		__asm__ volatile("sfence.vma zero, zero" : : : "memory");
		break;
	}
}

void arch_cpu_relax(void)
{
	__asm__ volatile("nop");
}
