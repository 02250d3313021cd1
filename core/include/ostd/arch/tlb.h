/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The TLB contract (DESIGN.md §6). The core's flusher (core/mm/tlb.c) is
 * the only caller: it decides what to flush and on which CPUs, and
 * releases kept frames and page-table nodes only after these return.
 */

#include "ostd/page_table.h"

/**
 * This CPU's index, < OSTD_MAX_CPUS.
 *
 * Context: any; stable while the caller cannot migrate.
 */
unsigned int arch_cpu_id(void);

/**
 * Removes @p op from this CPU's TLB for the table @p pt, and returns once
 * later accesses on this CPU can no longer use the removed translations.
 *
 * - TLB_OP_PAGE / TLB_OP_RANGE: every entry (global ones included) for
 *   the addresses in the op.
 * - TLB_OP_ALL: at least every non-global entry; a port may drop more.
 * - TLB_OP_ALL_GLOBAL: every entry, global ones included (x86: toggle
 *   CR4.PGE, SDM Vol. 3A §4.10.4.1; RISC-V: SFENCE.VMA x0, x0,
 *   Privileged spec §4.2.1; AArch64: TLBI VMALLE1IS, Arm ARM D8.13).
 *
 * Context: the flusher's caller, preemption off, any locks.
 * Preconditions: the page-table writes that made the entries stale are
 * done (the core's stores); the hook owes the barrier that orders them
 * before the invalidation (AArch64: DSB ISHST before TLBI and DSB ISH; ISB
 * after, Arm ARM D8.13.8 / B2.3.12; RISC-V: SFENCE.VMA orders the
 * preceding stores itself, §4.2.1; x86: INVLPG and CR3/CR4 writes are
 * serializing, SDM Vol. 3A §8.3).
 */
void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op);

/**
 * Flushes the @p count ops in @p ops on every CPU in @p cpus (this CPU
 * never among them) and returns once all of them have done it: IPIs and
 * their acknowledgements (smp_tlb_flush_by_ipi()), an SBI remote fence,
 * or broadcast invalidation (AArch64 TLBI ...IS needs no IPI); direct on
 * the host's simulated CPUs. Same op meanings and barriers as
 * arch_tlb_flush_local().
 *
 * Context: preemption off; interrupts masked or not (the IPI wait answers
 * other CPUs' calls itself).
 */
void arch_tlb_flush_remote(uint64_t cpus, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count);
