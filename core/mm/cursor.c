// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors (DESIGN.md §4; semantics after OSTD and vostd's
 * CursorView specs).
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
 * Prepare, then commit (Hafnium mm_ptable_prepare/commit; seL4
 * decode/perform). Every mutation first validates and counts the nodes it
 * will need, allocates all of them, and only then writes, so an error,
 * including running out of memory, leaves the mapping set as it was.
 */

#include "ostd/internal/cpu_local.h"
#include "ostd/internal/page_table.h"
#include "ostd/math.h"

#include "pt_internal.h"

/* ---------------------------------------------------------------------
 * Node reserves: memory taken before anything is written.
 * --------------------------------------------------------------------- */

#define RESERVE_MAX (2 * PT_MAX_LEVELS)

struct reserve {
	paddr_t nodes[RESERVE_MAX];
	unsigned int count;
};

static ostd_err_t reserve_fill(struct reserve *r, unsigned int need,
			       bool locked)
{
	CHECK(need <= RESERVE_MAX);
	while (r->count < need) {
		ostd_err_t err = pt_node_alloc(0, locked, &r->nodes[r->count]);

		if (err != OSTD_OK) {
			return err;
		}
		r->count++;
	}
	return OSTD_OK;
}

static paddr_t reserve_take(struct reserve *r, pt_level_t level)
{
	CHECK(r->count > 0);
	paddr_t node = r->nodes[--r->count];

	pt_node_meta(node)->level = (uint8_t)level;
	return node;
}

static void reserve_release(struct reserve *r)
{
	while (r->count > 0) {
		pt_node_free(r->nodes[--r->count]);
	}
}

/* ---------------------------------------------------------------------
 * Geometry.
 * --------------------------------------------------------------------- */

static const struct pt_config *cfg_of(const struct pt_cursor *cur)
{
	return cur->pt->cfg;
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

/* The last byte of the slot of @p size (a power of two) holding @p va. */
static uint64_t slot_last(uint64_t va, uint64_t size)
{
	return align_down(va, size) + (size - 1);
}

static bool at_end(const struct pt_cursor *cur)
{
	return cur->va > cur->last;
}

/* Bytes from the cursor to the end of its range (0 at the end). */
static uint64_t remaining(const struct pt_cursor *cur)
{
	return at_end(cur) ? 0 : cur->last - cur->va + 1;
}

/* ---------------------------------------------------------------------
 * Walking inside the locked sub-tree.
 * --------------------------------------------------------------------- */

struct pos {
	paddr_t node;
	pt_level_t level;
	unsigned int idx;
	pte_t pte;
	enum pt_entry_type type;
};

/* Makes the level-1 node @p node, which maps @p va, the cursor's shortcut. */
static void remember_leaf(struct pt_cursor *cur, paddr_t node, uint64_t va)
{
	cur->leaf = node;
	cur->leaf_base = align_down(va, pt_page_size(2));
	cur->leaf_ptes = pt_entries(node);
	cur->leaf_meta = pt_node_meta(node);
}

/*
 * Descends from the guard towards @p va through tables, down to @p stop.
 * A walk to the leaf level inside the remembered level-1 node starts
 * there: every entry above it is a table this cursor keeps locked, so
 * the full walk would arrive at the same node.
 */
static struct pos walk(struct pt_cursor *cur, uint64_t va, pt_level_t stop)
{
	const struct pt_config *cfg = cfg_of(cur);
	struct pos p;

	if (stop == 1 && pa_addr(cur->leaf) != 0 &&
	    align_down(va, pt_page_size(2)) == cur->leaf_base) {
		p.node = cur->leaf;
		p.level = 1;
		p.idx = pt_index(cfg, va, 1);
		p.pte = READ_ONCE(cur->leaf_ptes[p.idx]);
		/*
		 * The core writes nothing but leaves into a level-1 node
		 * (as leaf_at_cursor() and the frees rely on): no codec.
		 */
		p.type = p.pte != 0 ? PT_ENTRY_LEAF : PT_ENTRY_ABSENT;
		return p;
	}
	p = (struct pos){ .node = cur->guard, .level = cur->guard_level };
	for (;;) {
		p.idx = pt_index(cfg, va, p.level);
		p.pte = pt_read(p.node, p.idx);
		p.type = pt_cfg_classify(cfg, p.pte, p.level);
		if (p.level > stop && p.type == PT_ENTRY_TABLE) {
			p.node = pt_cfg_paddr(cfg, p.pte, p.level);
			p.level--;
			continue;
		}
		if (p.level == 1) {
			remember_leaf(cur, p.node, va);
		}
		return p;
	}
}

/* Writes the entry at @p p; the remembered node's metadata is at hand. */
static void pos_write(struct pt_cursor *cur, const struct pos *p, pte_t pte)
{
	if (pa_addr(p->node) == pa_addr(cur->leaf)) {
		pt_write_meta(cur->leaf_meta, cur->leaf_ptes, p->idx, p->pte,
			      pte);
	} else {
		pt_write(p->node, p->idx, p->pte, pte);
	}
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

/* The VA of the first byte the guard node covers. */
static uint64_t guard_base(const struct pt_cursor *cur)
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

	pt_dfs(w.cfg, cur->guard, cur->guard_level, guard_base(cur), cur->start,
	       cur->last, &ops, &w);
}

enum try_result {
	TRY_LOCKED,
	TRY_RETRY,
	TRY_NEED_NODES,
};

/*
 * One attempt at finding and locking the guard (OSTD's
 * try_traverse_and_lock_subtree_root). @p r must hold @p *need nodes for
 * a mutable cursor to install missing intermediate tables.
 */
struct guard_walk {
	struct page_table *pt;
	uint64_t start;
	bool is_mut;
	/* The result: the locked guard. */
	paddr_t guard;
	pt_level_t guard_level;
	struct pt_node_meta *guard_meta;
};

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
		struct pt_node_meta *m = pt_node_meta(node);

		pt_meta_lock(m);
		if (atomic_load(&m->stray)) {
			pt_meta_unlock(m);
			pt_rcu_read_unlock();
			return TRY_RETRY;
		}
		if (pt_read(node, idx) == 0) {
			paddr_t child = reserve_take(r, level - 1);

			pt_write(node, idx, 0,
				 pt_cfg_new_pt(cfg, child, level));
		}
		/* Either way, read the entry again under no lock. */
		pt_meta_unlock(m);
	}
	struct pt_node_meta *m = pt_node_meta(node);

	pt_meta_lock(m);
	if (atomic_load(&m->stray)) {
		pt_meta_unlock(m);
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
			err = reserve_fill(&r, need, false);
			if (err != OSTD_OK) {
				reserve_release(&r);
				(void)preempt_enable_on(cl);
				return err;
			}
		}
	}
	reserve_release(&r);
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

/* ---------------------------------------------------------------------
 * Queries.
 * --------------------------------------------------------------------- */

ostd_err_t pt_cursor_query(struct pt_cursor *cur, struct pt_query *out)
{
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	CHECKIF (at_end(cur)) {
		return OSTD_ERANGE;
	}
	struct pos p = walk(cur, cur->va, 1);

	if (p.type == PT_ENTRY_LEAF) {
		uint64_t size = pt_page_size(p.level);

		*out = pt_leaf_query_memo(cfg_of(cur), &cur->prop_memo, p.pte,
					  p.level, align_down(cur->va, size));
	} else {
		*out = (struct pt_query){ .va = cur->va,
					  .size = PAGE_SIZE,
					  .item = { .kind = PT_ITEM_NONE } };
	}
	return OSTD_OK;
}

/* Validates a length argument of find_next/unmap/protect_next. */
static ostd_err_t check_len(const struct pt_cursor *cur, uint64_t len)
{
	CHECKIF (!is_aligned(len, PAGE_SIZE)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (len > remaining(cur)) {
		return OSTD_EINVAL;
	}
	return OSTD_OK;
}

/*
 * The first leaf meeting [va, last]; false if none. The cursor does not
 * move.
 */
static bool next_leaf(struct pt_cursor *cur, uint64_t va, uint64_t last,
		      struct pos *leaf, uint64_t *leaf_va)
{
	uint64_t v = va;

	for (;;) {
		struct pos p = walk(cur, v, 1);
		uint64_t size = pt_page_size(p.level);

		if (p.type == PT_ENTRY_LEAF) {
			*leaf = p;
			*leaf_va = align_down(v, size);
			return true;
		}
		uint64_t slot = slot_last(v, size);

		if (slot >= last) {
			return false;
		}
		v = slot + 1;
	}
}

/*
 * The shared start of find_next and protect_next: validates @p len and
 * finds the first leaf meeting [va, va + len); with none, the cursor moves
 * to va + len and the result is OSTD_ENOENT.
 */
static ostd_err_t seek_leaf(struct pt_cursor *cur, uint64_t len, uint64_t *last,
			    struct pos *leaf, uint64_t *leaf_va)
{
	ostd_err_t err = check_len(cur, len);

	if (err != OSTD_OK) {
		return err;
	}
	if (len == 0) {
		return OSTD_ENOENT;
	}
	*last = cur->va + (len - 1);
	if (!next_leaf(cur, cur->va, *last, leaf, leaf_va)) {
		cur->va = *last + 1;
		return OSTD_ENOENT;
	}
	return OSTD_OK;
}

/*
 * seek_leaf()'s common case without the walk: a valid @p len and a 4 KiB
 * leaf right at the cursor, in the remembered node (where every non-zero
 * entry is a leaf). False if that is not the case; nothing is changed.
 */
static bool leaf_at_cursor(struct pt_cursor *cur, uint64_t len, uint64_t *last,
			   struct pos *leaf, uint64_t *leaf_va)
{
	if (len == 0 || !is_aligned(len, PAGE_SIZE) || len > remaining(cur) ||
	    pa_addr(cur->leaf) == 0 ||
	    align_down(cur->va, pt_page_size(2)) != cur->leaf_base) {
		return false;
	}
	unsigned int idx = pt_index(cfg_of(cur), cur->va, 1);
	pte_t pte = READ_ONCE(cur->leaf_ptes[idx]);

	if (pte == 0) {
		return false;
	}
	*leaf = (struct pos){ .node = cur->leaf,
			      .level = 1,
			      .idx = idx,
			      .pte = pte,
			      .type = PT_ENTRY_LEAF };
	*leaf_va = cur->va;
	*last = cur->va + (len - 1);
	return true;
}

ostd_err_t pt_cursor_find_next(struct pt_cursor *cur, uint64_t len,
			       uint64_t *found)
{
	uint64_t last;
	struct pos leaf;
	uint64_t leaf_va;
	ostd_err_t err = seek_leaf(cur, len, &last, &leaf, &leaf_va);

	if (err != OSTD_OK) {
		return err;
	}
	cur->va = MAX(leaf_va, cur->va);
	if (found != NULL) {
		*found = cur->va;
	}
	return OSTD_OK;
}

ostd_err_t pt_cursor_jump(struct pt_cursor *cur, uint64_t va)
{
	CHECKIF (!is_aligned(va, PAGE_SIZE)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (va < cur->start || va > cur->last) {
		return OSTD_ERANGE;
	}
	cur->va = va;
	return OSTD_OK;
}

/* ---------------------------------------------------------------------
 * Mutation helpers.
 * --------------------------------------------------------------------- */

static struct tlb_op range_op(uint64_t va, uint64_t size)
{
	if (size == PAGE_SIZE) {
		return (struct tlb_op){ .kind = TLB_OP_PAGE, .va = va };
	}
	return (struct tlb_op){ .kind = TLB_OP_RANGE, .va = va, .len = size };
}

/*
 * Performs every flush the cursor has queued, on every CPU in the table's
 * set, and releases what was kept for them: dispatch returns once every
 * target CPU has flushed (DESIGN.md §6), so the release may follow at once,
 * as tlb_flusher_issue_with() does when its keep list fills up. Syncing
 * here also keeps the dispatched list from filling up over many breaks.
 */
static void flush_now(struct pt_cursor *cur)
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
	flush_now(cur);
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
static void replace_entry(struct pt_cursor *cur, const struct pos *p,
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

/*
 * Break-before-make's flush for slots this cursor emptied: an unmap or a
 * detach only queues its flush, so a slot it emptied may still be cached
 * with its old translation (of another address or block size). On a
 * format that needs break-before-make nothing valid is made in such a slot
 * before that flush is done; with nothing queued this is one test. Which
 * queued range holds the slot does not matter: flushing early is always
 * correct.
 */
static void flush_before_make(struct pt_cursor *cur,
			      const struct pt_config *cfg)
{
	if (cfg->break_before_make &&
	    (cur->flusher.op_count != 0 || cur->flusher.flush_all)) {
		flush_now(cur);
	}
}

/* A leaf with PT_GLOBAL makes the table one whose full flushes drop them. */
static void note_prop(struct pt_cursor *cur, struct pt_prop prop)
{
	if ((prop.flags & PT_GLOBAL) != 0 &&
	    !atomic_load_explicit(&cur->pt->globals, memory_order_relaxed)) {
		atomic_store(&cur->pt->globals, true);
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

/*
 * Unlinks the sub-tree under the table entry @p p (whose slot starts at
 * @p va), marking its nodes stray, and hands it to the flusher. Returns
 * the number of leaves it held.
 */
static uint64_t detach_subtree(struct pt_cursor *cur, const struct pos *p,
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
	uint64_t base = guard_base(cur);

	/* b > last implies b >= 1: b - 1 cannot wrap there. */
	if (b < cur->start || (b > cur->last && b - 1 != cur->last)) {
		return false;
	}
	return span == 0 || b - base <= span - 1;
}

/* Nodes needed to split the leaf holding @p b until @p b is a boundary. */
static unsigned int split_need(struct pt_cursor *cur, uint64_t b)
{
	if (!may_straddle(cur, b)) {
		return 0;
	}
	struct pos p = walk(cur, b, 1);

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

/* Replaces the huge leaf at @p p by a table of 512 smaller leaves. */
static void split_leaf(struct pt_cursor *cur, const struct pos *p, uint64_t va,
		       struct reserve *r)
{
	const struct pt_config *cfg = cfg_of(cur);
	pt_level_t l = p->level - 1;
	paddr_t child = reserve_take(r, l);
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
	replace_entry(cur, p, va, pt_cfg_new_pt(cfg, child, p->level), true);
}

/* Splits until @p b is a leaf boundary (or nothing straddles it). */
static void split_at(struct pt_cursor *cur, uint64_t b, struct reserve *r)
{
	if (!may_straddle(cur, b)) {
		return;
	}
	for (;;) {
		struct pos p = walk(cur, b, 1);

		if (p.type != PT_ENTRY_LEAF || p.level == 1 ||
		    is_aligned(b, pt_page_size(p.level))) {
			return;
		}
		split_leaf(cur, &p, b, r);
	}
}

/* ---------------------------------------------------------------------
 * map.
 * --------------------------------------------------------------------- */

/* True if the table entry @p p has a leaf anywhere below it. */
static bool subtree_has_leaf(struct pt_cursor *cur, const struct pos *p,
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

/*
 * The user-mapping rules of a VmSpace cursor (S1, S6): the framework's
 * PROT_USER is set, PT_GLOBAL and the second software bit are not, and
 * the item is an untyped frame or device memory, never other RAM.
 */
/*
 * The user-mapping rules bind every map and protect on a VmSpace's table,
 * whatever cursor does it: decided by the table, not by a cursor field a
 * caller could clear.
 */
static inline bool user_rules(const struct pt_cursor *cur)
{
	return pt_is_vm_space_table(cur->pt);
}

static bool user_prop_ok(struct pt_prop prop)
{
	return (prop.flags & PROT_USER) != 0 &&
	       (prop.flags & (PT_GLOBAL | PT_AVAIL2)) == 0;
}

static bool user_item_ok(const struct pt_cursor *cur, struct pt_item item,
			 struct pt_prop prop)
{
	(void)cur;
	if (!user_prop_ok(prop)) {
		return false;
	}
	if (item.kind == PT_ITEM_FRAME) {
		return frame_is_untyped(item.pa);
	}
	return !frame_range_is_managed(item.pa, pt_page_size(item.level));
}

/* S5: no kernel mapping is both writable and executable. */
static bool wx_forbidden(const struct pt_config *cfg, struct pt_prop prop)
{
	return !cfg->top_level_can_unmap && (prop.flags & PROT_W) != 0 &&
	       (prop.flags & PROT_X) != 0;
}

static ostd_err_t check_item(const struct pt_config *cfg, struct pt_item item,
			     struct pt_prop prop)
{
	CHECKIF (item.kind != PT_ITEM_FRAME && item.kind != PT_ITEM_UNTRACKED) {
		return OSTD_EINVAL;
	}
	CHECKIF (item.level < 1 ||
		 item.level > cfg->highest_translation_level ||
		 !cfg->level[item.level].leaf_ok) {
		return OSTD_EINVAL;
	}
	CHECKIF ((prop.flags & PT_AVAIL1) != 0) {
		return OSTD_EPERM;
	}
	CHECKIF (wx_forbidden(cfg, prop)) {
		return OSTD_EPERM;
	}
	if (item.kind == PT_ITEM_FRAME) {
		uint64_t ref = frame_refcount(item.pa);

		/* A shared, live frame that is not a page-table node. */
		CHECKIF (item.level != 1 || ref == 0 || ref > FRAME_REF_MAX ||
			 frame_type_of(item.pa) == &frame_type_pt_node) {
			return OSTD_EPERM;
		}
	}
	return OSTD_OK;
}

/*
 * pt_config_leaf_ok() for a cursor. Whether the format can store @p prop
 * depends on nothing else, so the last accepted one is remembered and
 * the next call with it only checks @p pa (the callers have checked
 * @p level), in the same order as pt_config_leaf_ok().
 */
static ostd_err_t leaf_ok(struct pt_cursor *cur, paddr_t pa, pt_level_t level,
			  struct pt_prop prop)
{
	const struct pt_config *cfg = cfg_of(cur);

	if (!cur->prop_ok_valid || !pt_prop_eq(prop, cur->prop_ok)) {
		ostd_err_t err = pt_config_leaf_ok(cfg, pa, level, prop);

		if (err == OSTD_OK) {
			cur->prop_ok = prop;
			cur->prop_ok_valid = true;
		}
		return err;
	}
	CHECKIF (cfg->pa_bits < 64 && (pa_addr(pa) >> cfg->pa_bits) != 0) {
		return OSTD_EINVAL;
	}
	CHECKIF (!is_aligned(pa_addr(pa), pt_page_size(level))) {
		return OSTD_EUNALIGNED;
	}
	return OSTD_OK;
}

/* Everything map() does; pt_cursor_map() tries a shortcut first. */
static NOINLINE ostd_err_t map_slow(struct pt_cursor *cur, struct pt_item item,
				    struct pt_prop prop)
{
	const struct pt_config *cfg = cfg_of(cur);

	CHECKIF (!cur->is_mut) {
		return OSTD_EPERM;
	}
	ostd_err_t err = check_item(cfg, item, prop);

	if (err != OSTD_OK) {
		return err;
	}
	bool tracked = item.kind == PT_ITEM_FRAME;
	struct pt_prop stored = prop;
	uint64_t size = pt_page_size(item.level);

	CHECKIF (user_rules(cur) && !user_item_ok(cur, item, prop)) {
		return OSTD_EPERM;
	}
	stored.flags |= tracked ? PT_AVAIL1 : 0;
	err = leaf_ok(cur, item.pa, item.level, stored);
	if (err != OSTD_OK) {
		return err;
	}
	note_prop(cur, prop);
	CHECKIF (!is_aligned(cur->va, size)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (at_end(cur) || size - 1 > cur->last - cur->va) {
		return OSTD_ERANGE;
	}

	/* Prepare: what is there, and how many nodes are needed. */
	struct pos p = walk(cur, cur->va, item.level);

	/* The common case, an empty slot in a node that exists: no nodes. */
	if (p.type == PT_ENTRY_ABSENT && p.level == item.level) {
		if (tracked && frame_ref_get(item.pa) != OSTD_OK) {
			return OSTD_EPERM;
		}
		flush_before_make(cur, cfg);
		pos_write(cur, &p,
			  pt_cfg_new_page(cfg, item.pa, item.level, stored));
		cur->va += size;
		return OSTD_OK;
	}
	bool replace_empty = false;
	unsigned int need = 0;

	if (p.type == PT_ENTRY_LEAF) {
		return OSTD_EEXIST;
	}
	if (p.type == PT_ENTRY_TABLE) {
		/* An empty table where the leaf goes is not a mapping. */
		if (subtree_has_leaf(cur, &p, cur->va)) {
			return OSTD_EEXIST;
		}
		replace_empty = true;
	} else {
		need = p.level - item.level;
	}
	struct reserve r = { .count = 0 };

	err = reserve_fill(&r, need, true);
	if (err == OSTD_OK && tracked) {
		err = frame_ref_get(item.pa) == OSTD_OK ? OSTD_OK : OSTD_EPERM;
	}
	if (err != OSTD_OK) {
		reserve_release(&r);
		return err;
	}

	/* Commit: nothing below can fail. */
	if (replace_empty) {
		(void)detach_subtree(cur, &p, cur->va);
		p.pte = 0;
		p.type = PT_ENTRY_ABSENT;
	}
	/* A leaf where a table was is a change of block size. */
	flush_before_make(cur, cfg);
	while (p.level > item.level) {
		paddr_t child = reserve_take(&r, p.level - 1);

		pt_write(p.node, p.idx, 0, pt_cfg_new_pt(cfg, child, p.level));
		p.node = child;
		p.level--;
		p.idx = pt_index(cfg, cur->va, p.level);
		if (p.level == 1) {
			/* The next pages will most likely go here too. */
			remember_leaf(cur, child, cur->va);
		}
	}
	pos_write(cur, &p, pt_cfg_new_page(cfg, item.pa, item.level, stored));
	CHECK(r.count == 0);
	cur->va += size;
	return OSTD_OK;
}

/*
 * Arms the fast path for maps like the one that just succeeded: a 4 KiB
 * page of the same kind with the same properties. An untracked page under
 * the user rules must not be managed RAM, which depends on its address:
 * those always take the full path.
 */
static void map_done(struct pt_cursor *cur, struct pt_item item,
		     struct pt_prop prop)
{
	cur->fast_ok = item.level == 1 && pa_addr(cur->leaf) != 0 &&
		       (item.kind == PT_ITEM_FRAME || !user_rules(cur));
	cur->fast_kind = item.kind;
	cur->fast_prop = prop;
}

/* The checks of a tracked frame that depend on the frame (check_item()). */
static bool frame_ok(const struct pt_cursor *cur, paddr_t pa)
{
	const struct frame_type *t = frame_type_of(pa);

	return t != NULL && t != &frame_type_pt_node &&
	       (!user_rules(cur) || t->untyped);
}

ostd_err_t pt_cursor_map(struct pt_cursor *cur, struct pt_item item,
			 struct pt_prop prop)
{
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t pa = pa_addr(item.pa);

	/*
	 * The common case first: a 4 KiB page of the kind and with the
	 * properties of the previous map, into an empty slot of the
	 * remembered node. Everything that does not depend on the addresses
	 * was checked for these properties by that map; anything else,
	 * errors included, takes the full path, which reports them.
	 */
	if (cur->fast_ok && item.kind == cur->fast_kind && item.level == 1 &&
	    pt_prop_eq(prop, cur->fast_prop) && !at_end(cur) &&
	    align_down(cur->va, pt_page_size(2)) == cur->leaf_base &&
	    is_aligned(pa, PAGE_SIZE) &&
	    (cfg->pa_bits >= 64 || (pa >> cfg->pa_bits) == 0)) {
		unsigned int idx = pt_index(cfg, cur->va, 1);
		bool tracked = item.kind == PT_ITEM_FRAME;

		/* A frame's reference is taken last: nothing can fail after. */
		if (READ_ONCE(cur->leaf_ptes[idx]) == 0 &&
		    (!tracked || (frame_ok(cur, item.pa) &&
				  frame_ref_get(item.pa) == OSTD_OK))) {
			struct pt_prop stored = prop;

			stored.flags |= tracked ? PT_AVAIL1 : 0;
			flush_before_make(cur, cfg);
			pt_write_meta(cur->leaf_meta, cur->leaf_ptes, idx, 0,
				      pt_cfg_new_page(cfg, item.pa, 1, stored));
			cur->va += PAGE_SIZE;
			return OSTD_OK;
		}
	}
	ostd_err_t err = map_slow(cur, item, prop);

	if (err == OSTD_OK) {
		map_done(cur, item, prop);
	}
	return err;
}

/* ---------------------------------------------------------------------
 * unmap.
 * --------------------------------------------------------------------- */

/* Root entries of the kernel half are shared forever: never detached. */
static bool may_detach(const struct pt_cursor *cur, pt_level_t level)
{
	const struct pt_config *cfg = cfg_of(cur);

	return level < cfg->nr_levels || cfg->top_level_can_unmap;
}

ostd_err_t pt_cursor_unmap(struct pt_cursor *cur, uint64_t len, uint64_t *count)
{
	const struct pt_config *cfg = cfg_of(cur);

	CHECKIF (!cur->is_mut) {
		return OSTD_EPERM;
	}
	ostd_err_t err = check_len(cur, len);

	if (err != OSTD_OK) {
		return err;
	}
	/* A failed call leaves *count alone: written on success only. */
	if (len == 0) {
		if (count != NULL) {
			*count = 0;
		}
		return OSTD_OK;
	}
	uint64_t last = cur->va + (len - 1);
	struct reserve r = { .count = 0 };

	err = reserve_fill(
		&r, split_need(cur, cur->va) + split_need(cur, last + 1), true);
	if (err != OSTD_OK) {
		reserve_release(&r);
		return err;
	}
	split_at(cur, cur->va, &r);
	split_at(cur, last + 1, &r);
	reserve_release(&r);

	uint64_t removed = 0;
	uint64_t v = cur->va;

	for (;;) {
		struct pos p = { .node = cur->guard,
				 .level = cur->guard_level };
		uint64_t size;

		for (;;) {
			p.idx = pt_index(cfg, v, p.level);
			p.pte = pt_read(p.node, p.idx);
			p.type = pt_cfg_classify(cfg, p.pte, p.level);
			size = pt_page_size(p.level);
			/* A whole sub-tree inside the range goes in one step. */
			if (p.type == PT_ENTRY_TABLE && is_aligned(v, size) &&
			    size - 1 <= last - v && may_detach(cur, p.level)) {
				removed += detach_subtree(cur, &p, v);
				break;
			}
			if (p.type != PT_ENTRY_TABLE) {
				break;
			}
			p.node = pt_cfg_paddr(cfg, p.pte, p.level);
			p.level--;
		}
		if (p.type == PT_ENTRY_LEAF) {
			struct pt_query q = pt_leaf_query_memo(
				cfg, &cur->prop_memo, p.pte, p.level, v);

			/* The splits made every leaf fit the range. */
			CHECK(q.va == v && size - 1 <= last - v);
			pt_write(p.node, p.idx, p.pte, 0);
			removed++;
			if (q.item.kind == PT_ITEM_FRAME) {
				tlb_flusher_issue_with(
					&cur->flusher, range_op(v, size),
					(struct tlb_kept){
						.kind = TLB_KEPT_FRAME,
						.pa = q.item.pa });
			} else {
				tlb_flusher_issue(&cur->flusher,
						  range_op(v, size));
			}
		}
		uint64_t slot = slot_last(v, size);

		if (slot >= last) {
			break;
		}
		v = slot + 1;
	}
	cur->va = last + 1;
	if (count != NULL) {
		*count = removed;
	}
	return OSTD_OK;
}

/* ---------------------------------------------------------------------
 * protect_next.
 * --------------------------------------------------------------------- */

/*
 * Splits the huge leaf holding @p va down to @p target (@p splits levels)
 * and writes @p pte there. Allocates first: OSTD_ENOMEM changes nothing.
 */
static ostd_err_t split_and_write(struct pt_cursor *cur, uint64_t va,
				  unsigned int splits, pte_t pte,
				  pt_level_t target)
{
	struct reserve r = { .count = 0 };
	ostd_err_t err = reserve_fill(&r, splits, true);

	if (err != OSTD_OK) {
		reserve_release(&r);
		return err;
	}
	for (;;) {
		struct pos p = walk(cur, va, 1);

		if (p.level == target) {
			CHECK(p.type == PT_ENTRY_LEAF);
			replace_entry(cur, &p, va, pte, false);
			break;
		}
		split_leaf(cur, &p, va, &r);
	}
	CHECK(r.count == 0);
	return OSTD_OK;
}

ostd_err_t pt_cursor_protect_next(struct pt_cursor *cur, uint64_t len,
				  pt_protect_op op, void *ctx,
				  uint64_t *range_start, uint64_t *range_len)
{
	const struct pt_config *cfg = cfg_of(cur);

	CHECKIF (!cur->is_mut || op == NULL) {
		return cur->is_mut ? OSTD_EINVAL : OSTD_EPERM;
	}
	uint64_t last;
	struct pos leaf;
	uint64_t leaf_va;
	ostd_err_t err = OSTD_OK;

	if (!leaf_at_cursor(cur, len, &last, &leaf, &leaf_va)) {
		err = seek_leaf(cur, len, &last, &leaf, &leaf_va);
	}
	if (err != OSTD_OK) {
		return err;
	}
	/* The piece to change: the largest leaf inside the range. */
	uint64_t lo = MAX(leaf_va, cur->va);
	pt_level_t target = leaf.level;

	while (target > 1 &&
	       (align_down(lo, pt_page_size(target)) < cur->va ||
		pt_page_size(target) - 1 >
			last - align_down(lo, pt_page_size(target)))) {
		target--;
	}
	uint64_t size = pt_page_size(target);
	uint64_t piece_va = align_down(lo, size);
	struct pt_prop old =
		pt_cfg_prop_memo(cfg, &cur->prop_memo, leaf.pte, leaf.level);
	uint32_t tracked = old.flags & PT_AVAIL1;
	struct pt_prop prop = { .flags = old.flags & ~PT_AVAIL1,
				.cache = old.cache };

	op(&prop, ctx);
	CHECKIF ((prop.flags & PT_AVAIL1) != 0 || wx_forbidden(cfg, prop) ||
		 (user_rules(cur) && !user_prop_ok(prop))) {
		return OSTD_EPERM;
	}
	note_prop(cur, prop);
	prop.flags |= tracked;

	pte_t pte;

	/*
	 * The common case: the whole leaf changes, to the properties of the
	 * last leaf this cursor encoded here. attr_memo only ever holds
	 * properties leaf_ok() accepted at that level; the address is the
	 * leaf's own, so its checks hold too. The new entry is the old
	 * address bits under the remembered attribute bits.
	 */
	if (target == leaf.level &&
	    pt_cfg_leaf_rewrite(cfg, &cur->attr_memo, leaf.pte, target, prop,
				&pte)) {
		replace_entry(cur, &leaf, piece_va, pte, false);
	} else {
		paddr_t pa = pa_init(
			pa_addr(pt_cfg_paddr(cfg, leaf.pte, leaf.level)) +
			(piece_va - leaf_va));

		err = leaf_ok(cur, pa, target, prop);
		if (err != OSTD_OK) {
			return OSTD_EPERM;
		}
		pte = pt_cfg_new_page_memo(cfg, &cur->attr_memo, pa, target,
					   prop);
		if (target == leaf.level) {
			/* The whole leaf changes: no split, no second walk. */
			replace_entry(cur, &leaf, piece_va, pte, false);
		} else {
			err = split_and_write(cur, piece_va,
					      leaf.level - target, pte, target);
			if (err != OSTD_OK) {
				return err;
			}
		}
	}
	if (range_start != NULL) {
		*range_start = piece_va;
	}
	if (range_len != NULL) {
		*range_len = size;
	}
	cur->va = piece_va + size;
	return OSTD_OK;
}
