/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The page-table cursor tests' helpers (test/unit/pt_cursor*_test.c). They
 * return errors or booleans; only test bodies assert.
 *
 * Addresses are relative to the table's managed range, so every format
 * works (Sv39 has a 39-bit space). A cursor's end can never be 2^64 (end
 * 0 counts as reversed), so the highest end any cursor has is TOP_END.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/tlb.h"

#include "ostd/page_table.h"
#include "ostd/pt_config.h"

#include "pt_test_util.h"

#define SZ_2M (PAGE_SIZE << PT_ENTRY_BITS)
#define SZ_1G (SZ_2M << PT_ENTRY_BITS)
/* The highest end a cursor can have: 2^64 itself cannot be represented. */
#define TOP_END ((uint64_t)0 - PAGE_SIZE)

void table_destroy(struct page_table *pt);

/* The end of the highest page a cursor of @p pt can cover. */
uint64_t range_end(const struct page_table *pt);

/* Tries both kinds of cursor over [s, e) and drops any that is created. */
ostd_err_t try_cursor(struct page_table *pt, uint64_t s, uint64_t e);

ostd_err_t map_one(struct page_table *pt, uint64_t va, struct pt_item item,
		   struct pt_prop prop);

/* Maps [va, va + len) to [pa, pa + len), untracked, largest pages first. */
ostd_err_t map_range(struct page_table *pt, uint64_t va, uint64_t pa,
		     uint64_t len, struct pt_prop prop);

/* The leaves map_range() would create at each level. */
void count_largest_pages(const struct pt_config *cfg, uint64_t va, uint64_t pa,
			 uint64_t len, uint64_t n_level[PT_MAX_LEVELS + 1]);

ostd_err_t unmap_range(struct page_table *pt, uint64_t va, uint64_t len,
		       uint64_t *count);

ostd_err_t pt_query_at(struct page_table *pt, uint64_t va, struct pt_query *q);

/* True if @p q is exactly this slot. */
bool slot_is(const struct pt_query *q, uint64_t va, uint64_t size,
	     enum pt_item_kind kind, uint64_t pa, struct pt_prop prop);

/* Queries @p va and checks it against a slot (see slot_is()). */
bool query_is(struct page_table *pt, uint64_t va, uint64_t slot_va,
	      uint64_t size, enum pt_item_kind kind, uint64_t pa,
	      struct pt_prop prop);

bool query_none(struct page_table *pt, uint64_t va);

struct protect_ctx {
	uint32_t clear;
	uint32_t set;
	unsigned int calls;
};

/* The protect_next() callback of a struct protect_ctx. */
void protect_apply(struct pt_prop *prop, void *ctx);

/* Protects every leaf in [va, va + len) with @p c; false on any misstep. */
bool protect_range(struct page_table *pt, uint64_t va, uint64_t len,
		   struct protect_ctx *c);

/* A snapshot of the leaves of a small table. */
#define SNAP_MAX 64

struct snap {
	unsigned int n;
	bool overflow;
	struct pt_query leaves[SNAP_MAX];
};

void snap_take(struct page_table *pt, struct snap *s);

bool snap_eq(const struct snap *a, const struct snap *b);

/* Counts the leaves of a table and checks untracked ones map va - delta. */
struct leaf_walk {
	uint64_t delta;
	uint64_t n;
	uint64_t n_level[PT_MAX_LEVELS + 1];
	uint64_t bad;
};

void walk_take(struct page_table *pt, uint64_t delta, struct leaf_walk *w);

uint64_t check_nodes(struct page_table *pt);

/* True if the flusher's queued work flushes everything. */
bool flush_all_requested(const struct tlb_flusher *f);

/* The user and kernel halves of @p cfg's format ("x", "x-kernel"). */
bool find_pair(const struct pt_config *cfg, const struct pt_config **user,
	       const struct pt_config **kernel);

/* True if @p u's root holds the kernel half of @p k's root, all tables. */
bool root_shares_kernel(const struct page_table *u, const struct page_table *k);
