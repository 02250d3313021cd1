// SPDX-License-Identifier: MPL-2.0
/*
 * TLB flushes against what the page-table core frees and splits, and the
 * user-space bound at the canonical hole, on every page-table format.
 *
 * DESIGN.md §6: a frame is released only after every CPU that may cache a
 * translation of it has flushed. The flusher widens a range of
 * TLB_FLUSH_ALL_PAGES pages or more into one full flush; the kernel
 * table's leaves are global, which a flush of "every non-global entry"
 * keeps. These tests fill simulated TLBs with global translations and
 * check that unmapping and splitting removes them before anything is
 * freed. The TLB is only observable on the host's simulated CPUs: in a
 * kernel image those tests return at once (the hardware TLB cannot be
 * read), and the hole test runs everywhere.
 */

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"
#include "../lib/pt_tlb_check.h"

/* The kernel-half config of @p cfg's format. */
static const struct pt_config *kernel_cfg(const struct pt_config *cfg)
{
	return cfg->top_level_can_unmap ? pt_test_kernel_twin(cfg) : cfg;
}

/* The user-half config of @p cfg's format. */
static const struct pt_config *user_cfg(const struct pt_config *cfg)
{
	return cfg->top_level_can_unmap ? cfg : pt_test_user_twin(cfg);
}

/* A kernel leaf as the kernel maps its own memory: global, R/W, not X. */
static struct pt_prop global_rw(const struct pt_config *kcfg)
{
	return (struct pt_prop){ .flags = (PROT_R | PROT_W | PT_GLOBAL |
					   PT_ACCESSED | PT_DIRTY) &
					  kcfg->legal_flags,
				 .cache = PT_CACHE_WRITEBACK };
}

/*
 * Maps @p n tracked global 4 KiB pages on a fresh kernel table live on the
 * simulated CPUs, reads each through every CPU, unmaps all @p n in one
 * call and drops the cursor. Then every frame is free, and no CPU's TLB
 * may still translate into one of them: with n >= TLB_FLUSH_ALL_PAGES the
 * flush is a full one, which must drop global entries too.
 */
static void unmap_global_pages(const struct pt_config *cfg, unsigned int n)
{
	const struct pt_config *kcfg = kernel_cfg(cfg);
	struct page_table kpt;
	struct pt_cursor cur;
	paddr_t pa[64];

	ASSERT_TRUE(kcfg != NULL && n <= 64);
	ASSERT_EQ(page_table_new_kernel(kcfg, &kpt), OSTD_OK);
	ASSERT_TRUE(pt_test_tlb_attach(&kpt));
	struct pt_prop prop = global_rw(kcfg);
	uint64_t va = kpt.va_start + (1ULL << 30);

	ASSERT_TRUE((prop.flags & PT_GLOBAL) != 0);
	ASSERT_EQ(pt_cursor_new_mut(&kpt, va, va + n * P, &cur), OSTD_OK);
	for (unsigned int i = 0; i < n; i++) {
		struct frame f;

		ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
		pa[i] = f.pa;
		ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), prop),
			  OSTD_OK);
		/* The mapping holds the only reference from here on. */
		frame_drop(&f);
	}
	pt_cursor_drop(&cur);
	for (unsigned int i = 0; i < n; i++) {
		ASSERT_TRUE(pt_test_tlb_touch(va + i * P));
		ASSERT_TRUE(pt_test_tlb_caches(pa[i]));
	}
	ASSERT_EQ(pt_cursor_new_mut(&kpt, va, va + n * P, &cur), OSTD_OK);
	uint64_t count = 0;

	ASSERT_EQ(pt_cursor_unmap(&cur, n * P, &count), OSTD_OK);
	ASSERT_EQ(count, n);
	/* Kept by the flusher until it has flushed everywhere. */
	for (unsigned int i = 0; i < n; i++) {
		ASSERT_EQ(frame_refcount(pa[i]), 1);
	}
	ASSERT_EQ(pt_test_tlb_freed_frames(), 0);
	pt_cursor_drop(&cur);
	for (unsigned int i = 0; i < n; i++) {
		ASSERT_EQ(frame_refcount(pa[i]), FRAME_REF_UNUSED);
		ASSERT_FALSE(pt_test_tlb_caches(pa[i]));
		for (unsigned int c = 0; c < PT_TEST_TLB_CPUS; c++) {
			ASSERT_FALSE(
				pt_test_tlb_translates(c, va + i * P, NULL));
		}
	}
	ASSERT_EQ(pt_test_tlb_freed_frames(), 0);
	pt_test_tlb_detach(&kpt);
	page_table_destroy(&kpt);
}

/* Below TLB_FLUSH_ALL_PAGES: one page flush each, globals included. */
TEST_FORMAT(pt_tlb, unmap_of_8_global_pages_leaves_no_freed_frame_cached)
{
	if (!IS_ENABLED(CONFIG_ARCH_HOST)) {
		return;
	}
	unmap_global_pages(cfg, 8);
}

/* The issue 15 reproducer: 40 >= TLB_FLUSH_ALL_PAGES, a full flush. */
TEST_FORMAT(pt_tlb, unmap_of_40_global_pages_leaves_no_freed_frame_cached)
{
	if (!IS_ENABLED(CONFIG_ARCH_HOST)) {
		return;
	}
	ASSERT_GE(40, TLB_FLUSH_ALL_PAGES);
	unmap_global_pages(cfg, 40);
}

/*
 * A global huge page of the format's largest leaf size (1 GiB, or 2 MiB on
 * Sv39), cached whole by every CPU; unmapping 64 KiB in its middle splits
 * it. Afterwards no CPU may still translate the unmapped 64 KiB through
 * the old huge entry, and the rest still translates to where it did.
 */
TEST_FORMAT(pt_tlb, split_of_a_global_huge_page_drops_the_huge_entry)
{
	if (!IS_ENABLED(CONFIG_ARCH_HOST)) {
		return;
	}
	const struct pt_config *kcfg = kernel_cfg(cfg);
	struct page_table kpt;
	struct pt_cursor cur;

	ASSERT_TRUE(kcfg != NULL);
	pt_level_t level = kcfg->highest_translation_level;

	while (level > 1 && !kcfg->level[level].leaf_ok) {
		level--;
	}
	ASSERT_GT(level, 1);
	uint64_t size = pt_page_size(level);
	/* Not RAM: an untracked range the simulated MMU translates only. */
	paddr_t pa = pa_init(1ULL << 40);
	uint64_t hole = size / 2;
	uint64_t hole_len = 64ULL * 1024;

	ASSERT_EQ(page_table_new_kernel(kcfg, &kpt), OSTD_OK);
	ASSERT_TRUE(pt_test_tlb_attach(&kpt));
	uint64_t va = kpt.va_start + 4 * size;

	ASSERT_EQ(pt_cursor_new_mut(&kpt, va, va + size, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa, level),
				global_rw(kcfg)),
		  OSTD_OK);
	pt_cursor_drop(&cur);
	ASSERT_TRUE(pt_test_tlb_touch(va));
	ASSERT_TRUE(pt_test_tlb_touch(va + hole));
	ASSERT_EQ(
		pt_cursor_new_mut(&kpt, va + hole, va + hole + hole_len, &cur),
		OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, hole_len, NULL), OSTD_OK);
	pt_cursor_drop(&cur);
	for (unsigned int c = 0; c < PT_TEST_TLB_CPUS; c++) {
		paddr_t got;

		for (uint64_t off = 0; off < hole_len; off += P) {
			ASSERT_FALSE(pt_test_tlb_translates(c, va + hole + off,
							    NULL));
		}
		ASSERT_TRUE(pt_test_tlb_translates(c, va, &got));
		ASSERT_EQ(pa_addr(got), pa_addr(pa));
		ASSERT_TRUE(
			pt_test_tlb_translates(c, va + hole + hole_len, &got));
		ASSERT_EQ(pa_addr(got), pa_addr(pa) + hole + hole_len);
	}
	pt_test_tlb_detach(&kpt);
	page_table_destroy(&kpt);
}

/*
 * DESIGN.md §2: user space ends one page below the canonical hole on every
 * ISA, so the page just below the hole is refused as the one below 2^47 is
 * on the 48-bit formats: OSTD_ERANGE, from a cursor over it, on every
 * format (Sv39's hole starts at 2^38). The page below that one is user
 * space.
 */
TEST_FORMAT(pt_tlb, page_below_the_canonical_hole_is_not_user_space)
{
	const struct pt_config *ucfg = user_cfg(cfg);
	struct page_table pt;
	struct pt_cursor cur;

	ASSERT_TRUE(ucfg != NULL);
	if (!ucfg->va_sign_extend) {
		return;
	}
	uint64_t hole = 1ULL << (ucfg->va_bits - 1);

	ASSERT_EQ(page_table_new_user(ucfg, NULL, &pt), OSTD_OK);
	ASSERT_EQ(pt.va_last, hole - P - 1);
	ASSERT_LE(pt.va_last, MAX_USER_VADDR - 1);
	ASSERT_EQ(pt_cursor_new(&pt, hole - P, hole, &cur), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_new_mut(&pt, hole - P, hole, &cur), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_new_mut(&pt, hole - 2 * P, hole, &cur),
		  OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_new_mut(&pt, hole - 2 * P, hole - P, &cur),
		  OSTD_OK);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(1ULL << 40), 1),
			      (struct pt_prop){ .flags = PROT_R | PROT_USER,
						.cache = PT_CACHE_WRITEBACK }),
		OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, hole - 2 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_OK);
	pt_cursor_drop(&cur);
	page_table_destroy(&pt);
}
