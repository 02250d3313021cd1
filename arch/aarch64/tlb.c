// SPDX-License-Identifier: MPL-2.0
/*
 * TLB maintenance for the page-table core. One CPU for now; the
 * Inner Shareable forms below already reach every CPU once SMP comes.
 */

#include "ostd/arch/tlb.h"

#include "ostd/arch/cpu.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
	(void)pt;
	/*
	 * dsb ishst: the PTE writes are visible to the walker before the
	 * invalidation; dsb ish: the invalidation completed; isb: later
	 * instructions use the new translations (Arm ARM D8.13 "TLB
	 * maintenance requirements" / older D5.10.2).
	 */
	__asm__ volatile("dsb ishst" : : : "memory");
	switch (op.kind) {
	case TLB_OP_PAGE:
		/* TLBI VAAE1IS: by VA, all ASIDs; the operand is VA >> 12. */
		__asm__ volatile("tlbi vaae1is, %0" : : "r"(op.va >> 12));
		break;
	case TLB_OP_RANGE:
		for (uint64_t off = 0; off < op.len; off += PAGE_SIZE) {
			__asm__ volatile("tlbi vaae1is, %0"
					 :
					 : "r"((op.va + off) >> 12));
		}
		break;
	case TLB_OP_ALL:
	case TLB_OP_ALL_GLOBAL:
		/*
		 * TLBI VMALLE1IS: every stage 1 EL1&0 entry of this VMID,
		 * global (nG = 0) ones included, walk caches too, on every PE
		 * of the Inner Shareable domain (Arm ARM C5.5 "TLBI
		 * VMALLE1IS"). For TLB_OP_ALL it drops more than promised:
		 * the form that keeps globals, TLBI ASIDE1IS, is per ASID.
		 */
		__asm__ volatile("tlbi vmalle1is");
		break;
	}
	__asm__ volatile("dsb ish\n\tisb" : : : "memory");
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield");
}
