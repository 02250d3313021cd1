/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Internals shared by the page-table cursor files (DESIGN.md §4;
 * semantics after OSTD and vostd's CursorView specs):
 *
 *   cursor_lock.c     creation: finding and locking the guard; drop
 *   cursor_walk.c     the walk inside the locked sub-tree, queries,
 *                     node reserves
 *   cursor_edit.c     the edits every mutation commits with: break-
 *                     before-make, detaching a sub-tree, splitting a leaf
 *   cursor_map.c      map, with its fast path; batches of 4 KiB pages
 *   cursor_unmap.c    unmap
 *   cursor_protect.c  protect_next, protect_mask
 *
 * Prepare, then commit (Hafnium mm_ptable_prepare/commit; seL4
 * decode/perform). Every mutation is a plan struct filled by a prepare
 * function, which validates, counts the nodes the change needs and
 * allocates all of them and may fail with nothing visible changed, and a
 * commit function that returns void and cannot fail. An error, including
 * running out of memory, leaves the mapping set as it was.
 */

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

/* Allocates until @p r holds @p need nodes (born locked if @p locked). */
WARN_UNUSED ostd_err_t cursor_reserve_fill(struct reserve *r, unsigned int need,
					   bool locked);
/* Takes a node of @p r, typed as a node of @p level. */
paddr_t cursor_reserve_take(struct reserve *r, pt_level_t level);
/* Frees what @p r still holds. */
void cursor_reserve_release(struct reserve *r);

/* ---------------------------------------------------------------------
 * Geometry.
 * --------------------------------------------------------------------- */

static inline const struct pt_config *cfg_of(const struct pt_cursor *cur)
{
	return cur->pt->cfg;
}

/* The last byte of the slot of @p size (a power of two) holding @p va. */
static inline uint64_t slot_last(uint64_t va, uint64_t size)
{
	return align_down(va, size) + (size - 1);
}

static inline bool at_end(const struct pt_cursor *cur)
{
	return cur->va > cur->last;
}

/* Bytes from the cursor to the end of its range (0 at the end). */
static inline uint64_t remaining(const struct pt_cursor *cur)
{
	return at_end(cur) ? 0 : cur->last - cur->va + 1;
}

/* The VA of the first byte the guard node covers. */
uint64_t cursor_guard_base(const struct pt_cursor *cur);

/* ---------------------------------------------------------------------
 * Walking inside the locked sub-tree (cursor_walk.c).
 * --------------------------------------------------------------------- */

/* An entry the walk stopped at. */
struct pos {
	paddr_t node;
	pt_level_t level;
	unsigned int idx;
	pte_t pte;
	enum pt_entry_type type;
};

/* Makes the level-1 node @p node, which maps @p va, the cursor's shortcut. */
static inline void remember_leaf(struct pt_cursor *cur, paddr_t node,
				 uint64_t va)
{
	cur->leaf = node;
	cur->leaf_base = align_down(va, pt_page_size(2));
	cur->leaf_ptes = pt_entries(node);
	cur->leaf_meta = pt_node_meta(node);
}

/*
 * Descends from the guard towards @p va through tables, down to @p stop,
 * and reports the entry it stopped at: a leaf or an absent entry at any
 * level down to @p stop, or a table at @p stop.
 */
struct pos cursor_walk(struct pt_cursor *cur, uint64_t va, pt_level_t stop);

/* Writes the entry at @p p; the remembered node's metadata is at hand. */
static inline void pos_write(struct pt_cursor *cur, const struct pos *p,
			     pte_t pte)
{
	if (pa_addr(p->node) == pa_addr(cur->leaf)) {
		pt_write_meta(cur->leaf_meta, cur->leaf_ptes, p->idx, p->pte,
			      pte);
	} else {
		pt_write(p->node, p->idx, p->pte, pte);
	}
}

/* Validates a length argument of find_next/unmap/protect_next/_mask. */
WARN_UNUSED ostd_err_t cursor_check_len(const struct pt_cursor *cur,
					uint64_t len);

/*
 * The shared start of find_next and protect_next: validates @p len and
 * finds the first leaf meeting [va, va + len); with none, the cursor moves
 * to va + len and the result is OSTD_ENOENT.
 */
WARN_UNUSED ostd_err_t cursor_seek_leaf(struct pt_cursor *cur, uint64_t len,
					uint64_t *last, struct pos *leaf,
					uint64_t *leaf_va);

/*
 * cursor_seek_leaf()'s common case without the walk: a valid @p len and a
 * 4 KiB leaf right at the cursor, in the remembered node (where every
 * non-zero entry is a leaf). False if that is not the case; nothing is
 * changed.
 */
bool cursor_leaf_at_cursor(struct pt_cursor *cur, uint64_t len, uint64_t *last,
			   struct pos *leaf, uint64_t *leaf_va);

/* ---------------------------------------------------------------------
 * Edits a commit is made of (cursor_edit.c). None of them can fail.
 * --------------------------------------------------------------------- */

static inline struct tlb_op range_op(uint64_t va, uint64_t size)
{
	if (size == PAGE_SIZE) {
		return (struct tlb_op){ .kind = TLB_OP_PAGE, .va = va };
	}
	return (struct tlb_op){ .kind = TLB_OP_RANGE, .va = va, .len = size };
}

/* Dispatches and syncs the cursor's flusher now. */
void cursor_flush_now(struct pt_cursor *cur);

/*
 * Break-before-make's flush for slots this cursor emptied: an unmap or a
 * detach only queues its flush, so a slot it emptied may still be cached
 * with its old translation (of another address or block size). On a
 * format that needs break-before-make nothing valid is made in such a slot
 * before that flush is done; with nothing queued this is one test. Which
 * queued range holds the slot does not matter: flushing early is always
 * correct.
 */
static inline void flush_before_make(struct pt_cursor *cur,
				     const struct pt_config *cfg)
{
	if (cfg->break_before_make &&
	    (cur->flusher.op_count != 0 || cur->flusher.flush_all)) {
		cursor_flush_now(cur);
	}
}

/*
 * The one path that overwrites a valid entry with a valid one (a split's
 * table over a block, protect's new leaf over the old), break-before-make
 * where the format needs it. With @p flush the slot's flush is queued for
 * what the old entry left in TLBs and walk caches.
 */
void cursor_replace_entry(struct pt_cursor *cur, const struct pos *p,
			  uint64_t va, pte_t pte, bool flush);

/* A leaf with PT_GLOBAL makes the table one whose full flushes drop them. */
static inline void note_prop(struct pt_cursor *cur, struct pt_prop prop)
{
	if ((prop.flags & PT_GLOBAL) != 0 &&
	    !atomic_load_explicit(&cur->pt->globals, memory_order_relaxed)) {
		atomic_store(&cur->pt->globals, true);
	}
}

/*
 * Unlinks the sub-tree under the table entry @p p (whose slot starts at
 * @p va), marking its nodes stray, and hands it to the flusher. Returns
 * the number of leaves it held.
 */
uint64_t cursor_detach_subtree(struct pt_cursor *cur, const struct pos *p,
			       uint64_t va);

/* True if the table entry @p p has a leaf anywhere below it. */
bool cursor_subtree_has_leaf(struct pt_cursor *cur, const struct pos *p,
			     uint64_t va);

/* Nodes needed to split the leaf holding @p b until @p b is a boundary. */
unsigned int cursor_split_need(struct pt_cursor *cur, uint64_t b);

/* Replaces the huge leaf at @p p by a table of 512 smaller leaves. */
void cursor_split_leaf(struct pt_cursor *cur, const struct pos *p, uint64_t va,
		       struct reserve *r);

/* Splits until @p b is a leaf boundary (or nothing straddles it). */
void cursor_split_at(struct pt_cursor *cur, uint64_t b, struct reserve *r);

/*
 * Fills @p r with the nodes the splits at both ends of [va, @p last] need
 * (unmap and protect_mask split only there); on error @p r is empty.
 */
WARN_UNUSED ostd_err_t cursor_reserve_ends(struct pt_cursor *cur, uint64_t last,
					   struct reserve *r);

/* Makes both ends of [va, @p last] leaf boundaries and empties @p r. */
void cursor_split_ends(struct pt_cursor *cur, uint64_t last, struct reserve *r);

/* ---------------------------------------------------------------------
 * Rules every map and protect keeps (cursor_map.c).
 * --------------------------------------------------------------------- */

/*
 * The user-mapping rules (S1, S6) bind every map and protect on a
 * VmSpace's table, whatever cursor does it: decided by the table, not by
 * a cursor field a caller could clear.
 */
static inline bool user_rules(const struct pt_cursor *cur)
{
	return pt_is_vm_space_table(cur->pt);
}

/*
 * The properties a user mapping may have: the framework's PROT_USER is
 * set, PT_GLOBAL and the second software bit are not.
 */
static inline bool user_prop_ok(struct pt_prop prop)
{
	return (prop.flags & PROT_USER) != 0 &&
	       (prop.flags & (PT_GLOBAL | PT_AVAIL2)) == 0;
}

/* S5: no kernel mapping is both writable and executable. */
static inline bool wx_forbidden(const struct pt_config *cfg,
				struct pt_prop prop)
{
	return !cfg->top_level_can_unmap && (prop.flags & PROT_W) != 0 &&
	       (prop.flags & PROT_X) != 0;
}

/*
 * pt_config_leaf_ok() for a cursor, remembering the last properties it
 * accepted.
 */
WARN_UNUSED ostd_err_t cursor_leaf_ok(struct pt_cursor *cur, paddr_t pa,
				      pt_level_t level, struct pt_prop prop);
