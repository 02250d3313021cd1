// SPDX-License-Identifier: MPL-2.0
/*
 * Exhaustive fail-nth fault injection of the page-table cursors
 * (TESTING.md "Fault injection (FI)"), for every page-table format.
 *
 * Each scenario prepares a table, then runs one operation: creating a
 * mutable cursor over its range, the cursor calls, and dropping it. A
 * first run counts the frame allocations n the operation makes; then for
 * k = 1..n the operation runs again on a fresh identical table with the
 * k-th allocation failing. It must return exactly OSTD_ENOMEM and leave
 * the leaves exactly as they were, the frames in use as they were (before
 * the cursor if the cursor could not be made, else as the cursor left
 * them: the nodes a cursor creates to lock its range are structure, not
 * mappings), pt_check() happy and any tracked frame with the test's
 * reference only. A retry without injection then succeeds and leaves
 * exactly the leaves the first run did.
 */

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"

#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

/* Untracked memory far above any frame. */
#define FI_PA (1ULL << 40)

/* ---------------------------------------------------------------------
 * Leaf snapshots.
 * --------------------------------------------------------------------- */

/* A 1 GiB page split for protect leaves 1023 leaves. */
#define FI_MAX_LEAVES 2048U

struct leafset {
	unsigned int n;
	bool overflow;
	/* A tracked scenario's frame: reported as FI_FRAME_PA, since every
	 * run allocates its own. */
	paddr_t frame;
	struct pt_query q[FI_MAX_LEAVES];
};

#define FI_FRAME_PA 0x1000ULL

static struct leafset pre_leaves;
static struct leafset ref_leaves;
static struct leafset now_leaves;

static void add_leaf(const struct pt_query *leaf, void *ctx)
{
	struct leafset *s = ctx;

	if (s->n == FI_MAX_LEAVES) {
		s->overflow = true;
		return;
	}
	s->q[s->n] = *leaf;
	if (leaf->item.kind == PT_ITEM_FRAME &&
	    pa_addr(leaf->item.pa) == pa_addr(s->frame)) {
		s->q[s->n].item.pa = pa_init(FI_FRAME_PA);
	}
	s->n++;
}

static void snapshot(struct page_table *pt, paddr_t frame, struct leafset *s)
{
	s->n = 0;
	s->overflow = false;
	s->frame = frame;
	pt_for_each_leaf(pt, add_leaf, s);
}

static bool query_eq(const struct pt_query *a, const struct pt_query *b)
{
	return a->va == b->va && a->size == b->size &&
	       a->item.kind == b->item.kind &&
	       pa_addr(a->item.pa) == pa_addr(b->item.pa) &&
	       a->item.level == b->item.level && pt_prop_eq(a->prop, b->prop);
}

static bool same_leaves(const struct leafset *a, const struct leafset *b)
{
	if (a->overflow || b->overflow) {
		ostd_printf("  fi: more than %u leaves\n", FI_MAX_LEAVES);
		return false;
	}
	for (unsigned int i = 0; i < a->n && i < b->n; i++) {
		if (!query_eq(&a->q[i], &b->q[i])) {
			ostd_printf("  fi: leaf %u: va %#llx size %#llx vs va "
				    "%#llx size %#llx\n",
				    i, (unsigned long long)a->q[i].va,
				    (unsigned long long)a->q[i].size,
				    (unsigned long long)b->q[i].va,
				    (unsigned long long)b->q[i].size);
			return false;
		}
	}
	if (a->n != b->n) {
		ostd_printf("  fi: %u leaves vs %u\n", a->n, b->n);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Scenarios.
 * --------------------------------------------------------------------- */

struct fi_env {
	const struct pt_config *cfg;
	struct page_table pt;
	bool has_pt;
	/* Where the scenario works: 4 GiB into the table's half. */
	uint64_t b;
	/* A tracked scenario's frame: the test's own reference. */
	struct frame frame;
};

struct scenario {
	const char *name;
	bool (*applies)(const struct pt_config *cfg);
	/* Builds the state before the operation (no injection). */
	ostd_err_t (*setup)(struct fi_env *e);
	/* The cursor's range. */
	void (*range)(const struct fi_env *e, uint64_t *start, uint64_t *end);
	/* The cursor calls under test. */
	ostd_err_t (*op)(struct fi_env *e, struct pt_cursor *cur);
};

static struct pt_prop rw_prop(const struct fi_env *e)
{
	bool user = e->cfg->top_level_can_unmap;

	return (struct pt_prop){
		.flags = PROT_R | PROT_W | (user ? PROT_USER : 0),
		.cache = PT_CACHE_WRITEBACK,
	};
}

static bool huge_ok(const struct pt_config *cfg, pt_level_t level)
{
	return level <= cfg->highest_translation_level &&
	       cfg->level[level].leaf_ok;
}

static bool has_2m(const struct pt_config *cfg)
{
	return huge_ok(cfg, 2);
}

static bool has_1g(const struct pt_config *cfg)
{
	return huge_ok(cfg, 3);
}

/* Maps an untracked page of @p level at @p va (setup, no injection). */
static ostd_err_t map_at(struct fi_env *e, uint64_t va, pt_level_t level)
{
	struct pt_cursor cur;
	uint64_t size = pt_page_size(level);
	ostd_err_t err = pt_cursor_new_mut(&e->pt, va, va + size, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_map(
		&cur,
		pt_item_untracked(pa_init(FI_PA + (va & (SZ_1G - 1))), level),
		rw_prop(e));
	pt_cursor_drop(&cur);
	return err;
}

static void range_4k(const struct fi_env *e, uint64_t *start, uint64_t *end)
{
	*start = e->b;
	*end = e->b + PAGE_SIZE;
}

static void range_2m(const struct fi_env *e, uint64_t *start, uint64_t *end)
{
	*start = e->b;
	*end = e->b + SZ_2M;
}

static void range_8m(const struct fi_env *e, uint64_t *start, uint64_t *end)
{
	*start = e->b;
	*end = e->b + 4 * SZ_2M;
}

static void range_1g(const struct fi_env *e, uint64_t *start, uint64_t *end)
{
	*start = e->b;
	*end = e->b + SZ_1G;
}

/* "A failed call leaves the cursor where it was." */
static ostd_err_t stayed(const struct pt_cursor *cur, uint64_t va,
			 ostd_err_t err)
{
	if (err != OSTD_OK && pt_cursor_va(cur) != va) {
		ostd_printf("  fi: a failed call moved the cursor to %#llx\n",
			    (unsigned long long)pt_cursor_va(cur));
		return OSTD_EINVAL;
	}
	return err;
}

static ostd_err_t map_here(struct fi_env *e, struct pt_cursor *cur,
			   struct pt_item item)
{
	uint64_t va = pt_cursor_va(cur);

	return stayed(cur, va, pt_cursor_map(cur, item, rw_prop(e)));
}

static ostd_err_t op_map_4k(struct fi_env *e, struct pt_cursor *cur)
{
	return map_here(e, cur, pt_item_untracked(pa_init(FI_PA), 1));
}

static ostd_err_t setup_frame(struct fi_env *e)
{
	return frame_alloc(&frame_type_untyped, &e->frame);
}

static ostd_err_t op_map_frame(struct fi_env *e, struct pt_cursor *cur)
{
	return map_here(e, cur, pt_item_frame(e->frame.pa));
}

static ostd_err_t op_map_2m(struct fi_env *e, struct pt_cursor *cur)
{
	return map_here(e, cur, pt_item_untracked(pa_init(FI_PA), 2));
}

static ostd_err_t op_map_1g(struct fi_env *e, struct pt_cursor *cur)
{
	return map_here(e, cur, pt_item_untracked(pa_init(FI_PA), 3));
}

/*
 * A boundary between level-@p level entries: the fifth, or at the top
 * level (the root's entries) the second entry of the table's half.
 */
static uint64_t boundary(const struct fi_env *e, pt_level_t level)
{
	uint64_t size = pt_page_size(level);

	return e->pt.va_start + (level == e->cfg->nr_levels ? 1 : 5) * size;
}

static bool crosses_ok(const struct pt_config *cfg, pt_level_t level)
{
	uint64_t start;
	uint64_t last;

	if (level > cfg->nr_levels) {
		return false;
	}
	pt_config_vaddr_range(cfg, &start, &last);
	if (cfg->top_level_can_unmap && last >= MAX_USER_VADDR) {
		last = MAX_USER_VADDR - 1;
	}
	uint64_t size = pt_page_size(level);
	uint64_t x = start + (level == cfg->nr_levels ? 1 : 5) * size;

	return x > start && x - start <= last - start - PAGE_SIZE;
}

static bool crosses_l2(const struct pt_config *cfg)
{
	return crosses_ok(cfg, 2);
}

static bool crosses_l3(const struct pt_config *cfg)
{
	return crosses_ok(cfg, 3);
}

static bool crosses_l4(const struct pt_config *cfg)
{
	return crosses_ok(cfg, 4);
}

static void range_cross(const struct fi_env *e, pt_level_t level,
			uint64_t *start, uint64_t *end)
{
	uint64_t x = boundary(e, level);

	*start = x - PAGE_SIZE;
	*end = x + PAGE_SIZE;
}

static void range_cross_l2(const struct fi_env *e, uint64_t *start,
			   uint64_t *end)
{
	range_cross(e, 2, start, end);
}

static void range_cross_l3(const struct fi_env *e, uint64_t *start,
			   uint64_t *end)
{
	range_cross(e, 3, start, end);
}

static void range_cross_l4(const struct fi_env *e, uint64_t *start,
			   uint64_t *end)
{
	range_cross(e, 4, start, end);
}

/*
 * The cursor spans the boundary, so it locks the node above both sides;
 * one map just past the boundary then builds the far side's path. (Two
 * maps would be two operations: the first would stay when the second
 * fails.)
 */
static ostd_err_t map_past(struct fi_env *e, struct pt_cursor *cur,
			   pt_level_t level)
{
	ostd_err_t err = pt_cursor_jump(cur, boundary(e, level));

	return err != OSTD_OK ? err : op_map_4k(e, cur);
}

static ostd_err_t op_map_past_l2(struct fi_env *e, struct pt_cursor *cur)
{
	return map_past(e, cur, 2);
}

static ostd_err_t op_map_past_l3(struct fi_env *e, struct pt_cursor *cur)
{
	return map_past(e, cur, 3);
}

static ostd_err_t op_map_past_l4(struct fi_env *e, struct pt_cursor *cur)
{
	return map_past(e, cur, 4);
}

/*
 * A batch (pt_cursor_map_pages()) across a level-3 boundary: the tail of
 * one level-1 node, a whole one, then a level-2 and two level-1 nodes on
 * the far side, allocated one by one before the first leaf is written.
 * Any of those allocations failing must leave the table as it was.
 */
static void range_batch(const struct fi_env *e, uint64_t *start, uint64_t *end)
{
	uint64_t x = boundary(e, 3);

	*start = x - SZ_2M - 8 * PAGE_SIZE;
	*end = x + SZ_2M + 2 * PAGE_SIZE;
}

/* A leaf just below the batch, so that its first node already exists. */
static ostd_err_t setup_batch(struct fi_env *e)
{
	uint64_t start;
	uint64_t end;

	range_batch(e, &start, &end);
	return map_at(e, start - PAGE_SIZE, 1);
}

static ostd_err_t op_map_batch(struct fi_env *e, struct pt_cursor *cur)
{
	uint64_t va = pt_cursor_va(cur);
	uint64_t start;
	uint64_t end;

	range_batch(e, &start, &end);
	return stayed(
		cur, va,
		pt_cursor_map_pages(cur, pt_item_untracked(pa_init(FI_PA), 1),
				    (end - start) / PAGE_SIZE, rw_prop(e)));
}

static ostd_err_t setup_1g(struct fi_env *e)
{
	return map_at(e, e->b, 3);
}

static ostd_err_t setup_2m(struct fi_env *e)
{
	return map_at(e, e->b, 2);
}

static void clear_w(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_W;
}

/* Protects one 4 KiB page at @p va inside a huge page. */
static ostd_err_t protect_one(struct pt_cursor *cur, uint64_t va)
{
	uint64_t start = UINT64_MAX;
	uint64_t len = UINT64_MAX;
	ostd_err_t err = pt_cursor_jump(cur, va);

	if (err != OSTD_OK) {
		return err;
	}
	err = stayed(cur, va,
		     pt_cursor_protect_next(cur, PAGE_SIZE, clear_w, NULL,
					    &start, &len));
	if (err != OSTD_OK && (start != UINT64_MAX || len != UINT64_MAX)) {
		ostd_printf("  fi: a failed protect_next wrote its range\n");
		return OSTD_EINVAL;
	}
	if (err == OSTD_OK && (start != va || len != PAGE_SIZE)) {
		ostd_printf("  fi: protected [%#llx, +%#llx)\n",
			    (unsigned long long)start, (unsigned long long)len);
		return OSTD_EINVAL;
	}
	return err;
}

static ostd_err_t op_protect_in_1g(struct fi_env *e, struct pt_cursor *cur)
{
	return protect_one(cur, e->b + SZ_2M + PAGE_SIZE);
}

static ostd_err_t op_protect_in_2m(struct fi_env *e, struct pt_cursor *cur)
{
	return protect_one(cur, e->b + PAGE_SIZE);
}

/*
 * Unmaps or (@p protect) write-protects [va, va + len) in one call, which
 * splits the huge pages at both ends first; checks the count.
 */
static ostd_err_t range_call(struct pt_cursor *cur, uint64_t va, uint64_t len,
			     bool protect)
{
	uint64_t count = UINT64_MAX;
	const char *what = protect ? "protect_mask" : "unmap";
	ostd_err_t err = pt_cursor_jump(cur, va);

	if (err != OSTD_OK) {
		return err;
	}
	err = stayed(
		cur, va,
		protect ? pt_cursor_protect_mask(cur, len, 0, PROT_W, &count)
			: pt_cursor_unmap(cur, len, &count));
	if (err != OSTD_OK && count != UINT64_MAX) {
		/* "A failed call leaves ... its outputs untouched." */
		ostd_printf("  fi: a failed %s wrote its count\n", what);
		return OSTD_EINVAL;
	}
	if (err == OSTD_OK && count != len / PAGE_SIZE) {
		ostd_printf("  fi: %s counted %llu\n", what,
			    (unsigned long long)count);
		return OSTD_EINVAL;
	}
	return err;
}

static ostd_err_t setup_2m_at_2m(struct fi_env *e)
{
	return map_at(e, e->b + SZ_2M, 2);
}

static ostd_err_t setup_two_2m(struct fi_env *e)
{
	ostd_err_t err = map_at(e, e->b + SZ_2M, 2);

	return err != OSTD_OK ? err : map_at(e, e->b + 2 * SZ_2M, 2);
}

/*
 * The ranges of the splitting scenarios: both ends inside one 2 MiB page
 * (one split), from inside one 2 MiB page to inside the next, and one page
 * inside a 1 GiB page. Unmapped, or (@p protect) write-protected.
 */
enum split_case { INSIDE_2M, ACROSS_2M, IN_1G };

static ostd_err_t split_call(struct fi_env *e, struct pt_cursor *cur,
			     enum split_case c, bool protect)
{
	static const uint64_t lens[] = { SZ_2M - 2 * PAGE_SIZE,
					 2 * SZ_2M - 2 * PAGE_SIZE, PAGE_SIZE };
	uint64_t va = (c == IN_1G ? e->b : e->b + SZ_2M) + PAGE_SIZE;

	return range_call(cur, va, lens[c], protect);
}

static ostd_err_t op_unmap_inside_2m(struct fi_env *e, struct pt_cursor *cur)
{
	return split_call(e, cur, INSIDE_2M, false);
}

static ostd_err_t op_unmap_across_2m(struct fi_env *e, struct pt_cursor *cur)
{
	return split_call(e, cur, ACROSS_2M, false);
}

static ostd_err_t op_unmap_in_1g(struct fi_env *e, struct pt_cursor *cur)
{
	return split_call(e, cur, IN_1G, false);
}

static ostd_err_t op_mask_inside_2m(struct fi_env *e, struct pt_cursor *cur)
{
	return split_call(e, cur, INSIDE_2M, true);
}

static ostd_err_t op_mask_across_2m(struct fi_env *e, struct pt_cursor *cur)
{
	return split_call(e, cur, ACROSS_2M, true);
}

static ostd_err_t op_mask_in_1g(struct fi_env *e, struct pt_cursor *cur)
{
	return split_call(e, cur, IN_1G, true);
}

/* Only the cursor: its creation may need nodes to lock its range. */
static ostd_err_t op_query_none(struct fi_env *e, struct pt_cursor *cur)
{
	struct pt_query q;
	ostd_err_t err = pt_cursor_query(cur, &q);

	(void)e;
	if (err == OSTD_OK && q.item.kind != PT_ITEM_NONE) {
		return OSTD_EEXIST;
	}
	return err;
}

static const struct scenario sc_map_4k = {
	"map 4K into an empty table", NULL, NULL, range_4k, op_map_4k,
};
static const struct scenario sc_map_wide = {
	"map 4K in a cursor over 1G (the map builds the path)",
	NULL,
	NULL,
	range_1g,
	op_map_4k,
};
static const struct scenario sc_map_frame = {
	"map a tracked 4K frame", NULL, setup_frame, range_4k, op_map_frame,
};
static const struct scenario sc_map_2m = {
	"map 2M", has_2m, NULL, range_2m, op_map_2m,
};
static const struct scenario sc_map_1g = {
	"map 1G", has_1g, NULL, range_1g, op_map_1g,
};
static const struct scenario sc_cross_l2 = {
	"map across a level-2 boundary",
	crosses_l2,
	NULL,
	range_cross_l2,
	op_map_past_l2,
};
static const struct scenario sc_cross_l3 = {
	"map across a level-3 boundary",
	crosses_l3,
	NULL,
	range_cross_l3,
	op_map_past_l3,
};
static const struct scenario sc_cross_l4 = {
	"map across a level-4 boundary",
	crosses_l4,
	NULL,
	range_cross_l4,
	op_map_past_l4,
};
static const struct scenario sc_batch_cross_l3 = {
	"map a batch of 4K pages across a level-3 boundary",
	crosses_l3,
	NULL,
	range_batch,
	op_map_batch,
};
static const struct scenario sc_batch_after_leaf = {
	"map a batch of 4K pages after a leaf in its first node",
	crosses_l3,
	setup_batch,
	range_batch,
	op_map_batch,
};
static const struct scenario sc_protect_1g = {
	"protect splitting a 1G page",
	has_1g,
	setup_1g,
	range_1g,
	op_protect_in_1g,
};
static const struct scenario sc_protect_2m = {
	"protect splitting a 2M page",
	has_2m,
	setup_2m,
	range_2m,
	op_protect_in_2m,
};
static const struct scenario sc_unmap_inside_2m = {
	"unmap splitting a 2M page at both ends",
	has_2m,
	setup_2m_at_2m,
	range_8m,
	op_unmap_inside_2m,
};
static const struct scenario sc_unmap_across_2m = {
	"unmap splitting two 2M pages",
	has_2m,
	setup_two_2m,
	range_8m,
	op_unmap_across_2m,
};
static const struct scenario sc_unmap_1g = {
	"unmap splitting a 1G page", has_1g, setup_1g, range_1g, op_unmap_in_1g,
};
static const struct scenario sc_mask_inside_2m = {
	"protect_mask splitting a 2M page at both ends",
	has_2m,
	setup_2m_at_2m,
	range_8m,
	op_mask_inside_2m,
};
static const struct scenario sc_mask_across_2m = {
	"protect_mask splitting two 2M pages",
	has_2m,
	setup_two_2m,
	range_8m,
	op_mask_across_2m,
};
static const struct scenario sc_mask_1g = {
	"protect_mask splitting a 1G page",
	has_1g,
	setup_1g,
	range_1g,
	op_mask_in_1g,
};
static const struct scenario sc_cursor_nodes = {
	"cursor creation needing intermediate nodes",
	NULL,
	NULL,
	range_4k,
	op_query_none,
};

/* ---------------------------------------------------------------------
 * The driver.
 * --------------------------------------------------------------------- */

/* A fresh table with the scenario's state. */
static bool env_new(const struct pt_config *cfg, const struct scenario *s,
		    struct fi_env *e)
{
	ostd_err_t err;

	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	err = pt_test_new_table(cfg, &e->pt);
	if (err != OSTD_OK) {
		ostd_printf("  fi: table: %s\n", ostd_err_name(err));
		return false;
	}
	e->has_pt = true;
	e->b = e->pt.va_start + 4 * SZ_1G;
	err = s->setup != NULL ? s->setup(e) : OSTD_OK;
	pt_rcu_barrier();
	if (err != OSTD_OK) {
		ostd_printf("  fi: setup: %s\n", ostd_err_name(err));
		return false;
	}
	return true;
}

static void env_free(struct fi_env *e)
{
	if (e->has_pt) {
		page_table_destroy(&e->pt);
		e->has_pt = false;
	}
	if (pa_addr(e->frame.pa) != 0) {
		frame_drop(&e->frame);
	}
	pt_rcu_barrier();
}

/* Frames in use around one operation. */
struct fi_obs {
	uint64_t before;
	uint64_t after_cursor; /* UINT64_MAX: the cursor was not made. */
	uint64_t after;
	/* Allocations the cursor's creation made. */
	uint64_t cursor_allocs;
};

/* The operation: a mutable cursor, the scenario's calls, the drop. */
static ostd_err_t drive(struct fi_env *e, const struct scenario *s,
			struct fi_obs *obs)
{
	struct pt_cursor cur;
	uint64_t start;
	uint64_t end;

	s->range(e, &start, &end);
	obs->before = frame_stats_in_use();
	obs->after_cursor = UINT64_MAX;
	uint64_t count = frame_fi_alloc_count();
	ostd_err_t err = pt_cursor_new_mut(&e->pt, start, end, &cur);

	obs->cursor_allocs = frame_fi_alloc_count() - count;
	if (err == OSTD_OK) {
		obs->after_cursor = frame_stats_in_use();
		err = s->op(e, &cur);
		pt_cursor_drop(&cur);
	}
	pt_rcu_barrier();
	obs->after = frame_stats_in_use();
	return err;
}

static bool check_table(struct fi_env *e)
{
	struct pt_check_stats stats;

	return pt_check(&e->pt, &stats) == OSTD_OK;
}

/*
 * The per-CPU frame caches (ostd/frame.h) before injection @p k: empty
 * for odd @p k, so the operation's allocations refill through the
 * allocator around the failing one; holding frames for even @p k, so the
 * injected failure meets a warm cache and must fail all the same.
 */
static bool set_cache_state(uint64_t k)
{
	if (k % 2 == 1) {
		frame_cache_drain();
		return frame_stats_cached() == 0;
	}
	struct frame f;

	if (frame_alloc(&frame_type_kernel, &f) != OSTD_OK) {
		return false;
	}
	frame_drop(&f);
	return frame_stats_cached() != 0;
}

/*
 * Runs the operation with its allocation @p k failing; false with a
 * message if the outcome is wrong.
 */
static bool inject(const struct pt_config *cfg, const struct scenario *s,
		   uint64_t k)
{
	struct fi_env e;
	struct fi_obs obs;
	bool ok = false;

	if (!env_new(cfg, s, &e)) {
		env_free(&e);
		return false;
	}
	snapshot(&e.pt, e.frame.pa, &pre_leaves);
	if (!set_cache_state(k)) {
		ostd_printf("fi: the frame cache is not as set\n");
		env_free(&e);
		return false;
	}
	frame_fi_fail_nth(k);
	ostd_err_t err = drive(&e, s, &obs);

	frame_fi_fail_nth(0);
	snapshot(&e.pt, e.frame.pa, &now_leaves);
	uint64_t base =
		obs.after_cursor == UINT64_MAX ? obs.before : obs.after_cursor;

	if (err != OSTD_ENOMEM) {
		ostd_printf("  fi: returned %s\n", ostd_err_name(err));
	} else if (!same_leaves(&now_leaves, &pre_leaves)) {
		ostd_printf("  fi: the leaves changed\n");
	} else if (obs.after != base) {
		ostd_printf(
			"  fi: frames in use %llu, expected %llu (%s)\n",
			(unsigned long long)obs.after, (unsigned long long)base,
			obs.after_cursor == UINT64_MAX ? "no cursor"
						       : "after the cursor");
	} else if (!check_table(&e)) {
		ostd_printf("  fi: pt_check failed\n");
	} else if (pa_addr(e.frame.pa) != 0 &&
		   frame_refcount(e.frame.pa) != 1) {
		ostd_printf("  fi: the frame has %llu references\n",
			    (unsigned long long)frame_refcount(e.frame.pa));
	} else if ((err = drive(&e, s, &obs)) != OSTD_OK) {
		ostd_printf("  fi: the retry returned %s\n",
			    ostd_err_name(err));
	} else {
		snapshot(&e.pt, e.frame.pa, &now_leaves);
		ok = same_leaves(&now_leaves, &ref_leaves) && check_table(&e);
		if (!ok) {
			ostd_printf("  fi: the retry left other leaves\n");
		}
	}
	env_free(&e);
	if (!ok) {
		ostd_printf("fi: %s: \"%s\", allocation %llu failing\n",
			    cfg->name, s->name, (unsigned long long)k);
	}
	return ok;
}

/*
 * Runs scenario @p s without injection, then with each of its allocations
 * failing. True if every run behaved (or the format lacks the scenario).
 */
static bool fi_run(const struct pt_config *cfg, const struct scenario *s)
{
	struct fi_env e;
	struct fi_obs obs;
	uint64_t in_use = frame_stats_in_use();

	if (s->applies != NULL && !s->applies(cfg)) {
		return true;
	}
	if (!env_new(cfg, s, &e)) {
		env_free(&e);
		return false;
	}
	uint64_t count = frame_fi_alloc_count();
	ostd_err_t err = drive(&e, s, &obs);
	uint64_t n = frame_fi_alloc_count() - count;

	snapshot(&e.pt, e.frame.pa, &ref_leaves);
	bool ok = err == OSTD_OK && check_table(&e);

	env_free(&e);
	if (!ok) {
		ostd_printf("fi: %s: \"%s\" fails without injection: %s\n",
			    cfg->name, s->name, ostd_err_name(err));
		return false;
	}
	for (uint64_t k = 1; k <= n; k++) {
		if (!inject(cfg, s, k)) {
			return false;
		}
	}
	if (frame_stats_in_use() != in_use) {
		ostd_printf("fi: %s: \"%s\" leaked %lld frames\n", cfg->name,
			    s->name,
			    (long long)(frame_stats_in_use() - in_use));
		return false;
	}
	ostd_printf("fi: %s: \"%s\": %llu allocations (%llu by the cursor's "
		    "creation), each failed once\n",
		    cfg->name, s->name, (unsigned long long)n,
		    (unsigned long long)obs.cursor_allocs);
	return true;
}

TEST_FORMAT(pt_fault_injection, map_4k_into_empty_table)
{
	ASSERT_TRUE(fi_run(cfg, &sc_map_4k));
	ASSERT_TRUE(fi_run(cfg, &sc_map_wide));
	ASSERT_TRUE(fi_run(cfg, &sc_map_frame));
}

TEST_FORMAT(pt_fault_injection, map_huge_pages)
{
	ASSERT_TRUE(fi_run(cfg, &sc_map_2m));
	ASSERT_TRUE(fi_run(cfg, &sc_map_1g));
}

TEST_FORMAT(pt_fault_injection, map_across_level_boundaries)
{
	ASSERT_TRUE(fi_run(cfg, &sc_cross_l2));
	ASSERT_TRUE(fi_run(cfg, &sc_cross_l3));
	ASSERT_TRUE(fi_run(cfg, &sc_cross_l4));
}

/* Allocation failure in the middle of a batch leaves the table as it was. */
TEST_FORMAT(pt_fault_injection, map_batch_across_nodes)
{
	ASSERT_TRUE(fi_run(cfg, &sc_batch_cross_l3));
	ASSERT_TRUE(fi_run(cfg, &sc_batch_after_leaf));
}

TEST_FORMAT(pt_fault_injection, protect_splitting_huge_pages)
{
	ASSERT_TRUE(fi_run(cfg, &sc_protect_1g));
	ASSERT_TRUE(fi_run(cfg, &sc_protect_2m));
}

/* Allocation failure during a split leaves the table as it was. */
TEST_FORMAT(pt_fault_injection, protect_mask_splitting_huge_pages)
{
	ASSERT_TRUE(fi_run(cfg, &sc_mask_inside_2m));
	ASSERT_TRUE(fi_run(cfg, &sc_mask_across_2m));
	ASSERT_TRUE(fi_run(cfg, &sc_mask_1g));
}

TEST_FORMAT(pt_fault_injection, unmap_splitting_huge_pages)
{
	ASSERT_TRUE(fi_run(cfg, &sc_unmap_inside_2m));
	ASSERT_TRUE(fi_run(cfg, &sc_unmap_across_2m));
	ASSERT_TRUE(fi_run(cfg, &sc_unmap_1g));
}

TEST_FORMAT(pt_fault_injection, cursor_creation_needing_nodes)
{
	ASSERT_TRUE(fi_run(cfg, &sc_cursor_nodes));
}
