// SPDX-License-Identifier: MPL-2.0
/*
 * Frame accounting (TESTING.md I2): a tracked frame's refcount is always
 * its handles plus its mappings plus what flushers keep, through map,
 * unmap, flush and release.
 */

#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/test.h"

#include "../lib/pt_invariants.h"
#include "../lib/pt_test_util.h"

#define FRAMES 3

struct handles {
	paddr_t pa[FRAMES];
	bool held[FRAMES];
};

static uint64_t count_handles(paddr_t pa, void *ctx)
{
	const struct handles *h = ctx;
	uint64_t n = 0;

	for (unsigned int i = 0; i < FRAMES; i++) {
		n += h->held[i] && pa_addr(h->pa[i]) == pa_addr(pa);
	}
	return n;
}

TEST_FORMAT(pt_accounting, refcount_is_handles_plus_mappings_plus_kept)
{
	struct page_table pt;
	struct pt_cursor c;
	struct frame f[FRAMES];
	struct handles h;
	struct pt_prop r = { .flags = PROT_R, .cache = PT_CACHE_WRITEBACK };
	uint64_t base;
	uint64_t n;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	base = pt.va_start + (64ULL << 20);
	for (unsigned int i = 0; i < FRAMES; i++) {
		ASSERT_EQ(frame_alloc(&frame_type_untyped, &f[i]), OSTD_OK);
		h.pa[i] = f[i].pa;
		h.held[i] = true;
	}
	ASSERT_EQ(pt_cursor_new_mut(&pt, base, base + 64 * PAGE_SIZE, &c),
		  OSTD_OK);
	const struct tlb_flusher *fl[] = { pt_cursor_flusher(&c) };

	/* Frame 0 mapped three times, frame 1 once, frame 2 not at all. */
	for (unsigned int i = 0; i < 3; i++) {
		ASSERT_EQ(pt_cursor_map(&c, pt_item_frame(f[0].pa), r),
			  OSTD_OK);
	}
	ASSERT_EQ(pt_cursor_map(&c, pt_item_frame(f[1].pa), r), OSTD_OK);
	ASSERT_EQ(frame_refcount(f[0].pa), 4);
	ASSERT_TRUE(pt_check_accounting(&pt, fl, 1, count_handles, &h));

	/* Unmapped but not yet flushed: the flusher holds the reference. */
	ASSERT_EQ(pt_cursor_jump(&c, base + PAGE_SIZE), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&c, 2 * PAGE_SIZE, &n), OSTD_OK);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(frame_refcount(f[0].pa), 4);
	ASSERT_EQ(tlb_flusher_kept(pt_cursor_flusher(&c)), 2);
	ASSERT_TRUE(pt_check_accounting(&pt, fl, 1, count_handles, &h));

	/* The caller may drop its handle: the mappings keep the frame. */
	frame_drop(&f[1]);
	h.held[1] = false;
	ASSERT_TRUE(pt_check_accounting(&pt, fl, 1, count_handles, &h));
	pt_cursor_drop(&c);
	ASSERT_EQ(frame_refcount(h.pa[0]), 2);
	ASSERT_EQ(frame_refcount(h.pa[1]), 1);
	ASSERT_TRUE(pt_check_accounting(&pt, NULL, 0, count_handles, &h));

	/* Destroying the table releases the mappings' references. */
	page_table_destroy(&pt);
	ASSERT_EQ(frame_refcount(h.pa[0]), 1);
	ASSERT_EQ(frame_refcount(h.pa[1]), FRAME_REF_UNUSED);
	frame_drop(&f[0]);
	frame_drop(&f[2]);
	pt_rcu_barrier();
}
