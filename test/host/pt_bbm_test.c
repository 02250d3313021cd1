// SPDX-License-Identifier: MPL-2.0
/*
 * Break-before-make on the formats whose software MMU checks it (AArch64:
 * sim_mmu_hw.needs_bbm; sim.h describes the detector). First the detector
 * itself: a violation planted by writing a descriptor in place is caught,
 * and the allowed changes are not reported. Then the core: every path that
 * overwrites a valid entry (a split, protect, a leaf over an empty table)
 * with the old translation cached in two CPUs' TLBs, which the detector
 * checks as the flushes remove it. The host runner fails any test that
 * adds a violation it did not declare (sim_bbm_expect()).
 */

#include "ostd/host/sim.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"
#include "../lib/pt_tlb_check.h"

#define SZ_2M (2ULL << 20)

/* The user-half config of @p cfg's format, if its MMU checks BBM. */
static const struct pt_config *bbm_cfg(const struct pt_config *cfg)
{
	const struct pt_config *u =
		cfg->top_level_can_unmap ? cfg : pt_test_user_twin(cfg);
	const struct sim_mmu_hw *hw = u != NULL ? sim_mmu_for(u) : NULL;

	return hw != NULL && hw->needs_bbm != NULL ? u : NULL;
}

static const struct pt_prop rw = {
	.flags = PROT_R | PROT_W | PROT_USER | PT_ACCESSED,
	.cache = PT_CACHE_WRITEBACK,
};

/* The entry at @p level that translates @p va, read with the codec. */
static pte_t *slot_of(struct page_table *pt, uint64_t va, pt_level_t level)
{
	const struct pt_config *cfg = pt->cfg;
	paddr_t node = pt->root;

	for (pt_level_t l = cfg->nr_levels;; l--) {
		pte_t *e =
			(pte_t *)sim_phys_ptr(node, P) + pt_index(cfg, va, l);

		if (l == level) {
			return e;
		}
		node = cfg->paddr(cfg, *e, l);
	}
}

/* Flushes @p va on every attached CPU, as the flusher would. */
static void flush_everywhere(uint64_t va)
{
	for (unsigned int c = 0; c < PT_TEST_TLB_CPUS; c++) {
		sim_tlb_flush_page(sim_cpu(c), va);
	}
}

TEST_FORMAT(pt_bbm, detector_catches_a_planted_violation)
{
	const struct pt_config *ucfg = bbm_cfg(cfg);
	struct page_table pt;
	struct pt_cursor cur;

	if (ucfg == NULL) {
		return;
	}
	uint64_t va = 8 * SZ_2M;
	paddr_t pa = pa_init(1ULL << 40);

	ASSERT_EQ(page_table_new_user(ucfg, NULL, &pt), OSTD_OK);
	ASSERT_TRUE(pt_test_tlb_attach(&pt));
	ASSERT_EQ(pt_cursor_new_mut(&pt, va, va + SZ_2M, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa, 2), rw), OSTD_OK);
	pt_cursor_drop(&cur);
	pte_t *e = slot_of(&pt, va, 2);
	pte_t block = *e;
	uint64_t before = sim_bbm_violations();

	/* The planted one: another output address, written in place. */
	ASSERT_TRUE(pt_test_tlb_touch(va));
	*e = ucfg->new_page(ucfg, pa_init(pa_addr(pa) + SZ_2M), 2, rw);
	flush_everywhere(va);
	ASSERT_EQ(sim_bbm_violations() - before, PT_TEST_TLB_CPUS);
	sim_bbm_expect(PT_TEST_TLB_CPUS);

	/* Another memory type, in place: caught too. */
	*e = block;
	ASSERT_TRUE(pt_test_tlb_touch(va));
	*e = ucfg->new_page(ucfg, pa, 2,
			    (struct pt_prop){ .flags = rw.flags,
					      .cache = PT_CACHE_UNCACHED });
	flush_everywhere(va);
	ASSERT_EQ(sim_bbm_violations() - before, 2 * PT_TEST_TLB_CPUS);
	sim_bbm_expect(PT_TEST_TLB_CPUS);

	/* A permission change in place needs no break. */
	*e = block;
	ASSERT_TRUE(pt_test_tlb_touch(va));
	*e = ucfg->new_page(ucfg, pa, 2,
			    (struct pt_prop){ .flags = rw.flags & ~PROT_W,
					      .cache = rw.cache });
	flush_everywhere(va);
	ASSERT_EQ(sim_bbm_violations() - before, 2 * PT_TEST_TLB_CPUS);

	/* The real thing: invalid, flushed, then the new address. */
	*e = block;
	ASSERT_TRUE(pt_test_tlb_touch(va));
	*e = 0;
	flush_everywhere(va);
	*e = ucfg->new_page(ucfg, pa_init(pa_addr(pa) + SZ_2M), 2, rw);
	flush_everywhere(va);
	ASSERT_EQ(sim_bbm_violations() - before, 2 * PT_TEST_TLB_CPUS);

	*e = block;
	pt_test_tlb_detach(&pt);
	page_table_destroy(&pt);
}

static void make_uncached(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->cache = PT_CACHE_UNCACHED;
}

static void make_read_only(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_W;
}

/*
 * Every overwrite of a live entry by the core, with the old translation in
 * the TLBs: no violation (the runner counts them; checked here too).
 */
/* Maps two 2 MiB blocks of [pa, pa + 4 MiB) at @p va. */
static bool map_two_blocks(struct page_table *pt, uint64_t va, paddr_t pa)
{
	struct pt_cursor cur;

	if (pt_cursor_new_mut(pt, va, va + 2 * SZ_2M, &cur) != OSTD_OK) {
		return false;
	}
	bool ok =
		pt_cursor_map(&cur, pt_item_untracked(pa, 2), rw) == OSTD_OK &&
		pt_cursor_map(
			&cur,
			pt_item_untracked(pa_init(pa_addr(pa) + SZ_2M), 2),
			rw) == OSTD_OK;

	pt_cursor_drop(&cur);
	return ok;
}

TEST_FORMAT(pt_bbm, core_breaks_before_make)
{
	const struct pt_config *ucfg = bbm_cfg(cfg);
	struct page_table pt;
	struct pt_cursor cur;

	if (ucfg == NULL) {
		return;
	}
	uint64_t va = 8 * SZ_2M;
	paddr_t pa = pa_init(1ULL << 40);
	uint64_t before = sim_bbm_violations();
	uint64_t flushes = sim_cpu(0)->flushes;

	ASSERT_EQ(page_table_new_user(ucfg, NULL, &pt), OSTD_OK);
	ASSERT_TRUE(pt_test_tlb_attach(&pt));
	/* A split of a cached block (unmap of one page inside it). */
	ASSERT_TRUE(map_two_blocks(&pt, va, pa));
	ASSERT_TRUE(pt_test_tlb_touch(va));
	ASSERT_TRUE(pt_test_tlb_touch(va + SZ_2M));
	ASSERT_EQ(pt_cursor_new_mut(&pt, va + P, va + 2 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_OK);
	pt_cursor_drop(&cur);
	ASSERT_EQ(sim_bbm_violations(), before);

	/* protect: a new memory type for a cached page, then a split one. */
	ASSERT_TRUE(pt_test_tlb_touch(va));
	ASSERT_EQ(pt_cursor_new_mut(&pt, va, va + 2 * SZ_2M, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, make_uncached, NULL, NULL,
					 NULL),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, va + SZ_2M + 4 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, make_uncached, NULL, NULL,
					 NULL),
		  OSTD_OK);
	/* A permission change: in place, flushed afterwards. */
	ASSERT_EQ(pt_cursor_jump(&cur, va + 2 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, make_read_only, NULL, NULL,
					 NULL),
		  OSTD_OK);
	tlb_flusher_issue(pt_cursor_flusher(&cur),
			  (struct tlb_op){ .kind = TLB_OP_RANGE,
					   .va = va,
					   .len = 2 * SZ_2M });
	pt_cursor_drop(&cur);
	ASSERT_EQ(sim_bbm_violations(), before);

	/*
	 * A block where an emptied table is: the page unmapped and the block
	 * mapped in one cursor, the page still cached.
	 */
	ASSERT_TRUE(pt_test_tlb_touch(va + 3 * P));
	ASSERT_EQ(pt_cursor_new_mut(&pt, va, va + SZ_2M, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, SZ_2M, NULL), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, va), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa, 2), rw), OSTD_OK);
	pt_cursor_drop(&cur);
	ASSERT_EQ(sim_bbm_violations(), before);
	ASSERT_GT(sim_cpu(0)->flushes, flushes);

	pt_test_tlb_detach(&pt);
	page_table_destroy(&pt);
}

/*
 * protect_mask over cached pages: a split at each end and a run of
 * permission changes written in place; then nG (PT_GLOBAL), which needs
 * break-before-make for every leaf of the run.
 */
TEST_FORMAT(pt_bbm, protect_mask_breaks_before_make)
{
	const struct pt_config *ucfg = bbm_cfg(cfg);
	struct page_table pt;
	struct pt_cursor cur;
	uint64_t count = 0;

	if (ucfg == NULL) {
		return;
	}
	uint64_t va = 8 * SZ_2M;
	paddr_t pa = pa_init(1ULL << 40);
	uint64_t before = sim_bbm_violations();

	ASSERT_EQ(page_table_new_user(ucfg, NULL, &pt), OSTD_OK);
	ASSERT_TRUE(pt_test_tlb_attach(&pt));
	ASSERT_TRUE(map_two_blocks(&pt, va, pa));
	ASSERT_TRUE(pt_test_tlb_touch(va + P));
	ASSERT_TRUE(pt_test_tlb_touch(va + SZ_2M + P));
	ASSERT_EQ(pt_cursor_new_mut(&pt, va, va + 2 * SZ_2M, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, va + P), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_mask(&cur, SZ_2M, 0, PROT_W, &count),
		  OSTD_OK);
	ASSERT_EQ(count, SZ_2M / P);
	pt_cursor_drop(&cur);
	ASSERT_EQ(sim_bbm_violations(), before);

	if ((ucfg->legal_flags & PT_GLOBAL) != 0) {
		ASSERT_TRUE(pt_test_tlb_touch(va + 2 * P));
		ASSERT_TRUE(pt_test_tlb_touch(va + SZ_2M));
		ASSERT_EQ(pt_cursor_new_mut(&pt, va, va + 2 * SZ_2M, &cur),
			  OSTD_OK);
		ASSERT_EQ(pt_cursor_protect_mask(&cur, 2 * SZ_2M, PT_GLOBAL, 0,
						 &count),
			  OSTD_OK);
		/* Both blocks were split by the first call. */
		ASSERT_EQ(count, 2 * SZ_2M / P);
		pt_cursor_drop(&cur);
		ASSERT_EQ(sim_bbm_violations(), before);
	}
	pt_test_tlb_detach(&pt);
	page_table_destroy(&pt);
}
