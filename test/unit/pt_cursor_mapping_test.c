// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors (DESIGN.md §4), run once per format, user and kernel
 * halves: Asterinas OSTD's own page-table tests
 * (ostd/src/mm/page_table/test.rs) adapted: mixed granularity and
 * huge-page splits, tracked frames and properties, the kernel's top-level
 * entries, and the basics of the TLB flusher (DESIGN.md §6).
 *
 * The helpers are in test/lib/pt_cursor_helpers.h.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/frame.h"
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
 * Mixed granularity and huge-page splits: OSTD's mapping module.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, mixed_granularity_map_unmap)
{
	struct page_table pt;
	struct leaf_walk w;
	uint64_t expect[PT_MAX_LEVELS + 1] = { 0 };
	uint64_t count = 0;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	/* Pages 13245 .. +3*512+100 to pa 22 * 2 MiB lower: 4K, 2M, 4K. */
	uint64_t va = s + 13245 * P;
	uint64_t pa = (13245 - 11264) * P;
	uint64_t len = (3 * 512 + 100) * P;

	ASSERT_EQ(map_range(&pt, va, pa, len, prop_rw), OSTD_OK);
	count_largest_pages(cfg, va, pa, len, expect);
	ASSERT_GT(expect[1], 0);
	ASSERT_GT(expect[2], 0);
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[1], expect[1]);
	ASSERT_EQ(w.n_level[2], expect[2]);
	/* Queries at a stride that is not a page multiple. */
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t off = i * (P + 1000);
		struct pt_query q;

		ASSERT_EQ(pt_query_at(&pt, (va + off) & ~(P - 1), &q), OSTD_OK);
		ASSERT_EQ(q.item.kind, PT_ITEM_UNTRACKED);
		ASSERT_EQ(pa_addr(q.item.pa) + (va + off - q.va), pa + off);
	}
	/* One page inside the first 2 MiB page: split at both ends. */
	uint64_t u = s + 13456 * P;

	ASSERT_TRUE(query_is(&pt, u, s + 13312 * P, SZ_2M, PT_ITEM_UNTRACKED,
			     pa + (13312 - 13245) * P, prop_rw));
	ASSERT_EQ(unmap_range(&pt, u, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	ASSERT_TRUE(query_none(&pt, u));
	ASSERT_TRUE(query_is(&pt, u - P, u - P, P, PT_ITEM_UNTRACKED,
			     u - P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, u + P, u + P, P, PT_ITEM_UNTRACKED,
			     u + P - (va - pa), prop_rw));
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[1], expect[1] + 511);
	ASSERT_EQ(w.n_level[2], expect[2] - 1);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, mixed_granularity_protect_query)
{
	struct page_table pt;
	struct leaf_walk w;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t expect[PT_MAX_LEVELS + 1] = { 0 };
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	/* 1 GiB - 2 MiB .. 2 GiB + 2 MiB + 2 pages, pa 2 MiB lower. */
	uint64_t va = s + SZ_1G - SZ_2M;
	uint64_t pa = SZ_1G - 2 * SZ_2M;
	uint64_t len = SZ_1G + 2 * SZ_2M + 2 * P;

	ASSERT_EQ(map_range(&pt, va, pa, len, prop_rw), OSTD_OK);
	count_largest_pages(cfg, va, pa, len, expect);
	ASSERT_EQ(expect[2], 512 + 2);
	ASSERT_EQ(expect[1], 2);
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 512 + 2 + 2);
	ASSERT_EQ(w.n_level[2], 512 + 2);
	/* Protect two pages in the first 2 MiB page. */
	uint64_t ps = va + 18 * P;

	ASSERT_TRUE(protect_range(&pt, ps, 2 * P, &c));
	ASSERT_EQ(c.calls, 2);
	ASSERT_TRUE(query_is(&pt, ps - P, ps - P, P, PT_ITEM_UNTRACKED,
			     ps - P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, ps, ps, P, PT_ITEM_UNTRACKED, ps - (va - pa),
			     prop_ro));
	ASSERT_TRUE(query_is(&pt, ps + P, ps + P, P, PT_ITEM_UNTRACKED,
			     ps + P - (va - pa), prop_ro));
	ASSERT_TRUE(query_is(&pt, ps + 2 * P, ps + 2 * P, P, PT_ITEM_UNTRACKED,
			     ps + 2 * P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, va + SZ_2M, va + SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, pa + SZ_2M, prop_rw));
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[1], 2 + 512);
	ASSERT_EQ(w.n_level[2], 512 + 1);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, mixed_granularity_1g)
{
	struct page_table pt;
	struct leaf_walk w;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t count = 0;
	uint64_t s;

	if (cfg->highest_translation_level < 3) {
		/* No 1 GiB leaves in this format (Sv39): the 4K and 2M
		 * mixes are covered by the tests above. */
		return;
	}
	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	/* 4K, 2M, 1G, 2M, 4K: pa congruent to va modulo 1 GiB. */
	uint64_t va = s + SZ_1G - SZ_2M - P;
	uint64_t pa = SZ_1G - SZ_2M - P;
	uint64_t len = SZ_1G + 2 * SZ_2M + 2 * P;
	uint64_t g = s + SZ_1G;

	ASSERT_EQ(map_range(&pt, va, pa, len, prop_rw), OSTD_OK);
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 5);
	ASSERT_EQ(w.n_level[3], 1);
	ASSERT_TRUE(query_is(&pt, g + 5 * SZ_2M + 3 * P, g, SZ_1G,
			     PT_ITEM_UNTRACKED, SZ_1G, prop_rw));
	/* Unmap one page inside the 1 GiB page: 511 2M + 511 4K remain. */
	uint64_t u = g + 2 * SZ_2M + P;

	ASSERT_EQ(unmap_range(&pt, u, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	ASSERT_TRUE(query_none(&pt, u));
	ASSERT_TRUE(query_is(&pt, u - P, u - P, P, PT_ITEM_UNTRACKED,
			     u - P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, u + P, u + P, P, PT_ITEM_UNTRACKED,
			     u + P - (va - pa), prop_rw));
	ASSERT_TRUE(
		query_is(&pt, g, g, SZ_2M, PT_ITEM_UNTRACKED, SZ_1G, prop_rw));
	ASSERT_TRUE(query_is(&pt, g + SZ_1G - SZ_2M, g + SZ_1G - SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, 2 * SZ_1G - SZ_2M, prop_rw));
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[3], 0);
	ASSERT_EQ(w.n_level[2], 2 + 511);
	ASSERT_EQ(w.n_level[1], 2 + 511);
	/* Protect exactly one 2 MiB piece: no split. */
	ASSERT_TRUE(protect_range(&pt, g + 6 * SZ_2M, SZ_2M, &c));
	ASSERT_EQ(c.calls, 1);
	ASSERT_TRUE(query_is(&pt, g + 6 * SZ_2M, g + 6 * SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, SZ_1G + 6 * SZ_2M, prop_ro));
	ASSERT_TRUE(query_is(&pt, g + 7 * SZ_2M, g + 7 * SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, SZ_1G + 7 * SZ_2M, prop_rw));
	/* Everything goes. */
	ASSERT_EQ(unmap_range(&pt, va, len, &count), OSTD_OK);
	ASSERT_EQ(count, 4 + 511 + 511);
	walk_take(&pt, 0, &w);
	ASSERT_EQ(w.n, 0);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, unmap_splits_huge_page_at_both_ends)
{
	struct page_table pt;
	struct leaf_walk w;
	uint64_t count = 0;
	uint64_t b;
	uint64_t pa = 5 * SZ_2M;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_one(&pt, b, pt_item_untracked(pa_init(pa), 2), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(unmap_range(&pt, b + P, 2 * P, &count), OSTD_OK);
	ASSERT_EQ(count, 2);
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, pa, prop_rw));
	ASSERT_TRUE(query_none(&pt, b + P));
	ASSERT_TRUE(query_none(&pt, b + 2 * P));
	ASSERT_TRUE(query_is(&pt, b + 3 * P, b + 3 * P, P, PT_ITEM_UNTRACKED,
			     pa + 3 * P, prop_rw));
	ASSERT_TRUE(query_is(&pt, b + SZ_2M - P, b + SZ_2M - P, P,
			     PT_ITEM_UNTRACKED, pa + SZ_2M - P, prop_rw));
	walk_take(&pt, b - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 510);
	ASSERT_EQ(w.n_level[1], 510);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, protect_splits_huge_page_at_both_ends)
{
	struct page_table pt;
	struct leaf_walk w;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 0;
	uint64_t rl = 0;
	uint64_t b;
	uint64_t pa = 5 * SZ_2M;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_one(&pt, b, pt_item_untracked(pa_init(pa), 2), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, b + P, b + 3 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 2 * P, protect_apply, &c, &rs,
					 &rl),
		  OSTD_OK);
	ASSERT_EQ(rs, b + P);
	ASSERT_EQ(rl, P);
	ASSERT_EQ(pt_cursor_va(&cur), b + 2 * P);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_OK);
	ASSERT_EQ(rs, b + 2 * P);
	ASSERT_EQ(rl, P);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 0, protect_apply, &c, &rs, &rl),
		  OSTD_ENOENT);
	tlb_flusher_issue(pt_cursor_flusher(&cur),
			  (struct tlb_op){ .kind = TLB_OP_RANGE,
					   .va = b + P,
					   .len = 2 * P });
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 2);
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, pa, prop_rw));
	ASSERT_TRUE(query_is(&pt, b + P, b + P, P, PT_ITEM_UNTRACKED, pa + P,
			     prop_ro));
	ASSERT_TRUE(query_is(&pt, b + 2 * P, b + 2 * P, P, PT_ITEM_UNTRACKED,
			     pa + 2 * P, prop_ro));
	ASSERT_TRUE(query_is(&pt, b + 3 * P, b + 3 * P, P, PT_ITEM_UNTRACKED,
			     pa + 3 * P, prop_rw));
	walk_take(&pt, b - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 512);
	ASSERT_EQ(w.n_level[1], 512);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, protect_next_empty_range)
{
	struct page_table pt;
	struct protect_ctx c = { .set = PROT_R, .clear = PROT_W };
	uint64_t rs = 77;
	uint64_t rl = 77;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(pt_cursor_new_mut(&pt, s + P, s + 2 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_ENOENT);
	ASSERT_EQ(pt_cursor_va(&cur), s + 2 * P);
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 0);
	ASSERT_EQ(rs, 77);
	ASSERT_EQ(rl, 77);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, protect_next_touches_only_mapped)
{
	struct page_table pt;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 0;
	uint64_t rl = 0;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(map_one(&pt, s + 2 * P, pt_item_untracked(pa_init(2 * P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, s + P, s + 3 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 2 * P, protect_apply, &c, &rs,
					 &rl),
		  OSTD_OK);
	ASSERT_EQ(rs, s + 2 * P);
	ASSERT_EQ(rl, P);
	ASSERT_EQ(pt_cursor_va(&cur), s + 3 * P);
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 1);
	ASSERT_TRUE(query_is(&pt, s + 2 * P, s + 2 * P, P, PT_ITEM_UNTRACKED,
			     2 * P, prop_ro));
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Tracked frames and properties.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, tracked_frame_refcount_counts_mappings)
{
	struct page_table pt;
	struct pt_check_stats st;
	struct frame f;
	uint64_t count = 0;
	uint64_t a;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	a = pt.va_start + 3 * SZ_2M;
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(map_one(&pt, a, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_EQ(map_one(&pt, a + P, pt_item_frame(f.pa), prop_ro), OSTD_OK);
	/* The handle's reference and one per mapping. */
	ASSERT_EQ(frame_refcount(f.pa), 3);
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	ASSERT_EQ(st.tracked_leaves, 2);
	ASSERT_TRUE(
		query_is(&pt, a, a, P, PT_ITEM_FRAME, pa_addr(f.pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, a + P, a + P, P, PT_ITEM_FRAME, pa_addr(f.pa),
			     prop_ro));
	ASSERT_EQ(unmap_range(&pt, a, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_EQ(frame_refcount(f.pa), 2);
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	ASSERT_EQ(st.tracked_leaves, 1);
	/* Destroying the table drops the remaining mapping's reference. */
	table_destroy(&pt);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, map_preserves_page_property)
{
	struct page_table pt;
	struct pt_query q;
	struct frame f;
	uint64_t a;
	unsigned int tried = 0;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	a = pt.va_start + SZ_1G;
	ASSERT_EQ(pt_cursor_new_mut(&pt, a, a + P, &cur), OSTD_OK);
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL; flags++) {
		/* AVAIL1 is the core's; W+X is never in a kernel table. */
		if ((flags & PT_AVAIL1) != 0 ||
		    (!cfg->top_level_can_unmap &&
		     (flags & (PROT_W | PROT_X)) == (PROT_W | PROT_X))) {
			continue;
		}
		for (int cache = 0; cache < PT_CACHE_COUNT; cache++) {
			struct pt_prop prop = { .flags = flags,
						.cache = (enum pt_cache)cache };

			if (pt_config_leaf_ok(cfg, pa_init(0), 1, prop) !=
			    OSTD_OK) {
				continue;
			}
			tried++;
			ASSERT_EQ(
				pt_cursor_map(&cur, pt_item_frame(f.pa), prop),
				OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
			ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
			ASSERT_TRUE(slot_is(&q, a, P, PT_ITEM_FRAME,
					    pa_addr(f.pa), prop));
			ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
			ASSERT_EQ(
				pt_cursor_map(&cur,
					      pt_item_untracked(pa_init(P), 1),
					      prop),
				OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
			ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
			ASSERT_TRUE(
				slot_is(&q, a, P, PT_ITEM_UNTRACKED, P, prop));
			ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
		}
	}
	pt_cursor_drop(&cur);
	ASSERT_GT(tried, 0);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	table_destroy(&pt);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, map_rejects_avail1_and_illegal_props)
{
	struct page_table pt;
	struct frame f;
	struct pt_prop avail = prop_rw;
	struct pt_prop bad_cache = prop_rw;
	struct pt_prop illegal = prop_rw;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 0;
	uint64_t rl = 0;
	bool found = false;
	uint64_t a;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	a = pt.va_start + SZ_1G;
	avail.flags |= PT_AVAIL1;
	bad_cache.cache = PT_CACHE_COUNT;
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL && !found; flags++) {
		illegal.flags = flags & ~PT_AVAIL1;
		found = pt_config_leaf_ok(cfg, pa_init(0), 1, illegal) ==
			OSTD_EPERM;
	}
	ASSERT_TRUE(found);
	ASSERT_EQ(pt_cursor_new_mut(&pt, a, a + P, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), avail), OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 1), avail),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), illegal),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 1),
				bad_cache),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_va(&cur), a);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);

	/* A free frame cannot be mapped. */
	struct frame gone;

	ASSERT_EQ(frame_alloc(&frame_type_untyped, &gone), OSTD_OK);
	paddr_t gone_pa = gone.pa;

	frame_drop(&gone);
	ASSERT_EQ(map_one(&pt, a, pt_item_frame(gone_pa), prop_rw), OSTD_EPERM);
	ASSERT_EQ(frame_refcount(gone_pa), FRAME_REF_UNUSED);

	/* A read cursor changes nothing. */
	ASSERT_EQ(pt_cursor_new(&pt, a, a + P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), prop_rw),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_EPERM);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_EPERM);
	ASSERT_EQ(c.calls, 0);
	pt_cursor_drop(&cur);

	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 0);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	table_destroy(&pt);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, query_hides_avail1_of_tracked_leaves)
{
	struct page_table pt;
	struct frame f;
	uint64_t a;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	a = pt.va_start + SZ_1G;
	ASSERT_EQ(map_one(&pt, a, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_TRUE(
		query_is(&pt, a, a, P, PT_ITEM_FRAME, pa_addr(f.pa), prop_rw));
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 1);
	ASSERT_EQ(fx_after.leaves[0].item.kind, PT_ITEM_FRAME);
	ASSERT_EQ(fx_after.leaves[0].prop.flags & PT_AVAIL1, 0);
	ASSERT_TRUE(pt_prop_eq(fx_after.leaves[0].prop, prop_rw));
	table_destroy(&pt);
	frame_drop(&f);
}

/* ---------------------------------------------------------------------
 * The kernel's top-level entries (DESIGN.md §2, I1).
 * --------------------------------------------------------------------- */

static pte_t kroot_before[PT_ENTRIES];

TEST_FORMAT(pt_cursor, kernel_top_level_shared_and_untouchable)
{
	const struct pt_config *ucfg;
	const struct pt_config *kcfg;
	struct page_table k;
	struct page_table u;
	struct pt_check_stats st0;
	struct pt_check_stats st;
	uint64_t count = 0;

	ASSERT_TRUE(find_pair(cfg, &ucfg, &kcfg));
	ASSERT_EQ(page_table_new_kernel(kcfg, &k), OSTD_OK);
	ASSERT_EQ(pt_check(&k, &st0), OSTD_OK);
	/* The root and one pre-allocated child per root index. */
	ASSERT_EQ(st0.nodes,
		  1 + (kcfg->top_index_last - kcfg->top_index_first + 1));
	ASSERT_EQ(page_table_new_user(ucfg, &k, &u), OSTD_OK);
	ASSERT_TRUE(u.kernel == &k);
	ASSERT_TRUE(root_shares_kernel(&u, &k));
	memcpy(kroot_before, arch_paddr_to_ptr(k.root), sizeof(kroot_before));

	uint64_t slot = pt_page_size(kcfg->nr_levels);
	uint64_t kva = k.va_start + SZ_2M;

	ASSERT_EQ(
		map_one(&k, kva, pt_item_untracked(pa_init(SZ_2M), 1), prop_rw),
		OSTD_OK);
	/* A user cursor cannot even be created over the kernel half. */
	ASSERT_EQ(try_cursor(&u, kva, kva + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&u, k.va_start, k.va_start + slot), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&u, u.va_start, k.va_start + slot), OSTD_ERANGE);
	ASSERT_TRUE(root_shares_kernel(&u, &k));

	/* Unmapping a whole root slot keeps the slot's child. */
	ASSERT_EQ(unmap_range(&k, k.va_start, slot, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_EQ(pt_check(&k, &st), OSTD_OK);
	ASSERT_EQ(st.nodes, st0.nodes);
	ASSERT_EQ(st.leaves, 0);
	ASSERT_EQ(memcmp(kroot_before, arch_paddr_to_ptr(k.root),
			 sizeof(kroot_before)),
		  0);
	ASSERT_TRUE(root_shares_kernel(&u, &k));

	/* So does unmapping the whole kernel half. */
	ASSERT_EQ(unmap_range(&k, k.va_start, TOP_END - k.va_start, &count),
		  OSTD_OK);
	ASSERT_EQ(count, 0);
	pt_rcu_barrier();
	ASSERT_EQ(check_nodes(&k), st0.nodes);
	ASSERT_EQ(memcmp(kroot_before, arch_paddr_to_ptr(k.root),
			 sizeof(kroot_before)),
		  0);

	/* The whole user half from the user table: the kernel half stays. */
	ASSERT_EQ(map_one(&u, u.va_start + SZ_1G,
			  pt_item_untracked(pa_init(0), 1), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(
		unmap_range(&u, u.va_start, range_end(&u) - u.va_start, &count),
		OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_TRUE(root_shares_kernel(&u, &k));
	ASSERT_NE(check_nodes(&u), UINT64_MAX);

	/* Destroying the user table leaves the shared nodes to the kernel. */
	table_destroy(&u);
	ASSERT_EQ(check_nodes(&k), st0.nodes);
	ASSERT_EQ(memcmp(kroot_before, arch_paddr_to_ptr(k.root),
			 sizeof(kroot_before)),
		  0);
	table_destroy(&k);
}

/* ---------------------------------------------------------------------
 * The TLB flusher (DESIGN.md §6), checked through its struct so that the
 * tests stay arch-neutral.
 * --------------------------------------------------------------------- */

#define NR_KEPT 4

/* Maps NR_KEPT frames at @p b whose only references are their PTEs, and
 * an untracked page at b + 8 pages that keeps the leaf node in place. */
static ostd_err_t map_owned_frames(struct page_table *pt, uint64_t b,
				   paddr_t pas[NR_KEPT])
{
	ostd_err_t err = OSTD_OK;

	for (unsigned int i = 0; i < NR_KEPT && err == OSTD_OK; i++) {
		struct frame f;

		err = frame_alloc(&frame_type_untyped, &f);
		if (err != OSTD_OK) {
			break;
		}
		err = map_one(pt, b + i * P, pt_item_frame(f.pa), prop_rw);
		pas[i] = f.pa;
		frame_drop(&f);
	}
	if (err == OSTD_OK) {
		err = map_one(pt, b + 8 * P, pt_item_untracked(pa_init(0), 1),
			      prop_rw);
	}
	return err;
}

TEST_FORMAT(pt_cursor, flusher_keeps_frames_until_drop)
{
	struct page_table pt;
	paddr_t pas[NR_KEPT];
	uint64_t count = 0;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_owned_frames(&pt, b, pas), OSTD_OK);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + NR_KEPT * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, NR_KEPT * P, &count), OSTD_OK);
	ASSERT_EQ(count, NR_KEPT);
	/* Unmapped, but the flusher holds them until the flush is done. */
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	ASSERT_GE(tlb_flusher_kept(pt_cursor_flusher(&cur)), NR_KEPT);
	pt_cursor_drop(&cur);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), FRAME_REF_UNUSED);
	}
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, flusher_sync_releases_kept_frames)
{
	struct page_table pt;
	paddr_t pas[NR_KEPT];
	uint64_t count = 0;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_owned_frames(&pt, b, pas), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + NR_KEPT * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, NR_KEPT * P, &count), OSTD_OK);
	ASSERT_EQ(count, NR_KEPT);

	struct tlb_flusher *f = pt_cursor_flusher(&cur);
	uint64_t dispatches = f->dispatches;

	/* Dispatched is not yet done: still kept. */
	tlb_flusher_dispatch(f);
	ASSERT_GT(f->dispatches, dispatches);
	ASSERT_GE(tlb_flusher_kept(f), NR_KEPT);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	tlb_flusher_sync(f);
	ASSERT_EQ(tlb_flusher_kept(f), 0);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), FRAME_REF_UNUSED);
	}
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, flusher_32_pages_flush_all)
{
	struct page_table pt;
	uint64_t count = 0;
	uint64_t b;
	const uint64_t n = TLB_FLUSH_ALL_PAGES;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_range(&pt, b, 0, (n + 8) * P, prop_rw), OSTD_OK);

	/* Issued by hand: one page short stays a range, 32 flush all. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + n * P, &cur), OSTD_OK);
	struct tlb_flusher *f = pt_cursor_flusher(&cur);

	tlb_flusher_issue(f, (struct tlb_op){ .kind = TLB_OP_RANGE,
					      .va = b,
					      .len = (n - 1) * P });
	ASSERT_FALSE(flush_all_requested(f));
	tlb_flusher_issue(
		f,
		(struct tlb_op){ .kind = TLB_OP_RANGE, .va = b, .len = n * P });
	ASSERT_TRUE(flush_all_requested(f));
	pt_cursor_drop(&cur);

	/* An unmap of 32 pages. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + n * P, &cur), OSTD_OK);
	f = pt_cursor_flusher(&cur);
	ASSERT_FALSE(flush_all_requested(f));
	ASSERT_EQ(pt_cursor_unmap(&cur, n * P, &count), OSTD_OK);
	ASSERT_EQ(count, n);
	ASSERT_TRUE(flush_all_requested(f));
	pt_cursor_drop(&cur);

	/* A small unmap flushes just what it removed. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, b + n * P, b + (n + 2) * P, &cur),
		  OSTD_OK);
	f = pt_cursor_flusher(&cur);
	ASSERT_EQ(pt_cursor_unmap(&cur, 2 * P, &count), OSTD_OK);
	ASSERT_EQ(count, 2);
	ASSERT_FALSE(flush_all_requested(f));
	ASSERT_GT(f->op_count, 0);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}
