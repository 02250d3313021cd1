// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: the edits a mutation's commit step is made of
 * (cursor_internal.h lists the cursor's files). None of them allocates
 * or fails: the nodes a split needs come from a reserve the prepare step
 * filled.
 */

#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/*
 * Performs every flush the cursor has queued, on every CPU in the table's
 * set, and releases what was kept for them: dispatch returns once every
 * target CPU has flushed (DESIGN.md §6), so the release may follow at once,
 * as tlb_flusher_issue_with() does when its keep list fills up. Syncing
 * here also keeps the dispatched list from filling up over many breaks.
 */
void cursor_flush_now(struct pt_cursor *cur)
{
	tlb_flusher_dispatch(&cur->flusher);
	tlb_flusher_sync(&cur->flusher);
}

/*
 * Break-before-make's "break": the entry at @p p goes invalid and every CPU
 * that may cache the slot holding @p va flushes it now, locally and through
 * the flusher's CPU set (dispatch sends the remote flushes and returns once
 * they are acknowledged). What the flusher keeps stays kept until sync, as
 * always. Afterwards @p p describes the now absent entry.
 */
static void break_entry(struct pt_cursor *cur, struct pos *p, uint64_t va)
{
	uint64_t size = pt_page_size(p->level);

	pos_write(cur, p, 0);
	p->pte = 0;
	p->type = PT_ENTRY_ABSENT;
	tlb_flusher_issue(&cur->flusher, range_op(align_down(va, size), size));
	cursor_flush_now(cur);
}

/*
 * The one path that overwrites a valid entry with a valid one (a split's
 * table over a block, protect's new leaf over the old). Where the format
 * needs break-before-make for this change (pt_cfg_needs_bbm()), it breaks
 * the entry and flushes it everywhere before making the new one; otherwise
 * it writes in place. Either way, with @p flush the slot's flush is
 * queued for what the old entry left in TLBs and walk caches (protect's
 * callers queue their own).
 */
void cursor_replace_entry(struct pt_cursor *cur, const struct pos *p,
			  uint64_t va, pte_t pte, bool flush)
{
	uint64_t size = pt_page_size(p->level);
	struct pos at = *p;

	if (pt_cfg_needs_bbm(cfg_of(cur), p->pte, pte, p->level)) {
		break_entry(cur, &at, va);
		pos_write(cur, &at, pte);
		return;
	}
	pos_write(cur, &at, pte);
	if (flush) {
		tlb_flusher_issue(&cur->flusher,
				  range_op(align_down(va, size), size));
	}
}

/* Counts the leaves of a sub-tree (and, for a probe, stops at the first). */
struct detach_ctx {
	const struct pt_config *cfg;
	uint64_t leaves;
	bool stop_at_first;
};

static void detach_leave(void *c, paddr_t node, pt_level_t level)
{
	(void)c;
	(void)level;
	atomic_store(&pt_node_meta(node)->stray, true);
	pt_node_unlock(node);
}

static bool detach_entry(void *c, paddr_t node, pt_level_t level,
			 unsigned int idx, pte_t pte, uint64_t va)
{
	struct detach_ctx *d = c;

	(void)node;
	(void)idx;
	(void)va;
	enum pt_entry_type t = pt_cfg_classify(d->cfg, pte, level);

	d->leaves += t == PT_ENTRY_LEAF;
	if (t != PT_ENTRY_TABLE || (d->stop_at_first && d->leaves != 0)) {
		return false;
	}
	if (level > 2) {
		return true;
	}
	/*
	 * A level-1 node: the core writes nothing but leaves there, so its
	 * child count is its leaf count, and its 512 entries need no visit.
	 */
	paddr_t child = pt_cfg_paddr(d->cfg, pte, level);

	d->leaves += pt_node_meta(child)->nr_children;
	if (!d->stop_at_first) {
		detach_leave(d, child, level - 1);
	}
	return false;
}

uint64_t cursor_detach_subtree(struct pt_cursor *cur, const struct pos *p,
			       uint64_t va)
{
	static const struct pt_dfs_ops ops = { .entry = detach_entry,
					       .leave = detach_leave };
	const struct pt_config *cfg = cfg_of(cur);
	paddr_t child = pt_cfg_paddr(cfg, p->pte, p->level);
	uint64_t size = pt_page_size(p->level);
	struct detach_ctx d = { .cfg = cfg, .leaves = 0 };

	if (p->level == 2) {
		/* A level-1 node: as in detach_entry(), no visit needed. */
		d.leaves = pt_node_meta(child)->nr_children;
		detach_leave(&d, child, 1);
	} else {
		pt_dfs(cfg, child, p->level - 1, va, va, va + (size - 1), &ops,
		       &d);
	}
	/* The remembered node may be in the sub-tree: forget it. */
	cur->leaf = pa_init(0);
	cur->fast_ok = false;
	pos_write(cur, p, 0);
	tlb_flusher_issue_with(&cur->flusher, range_op(va, size),
			       (struct tlb_kept){ .kind = TLB_KEPT_NODE,
						  .pa = child,
						  .level = p->level - 1 });
	return d.leaves;
}

/*
 * True if a leaf may straddle @p b: @p b lies inside the guard's span and
 * within the cursor's range or just past its end. Outside the guard's
 * span every leaf boundary falls on @p b anyway.
 */
static bool may_straddle(const struct pt_cursor *cur, uint64_t b)
{
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t span = cur->guard_level == cfg->nr_levels
				? 0
				: pt_page_size(cur->guard_level + 1);
	uint64_t base = cursor_guard_base(cur);

	/* b > last implies b >= 1: b - 1 cannot wrap there. */
	if (b < cur->start || (b > cur->last && b - 1 != cur->last)) {
		return false;
	}
	return span == 0 || b - base <= span - 1;
}

unsigned int cursor_split_need(struct pt_cursor *cur, uint64_t b)
{
	/* No leaf below the guard is larger than the guard's entries. */
	if (is_aligned(b, pt_page_size(cur->guard_level)) ||
	    !may_straddle(cur, b)) {
		return 0;
	}
	struct pos p = cursor_walk(cur, b, 1);

	if (p.type != PT_ENTRY_LEAF || p.level == 1 ||
	    is_aligned(b, pt_page_size(p.level))) {
		return 0;
	}
	pt_level_t k = p.level - 1;

	while (k > 1 && !is_aligned(b, pt_page_size(k))) {
		k--;
	}
	return p.level - k;
}

void cursor_split_leaf(struct pt_cursor *cur, const struct pos *p, uint64_t va,
		       struct reserve *r)
{
	const struct pt_config *cfg = cfg_of(cur);
	pt_level_t l = p->level - 1;
	paddr_t child = cursor_reserve_take(r, l);
	struct pt_prop prop = pt_cfg_prop(cfg, p->pte, p->level);
	uint64_t pa = pa_addr(pt_cfg_paddr(cfg, p->pte, p->level));

	struct pt_node_meta *m = pt_node_meta(child);
	pte_t *ptes = pt_entries(child);

	CHECK(p->type == PT_ENTRY_LEAF && p->level > 1);
	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		pt_write_meta(
			m, ptes, i, 0,
			pt_cfg_new_page(
				cfg,
				pa_init(pa + (uint64_t)i * pt_page_size(l)), l,
				prop));
	}
	cursor_replace_entry(cur, p, va, pt_cfg_new_pt(cfg, child, p->level),
			     true);
}

void cursor_split_at(struct pt_cursor *cur, uint64_t b, struct reserve *r)
{
	if (!may_straddle(cur, b)) {
		return;
	}
	for (;;) {
		struct pos p = cursor_walk(cur, b, 1);

		if (p.type != PT_ENTRY_LEAF || p.level == 1 ||
		    is_aligned(b, pt_page_size(p.level))) {
			return;
		}
		cursor_split_leaf(cur, &p, b, r);
	}
}

ostd_err_t cursor_reserve_ends(struct pt_cursor *cur, uint64_t last,
			       struct reserve *r)
{
	ostd_err_t err =
		cursor_reserve_fill(r,
				    cursor_split_need(cur, cur->va) +
					    cursor_split_need(cur, last + 1),
				    true);

	if (err != OSTD_OK) {
		cursor_reserve_release(r);
	}
	return err;
}

void cursor_split_ends(struct pt_cursor *cur, uint64_t last, struct reserve *r)
{
	cursor_split_at(cur, cur->va, r);
	cursor_split_at(cur, last + 1, r);
	/* The first split may have done part of the second's. */
	cursor_reserve_release(r);
}

/* A probe with detach_entry(): it stops at the first leaf. */
bool cursor_subtree_has_leaf(struct pt_cursor *cur, const struct pos *p,
			     uint64_t va)
{
	static const struct pt_dfs_ops ops = { .entry = detach_entry };
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t size = pt_page_size(p->level);
	struct detach_ctx d = { .cfg = cfg, .stop_at_first = true };

	pt_dfs(cfg, pt_cfg_paddr(cfg, p->pte, p->level), p->level - 1, va, va,
	       va + (size - 1), &ops, &d);
	return d.leaves != 0;
}
