// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table nodes, the iterative walker, and the RCU that frees detached
 * nodes.
 *
 * A node is a frame of type frame_type_pt_node. Its metadata slot holds its
 * level, its child count (non-absent entries), its lock and its stray flag.
 *
 * RCU, in short. Cursors find the sub-tree they lock by walking from the
 * root without locks; the MMU walks without locks too. So a node that a
 * cursor detaches may still be read by such a walker for a while.
 * Detaching therefore marks every node of the sub-tree stray (a walker
 * that then locks one of them sees the flag and starts over) and hands the
 * sub-tree to the TLB flusher; once every CPU flushed, the flusher retires
 * it here, and it is freed only after a grace period. As in Linux's
 * non-preemptible RCU and OSTD's disable_preempt guard:
 *
 * - A read side is preemption off and nothing more: a per-CPU count that
 *   only its CPU writes, no atomic read-modify-write, no fence.
 * - Retiring stamps the sub-tree with the global generation G and bumps
 *   it, after a full fence that orders the unlinking store first.
 * - A CPU has passed a quiescent state after G when it reports one having
 *   seen a generation > G (rcu_qs_gen, release-stored at a context
 *   switch, the tick outside a read side, entry to user mode, its own
 *   poll, and an outermost read unlock while something waits), or sits in
 *   the idle loop (an extended quiescent state, entered and left with
 *   full fences), or - the expedited path - when after
 *   arch_cpu_barrier_remote() made it execute a full barrier its count
 *   reads zero: a read side open at the barrier shows in the count, and
 *   one opened after it cannot reach what was unlinked before it.
 * - A retired sub-tree is freed once every online CPU passed a quiescent
 *   state after its stamp.
 */

#include <stdatomic.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/smp.h"
#include "ostd/arch/tlb.h"

#include "ostd/internal/cpu_local.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/string.h"
#include "ostd/sync.h"

#include "pt_internal.h"

const struct frame_type frame_type_pt_node = {
	.name = "pt-node",
	.untyped = false,
};

STATIC_ASSERT(sizeof(struct pt_node_meta) <= FRAME_META_STORAGE,
	      "A page-table node's metadata must fit in its frame's slot.");

struct pt_node_meta *pt_node_meta(paddr_t pa)
{
	struct frame_meta *m = frame_meta_of(pa);

	CHECK(m != NULL && m->type == &frame_type_pt_node);
	return (struct pt_node_meta *)(void *)m->storage;
}

ostd_err_t pt_node_alloc(pt_level_t level, bool locked, paddr_t *out)
{
	struct frame f;
	ostd_err_t err = frame_alloc(&frame_type_pt_node, &f);

	if (err != OSTD_OK) {
		return err;
	}
	struct pt_node_meta *m = pt_node_meta(f.pa);

	m->level = (uint8_t)level;
	m->nr_children = 0;
	atomic_init(&m->stray, false);
	atomic_init(&m->lock, locked);
	*out = f.pa;
	return OSTD_OK;
}

void pt_node_free(paddr_t node)
{
	struct frame f = { .pa = node };

	frame_drop(&f);
}

/*
 * Acquire and release suffice: what a holder wrote (entries, the stray
 * flag) is published by the release of its unlock. The RCU argument has
 * its own fences.
 */
void pt_meta_lock(struct pt_node_meta *m)
{
	for (;;) {
		if (!atomic_exchange_explicit(&m->lock, true,
					      memory_order_acquire)) {
			return;
		}
		while (atomic_load_explicit(&m->lock, memory_order_relaxed)) {
			arch_cpu_relax();
		}
	}
}

void pt_meta_unlock(struct pt_node_meta *m)
{
	CHECK(atomic_load_explicit(&m->lock, memory_order_relaxed));
	atomic_store_explicit(&m->lock, false, memory_order_release);
}

void pt_node_lock(paddr_t node)
{
	pt_meta_lock(pt_node_meta(node));
}

void pt_node_unlock(paddr_t node)
{
	pt_meta_unlock(pt_node_meta(node));
}

void pt_write(paddr_t node, unsigned int idx, pte_t old, pte_t pte)
{
	pt_write_meta(pt_node_meta(node), pt_entries(node), idx, old, pte);
}

/* ---------------------------------------------------------------------
 * The iterative walker.
 * --------------------------------------------------------------------- */

struct dfs_frame {
	paddr_t node;
	pt_level_t level;
	uint64_t base;
	unsigned int idx;
	unsigned int last_idx;
};

/* The entries of a node at @p level based at @p base that meet [lo, hi]. */
static struct dfs_frame dfs_frame(paddr_t node, pt_level_t level, uint64_t base,
				  uint64_t lo, uint64_t hi)
{
	uint64_t size = pt_page_size(level);
	uint64_t node_last = base + (size * PT_ENTRIES - 1);
	uint64_t from = lo > base ? lo : base;
	uint64_t to = hi < node_last ? hi : node_last;

	return (struct dfs_frame){
		.node = node,
		.level = level,
		.base = base,
		.idx = (unsigned int)((from - base) / size),
		.last_idx = (unsigned int)((to - base) / size),
	};
}

void pt_dfs(const struct pt_config *cfg, paddr_t node, pt_level_t level,
	    uint64_t base, uint64_t lo, uint64_t hi,
	    const struct pt_dfs_ops *ops, void *ctx)
{
	struct dfs_frame stack[PT_MAX_LEVELS + 1];
	int depth = 0;

	stack[0] = dfs_frame(node, level, base, lo, hi);
	while (depth >= 0) {
		struct dfs_frame *f = &stack[depth];

		if (f->idx > f->last_idx) {
			if (ops->leave != NULL) {
				ops->leave(ctx, f->node, f->level);
			}
			depth--;
			continue;
		}
		unsigned int idx = f->idx++;
		pte_t pte = pt_read(f->node, idx);
		uint64_t va = pt_entry_va(f->base, f->level, idx);
		bool descend = ops->entry(ctx, f->node, f->level, idx, pte, va);

		if (descend && f->level > 1 &&
		    pt_cfg_classify(cfg, pte, f->level) == PT_ENTRY_TABLE) {
			CHECK(depth < PT_MAX_LEVELS);
			stack[depth + 1] =
				dfs_frame(pt_cfg_paddr(cfg, pte, f->level),
					  f->level - 1, va, lo, hi);
			depth++;
		}
	}
}

/* ---------------------------------------------------------------------
 * Freeing sub-trees.
 * --------------------------------------------------------------------- */

struct free_ctx {
	const struct pt_config *cfg;
	struct frame_put_batch batch;
	/* The leaves of a node mostly share their attributes. */
	struct pt_prop_memo memo;
};

/* Drops the reference a tracked leaf's PTE owned. */
static void put_if_tracked(struct free_ctx *c, pte_t pte, pt_level_t level)
{
	if ((pt_cfg_prop_memo(c->cfg, &c->memo, pte, level).flags &
	     PT_AVAIL1) != 0) {
		frame_ref_put_batched(&c->batch,
				      pt_cfg_leaf_paddr(c->cfg, pte, level));
	}
}

/*
 * Frees a level-1 node. The core writes nothing but leaves there, so
 * every non-zero entry is one, and a plain loop beats the walker.
 */
static void free_leaf_node(struct free_ctx *c, paddr_t node)
{
	const pte_t *ptes = pt_entries(node);

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		pte_t pte = READ_ONCE(ptes[i]);

		if (pte != 0) {
			put_if_tracked(c, pte, 1);
		}
	}
	pt_node_free(node);
}

static bool free_entry(void *ctx, paddr_t node, pt_level_t level,
		       unsigned int idx, pte_t pte, uint64_t va)
{
	struct free_ctx *c = ctx;

	(void)node;
	(void)idx;
	(void)va;
	switch (pt_cfg_classify(c->cfg, pte, level)) {
	case PT_ENTRY_LEAF:
		put_if_tracked(c, pte, level);
		return false;
	case PT_ENTRY_TABLE:
		if (level == 2) {
			free_leaf_node(c, pt_cfg_paddr(c->cfg, pte, level));
			return false;
		}
		return true;
	case PT_ENTRY_ABSENT:
		break;
	}
	return false;
}

static void free_leave(void *ctx, paddr_t node, pt_level_t level)
{
	(void)ctx;
	(void)level;
	pt_node_free(node);
}

void pt_subtree_free(const struct pt_config *cfg, paddr_t node,
		     pt_level_t level)
{
	struct free_ctx ctx = { .cfg = cfg,
				.batch = { .count = 0 },
				.memo = { .level = 0 } };
	static const struct pt_dfs_ops ops = { .entry = free_entry,
					       .leave = free_leave };

	if (level == 1) {
		free_leaf_node(&ctx, node);
	} else {
		/* Bases are irrelevant here: walk the whole node from 0. */
		pt_dfs(cfg, node, level, 0, 0,
		       pt_page_size(level) * PT_ENTRIES - 1, &ops, &ctx);
	}
	frame_put_batch_flush(&ctx.batch);
}

/* ---------------------------------------------------------------------
 * RCU.
 * --------------------------------------------------------------------- */

static _Atomic uint64_t rcu_gen = 1;
static struct spinlock rcu_lock = SPINLOCK_INIT;
/* Retired sub-tree roots, linked through pt_node_meta.rcu_next. */
static paddr_t rcu_list;
static _Atomic uint64_t rcu_count;

/*
 * Retired nodes past which a poll stops waiting for CPUs to report on
 * their own and forces them (arch_cpu_barrier_remote()).
 */
#define RCU_FORCE_AT 32

void pt_rcu_note_qs(struct cpu_local *cl)
{
	uint64_t g = atomic_load_explicit(&rcu_gen, memory_order_acquire);

	/* Release: this CPU's finished read sides come before the report. */
	if (atomic_load_explicit(&cl->rcu_qs_gen, memory_order_relaxed) != g) {
		atomic_store_explicit(&cl->rcu_qs_gen, g, memory_order_release);
	}
}

void pt_rcu_idle_enter(struct cpu_local *cl)
{
	pt_rcu_note_qs(cl);
	atomic_store_explicit(&cl->rcu_idle, true, memory_order_release);
}

void pt_rcu_idle_exit(struct cpu_local *cl)
{
	atomic_store_explicit(&cl->rcu_idle, false, memory_order_relaxed);
	/*
	 * Store-load: a poller that still reads "idle" must have fenced
	 * before this one, so the walks after it see what it unlinked.
	 */
	atomic_thread_fence(memory_order_seq_cst);
}

void pt_rcu_read_lock(void)
{
	preempt_disable_on(cpu_local());
}

void pt_rcu_read_unlock(void)
{
	struct cpu_local *cl = cpu_local();

	if (preempt_enable_on(cl) == 0 &&
	    atomic_load_explicit(&rcu_count, memory_order_relaxed) != 0) {
		pt_rcu_note_qs(cl);
	}
}

/*
 * The generation before which every retired node may be freed: the least
 * that some online CPU has reported, where CPUs that are idle, or (with
 * @p force) outside a read side after a barrier, count as having seen
 * @p now.
 */
static uint64_t rcu_horizon(uint64_t now, bool force)
{
	struct cpu_local *self = cpu_local();
	uint64_t online = smp_cpu_online_mask();
	uint64_t lagging = 0;
	uint64_t horizon = now;

	for (uint64_t left = online; left != 0; left &= left - 1) {
		unsigned int cpu = (unsigned int)__builtin_ctzll(left);
		struct cpu_local *cl = cpu_local_of(cpu);

		if (atomic_load_explicit(&cl->rcu_qs_gen,
					 memory_order_acquire) >= now ||
		    atomic_load_explicit(&cl->rcu_idle, memory_order_acquire)) {
			continue;
		}
		lagging |= 1ULL << cpu;
	}
	lagging &= ~(1ULL << self->id);
	if (force && lagging != 0) {
		arch_cpu_barrier_remote(lagging);
		for (uint64_t left = lagging; left != 0; left &= left - 1) {
			unsigned int cpu = (unsigned int)__builtin_ctzll(left);
			struct cpu_local *cl = cpu_local_of(cpu);

			/* Acquire: pairs with preempt_enable_on() under TSan. */
			if (atomic_load_explicit(&cl->preempt_count,
						 memory_order_acquire) == 0) {
				lagging &= ~(1ULL << cpu);
			}
		}
	}
	for (uint64_t left = lagging; left != 0; left &= left - 1) {
		struct cpu_local *cl =
			cpu_local_of((unsigned int)__builtin_ctzll(left));
		uint64_t g = atomic_load_explicit(&cl->rcu_qs_gen,
						  memory_order_acquire);

		horizon = g < horizon ? g : horizon;
	}
	/* This CPU: quiescent unless the poll runs inside a read side. */
	uint64_t mine = atomic_load_explicit(&self->preempt_count,
					     memory_order_relaxed) == 0
				? now
				: atomic_load_explicit(&self->rcu_qs_gen,
						       memory_order_relaxed);

	return mine < horizon ? mine : horizon;
}

/*
 * A node does not know its table's config, which freeing needs (to decode
 * its entries); a retired root carries an index into this table instead.
 */
#define RCU_MAX_CFGS 16
static const struct pt_config *rcu_cfg_table[RCU_MAX_CFGS];

static uint8_t cfg_index(const struct pt_config *cfg)
{
	for (uint8_t i = 0; i < RCU_MAX_CFGS; i++) {
		if (rcu_cfg_table[i] == cfg) {
			return i;
		}
		if (rcu_cfg_table[i] == NULL) {
			rcu_cfg_table[i] = cfg;
			return i;
		}
	}
	CHECK(false);
	return 0;
}

void pt_rcu_retire(const struct pt_config *cfg, paddr_t node, pt_level_t level)
{
	struct pt_node_meta *m = pt_node_meta(node);

	CHECK(m->level == level && atomic_load(&m->stray));
	/* The unlinking PTE store (release) is ordered before the stamp. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Before the stamp: a grace period for it also covers the hints. */
	pt_guard_hints_forget();
	spin_lock(&rcu_lock);
	m->rcu_cfg = cfg_index(cfg);
	m->rcu_gen = atomic_fetch_add(&rcu_gen, 1);
	m->rcu_next = rcu_list;
	rcu_list = node;
	atomic_fetch_add(&rcu_count, 1);
	spin_unlock(&rcu_lock);
}

static void rcu_collect(bool force)
{
	paddr_t ready = pa_init(0);

	/*
	 * Pairs with pt_rcu_retire()'s and pt_rcu_idle_exit()'s fences: a
	 * CPU read as idle here entered the idle loop before, or its walks
	 * after leaving it see the unlinking stores.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t now = atomic_load_explicit(&rcu_gen, memory_order_acquire);
	uint64_t horizon = rcu_horizon(now, force);

	/* Unlink what is ready under the lock; free it outside. */
	spin_lock(&rcu_lock);
	paddr_t *link = &rcu_list;

	while (pa_addr(*link) != 0) {
		struct pt_node_meta *m = pt_node_meta(*link);
		paddr_t node = *link;

		if (m->rcu_gen < horizon) {
			*link = m->rcu_next;
			m->rcu_next = ready;
			ready = node;
		} else {
			link = &m->rcu_next;
		}
	}
	spin_unlock(&rcu_lock);
	while (pa_addr(ready) != 0) {
		struct pt_node_meta *m = pt_node_meta(ready);
		paddr_t next = m->rcu_next;

		atomic_fetch_sub(&rcu_count, 1);
		pt_subtree_free(rcu_cfg_table[m->rcu_cfg], ready, m->level);
		ready = next;
	}
}

void pt_rcu_poll(void)
{
	/* Every mutable cursor's drop polls: most find nothing retired. */
	uint64_t pending =
		atomic_load_explicit(&rcu_count, memory_order_relaxed);

	if (pending == 0) {
		return;
	}
	struct cpu_local *self = cpu_local();

	if (atomic_load_explicit(&self->preempt_count, memory_order_relaxed) ==
	    0) {
		pt_rcu_note_qs(self);
	}
	rcu_collect(pending >= RCU_FORCE_AT);
}

void pt_rcu_barrier(void)
{
	/* A read side of its own would hold its own grace period forever. */
	CHECK(atomic_load_explicit(&cpu_local()->preempt_count,
				   memory_order_relaxed) == 0);
	pt_rcu_note_qs(cpu_local());
	while (atomic_load(&rcu_count) != 0) {
		rcu_collect(true);
		if (atomic_load(&rcu_count) != 0) {
			arch_cpu_relax();
		}
	}
}

uint64_t pt_rcu_pending(void)
{
	return atomic_load(&rcu_count);
}
