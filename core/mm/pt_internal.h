/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/* Internals shared by the page-table files of core/mm. */

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"

#include "frame_internal.h"

static inline pte_t *pt_entries(paddr_t node)
{
	return arch_paddr_to_ptr(node);
}

static inline pte_t pt_read(paddr_t node, unsigned int idx)
{
	return READ_ONCE(pt_entries(node)[idx]);
}

/* The VA an entry at @p idx of a node at @p level covering @p base maps. */
static inline uint64_t pt_entry_va(uint64_t base, pt_level_t level,
				   unsigned int idx)
{
	return base + (uint64_t)idx * pt_page_size(level);
}

/*
 * True if @p pt is a VmSpace's own table (vm_space.c, decided by where
 * the table lives): every map and protect on it keeps the user-mapping
 * rules, and pt_cursor_new_mut() refuses it.
 */
bool pt_is_vm_space_table(const struct page_table *pt);

/* pt_cursor_new_mut() for the framework: also over a VmSpace's table. */
WARN_UNUSED ostd_err_t pt_cursor_new_mut_internal(struct page_table *pt,
						  uint64_t start, uint64_t end,
						  struct pt_cursor *out);

/* Node allocation: zeroed (all absent), typed, optionally born locked. */
ostd_err_t pt_node_alloc(pt_level_t level, bool locked, paddr_t *out);
void pt_node_free(paddr_t node);
void pt_node_lock(paddr_t node);
void pt_node_unlock(paddr_t node);
/* The same, for a caller that has the node's metadata at hand. */
void pt_meta_lock(struct pt_node_meta *m);
void pt_meta_unlock(struct pt_node_meta *m);

/*
 * Writes entry @p idx of a node (its metadata @p m, its entries @p ptes)
 * from @p old to @p pte and keeps the node's child count.
 */
static inline void pt_write_meta(struct pt_node_meta *m, pte_t *ptes,
				 unsigned int idx, pte_t old, pte_t pte)
{
	if (old == 0 && pte != 0) {
		CHECK(m->nr_children < PT_ENTRIES);
		m->nr_children++;
	} else if (old != 0 && pte == 0) {
		CHECK(m->nr_children > 0);
		m->nr_children--;
	}
	WRITE_ONCE(ptes[idx], pte);
}

/* Writes an entry and keeps the node's child count. */
void pt_write(paddr_t node, unsigned int idx, pte_t old, pte_t pte);

/*
 * An iterative depth-first walk (no recursion: clang-tidy misc-no-recursion
 * and a bounded kernel stack). Visits the entries of @p node that cover
 * [lo, hi] in address order.
 */
struct pt_dfs_ops {
	/* An entry: return true to descend into a table entry. */
	bool (*entry)(void *ctx, paddr_t node, pt_level_t level,
		      unsigned int idx, pte_t pte, uint64_t va);
	/* After all of a node's visited entries (post-order). */
	void (*leave)(void *ctx, paddr_t node, pt_level_t level);
};

void pt_dfs(const struct pt_config *cfg, paddr_t node, pt_level_t level,
	    uint64_t base, uint64_t lo, uint64_t hi,
	    const struct pt_dfs_ops *ops, void *ctx);

/* Frees a detached sub-tree: drops tracked references, frees nodes. */
void pt_subtree_free(const struct pt_config *cfg, paddr_t node,
		     pt_level_t level);

/*
 * Makes every CPU's guard hint (cursor_lock.c) stale: called before any
 * node that a cursor may have locked as its guard can be freed.
 */
void pt_guard_hints_forget(void);

/* Hands a detached sub-tree to RCU, which frees it after a grace period. */
void pt_rcu_retire(const struct pt_config *cfg, paddr_t node, pt_level_t level);

/*
 * A leaf entry as query() reports it (PT_AVAIL1 turned into the kind),
 * its properties decoded through @p memo.
 */
static inline struct pt_query pt_leaf_query_memo(const struct pt_config *cfg,
						 struct pt_prop_memo *memo,
						 pte_t pte, pt_level_t level,
						 uint64_t va)
{
	struct pt_prop prop = pt_cfg_prop_memo(cfg, memo, pte, level);
	bool tracked = (prop.flags & PT_AVAIL1) != 0;

	prop.flags &= ~PT_AVAIL1;
	return (struct pt_query){
		.va = va,
		.size = pt_page_size(level),
		.item = { .kind = tracked ? PT_ITEM_FRAME : PT_ITEM_UNTRACKED,
			  .pa = pt_cfg_leaf_paddr(cfg, pte, level),
			  .level = level },
		.prop = prop,
	};
}

/* The same without a memo. */
struct pt_query pt_leaf_query(const struct pt_config *cfg, pte_t pte,
			      pt_level_t level, uint64_t va);

/* The config of the table a flusher belongs to. */
static inline const struct pt_config *pt_cfg(const struct page_table *pt)
{
	return pt->cfg;
}
