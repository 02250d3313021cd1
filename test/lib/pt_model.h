/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * A reference model of a page table and one cursor over it (DESIGN.md §4,
 * TESTING.md "Model-based randomized testing"): a C port of vostd's
 * CursorView, which sees a page table as a set of mappings
 * {va, pa, page size, property} and a cursor as an address.
 *
 * The model knows nothing about nodes. It is a sorted array of disjoint
 * mappings, and every cursor operation is written as vostd writes its
 * spec function:
 *
 * - split_while_huge(addr): while the mapping containing addr starts below
 *   it, replace that mapping by 512 pages one level down (same prop,
 *   consecutive pa). Afterwards addr is a mapping boundary.
 * - map_spec: an item whose range overlaps any mapping is "already mapped"
 *   (OSTD_EEXIST; DESIGN.md §4 makes that an error where vostd replaces).
 * - unmap_spec: split at both ends, remove every mapping starting inside;
 *   the count is taken after the splits.
 * - protect_mask (no vostd spec): every mapping in the range, split at both
 *   ends as unmap_spec splits, gets the masks; one illegal result refuses
 *   the whole call (OSTD_EPERM) with nothing changed.
 * - protect_spec: the first mapping overlapping the range is split while it
 *   sticks out of the range (split_while_huge at max(cursor, its start)
 *   until the piece there fits below the range end), and the op changes
 *   that piece; the cursor moves past it. An op making the prop illegal
 *   changes nothing (OSTD_EPERM).
 * - find_next_spec, jump_spec and query as the header documents them.
 *
 * Where vostd and the header differ, the model follows the header (and
 * OSTD's code): vostd's unmap_spec splits both ends all the way down to
 * 4 KiB and its map_spec replaces what is there; its find_next_spec only
 * sees mappings that start inside the range, where find_next() also finds
 * a huge page that began below the cursor (reporting the cursor address).
 *
 * Errors follow core/include/ostd/page_table.h. Where several error
 * conditions hold at once the header fixes which one wins only for cursor
 * creation, so the other operations report the set of errors they would
 * accept.
 *
 * Plain C for both test images: no allocation (a fixed array of
 * PT_MODEL_CAP mappings), ostd_printf() for output.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/err.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"

/*
 * The model's capacity in mappings. A split of a 1 GiB page adds 511; a
 * test keeps well below the capacity (pt_model_count()) and the model
 * reports overflow rather than corrupting itself. The host has room to
 * spare; a kernel image's test memory is smaller.
 */
#ifdef UNIT_TESTING
#define PT_MODEL_CAP 65536U
#else
#define PT_MODEL_CAP 8192U
#endif

/* The bit of @p err in an error set. */
#define PT_MODEL_ERR(err) (1U << (unsigned int)(err))

struct pt_model_map {
	uint64_t va;
	uint64_t pa;
	struct pt_prop prop;
	uint8_t level;          /* The leaf level: size pt_page_size(). */
	enum pt_item_kind kind; /* PT_ITEM_FRAME or PT_ITEM_UNTRACKED. */
};

struct pt_model {
	const struct pt_config *cfg;
	/* The table's managed range, inclusive (struct page_table). */
	uint64_t va_start;
	uint64_t va_last;
	/* The cursor: [start, end) with end > start, and its address. */
	bool has_cursor;
	bool is_mut;
	uint64_t start;
	uint64_t end;
	uint64_t cur;
	/* Set once an operation needed more than PT_MODEL_CAP mappings. */
	bool overflow;
	/* The comparisons print nothing (while a test shrinks a failure). */
	bool quiet;
	unsigned int count;
	unsigned int tracked;
	struct pt_model_map maps[PT_MODEL_CAP];
};

/* The result of one model operation. */
struct pt_model_res {
	/* The error the header's order of checks gives (OSTD_OK if none). */
	ostd_err_t err;
	/* Every error the implementation may return instead. */
	uint32_t ok_errs;
	/* Map, unmap, protect: the address range the state changed in,
	 * inclusive; empty if lo > last. */
	uint64_t lo;
	uint64_t last;
	/* unmap: mappings removed. find_next: the address found.
	 * protect: the leaf's range. */
	uint64_t count;
	uint64_t found;
	uint64_t range_start;
	uint64_t range_len;
	/* query. */
	struct pt_query query;
};

/** Empties @p m for a table of @p cfg over [@p va_start, @p va_last]. */
void pt_model_init(struct pt_model *m, const struct pt_config *cfg,
		   uint64_t va_start, uint64_t va_last);

/** Forgets every mapping (after page_table_destroy()). The cursor goes. */
void pt_model_clear(struct pt_model *m);

/** Mappings in the model. */
static inline unsigned int pt_model_count(const struct pt_model *m)
{
	return m->count;
}

/** Tracked mappings in the model. */
static inline unsigned int pt_model_tracked(const struct pt_model *m)
{
	return m->tracked;
}

/**
 * The index of the first mapping that ends at or above @p va (count if
 * none): maps[index] contains @p va or is the next one above it.
 */
unsigned int pt_model_lookup(const struct pt_model *m, uint64_t va);

/** pt_cursor_new()/_new_mut(): on success the model's cursor is there. */
struct pt_model_res pt_model_cursor_new(struct pt_model *m, uint64_t start,
					uint64_t end, bool is_mut);

/** pt_cursor_drop(). */
void pt_model_cursor_drop(struct pt_model *m);

struct pt_model_res pt_model_query(struct pt_model *m);
struct pt_model_res pt_model_find_next(struct pt_model *m, uint64_t len);
struct pt_model_res pt_model_jump(struct pt_model *m, uint64_t va);
struct pt_model_res pt_model_map(struct pt_model *m, struct pt_item item,
				 struct pt_prop prop);
struct pt_model_res pt_model_unmap(struct pt_model *m, uint64_t len);
struct pt_model_res pt_model_protect_next(struct pt_model *m, uint64_t len,
					  pt_protect_op op, void *ctx);

/**
 * pt_cursor_protect_mask(): split at both ends, then every mapping inside
 * gets (flags & ~@p clear) | @p set, the count taken after the splits. If
 * any mapping's new prop is illegal (or W+X in a kernel table), nothing
 * changes (OSTD_EPERM).
 */
struct pt_model_res pt_model_protect_mask(struct pt_model *m, uint64_t len,
					  uint32_t set, uint32_t clear);

/**
 * The mapping protect_next(@p len) would change, before any split, or NULL
 * (also when the arguments are bad). Its prop is what the op will see:
 * splits keep it.
 */
const struct pt_model_map *pt_model_protect_peek(const struct pt_model *m,
						 uint64_t len);

/**
 * Compares every leaf of @p pt (pt_for_each_leaf(), the core's walker)
 * with the model.
 *
 * @return true if they agree. Otherwise the first difference is printed.
 */
bool pt_model_compare_all(const struct pt_model *m, struct page_table *pt);

/**
 * Compares the leaves of @p pt overlapping [lo, last] with the model's. It
 * reads the table with its own walker (the config's codec only), so it
 * costs the nodes in the range, not the whole table.
 *
 * @return true if they agree. Otherwise the first difference is printed.
 */
bool pt_model_compare_range(const struct pt_model *m, struct page_table *pt,
			    uint64_t lo, uint64_t last);

/** Prints the model's mappings, merging runs of adjacent equal pages. */
void pt_model_dump(const struct pt_model *m);
