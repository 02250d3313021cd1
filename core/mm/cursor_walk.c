// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: the walk inside the locked sub-tree, the queries
 * built on it, and the node reserves every prepare step fills
 * (cursor_internal.h lists the cursor's files).
 */

#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/* ---------------------------------------------------------------------
 * Node reserves.
 * --------------------------------------------------------------------- */

ostd_err_t cursor_reserve_fill(struct reserve *r, unsigned int need,
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

paddr_t cursor_reserve_take(struct reserve *r, pt_level_t level)
{
	CHECK(r->count > 0);
	paddr_t node = r->nodes[--r->count];

	pt_node_meta(node)->level = (uint8_t)level;
	return node;
}

void cursor_reserve_release(struct reserve *r)
{
	while (r->count > 0) {
		pt_node_free(r->nodes[--r->count]);
	}
}

/* ---------------------------------------------------------------------
 * The walk.
 * --------------------------------------------------------------------- */

/*
 * A walk to the leaf level inside the remembered level-1 node starts
 * there: every entry above it is a table this cursor keeps locked, so
 * the full walk would arrive at the same node.
 */
struct pos cursor_walk(struct pt_cursor *cur, uint64_t va, pt_level_t stop)
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
		 * (as cursor_leaf_at_cursor() and the frees rely on): no codec.
		 */
		p.type = p.pte != 0 ? PT_ENTRY_LEAF : PT_ENTRY_ABSENT;
		return p;
	}
	p = (struct pos){ .node = cur->guard, .level = cur->guard_level };
	for (;;) {
		paddr_t child;

		p.idx = pt_index(cfg, va, p.level);
		p.pte = pt_read(p.node, p.idx);
		if (p.level == 1) {
			/* Only leaves in a level-1 node, as above. */
			p.type = p.pte != 0 ? PT_ENTRY_LEAF : PT_ENTRY_ABSENT;
			remember_leaf(cur, p.node, va);
			return p;
		}
		p.type = pt_cfg_table_child(cfg, p.pte, p.level, &child);
		if (p.level > stop && p.type == PT_ENTRY_TABLE) {
			p.node = child;
			p.level--;
			continue;
		}
		return p;
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
	struct pos p = cursor_walk(cur, cur->va, 1);

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

ostd_err_t cursor_check_len(const struct pt_cursor *cur, uint64_t len)
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
		struct pos p = cursor_walk(cur, v, 1);
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

ostd_err_t cursor_seek_leaf(struct pt_cursor *cur, uint64_t len, uint64_t *last,
			    struct pos *leaf, uint64_t *leaf_va)
{
	ostd_err_t err = cursor_check_len(cur, len);

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

bool cursor_leaf_at_cursor(struct pt_cursor *cur, uint64_t len, uint64_t *last,
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
	ostd_err_t err = cursor_seek_leaf(cur, len, &last, &leaf, &leaf_va);

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
