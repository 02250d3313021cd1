// SPDX-License-Identifier: MPL-2.0
/* The hostile format's codec; the layout is in ostd/host/hostile.h. */

#include "ostd/host/hostile.h"
#include "ostd/pt_config.h"

static pte_t enc(uint64_t base, pt_level_t level)
{
	return hostile_rotl(base, hostile_rot(level));
}

static uint64_t dec(pte_t pte, pt_level_t level)
{
	return hostile_rotr(pte, hostile_rot(level));
}

static pte_t hostile_new_absent(const struct pt_config *cfg, pt_level_t level)
{
	(void)cfg;
	(void)level;
	return 0;
}

static pte_t hostile_new_page(const struct pt_config *cfg, paddr_t pa,
			      pt_level_t level, struct pt_prop prop)
{
	(void)cfg;
	uint64_t base = HOSTILE_V | HOSTILE_LEAF |
			(uint64_t)prop.flags << HOSTILE_FLAGS_SHIFT |
			(uint64_t)prop.cache << HOSTILE_CACHE_SHIFT |
			((pa_addr(pa) >> 12) << HOSTILE_PFN_SHIFT);

	return enc(base, level);
}

static pte_t hostile_new_pt(const struct pt_config *cfg, paddr_t pa,
			    pt_level_t level)
{
	(void)cfg;
	return enc(HOSTILE_V | ((pa_addr(pa) >> 12) << HOSTILE_PFN_SHIFT),
		   level);
}

static enum pt_entry_type hostile_classify(const struct pt_config *cfg,
					   pte_t pte, pt_level_t level)
{
	(void)cfg;
	uint64_t base = dec(pte, level);

	if ((base & HOSTILE_V) == 0) {
		return PT_ENTRY_ABSENT;
	}
	return (base & HOSTILE_LEAF) != 0 ? PT_ENTRY_LEAF : PT_ENTRY_TABLE;
}

static paddr_t hostile_paddr(const struct pt_config *cfg, pte_t pte,
			     pt_level_t level)
{
	(void)cfg;
	return pa_init(
		((dec(pte, level) & HOSTILE_PFN_MASK) >> HOSTILE_PFN_SHIFT)
		<< 12);
}

static struct pt_prop hostile_prop(const struct pt_config *cfg, pte_t pte,
				   pt_level_t level)
{
	(void)cfg;
	uint64_t base = dec(pte, level);

	return (struct pt_prop){
		.flags = (uint32_t)(base >> HOSTILE_FLAGS_SHIFT) & PT_FLAGS_ALL,
		.cache = (enum pt_cache)((base & HOSTILE_CACHE_MASK) >>
					 HOSTILE_CACHE_SHIFT),
	};
}

static bool hostile_prop_ok(const struct pt_config *cfg, struct pt_prop prop)
{
	(void)cfg;
	/* Like RISC-V, a writable page must be readable. */
	return (prop.flags & PROT_W) == 0 || (prop.flags & PROT_R) != 0;
}

/*
 * A leaf's address bits (leaf_pa_bits) are the frame-number field of the
 * base, rotated like the rest of the entry: a different mask at every
 * level, wrapping past bit 63 at level 3. A constant expression, so not
 * hostile_rotl(); HOSTILE_ROT_C(l) is hostile_rot(l) for l = 1..3.
 * The frame number sits at bit 16 of the base, the address at bit 12, so
 * the address is the field rotated right by the level's rotation plus 4.
 * Levels 2 and 3 declare that (leaf_pa_rot); level 1 declares
 * PT_PA_ROT_NONE, as a format with a scattered address field would, so
 * that the core's paths without a leaf template (paddr() per leaf,
 * new_page() per entry of a batched map) run on every test of this
 * format.
 */
#define HOSTILE_ROT_C(l) ((7 * (l) + 3) % 64)
#define HOSTILE_LEAF_PA_BITS(l)                   \
	((HOSTILE_PFN_MASK << HOSTILE_ROT_C(l)) | \
	 (HOSTILE_PFN_MASK >> (64 - HOSTILE_ROT_C(l))))

#define HOSTILE_LEAF_PA_ROT(l) (HOSTILE_ROT_C(l) + HOSTILE_PFN_SHIFT - 12)

#define HOSTILE_LEVELS                                                 \
	{                                                              \
		[1] = { .shift = 12,                                   \
			.leaf_ok = true,                               \
			.name = "H1",                                  \
			.leaf_pa_bits = HOSTILE_LEAF_PA_BITS(1),       \
			.leaf_pa_rot = PT_PA_ROT_NONE },               \
		[2] = { .shift = 21,                                   \
			.leaf_ok = true,                               \
			.name = "H2",                                  \
			.leaf_pa_bits = HOSTILE_LEAF_PA_BITS(2),       \
			.leaf_pa_rot = HOSTILE_LEAF_PA_ROT(2) },       \
		[3] = { .shift = 30,                                   \
			.leaf_ok = true,                               \
			.name = "H3",                                  \
			.leaf_pa_bits = HOSTILE_LEAF_PA_BITS(3),       \
			.leaf_pa_rot = HOSTILE_LEAF_PA_ROT(3) },       \
		[4] = { .shift = 39, .leaf_ok = false, .name = "H4" }, \
	}

/*
 * No table-entry data (table_kind_match 0): a table entry is rotated by a
 * different amount at every level, so no one mask finds it, and the core
 * keeps calling classify() and paddr() on this format's walks.
 */
#define HOSTILE_COMMON                                                  \
	.nr_levels = 4, .highest_translation_level = 3, .va_bits = 48,  \
	.va_sign_extend = true, .pa_bits = HOSTILE_PA_BITS,             \
	.legal_flags = PT_FLAGS_ALL, .level = HOSTILE_LEVELS,           \
	.new_absent = hostile_new_absent, .new_page = hostile_new_page, \
	.new_pt = hostile_new_pt, .classify = hostile_classify,         \
	.paddr = hostile_paddr, .prop = hostile_prop,                   \
	.prop_ok = hostile_prop_ok

extern const struct pt_config host_hostile_kernel_config;

const struct pt_config host_hostile_user_config = {
	.name = "hostile",
	.top_index_first = 0,
	.top_index_last = PT_ENTRIES / 2 - 1,
	.top_level_can_unmap = true,
	.twin = &host_hostile_kernel_config,
	HOSTILE_COMMON,
};

const struct pt_config host_hostile_kernel_config = {
	.name = "hostile-kernel",
	.top_index_first = PT_ENTRIES / 2,
	.top_index_last = PT_ENTRIES - 1,
	.top_level_can_unmap = false,
	.twin = &host_hostile_user_config,
	HOSTILE_COMMON,
};
