// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors (DESIGN.md §4), run once per format, user and kernel
 * halves: Asterinas OSTD's own page-table tests
 * (ostd/src/mm/page_table/test.rs) adapted: tables and ranges, navigation
 * and unmap; and the per-CPU guard hint of cursor creation.
 *
 * The helpers are in test/lib/pt_cursor_helpers.h.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/frame.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../lib/pt_cursor_helpers.h"
#include "../lib/pt_test_util.h"

/* The test body's cursor: static, as a cursor is several KiB. */
static struct pt_cursor cur;
/* A snapshot (static: it is large). */
static struct snap fx_after;

/* ---------------------------------------------------------------------
 * Tables and ranges.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, new_checks_the_half_and_the_range)
{
	struct page_table pt;
	uint64_t s;
	uint64_t l;
	uint64_t in_use = frame_stats_in_use();

	if (cfg->top_level_can_unmap) {
		ASSERT_EQ(page_table_new_kernel(cfg, &pt), OSTD_EINVAL);
	} else {
		ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_EINVAL);
	}
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	pt_config_vaddr_range(cfg, &s, &l);
	ASSERT_TRUE(pt.cfg == cfg);
	ASSERT_EQ(pt.va_start, s);
	if (cfg->top_level_can_unmap) {
		/* One page below the hole, wherever the format has it. */
		uint64_t cap = MAX_USER_VADDR - 1;

		if (cfg->va_sign_extend &&
		    (1ULL << (cfg->va_bits - 1)) - PAGE_SIZE - 1 < cap) {
			cap = (1ULL << (cfg->va_bits - 1)) - PAGE_SIZE - 1;
		}
		ASSERT_EQ(pt.va_last, l < cap ? l : cap);
	} else {
		ASSERT_EQ(pt.va_last, l);
	}
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, new_user_rejects_kernel_of_other_levels)
{
	unsigned int count;
	const struct pt_config *const *all = arch_pt_configs_for_tests(&count);
	struct page_table k;
	struct page_table u;

	if (!cfg->top_level_can_unmap) {
		/* Runs for the user half; the loop picks the kernel one. */
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (all[i]->top_level_can_unmap ||
		    all[i]->nr_levels == cfg->nr_levels) {
			continue;
		}
		ASSERT_EQ(page_table_new_kernel(all[i], &k), OSTD_OK);
		uint64_t in_use = frame_stats_in_use();

		ASSERT_EQ(page_table_new_user(cfg, &k, &u), OSTD_EINVAL);
		ASSERT_EQ(frame_stats_in_use(), in_use);
		table_destroy(&k);
	}
}

TEST_FORMAT(pt_cursor, range_check)
{
	struct page_table pt;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(try_cursor(&pt, s, s + P), OSTD_OK);
	ASSERT_EQ(try_cursor(&pt, s, s + P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(try_cursor(&pt, s, range_end(&pt)), OSTD_OK);
	/* Straddling the start (kernel) or the end (user). */
	if (s != 0) {
		ASSERT_EQ(try_cursor(&pt, s - P, s + P), OSTD_ERANGE);
	}
	if (cfg->top_level_can_unmap) {
		ASSERT_EQ(
			try_cursor(&pt, range_end(&pt) - P, range_end(&pt) + P),
			OSTD_ERANGE);
	}
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, start_boundary_mapping)
{
	struct page_table pt;
	struct frame f;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(map_one(&pt, s, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_TRUE(
		query_is(&pt, s, s, P, PT_ITEM_FRAME, pa_addr(f.pa), prop_rw));
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 1);
	ASSERT_EQ(fx_after.leaves[0].va, s);
	ASSERT_EQ(frame_refcount(f.pa), 2);
	table_destroy(&pt);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, end_boundary_mapping)
{
	struct page_table pt;
	struct frame f;
	uint64_t e;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	e = range_end(&pt);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(map_one(&pt, e - P, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_TRUE(query_is(&pt, e - P, e - P, P, PT_ITEM_FRAME, pa_addr(f.pa),
			     prop_rw));
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 1);
	ASSERT_EQ(fx_after.leaves[0].va, e - P);
	/* I5: nothing in a user table reaches MAX_USER_VADDR. */
	if (cfg->top_level_can_unmap) {
		ASSERT_LE(fx_after.leaves[0].va + fx_after.leaves[0].size,
			  MAX_USER_VADDR);
		ASSERT_EQ(map_one(&pt, e, pt_item_frame(f.pa), prop_rw),
			  OSTD_ERANGE);
	} else {
		/* The top page: its end would be 2^64. */
		ASSERT_EQ(map_one(&pt, e, pt_item_frame(f.pa), prop_rw),
			  OSTD_EINVAL);
	}
	ASSERT_EQ(frame_refcount(f.pa), 2);
	table_destroy(&pt);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, top_of_range_no_overflow)
{
	struct page_table pt;
	struct pt_query q;
	uint64_t found = 77;
	uint64_t count = 0;
	uint64_t rs = 0;
	uint64_t rl = 0;
	uint64_t e;
	struct protect_ctx c = { .clear = PROT_W };

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	e = range_end(&pt);
	ASSERT_EQ(pt_cursor_new_mut(&pt, e - 4 * P, e, &cur), OSTD_OK);
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(i * P), 1),
					prop_rw),
			  OSTD_OK);
	}
	/* At the end: not wrapped to 0 and nothing to do. */
	ASSERT_EQ(pt_cursor_va(&cur), e);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_find_next(&cur, 0, &found), OSTD_ENOENT);
	ASSERT_EQ(pt_cursor_find_next(&cur, P, &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, P, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_jump(&cur, e), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_va(&cur), e);
	/* Jump back from the end; lengths that wrap past 2^64. */
	ASSERT_EQ(pt_cursor_jump(&cur, e - P), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(slot_is(&q, e - P, P, PT_ITEM_UNTRACKED, 3 * P, prop_rw));
	ASSERT_EQ(pt_cursor_find_next(&cur, 0 - (e - P), &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0 - (e - P), &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, ~0ULL & ~(P - 1), &count), OSTD_EINVAL);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_find_next(&cur, P, &found), OSTD_OK);
	ASSERT_EQ(found, e - P);
	ASSERT_EQ(pt_cursor_jump(&cur, e - 4 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, 4 * P, &count), OSTD_OK);
	ASSERT_EQ(count, 4);
	ASSERT_EQ(pt_cursor_va(&cur), e);
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 0);
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 0);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, jump_near_end)
{
	struct page_table pt;
	uint64_t b;
	uint64_t e;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(pt_cursor_new(&pt, b, b + 4 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 4 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 3 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), b + 3 * P);
	pt_cursor_drop(&cur);
	e = range_end(&pt);
	ASSERT_EQ(pt_cursor_new(&pt, e - P, e, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, e), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, e - P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), e - P);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Navigation: OSTD's navigation module.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, navigation_jump_and_query)
{
	struct page_table pt;
	struct frame f1;
	struct frame f2;
	struct pt_query q;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f1), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f2), OSTD_OK);
	ASSERT_EQ(map_one(&pt, s + 7 * P, pt_item_frame(f1.pa), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(map_one(&pt, s + SZ_1G, pt_item_frame(f2.pa), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new(&pt, s, s + SZ_1G + P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), s);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_NONE);
	ASSERT_EQ(pt_cursor_jump(&cur, s + 7 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), s + 7 * P);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(slot_is(&q, s + 7 * P, P, PT_ITEM_FRAME, pa_addr(f1.pa),
			    prop_rw));
	ASSERT_EQ(pt_cursor_jump(&cur, s + SZ_1G), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(slot_is(&q, s + SZ_1G, P, PT_ITEM_FRAME, pa_addr(f2.pa),
			    prop_rw));
	pt_cursor_drop(&cur);
	table_destroy(&pt);
	frame_drop(&f1);
	frame_drop(&f2);
}

TEST_FORMAT(pt_cursor, jump_from_end_and_query_huge_middle)
{
	struct page_table pt;
	struct pt_query q;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + 2 * SZ_2M, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, b + SZ_2M), OSTD_OK);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 2), prop_rw),
		OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_NONE);
	/* The slot of a huge page queried in its middle. */
	ASSERT_EQ(pt_cursor_jump(&cur, b + SZ_2M + SZ_2M / 2), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(
		slot_is(&q, b + SZ_2M, SZ_2M, PT_ITEM_UNTRACKED, 0, prop_rw));
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, jump_from_guard_level_end)
{
	struct page_table pt;
	uint64_t v;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	v = pt.va_start + SZ_2M - P;
	ASSERT_EQ(pt_cursor_new_mut(&pt, v, v + P, &cur), OSTD_OK);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 1), prop_rw),
		OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), v + P);
	ASSERT_EQ(pt_cursor_jump(&cur, v), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), v);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, find_next_finds_mappings)
{
	struct page_table pt;
	uint64_t s;
	uint64_t found = 77;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(map_one(&pt, s + 7 * P, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(map_one(&pt, s + SZ_1G, pt_item_untracked(pa_init(P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new(&pt, s, s + SZ_1G + P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, 8 * P, &found), OSTD_OK);
	ASSERT_EQ(found, s + 7 * P);
	ASSERT_EQ(pt_cursor_va(&cur), s + 7 * P);
	ASSERT_EQ(pt_cursor_jump(&cur, s + 8 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, SZ_1G - 7 * P, &found), OSTD_OK);
	ASSERT_EQ(found, s + SZ_1G);
	ASSERT_EQ(pt_cursor_va(&cur), s + SZ_1G);
	/* None: the cursor moves to va + len. */
	found = 77;
	ASSERT_EQ(pt_cursor_jump(&cur, s + 8 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, SZ_1G - 8 * P, &found),
		  OSTD_ENOENT);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_va(&cur), s + SZ_1G);
	/* Overflowing lengths. */
	ASSERT_EQ(pt_cursor_find_next(&cur, 0 - (s + SZ_1G), &found),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, ~0ULL & ~(P - 1), &found),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), s + SZ_1G);
	pt_cursor_drop(&cur);

	/* A huge page that starts below the cursor is found at the cursor. */
	uint64_t h = s + 4 * SZ_2M;

	ASSERT_EQ(map_one(&pt, h, pt_item_untracked(pa_init(0), 2), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new(&pt, h + 3 * P, h + 5 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, 2 * P, &found), OSTD_OK);
	ASSERT_EQ(found, h + 3 * P);
	ASSERT_EQ(pt_cursor_va(&cur), h + 3 * P);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Unmap: OSTD's unmap module and sub-tree removal.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, unmap_one_page)
{
	struct page_table pt;
	uint64_t count = 0;
	uint64_t v;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	v = pt.va_start + P;
	ASSERT_EQ(map_one(&pt, v, pt_item_untracked(pa_init(100 * P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_TRUE(
		query_is(&pt, v, v, P, PT_ITEM_UNTRACKED, 100 * P, prop_rw));
	ASSERT_EQ(unmap_range(&pt, v, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	ASSERT_TRUE(query_none(&pt, v));
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, unmap_detaches_sparse_subtree)
{
	struct page_table pt;
	uint64_t count = 0;
	uint64_t r;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	r = pt.va_start + 2 * SZ_1G;
	/* The next 1 GiB keeps the path above the region in place. */
	ASSERT_EQ(map_one(&pt, r + SZ_1G, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	uint64_t nodes = check_nodes(&pt);
	uint64_t in_use = frame_stats_in_use();

	ASSERT_EQ(map_one(&pt, r + 513 * P, pt_item_untracked(pa_init(P), 1),
			  prop_rw),
		  OSTD_OK);
	uint64_t with_map = check_nodes(&pt);

	ASSERT_GT(with_map, nodes);
	/*
	 * A cursor over exactly the region (OSTD take_large_takes_subtree):
	 * the nodes below go; the region's own node may stay as the guard.
	 */
	ASSERT_EQ(unmap_range(&pt, r, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_LT(check_nodes(&pt), with_map);
	ASSERT_GE(check_nodes(&pt), nodes);
	/* A wider cursor detaches the region's node as well. */
	ASSERT_EQ(map_one(&pt, r + 513 * P, pt_item_untracked(pa_init(P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, r, r + 2 * SZ_1G, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_cursor_drop(&cur);
	pt_rcu_barrier();
	ASSERT_EQ(check_nodes(&pt), nodes);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_TRUE(query_is(&pt, r + SZ_1G, r + SZ_1G, P, PT_ITEM_UNTRACKED, 0,
			     prop_rw));
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, unmap_whole_1g_of_4k_pages)
{
	const uint64_t pages = SZ_1G / P;
	struct page_table pt;
	struct pt_check_stats st0;
	struct pt_check_stats st;
	uint64_t count = 0;
	uint64_t r;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	r = pt.va_start + 2 * SZ_1G;
	ASSERT_EQ(map_one(&pt, r + SZ_1G, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_check(&pt, &st0), OSTD_OK);
	uint64_t in_use = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_new_mut(&pt, r, r + SZ_1G, &cur), OSTD_OK);
	for (uint64_t i = 0; i < pages; i++) {
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(i * P), 1),
					prop_rw),
			  OSTD_OK);
	}
	pt_cursor_drop(&cur);
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	uint64_t added = st.nodes - st0.nodes;

	/* 512 leaf nodes, plus their parent unless it is pre-allocated. */
	ASSERT_GE(added, 512);
	ASSERT_LE(added, 513);
	ASSERT_EQ(st.leaves, st0.leaves + pages);
	ASSERT_EQ(frame_stats_in_use(), in_use + added);

	/* Wider than the region, so its own node can go too. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, r, r + 2 * SZ_1G, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, pages);
	/*
	 * Detached, not freed: the flusher and RCU hold them (S2, R6). A
	 * full keep list may have released some, but only after a flush.
	 */
	uint64_t mid = frame_stats_in_use();

	ASSERT_LE(mid, in_use + added);
	if (mid < in_use + added) {
		ASSERT_GT(pt_cursor_flusher(&cur)->dispatches, 0);
	}
	ASSERT_GT(tlb_flusher_kept(pt_cursor_flusher(&cur)), 0);
	pt_cursor_drop(&cur);
	pt_rcu_barrier();
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	ASSERT_EQ(st.nodes, st0.nodes);
	ASSERT_EQ(st.leaves, st0.leaves);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * The guard hint (core/mm/cursor_lock.c): a fresh cursor in the slot of
 * the last one locks that guard without a walk, and never a stale one.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, guard_hint_skips_the_walk)
{
	struct page_table pt;
	struct page_table other;
	uint64_t v;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(pt_test_new_table(cfg, &other), OSTD_OK);
	v = pt.va_start + 2 * SZ_1G;
	ASSERT_EQ(map_one(&pt, v, pt_item_untracked(pa_init(0), 1), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(map_one(&other, v, pt_item_untracked(pa_init(P), 1), prop_rw),
		  OSTD_OK);
	/* One page per cursor, as a fault handler maps: the same guard. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, v + P, v + 2 * P, &cur), OSTD_OK);
	paddr_t guard = cur.guard;

	ASSERT_EQ(cur.guard_level, 1);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(P), 1), prop_rw),
		OSTD_OK);
	pt_cursor_drop(&cur);
	for (uint64_t i = 2; i < 16; i++) {
		ASSERT_EQ(pt_cursor_new_mut(&pt, v + i * P, v + (i + 1) * P,
					    &cur),
			  OSTD_OK);
		ASSERT_EQ(pa_addr(cur.guard), pa_addr(guard));
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(i * P), 1),
					prop_rw),
			  OSTD_OK);
		pt_cursor_drop(&cur);
	}
	for (uint64_t i = 0; i < 16; i++) {
		ASSERT_TRUE(query_is(&pt, v + i * P, v + i * P, P,
				     PT_ITEM_UNTRACKED, i * P, prop_rw));
	}
	/* The same slot of another table has its own node. */
	ASSERT_EQ(pt_cursor_new(&other, v, v + P, &cur), OSTD_OK);
	ASSERT_NE(pa_addr(cur.guard), pa_addr(guard));
	pt_cursor_drop(&cur);
	ASSERT_TRUE(query_none(&other, v + P));
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&other);
	table_destroy(&pt);
}

/*
 * Maps @p pa at @p va with a fresh cursor on this CPU while its hint is
 * @p hint (another CPU's, say, from before @p stale was freed), and
 * checks that the cursor did not lock @p stale unless @p stale_ok.
 */
static bool map_with_hint(struct page_table *pt,
			  const struct pt_guard_hint *hint, paddr_t stale,
			  bool stale_ok, uint64_t va, uint64_t pa)
{
	struct cpu_local *cl = cpu_local();
	ostd_err_t err;

	preempt_disable_on(cl);
	cl->guard_hint = *hint;
	err = pt_cursor_new_mut(pt, va, va + P, &cur);
	(void)preempt_enable_on(cl);
	if (err != OSTD_OK) {
		return false;
	}
	bool ok = stale_ok || pa_addr(cur.guard) != pa_addr(stale);

	err = pt_cursor_map(&cur, pt_item_untracked(pa_init(pa), 1), prop_rw);
	pt_cursor_drop(&cur);
	return ok && err == OSTD_OK;
}

TEST_FORMAT(pt_cursor, stale_guard_hint_is_not_used)
{
	struct page_table pt;
	struct pt_guard_hint stale;
	uint64_t count = 0;
	uint64_t r;
	uint64_t a;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	r = pt.va_start + 2 * SZ_1G;
	/* a and b: index 0 of two level-1 nodes, so a misused node shows. */
	a = r;
	b = r + 2 * SZ_2M;
	ASSERT_EQ(map_one(&pt, r + SZ_1G, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(
		map_one(&pt, a, pt_item_untracked(pa_init(7 * P), 1), prop_rw),
		OSTD_OK);
	stale = cpu_local()->guard_hint;
	ASSERT_TRUE(stale.pt == &pt);
	ASSERT_EQ(stale.level, 1);
	paddr_t old = stale.node;

	/* Freed by unmap and RCU, then reused as b's level-1 node. */
	ASSERT_EQ(unmap_range(&pt, r, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_EQ(
		map_one(&pt, b, pt_item_untracked(pa_init(9 * P), 1), prop_rw),
		OSTD_OK);
	bool reused = pa_addr(cpu_local()->guard_hint.node) == pa_addr(old);

	ASSERT_TRUE(map_with_hint(&pt, &stale, old, !reused, a, 7 * P));
	ASSERT_TRUE(query_is(&pt, a, a, P, PT_ITEM_UNTRACKED, 7 * P, prop_rw));
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, 9 * P, prop_rw));
	ASSERT_TRUE(query_none(&pt, b + P));

	/* Freed with its table, reused by a table at the same address. */
	ASSERT_TRUE(query_is(&pt, a, a, P, PT_ITEM_UNTRACKED, 7 * P, prop_rw));
	stale = cpu_local()->guard_hint;
	old = stale.node;
	table_destroy(&pt);
	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	/* Level-1 nodes until one is the old node (index 0 in each). */
	uint64_t slots = 0;

	reused = false;
	while (slots < 8 && !reused) {
		uint64_t v = b + slots * SZ_2M;

		ASSERT_EQ(map_one(&pt, v, pt_item_untracked(pa_init(9 * P), 1),
				  prop_rw),
			  OSTD_OK);
		reused = pa_addr(cpu_local()->guard_hint.node) == pa_addr(old);
		slots++;
	}
	ASSERT_TRUE(map_with_hint(&pt, &stale, old, !reused, a, 7 * P));
	ASSERT_TRUE(query_is(&pt, a, a, P, PT_ITEM_UNTRACKED, 7 * P, prop_rw));
	for (uint64_t i = 0; i < slots; i++) {
		uint64_t v = b + i * SZ_2M;

		ASSERT_TRUE(query_is(&pt, v, v, P, PT_ITEM_UNTRACKED, 9 * P,
				     prop_rw));
		ASSERT_TRUE(query_none(&pt, v + P));
	}

	/* Freed, then reused as a data frame: a cursor must not lock it. */
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, 9 * P, prop_rw));
	stale = cpu_local()->guard_hint;
	old = stale.node;
	ASSERT_EQ(unmap_range(&pt, r, SZ_1G, &count), OSTD_OK);
	pt_rcu_barrier();
	struct frame f[16];
	unsigned int nf = 0;

	reused = false;
	while (nf < ARRAY_SIZE(f) && !reused) {
		ASSERT_EQ(frame_alloc(&frame_type_untyped, &f[nf]), OSTD_OK);
		reused = pa_addr(f[nf].pa) == pa_addr(old);
		nf++;
	}
	ASSERT_TRUE(map_with_hint(&pt, &stale, old, !reused, b, 9 * P));
	while (nf > 0) {
		frame_drop(&f[--nf]);
	}
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, 9 * P, prop_rw));
	ASSERT_TRUE(query_none(&pt, a));
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}
