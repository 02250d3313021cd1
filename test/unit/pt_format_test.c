// SPDX-License-Identifier: MPL-2.0
/*
 * The PageTableConfig conformance suite (STYLE.md "L1, conformance suite"):
 * written only against struct pt_config, run once per format. The host
 * runs every format; a kernel image runs its own.
 */

#include "ostd/pt_config.h"
#include "ostd/test.h"

/* Page-aligned physical addresses worth trying at @p level. */
static unsigned int boundary_pas(const struct pt_config *cfg, pt_level_t level,
				 uint64_t out[5])
{
	uint64_t size = pt_page_size(level);
	uint64_t top =
		cfg->pa_bits >= 64 ? UINT64_MAX : (1ULL << cfg->pa_bits) - 1;
	uint64_t mask = top & ~(size - 1);

	out[0] = 0;
	out[1] = size;
	/* The highest page the format can address. */
	out[2] = mask;
	/* Alternating bits, then only the top bit: catches field overlap. */
	out[3] = 0x5555555555555555ULL & mask;
	out[4] = (1ULL << (cfg->pa_bits - 1)) & mask;
	return 5;
}

TEST_FORMAT(pt_format, config_is_consistent)
{
	ASSERT_EQ(pt_config_check(cfg), OSTD_OK);
	ASSERT_LE(cfg->nr_levels, PT_MAX_LEVELS);
	ASSERT_LE(cfg->highest_translation_level, cfg->nr_levels);
	ASSERT_TRUE(cfg->level[1].leaf_ok);
}

/*
 * leaf_pa_bits and leaf_pa_rot let the core skip the codec, so a wrong
 * one must fail pt_config_check(), never a map or a protect.
 */
TEST_FORMAT(pt_format, wrong_leaf_pa_bits_are_refused)
{
	for (pt_level_t l = 1; l <= cfg->highest_translation_level; l++) {
		struct pt_config bad = *cfg;
		pte_t mask = cfg->level[l].leaf_pa_bits;
		struct pt_prop r = { .flags = PROT_R,
				     .cache = PT_CACHE_WRITEBACK };
		/* The bits that hold the address's lowest bit at this level. */
		pte_t low = cfg->new_page(cfg, pa_init(0), l, r) ^
			    cfg->new_page(cfg, pa_init(pt_page_size(l)), l, r);

		ASSERT_NE(low, 0);
		ASSERT_EQ(low & ~mask, 0);
		bad.level[l].leaf_pa_bits = mask & ~low;
		ASSERT_EQ(pt_config_check(&bad), OSTD_EINVAL);
		bad.level[l].leaf_pa_bits = 0;
		ASSERT_EQ(pt_config_check(&bad), OSTD_EINVAL);
		bad = *cfg;
		bad.level[l].leaf_pa_bits = ~(pte_t)0;
		ASSERT_EQ(pt_config_check(&bad), OSTD_EINVAL);
		if (cfg->level[l].leaf_pa_rot != PT_PA_ROT_NONE) {
			bad = *cfg;
			bad.level[l].leaf_pa_rot =
				(uint8_t)((cfg->level[l].leaf_pa_rot + 1) % 64);
			ASSERT_EQ(pt_config_check(&bad), OSTD_EINVAL);
			/* Calling paddr() instead is always right. */
			bad.level[l].leaf_pa_rot = PT_PA_ROT_NONE;
			ASSERT_EQ(pt_config_check(&bad), OSTD_OK);
		}
	}
	struct pt_config bad = *cfg;

	bad.level[cfg->nr_levels].leaf_pa_bits = 1;
	ASSERT_EQ(pt_config_check(&bad), OSTD_EINVAL);
}

TEST_FORMAT(pt_format, absent_is_all_zeros)
{
	for (pt_level_t l = 1; l <= cfg->nr_levels; l++) {
		ASSERT_EQ(cfg->new_absent(cfg, l), 0);
		ASSERT_EQ(cfg->classify(cfg, 0, l), PT_ENTRY_ABSENT);
	}
}

TEST_FORMAT(pt_format, leaf_round_trips_every_legal_prop)
{
	unsigned int legal = 0;

	for (pt_level_t l = 1; l <= cfg->highest_translation_level; l++) {
		uint64_t pas[5];
		unsigned int n = boundary_pas(cfg, l, pas);

		for (uint32_t flags = 0; flags <= PT_FLAGS_ALL; flags++) {
			if ((flags & ~cfg->legal_flags) != 0) {
				continue;
			}
			for (int c = 0; c < PT_CACHE_COUNT; c++) {
				struct pt_prop prop = {
					.flags = flags,
					.cache = (enum pt_cache)c,
				};

				if (!cfg->prop_ok(cfg, prop)) {
					continue;
				}
				legal++;
				for (unsigned int i = 0; i < n; i++) {
					pte_t pte = 0;
					paddr_t pa = pa_init(pas[i]);

					ASSERT_EQ(pt_config_new_page(cfg, pa, l,
								     prop,
								     &pte),
						  OSTD_OK);
					ASSERT_EQ(cfg->classify(cfg, pte, l),
						  PT_ENTRY_LEAF);
					ASSERT_EQ(pa_addr(cfg->paddr(cfg, pte,
								     l)),
						  pas[i]);
					struct pt_prop got =
						cfg->prop(cfg, pte, l);

					ASSERT_EQ(got.flags, prop.flags);
					ASSERT_EQ(got.cache, prop.cache);
				}
			}
		}
	}
	/* Every format can at least map read-only, read-write and RX. */
	ASSERT_GE(legal, 3);
}

TEST_FORMAT(pt_format, illegal_props_are_refused)
{
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL; flags++) {
		for (int c = 0; c < PT_CACHE_COUNT; c++) {
			struct pt_prop prop = { .flags = flags,
						.cache = (enum pt_cache)c };
			bool ok = (flags & ~cfg->legal_flags) == 0 &&
				  cfg->prop_ok(cfg, prop);
			pte_t pte = 0x1234;
			ostd_err_t err = pt_config_new_page(
				cfg, pa_init(0x1000), 1, prop, &pte);

			ASSERT_EQ(err, ok ? OSTD_OK : OSTD_EPERM);
			if (!ok) {
				ASSERT_EQ(pte, 0x1234);
			}
		}
	}
	/* A cache policy out of the enum is refused too. */
	struct pt_prop bad = { .flags = PROT_R, .cache = PT_CACHE_COUNT };
	pte_t pte = 0;

	ASSERT_EQ(pt_config_new_page(cfg, pa_init(0x1000), 1, bad, &pte),
		  OSTD_EPERM);
}

TEST_FORMAT(pt_format, table_round_trips)
{
	for (pt_level_t l = 2; l <= cfg->nr_levels; l++) {
		uint64_t pas[5];
		/* A table is one 4 KiB frame, whatever the level. */
		unsigned int n = boundary_pas(cfg, 1, pas);

		for (unsigned int i = 0; i < n; i++) {
			pte_t pte = cfg->new_pt(cfg, pa_init(pas[i]), l);

			ASSERT_NE(pte, 0);
			ASSERT_EQ(cfg->classify(cfg, pte, l), PT_ENTRY_TABLE);
			ASSERT_EQ(pa_addr(cfg->paddr(cfg, pte, l)), pas[i]);
		}
	}
}

TEST_FORMAT(pt_format, leaf_and_table_never_confused)
{
	struct pt_prop rw = { .flags = PROT_R | PROT_W | PT_ACCESSED,
			      .cache = PT_CACHE_WRITEBACK };
	struct pt_prop rx = { .flags = PROT_R | PROT_X | PROT_USER,
			      .cache = PT_CACHE_WRITEBACK };

	for (pt_level_t l = 2; l <= cfg->highest_translation_level; l++) {
		paddr_t pa = pa_init(pt_page_size(l));
		pte_t table = cfg->new_pt(cfg, pa, l);
		pte_t leaf = 0;

		ASSERT_NE(cfg->classify(cfg, table, l), PT_ENTRY_LEAF);
		ASSERT_EQ(pt_config_new_page(cfg, pa, l, rw, &leaf), OSTD_OK);
		ASSERT_NE(cfg->classify(cfg, leaf, l), PT_ENTRY_TABLE);
		ASSERT_NE(leaf, table);
		ASSERT_EQ(pt_config_new_page(cfg, pa, l, rx, &leaf), OSTD_OK);
		ASSERT_NE(cfg->classify(cfg, leaf, l), PT_ENTRY_TABLE);
	}
}

TEST_FORMAT(pt_format, illegal_leaf_requests_are_refused)
{
	struct pt_prop r = { .flags = PROT_R, .cache = PT_CACHE_WRITEBACK };
	pte_t pte = 0x77;

	ASSERT_EQ(pt_config_new_page(cfg, pa_init(0), 0, r, &pte), OSTD_EINVAL);
	/* Above the highest translation level (the root never holds one). */
	ASSERT_EQ(pt_config_new_page(cfg, pa_init(0),
				     cfg->highest_translation_level + 1, r,
				     &pte),
		  OSTD_EINVAL);
	ASSERT_EQ(
		pt_config_new_page(cfg, pa_init(0), PT_MAX_LEVELS + 1, r, &pte),
		OSTD_EINVAL);
	/* A huge leaf needs a pa aligned to its size. */
	if (cfg->highest_translation_level >= 2) {
		ASSERT_EQ(
			pt_config_new_page(cfg, pa_init(PAGE_SIZE), 2, r, &pte),
			OSTD_EUNALIGNED);
	}
	/* A pa the entry cannot hold. */
	if (cfg->pa_bits < 64) {
		ASSERT_EQ(pt_config_new_page(cfg, pa_init(1ULL << cfg->pa_bits),
					     1, r, &pte),
			  OSTD_EINVAL);
	}
	ASSERT_EQ(pt_config_new_page(cfg, pa_init(0x1001), 1, r, &pte),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pte, 0x77);
}

TEST_FORMAT(pt_format, managed_range_and_canonical_form)
{
	uint64_t start;
	uint64_t last;

	pt_config_vaddr_range(cfg, &start, &last);
	ASSERT_LT(start, last);
	ASSERT_TRUE(pt_config_va_canonical(cfg, start));
	ASSERT_TRUE(pt_config_va_canonical(cfg, last));
	ASSERT_EQ(pt_index(cfg, start, cfg->nr_levels), cfg->top_index_first);
	ASSERT_EQ(pt_index(cfg, last, cfg->nr_levels), cfg->top_index_last);
	/* Whole top-level slots: aligned start, last byte of a slot. */
	uint64_t slot = 1ULL << cfg->level[cfg->nr_levels].shift;

	ASSERT_EQ(start & (slot - 1), 0);
	ASSERT_EQ(last & (slot - 1), slot - 1);
	if (cfg->top_index_first == 0) {
		/* The lower half ends just below the canonical hole. */
		ASSERT_EQ(last, (1ULL << (cfg->va_bits - 1)) - 1);
		ASSERT_FALSE(pt_config_va_canonical(cfg, last + 1));
	} else {
		/* The upper half runs to the top without wrapping. */
		ASSERT_EQ(last, UINT64_MAX);
		ASSERT_FALSE(pt_config_va_canonical(cfg, start - 1));
	}
}

TEST_FORMAT(pt_format, geometry_helpers)
{
	ASSERT_EQ(pt_page_size(1), 4096);
	ASSERT_EQ(pt_page_size(2), 2ULL << 20);
	ASSERT_EQ(pt_page_size(3), 1ULL << 30);
	ASSERT_EQ(pt_index(cfg, 0x1000, 1), 1);
	ASSERT_EQ(pt_index(cfg, 0x200000, 2), 1);
	ASSERT_EQ(pt_index(cfg, 0x1ff000, 1), 511);

	pt_level_t top = cfg->highest_translation_level;
	uint64_t big = pt_page_size(top);

	/* 0 maps with the largest leaf the format allows. */
	ASSERT_EQ(pt_config_largest_pages(cfg, 0, pa_init(0), big), top);
	ASSERT_EQ(pt_config_largest_pages(cfg, 0, pa_init(0), UINT64_MAX), top);
	ASSERT_EQ(pt_config_largest_pages(cfg, 0, pa_init(0), big - 1),
		  top - 1 >= 1 ? top - 1 : 0);
	/* Misalignment of either side forces smaller pages. */
	ASSERT_EQ(pt_config_largest_pages(cfg, 0x200000, pa_init(0x1000),
					  1ULL << 30),
		  1);
	ASSERT_EQ(pt_config_largest_pages(cfg, 0x1000, pa_init(0), 1ULL << 30),
		  1);
	ASSERT_EQ(pt_config_largest_pages(cfg, 0, pa_init(0), 4095), 0);
	ASSERT_EQ(pt_config_largest_pages(cfg, 0x800, pa_init(0), 8192), 0);

	/* At the very top of the address space nothing may overflow. */
	uint64_t start;
	uint64_t last;

	pt_config_vaddr_range(cfg, &start, &last);
	uint64_t last_2m = last - (2ULL << 20) + 1;

	ASSERT_EQ(pt_config_largest_pages(cfg, last_2m, pa_init(2ULL << 20),
					  2ULL << 20),
		  2);
	ASSERT_EQ(pt_config_largest_pages(cfg, last - 4095, pa_init(0x3000),
					  4096),
		  1);
}
