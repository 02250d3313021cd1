// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: creation and drop (DESIGN.md §4; the files of the
 * cursor are listed in cursor_internal.h).
 *
 * Locking. A cursor over [start, last] locks the lowest node that covers
 * the range (its guard), then every table node below the guard that meets
 * the range, parent before child and lower address first: one global
 * order, so two cursors never wait for each other in a cycle. A node that
 * a cursor creates inside its range is born locked; a node it detaches is
 * marked stray and unlocked at once, so a cursor that was waiting for it
 * sees the flag and starts over. The guard is found by walking from the
 * root without locks (inside an RCU read section), allocating missing
 * intermediate nodes for a mutable cursor on the way, as OSTD does.
 *
 * The guard hint. A fault handler opens one cursor per page, mostly in a
 * slot where the previous cursor was, so each CPU remembers the guard its
 * last walk locked (struct pt_guard_hint) and the next cursor of the same
 * table, level and slot locks that node without walking. A hint names a
 * node that may since have been detached, freed and reused, so it is
 * trusted only under two conditions, checked inside the read section:
 *
 * - pt_guard_epoch is what it was when the walk that found the node
 *   began. Every node a cursor can lock is freed either by RCU, after
 *   pt_rcu_retire(), or by page_table_destroy(); both bump the epoch
 *   first. A retire bumps it before it stamps its nodes, so a read side
 *   that still reads the old epoch is one the grace period waits for (or
 *   one opened after the barrier that ends it would read the new epoch):
 *   the node is not freed before this cursor is done with it. The hint's
 *   table pointer alone proves nothing (a table made at the same address
 *   after a destroy), the epoch does.
 * - Once locked, the node is not stray. A node that is still allocated
 *   and not stray is linked where the hint's walk found it: nodes are
 *   never moved, only detached (marked stray under their lock), so it
 *   covers the same slot of the same table, and a walk from the root
 *   would arrive at it.
 *
 * Any other outcome walks from the root, as without a hint.
 */

#include "ostd/internal/cpu_local.h"
#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/* Bumped before any node a cursor may have locked can be freed. */
static _Atomic uint64_t pt_guard_epoch;

void pt_guard_hints_forget(void)
{
	/* Ordered after the caller's unlinking and before its frees. */
	atomic_fetch_add(&pt_guard_epoch, 1);
}

/*
 * The level of the guard: the lowest node that covers [start, last] and
 * can also hold the largest leaf that fits in the range (a 2 MiB-aligned
 * 2 MiB range is one level-1 node, but its 2 MiB leaf lives a level up).
 */
static pt_level_t guard_level_for(const struct pt_config *cfg, uint64_t start,
				  uint64_t last)
{
	pt_level_t covering = cfg->nr_levels;

	/* Inside one level-1 node and too short for its slot: most cursors. */
	if (((start ^ last) >> cfg->level[2].shift) == 0 &&
	    last - start < pt_page_size(2) - 1) {
		return 1;
	}
	for (pt_level_t l = 1; l < cfg->nr_levels; l++) {
		unsigned int shift = cfg->level[l + 1].shift;

		if ((start >> shift) == (last >> shift)) {
			covering = l;
			break;
		}
	}
	for (pt_level_t l = cfg->highest_translation_level; l > covering; l--) {
		uint64_t size = pt_page_size(l);
		uint64_t off = start & (size - 1);
		/* Distance to the first size-aligned address >= start. */
		uint64_t to_first = off == 0 ? 0 : size - off;

		/* Compared as distances: nothing wraps near 2^64. */
		if (to_first <= last - start &&
		    size - 1 <= last - start - to_first) {
			return l;
		}
	}
	return covering;
}

/* ---------------------------------------------------------------------
 * Locking.
 * --------------------------------------------------------------------- */

struct lock_walk {
	const struct pt_config *cfg;
	bool lock;
};

static bool lock_entry(void *ctx, paddr_t node, pt_level_t level,
		       unsigned int idx, pte_t pte, uint64_t va)
{
	const struct lock_walk *w = ctx;

	(void)node;
	(void)idx;
	(void)va;
	if (pt_cfg_classify(w->cfg, pte, level) != PT_ENTRY_TABLE) {
		return false;
	}
	paddr_t child = pt_cfg_paddr(w->cfg, pte, level);

	if (w->lock) {
		pt_node_lock(child);
	} else {
		pt_node_unlock(child);
	}
	/* A level-1 node holds no tables: its 512 entries need no visit. */
	return level > 2;
}

uint64_t cursor_guard_base(const struct pt_cursor *cur)
{
	const struct pt_config *cfg = cfg_of(cur);

	if (cur->guard_level == cfg->nr_levels) {
		unsigned int shift = cfg->level[cfg->nr_levels].shift;

		return align_down(cur->start, 1ULL << (shift + PT_ENTRY_BITS));
	}
	return align_down(cur->start, pt_page_size(cur->guard_level + 1));
}

/* Locks (or unlocks) every table node below the guard in the range. */
static void dfs_lock(struct pt_cursor *cur, bool lock)
{
	static const struct pt_dfs_ops ops = { .entry = lock_entry };

	/* A level-1 guard has no table below it (every 4 KiB cursor's). */
	if (cur->guard_level == 1) {
		return;
	}
	struct lock_walk w = { .cfg = cfg_of(cur), .lock = lock };

	pt_dfs(w.cfg, cur->guard, cur->guard_level, cursor_guard_base(cur),
	       cur->start, cur->last, &ops, &w);
}

enum try_result {
	TRY_LOCKED,
	TRY_RETRY,
	TRY_NEED_NODES,
};

/* The guard search of a cursor being made. */
struct guard_walk {
	struct page_table *pt;
	uint64_t start;
	bool is_mut;
	/* pt_guard_epoch when the search began. */
	uint64_t epoch;
	/* The result: the locked guard. */
	paddr_t guard;
	pt_level_t guard_level;
	struct pt_node_meta *guard_meta;
};

/*
 * Locks the node of metadata @p m unless a cursor has detached it (marked
 * it stray): then false, the node unlocked, and the caller starts over.
 */
static bool lock_linked_meta(struct pt_node_meta *m)
{
	pt_meta_lock(m);
	if (atomic_load(&m->stray)) {
		pt_meta_unlock(m);
		return false;
	}
	return true;
}

/* lock_linked_meta() of @p node; NULL for a stray node. */
static struct pt_node_meta *lock_linked(paddr_t node)
{
	struct pt_node_meta *m = pt_node_meta(node);

	return lock_linked_meta(m) ? m : NULL;
}

/* True if @p a and @p b are in the slot of one node at @p level. */
static bool same_node_slot(const struct pt_config *cfg, uint64_t a, uint64_t b,
			   pt_level_t level)
{
	unsigned int shift = cfg->level[level].shift + PT_ENTRY_BITS;

	return shift >= 64 || ((a ^ b) >> shift) == 0;
}

/*
 * Locks this CPU's hinted guard if it is the node a walk to @p target
 * would find (the file comment says why that is safe to decide so).
 */
static bool lock_hinted(struct guard_walk *g, const struct pt_guard_hint *h,
			pt_level_t target)
{
	if (h->pt != g->pt || h->epoch != g->epoch || h->level != target ||
	    !same_node_slot(g->pt->cfg, g->start, h->va, target) ||
	    !lock_linked_meta(h->meta)) {
		return false;
	}
	g->guard = h->node;
	g->guard_level = target;
	g->guard_meta = h->meta;
	return true;
}

/*
 * One attempt at finding and locking the guard (OSTD's
 * try_traverse_and_lock_subtree_root). @p r must hold @p *need nodes for
 * a mutable cursor to install missing intermediate tables. Preemption is
 * off: that is the RCU read side the walk needs (pt_node.c).
 */
static enum try_result try_lock_guard(struct guard_walk *g, pt_level_t target,
				      struct reserve *r, unsigned int *need)
{
	const struct pt_config *cfg = g->pt->cfg;
	paddr_t node = g->pt->root;
	pt_level_t level = cfg->nr_levels;

	while (level > target) {
		unsigned int idx = pt_index(cfg, g->start, level);
		paddr_t child;
		enum pt_entry_type type = pt_cfg_table_child(
			cfg, pt_read(node, idx), level, &child);

		if (type == PT_ENTRY_TABLE) {
			node = child;
			level--;
			continue;
		}
		if (type == PT_ENTRY_LEAF || !g->is_mut) {
			break;
		}
		if (r->count < level - target) {
			*need = level - target;
			return TRY_NEED_NODES;
		}
		struct pt_node_meta *m = lock_linked(node);

		if (m == NULL) {
			return TRY_RETRY;
		}
		if (pt_read(node, idx) == 0) {
			paddr_t fresh = cursor_reserve_take(r, level - 1);

			pt_write(node, idx, 0,
				 pt_cfg_new_pt(cfg, fresh, level));
		}
		/* Either way, read the entry again under no lock. */
		pt_meta_unlock(m);
	}
	struct pt_node_meta *m = lock_linked(node);

	if (m == NULL) {
		return TRY_RETRY;
	}
	/* Locked and linked: no one can detach it now. */
	g->guard = node;
	g->guard_level = level;
	g->guard_meta = m;
	return TRY_LOCKED;
}

/*
 * Finds and locks the guard at @p target or above it: the hinted node if
 * it qualifies, else by walks from the root, whose guard then becomes
 * this CPU's hint. Preemption is off (the RCU read side).
 */
static ostd_err_t lock_guard(struct guard_walk *g, struct pt_guard_hint *h,
			     pt_level_t target)
{
	struct reserve r;

	g->epoch = atomic_load_explicit(&pt_guard_epoch, memory_order_acquire);
	if (lock_hinted(g, h, target)) {
		return OSTD_OK;
	}
	r.count = 0;
	for (;;) {
		unsigned int need = 0;
		enum try_result res = try_lock_guard(g, target, &r, &need);

		if (res == TRY_LOCKED) {
			break;
		}
		if (res == TRY_NEED_NODES) {
			ostd_err_t err = cursor_reserve_fill(&r, need, false);

			if (err != OSTD_OK) {
				cursor_reserve_release(&r);
				return err;
			}
		}
	}
	if (r.count != 0) {
		cursor_reserve_release(&r);
	}
	/*
	 * Locked and not stray, so linked now: a retire of it comes later
	 * and bumps the epoch. The root needs no hint, and a guard above
	 * target (a read cursor over nothing) answers no later cursor.
	 */
	if (g->guard_level == target && target < g->pt->cfg->nr_levels) {
		*h = (struct pt_guard_hint){ .pt = g->pt,
					     .node = g->guard,
					     .meta = g->guard_meta,
					     .va = g->start,
					     .epoch = g->epoch,
					     .level = target };
	}
	return OSTD_OK;
}

static ostd_err_t check_range(const struct page_table *pt, uint64_t start,
			      uint64_t end)
{
	CHECKIF (end <= start) {
		return OSTD_EINVAL;
	}
	CHECKIF (!is_aligned(start, PAGE_SIZE) || !is_aligned(end, PAGE_SIZE)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (start < pt->va_start || end - 1 > pt->va_last) {
		return OSTD_ERANGE;
	}
	return OSTD_OK;
}

static ostd_err_t cursor_new(struct page_table *pt, uint64_t start,
			     uint64_t end, bool is_mut, struct pt_cursor *out)
{
	CHECKIF (pt == NULL || out == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = check_range(pt, start, end);

	if (err != OSTD_OK) {
		return err;
	}
	struct guard_walk g = { .pt = pt, .start = start, .is_mut = is_mut };
	pt_level_t target = guard_level_for(pt->cfg, start, end - 1);
	struct cpu_local *cl = cpu_local();

	/*
	 * Preemption stays off while the cursor holds its locks (OSTD's
	 * atomic-mode guard): blocking with one trips schedule_locked().
	 */
	preempt_disable_on(cl);
	err = lock_guard(&g, &cl->guard_hint, target);
	if (err != OSTD_OK) {
		(void)preempt_enable_on(cl);
		return err;
	}
	/*
	 * Field by field: the flusher's arrays (3 KiB) are only read up to
	 * their counts, and clearing them cost more than the whole walk.
	 */
	out->pt = pt;
	out->start = start;
	out->last = end - 1;
	out->va = start;
	out->at_end = false;
	out->is_mut = is_mut;
	out->guard = g.guard;
	out->guard_level = g.guard_level;
	out->guard_meta = g.guard_meta;
	out->leaf = pa_init(0);
	out->prop_ok_valid = false;
	out->fast_ok = false;
	out->fast_kind = PT_ITEM_NONE;
	out->prop_memo.level = 0;
	out->attr_memo.level = 0;
	tlb_flusher_init(&out->flusher, pt);
	dfs_lock(out, true);
	return OSTD_OK;
}

ostd_err_t pt_cursor_new(struct page_table *pt, uint64_t start, uint64_t end,
			 struct pt_cursor *out)
{
	return cursor_new(pt, start, end, false, out);
}

ostd_err_t pt_cursor_new_mut(struct page_table *pt, uint64_t start,
			     uint64_t end, struct pt_cursor *out)
{
	/* A VmSpace's table changes only through vm_space_cursor_mut(). */
	CHECKIF (pt != NULL && pt_is_vm_space_table(pt)) {
		return OSTD_EPERM;
	}
	return cursor_new(pt, start, end, true, out);
}

ostd_err_t pt_cursor_new_mut_internal(struct page_table *pt, uint64_t start,
				      uint64_t end, struct pt_cursor *out)
{
	return cursor_new(pt, start, end, true, out);
}

void pt_cursor_drop(struct pt_cursor *cur)
{
	const struct tlb_flusher *f = &cur->flusher;

	CHECK(cur->pt != NULL);
	/*
	 * Flushed everywhere before anyone else may touch the range. A
	 * cursor that queued and kept nothing (most that only map) skips the
	 * two calls; the poll below is the one sync() would make.
	 */
	if (cur->is_mut &&
	    (f->op_count != 0 || f->flush_all || f->pending_count != 0 ||
	     f->dispatched_count != 0)) {
		tlb_flusher_dispatch(&cur->flusher);
		tlb_flusher_sync(&cur->flusher);
	}
	dfs_lock(cur, false);
	pt_meta_unlock(cur->guard_meta);
	cur->pt = NULL;
	if (preempt_enable_on(cpu_local()) == 0 && cur->is_mut) {
		/* What the sync retired inside the cursor may go now. */
		pt_rcu_poll();
	}
}
