// SPDX-License-Identifier: MPL-2.0
/*
 * TLB maintenance for the page-table core (ostd/arch/tlb.h).
 *
 * Two scopes, deliberately kept apart (Arm ARM DDI 0487, D8.13 "TLB
 * maintenance instructions", older D5.10; C5.5 for each TLBI):
 *
 * - arch_tlb_flush_local(): this PE only, the non-shareable forms (TLBI
 *   VAAE1 / VMALLE1) completed by DSB NSH. They reach no other CPU, so a
 *   stale entry elsewhere stays until the remote hook runs.
 * - arch_tlb_flush_remote(): every PE of the Inner Shareable domain,
 *   without an IPI: the ...IS forms are broadcast by the hardware, and
 *   the DSB ISH after them waits until every PE has completed them
 *   (D8.13.8 / B2.3.12: "a DSB ... ensures completion of the TLB
 *   maintenance on all PEs in the shareability domain"). All CPUs this
 *   kernel runs are in one Inner Shareable domain (the tables and
 *   TCR_EL1.SH0/SH1 say so), so the mask is not needed: it reaches them
 *   all, this one included.
 *
 * Barriers: the page-table stores must be visible to the walkers the
 * invalidation reaches before it happens: DSB NSHST for our own walker,
 * DSB ISHST for every PE's. After: DSB completes the invalidation, ISB
 * makes this CPU's later instructions translate afresh (D8.13.8).
 *
 * By VA, all ASIDs (TLBI VAAE1[IS]): user leaves carry their space's ASID
 * (0 or 1 with ASIDs off, vm.c, kernel_pt.c) and kernel leaves are
 * global; the all-ASID form also reaches the entries a space left under
 * its ASID on CPUs that switched away from it, so with ASIDs on a
 * broadcast flush leaves none of them stale anywhere. These are not the
 * "last level" forms (VAALE1): they also drop cached intermediate table
 * entries (walk caches) for the VA, which a freed table page needs.
 * TLB_OP_ALL and TLB_OP_ALL_GLOBAL both use VMALLE1[IS]: every stage 1
 * EL1&0 entry of the VMID, global ones and walk caches included (for
 * TLB_OP_ALL more than promised: the form that keeps globals, TLBI
 * ASIDE1, is per ASID).
 */

#include "ostd/arch/tlb.h"

#include "ostd/arch/cpu.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"

/* The TLBI VA operand: VA[55:12] in bits [43:0] (C5.5 "TLBI VAAE1"). */
static uint64_t tlbi_va(uint64_t va)
{
	return (va >> 12) & ((1ULL << 44) - 1);
}

static void flush_one_local(struct tlb_op op)
{
	switch (op.kind) {
	case TLB_OP_PAGE:
		__asm__ volatile("tlbi vaae1, %0" : : "r"(tlbi_va(op.va)));
		break;
	case TLB_OP_RANGE:
		for (uint64_t off = 0; off < op.len; off += PAGE_SIZE) {
			__asm__ volatile("tlbi vaae1, %0"
					 :
					 : "r"(tlbi_va(op.va + off)));
		}
		break;
	case TLB_OP_ALL:
	case TLB_OP_ALL_GLOBAL:
		__asm__ volatile("tlbi vmalle1");
		break;
	}
}

static void flush_one_broadcast(struct tlb_op op)
{
	switch (op.kind) {
	case TLB_OP_PAGE:
		__asm__ volatile("tlbi vaae1is, %0" : : "r"(tlbi_va(op.va)));
		break;
	case TLB_OP_RANGE:
		for (uint64_t off = 0; off < op.len; off += PAGE_SIZE) {
			__asm__ volatile("tlbi vaae1is, %0"
					 :
					 : "r"(tlbi_va(op.va + off)));
		}
		break;
	case TLB_OP_ALL:
	case TLB_OP_ALL_GLOBAL:
		__asm__ volatile("tlbi vmalle1is");
		break;
	}
}

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
	(void)pt;
	__asm__ volatile("dsb nshst" : : : "memory");
	flush_one_local(op);
	__asm__ volatile("dsb nsh\n\tisb" : : : "memory");
}

void arch_tlb_flush_remote(uint64_t cpus, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count)
{
	(void)pt;
	CHECK(cpus != 0 && (cpus & (1ULL << arch_cpu_id())) == 0);
	__asm__ volatile("dsb ishst" : : : "memory");
	for (unsigned int i = 0; i < count; i++) {
		flush_one_broadcast(ops[i]);
	}
	__asm__ volatile("dsb ish\n\tisb" : : : "memory");
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield");
}
