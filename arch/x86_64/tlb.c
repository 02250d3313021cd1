// SPDX-License-Identifier: MPL-2.0
/*
 * TLB maintenance for the page-table core on this CPU (remote shootdown:
 * smp.c).
 */

#include "ostd/arch/tlb.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/x86_64.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
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
	case TLB_OP_ALL:
		/*
		 * A CR3 write flushes every non-global entry of the current
		 * PCID, and PCID is off (CR4.PCIDE = 0): exactly TLB_OP_ALL
		 * (SDM vol 3A, 4.10.4.1).
		 */
		x86_64_write_cr3(x86_64_read_cr3());
		break;
	case TLB_OP_ALL_GLOBAL: {
		uint64_t cr4 = x86_64_read_cr4();

		/*
		 * Leaves with G are global once CR4.PGE (bit 7) is set, and a
		 * CR3 write keeps them; a write to CR4 that changes PGE
		 * flushes every entry, global ones too (4.10.4.1). Toggling
		 * it off and on again is that write. With PGE clear no entry
		 * is global and the CR3 write drops them all.
		 */
		if ((cr4 & (1ULL << 7)) != 0) {
			x86_64_write_cr4(cr4 & ~(1ULL << 7));
			x86_64_write_cr4(cr4);
			break;
		}
		x86_64_write_cr3(x86_64_read_cr3());
		break;
	}
	}
	(void)pt;
}

void arch_cpu_relax(void)
{
	__asm__ volatile("pause");
}
