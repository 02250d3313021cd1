// SPDX-License-Identifier: MPL-2.0
/*
 * TLB maintenance for the page-table core on this CPU (remote shootdown:
 * smp.c). References are to the Intel SDM vol 3A.
 *
 * With PCIDs on (vm.c; this CPU's CR4.PCIDE), INVLPG and a CR3 reload
 * reach the current PCID only, plus, for INVLPG, the page's global
 * entries (4.10.4.1). So:
 * - a space's table that this CPU does not have loaded (an IPI that
 *   arrived after the CPU switched away) cannot be flushed here by VA:
 *   the CPU marks the space's PCID stale for itself instead and drops it
 *   when it next loads the space (core/mm/asid.c);
 * - a kernel table's leaves are global, but its paging-structure-cache
 *   entries are cached under every PCID and INVLPG drops only the
 *   current PCID's: every kernel-table flush drops every PCID's entries.
 */

#include "ostd/arch/tlb.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/x86_64.h"

#include "ostd/assert.h"
#include "ostd/internal/asid.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/page_table.h"

/* CR4.PGE (2.5): G is honoured. */
#define CR4_PGE (1ULL << 7)

void x86_64_flush_all_pcids(void)
{
	uint64_t cr4 = x86_64_read_cr4();

	/*
	 * A CR4 write that changes PGE invalidates every TLB entry, global
	 * ones too, and every paging-structure-cache entry, for all PCIDs
	 * (4.10.4.1); toggling it and writing it back is that write either
	 * way PGE was.
	 */
	x86_64_write_cr4(cr4 ^ CR4_PGE);
	x86_64_write_cr4(cr4);
}

/* With PCIDs on: false when the flush is done (or deferred) already. */
static bool pcid_flush_here(const struct page_table *pt, struct tlb_op op)
{
	struct cpu_local *cl = cpu_local();
	struct asid_ctx *ctx = asid_ctx_of_table(pt);

	if (ctx == NULL) {
		x86_64_flush_all_pcids();
		return false;
	}
	if (cl->current_pt == pt) {
		return true;
	}
	asid_mark_stale(ctx, ~(1ULL << cl->id));
	/* Its global leaves, if any, are tagged with no PCID: INVLPG. */
	return atomic_load(&pt->globals) && op.kind != TLB_OP_ALL;
}

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
	if (cpu_local()->asid_hw_on && !pcid_flush_here(pt, op)) {
		return;
	}
	switch (op.kind) {
	case TLB_OP_PAGE:
		/* invlpg drops the page's entries, global ones too
		 * (4.10.4.1). */
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
		 * A CR3 write (bit 63 clear) flushes every non-global entry
		 * of the PCID it loads, the current one: exactly TLB_OP_ALL
		 * for the loaded table (4.10.4.1).
		 */
		x86_64_write_cr3(x86_64_read_cr3());
		break;
	case TLB_OP_ALL_GLOBAL:
		/*
		 * Leaves with G are global once CR4.PGE is set, and a CR3
		 * write keeps them: a PGE toggle drops them with the rest.
		 */
		x86_64_flush_all_pcids();
		break;
	}
}

void arch_cpu_relax(void)
{
	__asm__ volatile("pause");
}
