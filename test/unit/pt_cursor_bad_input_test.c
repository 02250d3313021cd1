// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors (DESIGN.md §4), run once per format, user and kernel
 * halves: the bad-input table B1-B20 of TESTING.md, and B21 for
 * protect_mask.
 *
 * Error codes are page_table.h's, which are more specific than
 * TESTING.md's "-EINVAL". Where one bad range breaks two rules, the
 * checks that need only the arguments come first: empty or reversed
 * (OSTD_EINVAL), then unaligned (OSTD_EUNALIGNED), then outside the table
 * (OSTD_ERANGE).
 *
 * Fixtures and snapshots are static: a kernel image runs its tests on a
 * small boot stack.
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

/* ---------------------------------------------------------------------
 * The fixture of the bad-input rows: a table with a tracked 4 KiB frame
 * at base and an untracked 2 MiB page at base + 2 MiB. A bad call must
 * leave the leaves, the frame's refcount and the frames in use as they
 * were.
 * --------------------------------------------------------------------- */

#define FX_HUGE_PA (3 * SZ_2M)

static struct {
	struct page_table pt;
	struct frame frame;
	uint64_t base; /* 1 GiB into the managed range. */
	uint64_t huge; /* base + 2 MiB. */
	uint64_t in_use;
} fx;

static struct snap fx_before;
static struct snap fx_after;

/* Records the state that bad calls must leave alone. */
static void fixture_snap(void)
{
	snap_take(&fx.pt, &fx_before);
	fx.in_use = frame_stats_in_use();
}

static ostd_err_t fixture_setup(const struct pt_config *cfg)
{
	fx.frame.pa = pa_init(0);
	ostd_err_t err = pt_test_new_table(cfg, &fx.pt);

	if (err != OSTD_OK) {
		return err;
	}
	fx.base = fx.pt.va_start + SZ_1G;
	fx.huge = fx.base + SZ_2M;
	err = frame_alloc(&frame_type_untyped, &fx.frame);
	if (err == OSTD_OK) {
		err = map_one(&fx.pt, fx.base, pt_item_frame(fx.frame.pa),
			      prop_rw);
	}
	if (err == OSTD_OK) {
		err = map_one(&fx.pt, fx.huge,
			      pt_item_untracked(pa_init(FX_HUGE_PA), 2),
			      prop_rw);
	}
	fixture_snap();
	return err;
}

static void fixture_teardown(void)
{
	table_destroy(&fx.pt);
	if (pa_addr(fx.frame.pa) != 0) {
		frame_drop(&fx.frame);
	}
}

/* The leaves and the frame's references are as fixture_snap() saw. */
static bool fixture_same_leaves(void)
{
	struct pt_check_stats st;

	snap_take(&fx.pt, &fx_after);
	return snap_eq(&fx_before, &fx_after) &&
	       frame_refcount(fx.frame.pa) == 2 &&
	       pt_check(&fx.pt, &st) == OSTD_OK;
}

/* Also no frame allocated or freed: for calls that create no cursor. */
#define ASSERT_FIXTURE_UNCHANGED()                          \
	do {                                                \
		ASSERT_TRUE(fixture_same_leaves());         \
		ASSERT_EQ(frame_stats_in_use(), fx.in_use); \
	} while (0)

/* The fixture and a cursor (@p mut: mutable) over [base, base + 4 pages). */
static ostd_err_t fixture_cursor(const struct pt_config *cfg, bool mut)
{
	ostd_err_t err = fixture_setup(cfg);
	uint64_t b = fx.base;

	if (err != OSTD_OK) {
		return err;
	}
	return mut ? pt_cursor_new_mut(&fx.pt, b, b + 4 * P, &cur)
		   : pt_cursor_new(&fx.pt, b, b + 4 * P, &cur);
}

/*
 * After bad calls on cur: no frame allocated or freed since @p used was
 * taken, and, cur dropped, the leaves as they were.
 */
#define ASSERT_CURSOR_LEFT_FIXTURE(used)                 \
	do {                                             \
		ASSERT_EQ(frame_stats_in_use(), (used)); \
		pt_cursor_drop(&cur);                    \
		ASSERT_TRUE(fixture_same_leaves());      \
	} while (0)

/* ---------------------------------------------------------------------
 * B1-B20: the bad-input table of TESTING.md.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, bad_input_01_empty_range)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_EQ(try_cursor(&fx.pt, fx.pt.va_start, fx.pt.va_start),
		  OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base, fx.base), OSTD_EINVAL);
	/* Never computes end - 1 (vostd#603). */
	ASSERT_EQ(try_cursor(&fx.pt, 0, 0), OSTD_EINVAL);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_02_reversed_range)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_EQ(try_cursor(&fx.pt, P, 0), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + P, fx.base), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + SZ_2M, fx.base), OSTD_EINVAL);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_03_unaligned_range)
{
	uint64_t s;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	s = fx.pt.va_start;
	ASSERT_EQ(try_cursor(&fx.pt, s + 1, s + P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(try_cursor(&fx.pt, s, s + P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + P - 1, fx.base + 2 * P),
		  OSTD_EUNALIGNED);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_04_last_page_ok)
{
	struct frame g;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/*
	 * User tables: U = va_last + 1, which is MAX_USER_VADDR wherever the
	 * format reaches it (not Sv39, whose user half ends at 2^38). Kernel
	 * tables: the highest page a cursor can end at.
	 */
	uint64_t u = range_end(&fx.pt);

	if (cfg->top_level_can_unmap && cfg->va_bits == 48) {
		ASSERT_EQ(u, MAX_USER_VADDR);
	}
	ASSERT_EQ(try_cursor(&fx.pt, u - P, u), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &g), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, u - P, u, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(g.pa), prop_rw), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), u);
	ASSERT_EQ(pt_cursor_jump(&cur, u - P), OSTD_OK);
	struct pt_query q;

	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(
		slot_is(&q, u - P, P, PT_ITEM_FRAME, pa_addr(g.pa), prop_rw));
	uint64_t count = 0;

	ASSERT_EQ(pt_cursor_unmap(&cur, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_cursor_drop(&cur);
	ASSERT_EQ(frame_refcount(g.pa), 1);
	frame_drop(&g);
	/* Nodes the cursor needed may stay; the leaves are as they were. */
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_05_past_user_end)
{
	if (!cfg->top_level_can_unmap) {
		/* The kernel half has nothing above it: rows 9 and 10 and
		 * top_of_range_no_overflow cover its end. */
		return;
	}
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	uint64_t u = range_end(&fx.pt);

	/* The SYSRET page (Fuchsia, S4), and what straddles or follows it. */
	ASSERT_EQ(try_cursor(&fx.pt, u, u + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, u - P, u + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, MAX_USER_VADDR, MAX_USER_VADDR + P),
		  OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base, MAX_USER_VADDR + P), OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_06_unaligned_straddle_of_user_end)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/* Asterinas overflow_boundary_mapping: unaligned, so that first. */
	ASSERT_EQ(try_cursor(&fx.pt, MAX_USER_VADDR - P / 2,
			     MAX_USER_VADDR + P / 2),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(
		try_cursor(&fx.pt, (1ULL << 47) - P / 2, (1ULL << 47) + P / 2),
		OSTD_EUNALIGNED);
	/* Aligned, it is out of range on both halves. */
	ASSERT_EQ(try_cursor(&fx.pt, (1ULL << 47) - P, (1ULL << 47) + P),
		  OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_07_non_canonical)
{
	uint64_t lower_top = 1ULL << (cfg->va_bits - 1);
	uint64_t upper_bottom = (uint64_t)0 - lower_top;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_FALSE(pt_config_va_canonical(cfg, 0x0000800000000000ULL));
	ASSERT_FALSE(pt_config_va_canonical(cfg, lower_top));
	ASSERT_FALSE(pt_config_va_canonical(cfg, upper_bottom - P));
	ASSERT_EQ(try_cursor(&fx.pt, 0x0000800000000000ULL,
			     0x0000800000000000ULL + P),
		  OSTD_ERANGE);
	/* Both edges of this format's hole, and ranges across them. */
	ASSERT_EQ(try_cursor(&fx.pt, lower_top, lower_top + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, upper_bottom - P, upper_bottom),
		  OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, lower_top - P, lower_top + P),
		  OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, upper_bottom - P, upper_bottom + P),
		  OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_08_other_half)
{
	uint64_t upper_bottom = (uint64_t)0 - (1ULL << (cfg->va_bits - 1));

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	if (cfg->top_level_can_unmap) {
		/* Asterinas boundary_conditions. */
		ASSERT_EQ(try_cursor(&fx.pt, 0xffff800000000000ULL,
				     0xffff800000010000ULL),
			  OSTD_ERANGE);
		ASSERT_EQ(try_cursor(&fx.pt, upper_bottom, upper_bottom + P),
			  OSTD_ERANGE);
		ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, TOP_END),
			  OSTD_ERANGE);
	} else {
		ASSERT_EQ(try_cursor(&fx.pt, 0, P), OSTD_ERANGE);
		ASSERT_EQ(try_cursor(&fx.pt, SZ_1G, SZ_1G + P), OSTD_ERANGE);
	}
	/* A range over both halves. */
	ASSERT_EQ(try_cursor(&fx.pt, P, upper_bottom + P), OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_09_end_wrapped_to_zero)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/* end == 0 is reversed, never "up to 2^64", and never underflows. */
	ASSERT_EQ(try_cursor(&fx.pt, ~0ULL - P + 1, 0), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, 0), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base, 0), OSTD_EINVAL);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_10_end_overflows)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/* va + len wrapped below va: the checked add a caller forgot. */
	uint64_t len = ~0ULL & ~(P - 1);

	ASSERT_EQ(try_cursor(&fx.pt, fx.base, fx.base + len), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + P, fx.base + P + (0 - fx.base)),
		  OSTD_EINVAL);
	if (!cfg->top_level_can_unmap) {
		/* At the top of the kernel half. */
		ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, TOP_END - P + 2 * P),
			  OSTD_EINVAL);
		ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, TOP_END - P + 3 * P),
			  OSTD_EINVAL);
	}
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_11_tagged_address)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/*
	 * AArch64 TBI is off: a tagged pointer is just non-canonical, on
	 * every format and in both halves.
	 */
	uint64_t untagged = fx.base & ~(0xffULL << 56);

	for (uint64_t tag = 0x01; tag <= 0xff; tag += 0x59) {
		uint64_t va = untagged | (tag << 56);

		ASSERT_FALSE(pt_config_va_canonical(cfg, va));
		ASSERT_EQ(try_cursor(&fx.pt, va, va + P), OSTD_ERANGE);
	}
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_12_unmap_unaligned_len)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_unmap(&cur, 1, &count), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_unmap(&cur, P - 1, &count), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_unmap(&cur, P + 1, &count), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_unmap(&cur, 4 * P - 1, NULL), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_13_unmap_zero_len)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	/* Pinned: OK and a no-op at the cursor level (ast@aa77747f9). */
	ASSERT_EQ(pt_cursor_unmap(&cur, 0, &count), OSTD_OK);
	ASSERT_EQ(count, 0);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0, NULL), OSTD_OK);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_14_unmap_past_end)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_unmap(&cur, 5 * P, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_EQ(pt_cursor_jump(&cur, fx.base + 3 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, 2 * P, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base + 3 * P);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_15_unmap_huge_len)
{
	uint64_t huge = ~0ULL & ~(P - 1);
	uint64_t count = 77;

	/* asterinas#3159: va + len wraps to below the end. */
	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_unmap(&cur, huge, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0 - fx.base, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_jump(&cur, fx.base + P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0 - fx.base, &count), OSTD_EINVAL);
	ASSERT_CURSOR_LEFT_FIXTURE(used);

	/* A cursor over the whole managed range, where a wrap lands inside. */
	uint64_t s = fx.pt.va_start;

	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, s, range_end(&fx.pt), &cur),
		  OSTD_OK);
	used = frame_stats_in_use();
	ASSERT_EQ(pt_cursor_unmap(&cur, huge, &count), OSTD_EINVAL);
	if (s != 0) {
		/* Wraps to P, below the end of the kernel half. */
		ASSERT_EQ(pt_cursor_unmap(&cur, 0 - s + P, &count),
			  OSTD_EINVAL);
	}
	ASSERT_EQ(pt_cursor_va(&cur), s);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_16_protect_bad_len)
{
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 77;
	uint64_t rl = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_protect_next(&cur, 1, protect_apply, &c, &rs, &rl),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P + 1, protect_apply, &c, &rs,
					 &rl),
		  OSTD_EUNALIGNED);
	/* Asterinas protect_out_range_page. */
	ASSERT_EQ(pt_cursor_protect_next(&cur, 5 * P, protect_apply, &c, &rs,
					 &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_next(&cur, ~0ULL & ~(P - 1), protect_apply,
					 &c, &rs, &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 0 - fx.base, protect_apply, &c,
					 &rs, &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(c.calls, 0);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_17_find_next_bad_len)
{
	uint64_t found = 77;
	uint64_t va;

	ASSERT_EQ(fixture_cursor(cfg, false), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_jump(&cur, fx.base + P), OSTD_OK);
	va = pt_cursor_va(&cur);
	/* find_next_rejects_overflowing_len: va + len wraps to 0. */
	ASSERT_EQ(pt_cursor_find_next(&cur, 0 - va, &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, ~0ULL & ~(P - 1), &found),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, 4 * P, &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, 1, &found), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_find_next(&cur, P + 1, &found), OSTD_EUNALIGNED);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_va(&cur), va);
	/* len 0 finds nothing and stays. */
	ASSERT_EQ(pt_cursor_find_next(&cur, 0, &found), OSTD_ENOENT);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_va(&cur), va);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_18_jump_out_of_range)
{
	uint64_t b;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	b = fx.base;
	ASSERT_EQ(pt_cursor_new(&fx.pt, b + P, b + 4 * P, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 4 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 5 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, 0), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, ~0ULL & ~(P - 1)), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 2 * P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_va(&cur), b + P);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 3 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), b + 3 * P);
	ASSERT_EQ(pt_cursor_jump(&cur, b + P), OSTD_OK);
	ASSERT_CURSOR_LEFT_FIXTURE(used);

	/* Near the top of the range (2^64 for the kernel): no wrap. */
	uint64_t e = range_end(&fx.pt);

	ASSERT_EQ(pt_cursor_new(&fx.pt, e - 4 * P, e, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, e), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, e + P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, ~0ULL & ~(P - 1)), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, 0), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, e - 5 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_va(&cur), e - 4 * P);
	ASSERT_EQ(pt_cursor_jump(&cur, e - P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), e - P);
	pt_cursor_drop(&cur);
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_19_map_bad_huge_page)
{
	pt_level_t top = cfg->highest_translation_level;
	uint64_t b;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	b = fx.base + 2 * SZ_2M;
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + 2 * SZ_2M, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	/* vostd map_panic_conditions: misaligned va, then misaligned pa. */
	ASSERT_EQ(pt_cursor_jump(&cur, b + P), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(SZ_2M), 2),
				prop_rw),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(SZ_2M + P), 2),
				prop_rw),
		  OSTD_EUNALIGNED);
	/* Levels: 0, above the highest translation level, absurd. */
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 0), prop_rw),
		OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(0), top + 1),
				prop_rw),
		  OSTD_EINVAL);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 9), prop_rw),
		OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), b);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);

	/* va + size past the end. */
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + SZ_2M / 2, &cur), OSTD_OK);
	used = frame_stats_in_use();
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(SZ_2M), 2),
				prop_rw),
		  OSTD_ERANGE);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);
	if (top >= 3) {
		/* 1 GiB: misaligned va, then past the end. */
		uint64_t g = fx.base + SZ_1G;

		ASSERT_EQ(pt_cursor_new_mut(&fx.pt, g, g + 2 * SZ_1G, &cur),
			  OSTD_OK);
		used = frame_stats_in_use();
		ASSERT_EQ(pt_cursor_jump(&cur, g + SZ_2M), OSTD_OK);
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(SZ_1G), 3),
					prop_rw),
			  OSTD_EUNALIGNED);
		ASSERT_EQ(frame_stats_in_use(), used);
		pt_cursor_drop(&cur);
		ASSERT_EQ(pt_cursor_new_mut(&fx.pt, g, g + SZ_1G / 2, &cur),
			  OSTD_OK);
		used = frame_stats_in_use();
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(SZ_1G), 3),
					prop_rw),
			  OSTD_ERANGE);
		ASSERT_EQ(frame_stats_in_use(), used);
		pt_cursor_drop(&cur);
	}
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_20_map_over_existing)
{
	struct frame g;
	struct frame h;
	uint64_t b;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	b = fx.base;
	/* One more 2 MiB region whose only mapping is its last page. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &h), OSTD_OK);
	ASSERT_EQ(map_one(&fx.pt, b + 3 * SZ_2M - P, pt_item_frame(h.pa),
			  prop_rw),
		  OSTD_OK);
	fixture_snap();
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &g), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + 4 * SZ_2M, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();
	const struct pt_item small = pt_item_untracked(pa_init(SZ_2M), 1);
	const struct pt_item big = pt_item_untracked(pa_init(SZ_2M), 2);

	/* 4 KiB over 4 KiB, tracked and untracked. */
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(g.pa), prop_rw),
		  OSTD_EEXIST);
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, small, prop_ro), OSTD_EEXIST);
	/* 4 KiB beneath a 2 MiB page: no split, no leak. */
	ASSERT_EQ(pt_cursor_jump(&cur, fx.huge), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, small, prop_rw), OSTD_EEXIST);
	ASSERT_EQ(pt_cursor_jump(&cur, fx.huge + 7 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(g.pa), prop_rw),
		  OSTD_EEXIST);
	/* 2 MiB over a 4 KiB page at its start, and at its end. */
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, big, prop_rw), OSTD_EEXIST);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 2 * SZ_2M), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, big, prop_rw), OSTD_EEXIST);
	/* 2 MiB over 2 MiB. */
	ASSERT_EQ(pt_cursor_jump(&cur, fx.huge), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, big, prop_rw), OSTD_EEXIST);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);
	if (cfg->highest_translation_level >= 3) {
		/* 1 GiB over everything above. */
		ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + SZ_1G, &cur),
			  OSTD_OK);
		used = frame_stats_in_use();
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(SZ_1G), 3),
					prop_rw),
			  OSTD_EEXIST);
		ASSERT_EQ(frame_stats_in_use(), used);
		pt_cursor_drop(&cur);
	}
	ASSERT_TRUE(fixture_same_leaves());
	ASSERT_EQ(frame_refcount(g.pa), 1);
	ASSERT_EQ(frame_refcount(h.pa), 2);
	frame_drop(&g);
	fixture_teardown();
	ASSERT_EQ(frame_refcount(h.pa), 1);
	frame_drop(&h);
}

/*
 * protect_mask's bad inputs: the length rules of protect_next, masks that
 * are malformed (OSTD_EINVAL) or touch the core's bit (OSTD_EPERM), a
 * read cursor, and a range where one leaf's new flags are refused, which
 * must leave every leaf, the huge page unsplit and no node allocated.
 */
TEST_FORMAT(pt_cursor, bad_input_21_protect_mask)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_protect_mask(&cur, 1, 0, PROT_W, &count),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P + 1, 0, PROT_W, &count),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, 5 * P, 0, PROT_W, &count),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, ~0ULL & ~(P - 1), 0, PROT_W,
					 &count),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, 0 - fx.base, 0, PROT_W, &count),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P, PROT_W, PROT_W, &count),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P, 1U << 20, 0, &count),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P, 0, 1U << 31, &count),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P, PT_AVAIL1, 0, &count),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P, 0, PT_AVAIL1, &count),
		  OSTD_EPERM);
	ASSERT_EQ(count, 77);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	/* Nothing to do is no error, and moves to the end of the range. */
	ASSERT_EQ(pt_cursor_protect_mask(&cur, 0, 0, PROT_W, &count), OSTD_OK);
	ASSERT_EQ(count, 0);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();

	count = 77;
	ASSERT_EQ(fixture_cursor(cfg, false), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, P, 0, PROT_W, &count),
		  OSTD_EPERM);
	ASSERT_EQ(count, 77);
	pt_cursor_drop(&cur);
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();

	/* S5: W+X in a kernel table, met past a huge page to split. */
	if (cfg->top_level_can_unmap || (cfg->legal_flags & PROT_X) == 0) {
		return;
	}
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, fx.base, fx.huge + 2 * P, &cur),
		  OSTD_OK);
	used = frame_stats_in_use();
	ASSERT_EQ(pt_cursor_protect_mask(&cur, fx.huge + P - fx.base, PROT_X, 0,
					 &count),
		  OSTD_EPERM);
	ASSERT_EQ(count, 77);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}
