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
 */

#include "ostd/internal/cpu_local.h"
#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/*
 * The level of the guard: the lowest node that covers [start, last] and
 * can also hold the largest leaf that fits in the range (a 2 MiB-aligned
 * 2 MiB range is one level-1 node, but its 2 MiB leaf lives a level up).
 */
static pt_level_t guard_level_for(const struct pt_config *cfg, uint64_t start,
				  uint64_t last)
{
	pt_level_t covering = cfg->nr_levels;

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
	struct lock_walk w = { .cfg = cfg_of(cur), .lock = lock };

	/* A level-1 guard has no table below it (every 4 KiB cursor's). */
	if (cur->guard_level == 1) {
		return;
	}

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
	/* The result: the locked guard. */
	paddr_t guard;
	pt_level_t guard_level;
	struct pt_node_meta *guard_meta;
};

/*
 * Locks @p node unless a cursor has detached it (marked it stray): then
 * NULL, the node unlocked, and the caller starts over from the root.
 */
static struct pt_node_meta *lock_linked(paddr_t node)
{
	struct pt_node_meta *m = pt_node_meta(node);

	pt_meta_lock(m);
	if (atomic_load(&m->stray)) {
		pt_meta_unlock(m);
		return NULL;
	}
	return m;
}

/*
 * One attempt at finding and locking the guard (OSTD's
 * try_traverse_and_lock_subtree_root). @p r must hold @p *need nodes for
 * a mutable cursor to install missing intermediate tables.
 */
static enum try_result try_lock_guard(struct guard_walk *g, pt_level_t target,
				      struct reserve *r, unsigned int *need)
{
	const struct pt_config *cfg = g->pt->cfg;
	paddr_t node = g->pt->root;
	pt_level_t level = cfg->nr_levels;

	pt_rcu_read_lock();
	while (level > target) {
		unsigned int idx = pt_index(cfg, g->start, level);
		pte_t pte = pt_read(node, idx);
		enum pt_entry_type type = pt_cfg_classify(cfg, pte, level);

		if (type == PT_ENTRY_TABLE) {
			node = pt_cfg_paddr(cfg, pte, level);
			level--;
			continue;
		}
		if (type == PT_ENTRY_LEAF || !g->is_mut) {
			break;
		}
		if (r->count < level - target) {
			*need = level - target;
			pt_rcu_read_unlock();
			return TRY_NEED_NODES;
		}
		struct pt_node_meta *m = lock_linked(node);

		if (m == NULL) {
			pt_rcu_read_unlock();
			return TRY_RETRY;
		}
		if (pt_read(node, idx) == 0) {
			paddr_t child = cursor_reserve_take(r, level - 1);

			pt_write(node, idx, 0,
				 pt_cfg_new_pt(cfg, child, level));
		}
		/* Either way, read the entry again under no lock. */
		pt_meta_unlock(m);
	}
	struct pt_node_meta *m = lock_linked(node);

	if (m == NULL) {
		pt_rcu_read_unlock();
		return TRY_RETRY;
	}
	/* Locked and linked: no one can detach it now. */
	pt_rcu_read_unlock();
	g->guard = node;
	g->guard_level = level;
	g->guard_meta = m;
	return TRY_LOCKED;
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
	struct reserve r;
	struct cpu_local *cl = cpu_local();

	r.count = 0;
	/*
	 * Preemption stays off while the cursor holds its locks (OSTD's
	 * atomic-mode guard): blocking with one trips schedule_locked().
	 */
	preempt_disable_on(cl);
	for (;;) {
		unsigned int need = 0;
		enum try_result res = try_lock_guard(&g, target, &r, &need);

		if (res == TRY_LOCKED) {
			break;
		}
		if (res == TRY_NEED_NODES) {
			err = cursor_reserve_fill(&r, need, false);
			if (err != OSTD_OK) {
				cursor_reserve_release(&r);
				(void)preempt_enable_on(cl);
				return err;
			}
		}
	}
	cursor_reserve_release(&r);
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
	CHECK(cur->pt != NULL);
	if (cur->is_mut) {
		/* Flushed everywhere before anyone else may touch the range. */
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
