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
 * it here, and it is freed only after a grace period:
 *
 * - A lock-free walker brackets its walk with pt_rcu_read_lock/unlock. On
 *   entry its CPU slot records the global generation it saw.
 * - Retiring stamps the sub-tree with the generation and bumps it. Every
 *   walker that could have found the sub-tree entered before it was
 *   unlinked, hence before the stamp: its slot holds a generation no
 *   larger than the stamp.
 * - A retired sub-tree is freed once every CPU is outside a read section
 *   or entered one with a larger generation. The PTE accesses themselves
 *   are only acquire/release, so a full fence sits after a reader
 *   publishes its generation and before a retirer takes its stamp: that
 *   is the ordering the argument above needs, on weak CPUs too.
 */

#include <stdatomic.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/tlb.h"

#include "ostd/printf.h"
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

/* One cache line per CPU: a reader writes only its own. */
struct rcu_slot {
	_Alignas(64) _Atomic uint64_t gen;
	_Atomic uint32_t nest;
};

static struct rcu_slot rcu_slots[OSTD_MAX_CPUS];
static _Atomic uint64_t rcu_gen = 1;
static struct spinlock rcu_lock = SPINLOCK_INIT;
/* Retired sub-tree roots, linked through pt_node_meta.rcu_next. */
static paddr_t rcu_list;
static _Atomic uint64_t rcu_count;

void pt_rcu_read_lock(void)
{
	struct rcu_slot *s = &rcu_slots[arch_cpu_id()];

	if (atomic_fetch_add(&s->nest, 1) == 0) {
		atomic_store(&s->gen, atomic_load(&rcu_gen));
		/* The walk's PTE loads (acquire) must not move above this. */
		atomic_thread_fence(memory_order_seq_cst);
	}
}

void pt_rcu_read_unlock(void)
{
	struct rcu_slot *s = &rcu_slots[arch_cpu_id()];

	CHECK(atomic_load(&s->nest) > 0);
	atomic_fetch_sub(&s->nest, 1);
}

/* True once no reader can still hold something stamped @p gen. */
static bool grace_passed(uint64_t gen)
{
	for (unsigned int i = 0; i < OSTD_MAX_CPUS; i++) {
		if (atomic_load(&rcu_slots[i].nest) != 0 &&
		    atomic_load(&rcu_slots[i].gen) <= gen) {
			return false;
		}
	}
	return true;
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
	spin_lock(&rcu_lock);
	m->rcu_cfg = cfg_index(cfg);
	m->rcu_gen = atomic_fetch_add(&rcu_gen, 1);
	m->rcu_next = rcu_list;
	rcu_list = node;
	atomic_fetch_add(&rcu_count, 1);
	spin_unlock(&rcu_lock);
}

void pt_rcu_poll(void)
{
	paddr_t ready = pa_init(0);

	/* Every mutable cursor's drop polls: most find nothing retired. */
	if (atomic_load_explicit(&rcu_count, memory_order_relaxed) == 0) {
		return;
	}

	/* Unlink what is ready under the lock; free it outside. */
	spin_lock(&rcu_lock);
	paddr_t *link = &rcu_list;

	while (pa_addr(*link) != 0) {
		struct pt_node_meta *m = pt_node_meta(*link);
		paddr_t node = *link;

		if (grace_passed(m->rcu_gen)) {
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

void pt_rcu_barrier(void)
{
	while (atomic_load(&rcu_count) != 0) {
		pt_rcu_poll();
	}
}

uint64_t pt_rcu_pending(void)
{
	return atomic_load(&rcu_count);
}
