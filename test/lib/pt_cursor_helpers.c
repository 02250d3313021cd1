// SPDX-License-Identifier: MPL-2.0
/*
 * The page-table cursor tests' helpers (pt_cursor_helpers.h). Cursors and
 * snapshots are static: a cursor is several KiB and a kernel image runs
 * its tests on a small boot stack.
 */

#include "pt_cursor_helpers.h"

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/string.h"

/* The helpers' cursor (each test file has its own). */
static struct pt_cursor hcur;
/* ---------------------------------------------------------------------
 * Helpers. They return errors or booleans; only test bodies assert.
 * --------------------------------------------------------------------- */

void table_destroy(struct page_table *pt)
{
	page_table_destroy(pt);
	pt_rcu_barrier();
}

uint64_t range_end(const struct page_table *pt)
{
	return pt->va_last == UINT64_MAX ? TOP_END : pt->va_last + 1;
}

ostd_err_t try_cursor(struct page_table *pt, uint64_t s, uint64_t e)
{
	ostd_err_t a = pt_cursor_new(pt, s, e, &hcur);

	if (a == OSTD_OK) {
		pt_cursor_drop(&hcur);
	}
	ostd_err_t b = pt_cursor_new_mut(pt, s, e, &hcur);

	if (b == OSTD_OK) {
		pt_cursor_drop(&hcur);
	}
	/* OSTD_ERR_COUNT: the two kinds disagree. */
	return a == b ? a : OSTD_ERR_COUNT;
}

ostd_err_t map_one(struct page_table *pt, uint64_t va, struct pt_item item,
		   struct pt_prop prop)
{
	ostd_err_t err =
		pt_cursor_new_mut(pt, va, va + pt_page_size(item.level), &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_map(&hcur, item, prop);
	pt_cursor_drop(&hcur);
	return err;
}

ostd_err_t map_range(struct page_table *pt, uint64_t va, uint64_t pa,
		     uint64_t len, struct pt_prop prop)
{
	ostd_err_t err = pt_cursor_new_mut(pt, va, va + len, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	for (uint64_t off = 0; off < len && err == OSTD_OK;) {
		pt_level_t l = pt_config_largest_pages(
			pt->cfg, va + off, pa_init(pa + off), len - off);

		if (l == 0) {
			err = OSTD_EINVAL;
			break;
		}
		err = pt_cursor_map(
			&hcur, pt_item_untracked(pa_init(pa + off), l), prop);
		off += pt_page_size(l);
	}
	pt_cursor_drop(&hcur);
	return err;
}

void count_largest_pages(const struct pt_config *cfg, uint64_t va, uint64_t pa,
			 uint64_t len, uint64_t n_level[PT_MAX_LEVELS + 1])
{
	for (uint64_t off = 0; off < len;) {
		pt_level_t l = pt_config_largest_pages(
			cfg, va + off, pa_init(pa + off), len - off);

		if (l == 0) {
			return;
		}
		n_level[l]++;
		off += pt_page_size(l);
	}
}

ostd_err_t unmap_range(struct page_table *pt, uint64_t va, uint64_t len,
		       uint64_t *count)
{
	ostd_err_t err = pt_cursor_new_mut(pt, va, va + len, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_unmap(&hcur, len, count);
	pt_cursor_drop(&hcur);
	return err;
}

ostd_err_t pt_query_at(struct page_table *pt, uint64_t va, struct pt_query *q)
{
	ostd_err_t err = pt_cursor_new(pt, va, va + PAGE_SIZE, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_query(&hcur, q);
	pt_cursor_drop(&hcur);
	return err;
}

bool slot_is(const struct pt_query *q, uint64_t va, uint64_t size,
	     enum pt_item_kind kind, uint64_t pa, struct pt_prop prop)
{
	pt_level_t level = 1;

	while (pt_page_size(level) < size && level < PT_MAX_LEVELS) {
		level++;
	}
	return q->va == va && q->size == size && q->item.kind == kind &&
	       pa_addr(q->item.pa) == pa && q->item.level == level &&
	       pt_prop_eq(q->prop, prop);
}

bool query_is(struct page_table *pt, uint64_t va, uint64_t slot_va,
	      uint64_t size, enum pt_item_kind kind, uint64_t pa,
	      struct pt_prop prop)
{
	struct pt_query q;

	return pt_query_at(pt, va, &q) == OSTD_OK &&
	       slot_is(&q, slot_va, size, kind, pa, prop);
}

bool query_none(struct page_table *pt, uint64_t va)
{
	struct pt_query q;

	return pt_query_at(pt, va, &q) == OSTD_OK &&
	       q.item.kind == PT_ITEM_NONE;
}

void protect_apply(struct pt_prop *prop, void *ctx)
{
	struct protect_ctx *c = ctx;

	prop->flags = (prop->flags & ~c->clear) | c->set;
	c->calls++;
}

bool protect_range(struct page_table *pt, uint64_t va, uint64_t len,
		   struct protect_ctx *c)
{
	uint64_t end = va + len;
	bool ok = true;

	if (pt_cursor_new_mut(pt, va, end, &hcur) != OSTD_OK) {
		return false;
	}
	for (;;) {
		uint64_t rs = 0;
		uint64_t rl = 0;
		ostd_err_t err =
			pt_cursor_protect_next(&hcur, end - pt_cursor_va(&hcur),
					       protect_apply, c, &rs, &rl);

		if (err == OSTD_ENOENT) {
			break;
		}
		/* Every leaf changed lies inside the range (splits at ends). */
		if (err != OSTD_OK || rs < va || rl == 0 || rs + rl > end) {
			ok = false;
			break;
		}
	}
	tlb_flusher_issue(
		pt_cursor_flusher(&hcur),
		(struct tlb_op){ .kind = TLB_OP_RANGE, .va = va, .len = len });
	pt_cursor_drop(&hcur);
	return ok;
}

static void snap_visit(const struct pt_query *leaf, void *ctx)
{
	struct snap *s = ctx;

	if (s->n == SNAP_MAX) {
		s->overflow = true;
		return;
	}
	s->leaves[s->n++] = *leaf;
}

void snap_take(struct page_table *pt, struct snap *s)
{
	s->n = 0;
	s->overflow = false;
	pt_for_each_leaf(pt, snap_visit, s);
}

bool snap_eq(const struct snap *a, const struct snap *b)
{
	if (a->overflow || b->overflow || a->n != b->n) {
		return false;
	}
	for (unsigned int i = 0; i < a->n; i++) {
		const struct pt_query *x = &a->leaves[i];
		const struct pt_query *y = &b->leaves[i];

		if (x->va != y->va || x->size != y->size ||
		    x->item.kind != y->item.kind ||
		    pa_addr(x->item.pa) != pa_addr(y->item.pa) ||
		    x->item.level != y->item.level ||
		    !pt_prop_eq(x->prop, y->prop)) {
			return false;
		}
	}
	return true;
}

static void walk_visit(const struct pt_query *leaf, void *ctx)
{
	struct leaf_walk *w = ctx;

	w->n++;
	if (leaf->item.level >= 1 && leaf->item.level <= PT_MAX_LEVELS) {
		w->n_level[leaf->item.level]++;
	}
	if (leaf->item.kind != PT_ITEM_UNTRACKED ||
	    leaf->size != pt_page_size(leaf->item.level) ||
	    pa_addr(leaf->item.pa) != leaf->va - w->delta ||
	    (leaf->prop.flags & PT_AVAIL1) != 0) {
		w->bad++;
	}
}

void walk_take(struct page_table *pt, uint64_t delta, struct leaf_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->delta = delta;
	pt_for_each_leaf(pt, walk_visit, w);
}

uint64_t check_nodes(struct page_table *pt)
{
	struct pt_check_stats st;

	if (pt_check(pt, &st) != OSTD_OK) {
		return UINT64_MAX;
	}
	return st.nodes;
}

bool flush_all_requested(const struct tlb_flusher *f)
{
	if (f->flush_all) {
		return true;
	}
	for (unsigned int i = 0; i < f->op_count; i++) {
		if (f->ops[i].kind == TLB_OP_ALL) {
			return true;
		}
	}
	return false;
}

bool find_pair(const struct pt_config *cfg, const struct pt_config **user,
	       const struct pt_config **kernel)
{
	bool is_user = cfg->top_level_can_unmap;

	*user = is_user ? cfg : pt_test_user_twin(cfg);
	*kernel = is_user ? pt_test_kernel_twin(cfg) : cfg;
	return *user != NULL && *kernel != NULL;
}

bool root_shares_kernel(const struct page_table *u, const struct page_table *k)
{
	const pte_t *ur = arch_paddr_to_ptr(u->root);
	const pte_t *kr = arch_paddr_to_ptr(k->root);
	const struct pt_config *kc = k->cfg;

	for (unsigned int i = kc->top_index_first; i <= kc->top_index_last;
	     i++) {
		if (ur[i] != kr[i] ||
		    kc->classify(kc, kr[i], kc->nr_levels) != PT_ENTRY_TABLE) {
			return false;
		}
	}
	return true;
}
