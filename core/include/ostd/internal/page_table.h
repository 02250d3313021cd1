/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Framework internals of the page table (DESIGN.md §1): how a table is
 * made and destroyed, node metadata, the raw cursor's constructors and
 * the checker. Used by core/, the ports' kernel tables, tests and
 * benchmarks; never by a kernel author. The kernel-author headers
 * (README, "Headers") reach page tables only through VmSpace, whose
 * cursor keeps the user-mapping rules; the header-set check in
 * ./ostd test proves none of them includes this file.
 */

#include "ostd/page_table.h"

/* The node metadata kept in a frame's storage area. */
struct pt_node_meta {
	uint8_t level;
	_Atomic bool stray; /* Detached: walkers that find it retry. */
	atomic_bool lock;
	uint16_t nr_children; /* Non-absent entries. */
	/* RCU bookkeeping once retired. */
	uint8_t rcu_cfg;
	uint64_t rcu_gen;
	paddr_t rcu_next;
};

/** The node metadata of the page-table node at @p pa. */
struct pt_node_meta *pt_node_meta(paddr_t pa);

/**
 * Creates a kernel page table for @p cfg (a kernel-half config): a root
 * and, pre-allocated, one child for every root index in the config's
 * range, which every user table shares and no cursor may ever unmap.
 *
 * @retval OSTD_EINVAL @p cfg is not a kernel config (top_level_can_unmap).
 * @retval OSTD_ENOMEM Out of memory; nothing is left allocated.
 */
WARN_UNUSED ostd_err_t page_table_new_kernel(const struct pt_config *cfg,
					     struct page_table *out);

/**
 * Creates a user page table for @p cfg whose root shares the root entries
 * of @p kernel (may be NULL for a standalone table).
 *
 * @retval OSTD_EINVAL @p cfg is not a user config, or @p kernel's
 *         format's levels differ.
 * @retval OSTD_ENOMEM Out of memory.
 */
WARN_UNUSED ostd_err_t page_table_new_user(const struct pt_config *cfg,
					   struct page_table *kernel,
					   struct page_table *out);

/**
 * Frees the table: every node, and the reference of every tracked mapping
 * in its managed range. The caller guarantees no CPU has it active and no
 * TLB caches its translations (the VmSpace flushes before this).
 */
void page_table_destroy(struct page_table *pt);

/**
 * Creates a read cursor over [@p start, @p end).
 *
 * When a range breaks several rules, the first applies in this order:
 * empty or reversed, unaligned, out of range. `end` is exclusive and
 * cannot be 2^64, so the very last page of the kernel half is never
 * covered by a cursor (and never mapped).
 *
 * @retval OSTD_EINVAL The range is empty or reversed (end == 0 counts as
 *         reversed: it cannot be represented).
 * @retval OSTD_EUNALIGNED @p start or @p end is not page aligned.
 * @retval OSTD_ERANGE The range is outside the table's managed range
 *         (including non-canonical and the other half).
 * @retval OSTD_ENOMEM Intermediate nodes could not be allocated.
 */
WARN_UNUSED ostd_err_t pt_cursor_new(struct page_table *pt, uint64_t start,
				     uint64_t end, struct pt_cursor *out);

/** Like pt_cursor_new(), for a cursor that may change mappings. */
WARN_UNUSED ostd_err_t pt_cursor_new_mut(struct page_table *pt, uint64_t start,
					 uint64_t end, struct pt_cursor *out);

/* ---------------------------------------------------------------------
 * Checking (tests and debug builds).
 * --------------------------------------------------------------------- */

/** Statistics the checker gathers. */
struct pt_check_stats {
	uint64_t nodes;
	uint64_t leaves;
	uint64_t tracked_leaves;
};

/**
 * Checks the structure of @p pt: child counts, levels, leaf rules, that
 * every table entry points to a PT node one level down, that nodes are
 * not stray, and (kernel tables) no W+X leaf.
 *
 * @retval OSTD_OK Sound. Otherwise the first violation is printed.
 */
WARN_UNUSED ostd_err_t pt_check(struct page_table *pt,
				struct pt_check_stats *stats);

/**
 * Visits every leaf of @p pt in its managed range, in address order.
 * The caller must make sure no cursor changes the table meanwhile.
 */
void pt_for_each_leaf(struct page_table *pt,
		      void (*fn)(const struct pt_query *leaf, void *ctx),
		      void *ctx);
