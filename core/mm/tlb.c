// SPDX-License-Identifier: MPL-2.0
/*
 * The TLB flusher (DESIGN.md §6). A cursor queues flush operations and the
 * things that must outlive them; dispatch() performs the flushes on this
 * CPU and on every other CPU that has the table active, and with ASIDs
 * on marks the space's ASID stale on the CPUs that ran it and left
 * (core/mm/asid.c); sync() then releases what was kept. This ordering is
 * what keeps a freed frame or node out of every TLB and every lock-free
 * walker (TESTING.md S2).
 */

#include "ostd/arch/tlb.h"

#include "ostd/config.h"
#include "ostd/internal/asid.h"

#include "pt_internal.h"

void tlb_flusher_init(struct tlb_flusher *f, struct page_table *pt)
{
	f->pt = pt;
	f->op_count = 0;
	f->flush_all = false;
	f->pending_count = 0;
	f->dispatched_count = 0;
	f->dispatches = 0;
}

enum tlb_op_kind tlb_full_flush_kind(const struct page_table *pt)
{
	return atomic_load_explicit(&pt->globals, memory_order_relaxed)
		       ? TLB_OP_ALL_GLOBAL
		       : TLB_OP_ALL;
}

void tlb_flusher_issue(struct tlb_flusher *f, struct tlb_op op)
{
	if (f->flush_all) {
		return;
	}
	uint64_t pages = op.kind == TLB_OP_PAGE    ? 1
			 : op.kind == TLB_OP_RANGE ? op.len / PAGE_SIZE
						   : UINT64_MAX;

	/*
	 * A full flush of a non-global kind would keep the global entries of
	 * the pages it replaces; the full flush is chosen at dispatch by the
	 * table (tlb_full_flush_kind()), and no caller asks for less.
	 */
	CHECK(op.kind != TLB_OP_ALL || !atomic_load(&f->pt->globals));

	/* Many pages: one full flush is cheaper than many single ones. */
	if (pages >= TLB_FLUSH_ALL_PAGES || f->op_count == TLB_MAX_OPS) {
		f->flush_all = true;
		f->op_count = 0;
		return;
	}
	f->ops[f->op_count++] = op;
}

void tlb_flusher_issue_with(struct tlb_flusher *f, struct tlb_op op,
			    struct tlb_kept kept)
{
	if (f->pending_count == TLB_MAX_KEPT) {
		tlb_flusher_dispatch(f);
		tlb_flusher_sync(f);
	}
	tlb_flusher_issue(f, op);
	f->pending[f->pending_count++] = kept;
}

void tlb_flusher_dispatch(struct tlb_flusher *f)
{
	/* Most cursors only map: nothing to flush, nothing kept. */
	if (f->op_count == 0 && !f->flush_all && f->pending_count == 0) {
		return;
	}
	/*
	 * A widened range must drop what each of its pages would have,
	 * global entries included: the kernel table's leaves are global, and
	 * a full flush that kept them would leave a freed frame in a TLB.
	 */
	struct tlb_op all = { .kind = tlb_full_flush_kind(f->pt) };
	const struct tlb_op *ops = f->flush_all ? &all : f->ops;
	unsigned int count = f->flush_all ? 1 : f->op_count;
	unsigned int self = arch_cpu_id();
	struct asid_ctx *asid = count > 0 ? asid_ctx_of_table(f->pt) : NULL;

	/*
	 * Before the active set is read (the store-buffering pair of
	 * asid.c): a CPU that loads the space after this read takes the
	 * mark. Only this CPU changes its own bit of the set, and it does
	 * not switch in a cursor, so the bit says whether it flushes itself.
	 */
	if (asid != NULL && !CONFIG_TEST_PLANT_SKIP_ASID_FLUSH) {
		asid_mark_stale(asid,
				atomic_load_explicit(&f->pt->active_cpus.bits,
						     memory_order_relaxed) &
					(1ULL << self));
	}
	uint64_t targets = atomic_load(&f->pt->active_cpus.bits);

	if (count > 0) {
		if ((targets & (1ULL << self)) != 0) {
			for (unsigned int i = 0; i < count; i++) {
				arch_tlb_flush_local(f->pt, ops[i]);
			}
		}
		/* Every other CPU at once: one round trip, not one per CPU. */
		uint64_t remote = targets & ~(1ULL << self);

		if (remote != 0 && !CONFIG_TEST_PLANT_SKIP_REMOTE_FLUSH) {
			arch_tlb_flush_remote(remote, f->pt, ops, count);
		}
		f->dispatches++;
	}
	f->op_count = 0;
	f->flush_all = false;
	/* What was kept for these flushes may go once they are acked. */
	for (unsigned int i = 0; i < f->pending_count; i++) {
		CHECK(f->dispatched_count < TLB_MAX_KEPT);
		f->dispatched[f->dispatched_count++] = f->pending[i];
	}
	f->pending_count = 0;
}

void tlb_flusher_sync(struct tlb_flusher *f)
{
	if (f->dispatched_count == 0) {
		pt_rcu_poll();
		return;
	}
	/*
	 * arch_tlb_flush_remote() returns after the remote CPU acked, so
	 * everything dispatched is flushed everywhere by now.
	 */
	struct frame_put_batch batch = { .count = 0 };

	for (unsigned int i = 0; i < f->dispatched_count; i++) {
		struct tlb_kept *k = &f->dispatched[i];

		if (k->kind == TLB_KEPT_FRAME) {
			frame_ref_put_batched(&batch, k->pa);
		} else {
			pt_rcu_retire(pt_cfg(f->pt), k->pa, k->level);
		}
	}
	frame_put_batch_flush(&batch);
	f->dispatched_count = 0;
	pt_rcu_poll();
}

unsigned int tlb_flusher_kept(const struct tlb_flusher *f)
{
	return f->pending_count + f->dispatched_count;
}
