// SPDX-License-Identifier: MPL-2.0
/*
 * The x86_64 4-level PTE codec (Intel SDM vol 3A, 4.5). Pure: it is linked
 * into the x86_64 kernel and into the host test binary.
 *
 * OSTD levels: 1 = PT (4 KiB), 2 = PD (2 MiB leaves), 3 = PDPT (1 GiB
 * leaves), 4 = PML4 (tables only: PS is reserved there, Table 4-15).
 */

#include "ostd/arch/x86_64_pte.h"

#include "ostd/assert.h"
#include "ostd/pt_config.h"

/* Where the PAT bit lives depends on whether the leaf is 4 KiB or huge. */
static pte_t pat_bit(pt_level_t level)
{
	return level == 1 ? X86_PTE_PAT_4K : X86_PTE_PAT_HUGE;
}

static pte_t cache_bits(enum pt_cache cache, pt_level_t level)
{
	switch (cache) {
	case PT_CACHE_WRITEBACK:
		return 0; /* PAT index 0: WB. */
	case PT_CACHE_WRITETHROUGH:
		return X86_PTE_PWT; /* Index 1: WT. */
	case PT_CACHE_UNCACHED:
		return X86_PTE_PCD | X86_PTE_PWT; /* Index 3: UC. */
	case PT_CACHE_WRITECOMBINE:
		return pat_bit(level); /* Index 4: WC. */
	case PT_CACHE_COUNT:
		break;
	}
	CHECK(false);
	return 0;
}

static enum pt_cache cache_of(pte_t pte, pt_level_t level)
{
	unsigned int index = ((pte & X86_PTE_PWT) != 0 ? 1U : 0U) |
			     ((pte & X86_PTE_PCD) != 0 ? 2U : 0U) |
			     ((pte & pat_bit(level)) != 0 ? 4U : 0U);
	/* The memory type of each index, as X86_PAT_MSR_VALUE programs. */
	static const enum pt_cache types[8] = {
		PT_CACHE_WRITEBACK,    PT_CACHE_WRITETHROUGH,
		PT_CACHE_UNCACHED,     PT_CACHE_UNCACHED,
		PT_CACHE_WRITECOMBINE, PT_CACHE_WRITETHROUGH,
		PT_CACHE_UNCACHED,     PT_CACHE_UNCACHED,
	};

	return types[index];
}

static pte_t x86_new_absent(const struct pt_config *cfg, pt_level_t level)
{
	(void)cfg;
	(void)level;
	return 0;
}

static pte_t x86_new_page(const struct pt_config *cfg, paddr_t pa,
			  pt_level_t level, struct pt_prop prop)
{
	(void)cfg;
	pte_t pte = X86_PTE_P | (pa_addr(pa) & X86_PTE_ADDR_MASK) |
		    cache_bits(prop.cache, level);

	if (level > 1) {
		pte |= X86_PTE_PS;
	}
	pte |= (prop.flags & PROT_W) != 0 ? X86_PTE_RW : 0;
	pte |= (prop.flags & PROT_X) == 0 ? X86_PTE_XD : 0;
	pte |= (prop.flags & PROT_USER) != 0 ? X86_PTE_US : 0;
	pte |= (prop.flags & PT_GLOBAL) != 0 ? X86_PTE_G : 0;
	pte |= (prop.flags & PT_ACCESSED) != 0 ? X86_PTE_A : 0;
	pte |= (prop.flags & PT_DIRTY) != 0 ? X86_PTE_D : 0;
	pte |= (prop.flags & PT_AVAIL1) != 0 ? X86_PTE_AVAIL1 : 0;
	pte |= (prop.flags & PT_AVAIL2) != 0 ? X86_PTE_AVAIL2 : 0;
	return pte;
}

static pte_t x86_new_pt(const struct pt_config *cfg, paddr_t pa,
			pt_level_t level)
{
	(void)cfg;
	(void)level;
	/*
	 * Rights combine across levels (4.6.1: a write needs R/W set in
	 * every entry on the way), so tables allow everything and the leaf
	 * decides. XD stays clear for the same reason.
	 */
	return X86_PTE_P | X86_PTE_RW | X86_PTE_US |
	       (pa_addr(pa) & X86_PTE_ADDR_MASK);
}

static enum pt_entry_type x86_classify(const struct pt_config *cfg, pte_t pte,
				       pt_level_t level)
{
	(void)cfg;
	if ((pte & X86_PTE_P) == 0) {
		return PT_ENTRY_ABSENT;
	}
	if (level == 1) {
		return PT_ENTRY_LEAF;
	}
	/* PS is reserved in a PML4E (Table 4-15): it is always a table. */
	if (level < 4 && (pte & X86_PTE_PS) != 0) {
		return PT_ENTRY_LEAF;
	}
	return PT_ENTRY_TABLE;
}

static paddr_t x86_paddr(const struct pt_config *cfg, pte_t pte,
			 pt_level_t level)
{
	pte_t mask = X86_PTE_ADDR_MASK;

	/* In a huge leaf, bit 12 is PAT and the low address bits are 0. */
	if (x86_classify(cfg, pte, level) == PT_ENTRY_LEAF) {
		mask &= ~(pt_page_size(level) - 1);
	}
	return pa_init(pte & mask);
}

static struct pt_prop x86_prop(const struct pt_config *cfg, pte_t pte,
			       pt_level_t level)
{
	(void)cfg;
	struct pt_prop prop = { .flags = PROT_R,
				.cache = cache_of(pte, level) };

	prop.flags |= (pte & X86_PTE_RW) != 0 ? PROT_W : 0;
	prop.flags |= (pte & X86_PTE_XD) == 0 ? PROT_X : 0;
	prop.flags |= (pte & X86_PTE_US) != 0 ? PROT_USER : 0;
	prop.flags |= (pte & X86_PTE_G) != 0 ? PT_GLOBAL : 0;
	prop.flags |= (pte & X86_PTE_A) != 0 ? PT_ACCESSED : 0;
	prop.flags |= (pte & X86_PTE_D) != 0 ? PT_DIRTY : 0;
	prop.flags |= (pte & X86_PTE_AVAIL1) != 0 ? PT_AVAIL1 : 0;
	prop.flags |= (pte & X86_PTE_AVAIL2) != 0 ? PT_AVAIL2 : 0;
	return prop;
}

static bool x86_prop_ok(const struct pt_config *cfg, struct pt_prop prop)
{
	(void)cfg;
	/* A present x86 page is always readable (4.6.1): R is mandatory. */
	return (prop.flags & PROT_R) != 0;
}

/*
 * The address bits of a leaf (leaf_pa_bits): 51:12 in a PTE (Table 4-20),
 * 51:21 in a 2 MiB PDE (Table 4-18), 51:30 in a 1 GiB PDPTE (Table 4-16).
 * Bit 12 of a huge leaf is PAT, an attribute; the bits between it and the
 * address are reserved and stay 0. MAXPHYADDR caps the field at bit 51.
 * The field is the address in place: leaf_pa_rot 0.
 */
#define X86_LEAF_PA_BITS(shift) (X86_PTE_ADDR_MASK & ~((1ULL << (shift)) - 1))

#define X86_LEVELS                                                       \
	{                                                                \
		[1] = { .shift = 12,                                     \
			.leaf_ok = true,                                 \
			.name = "PT",                                    \
			.leaf_pa_bits = X86_LEAF_PA_BITS(12),            \
			.leaf_pa_rot = 0 },                              \
		[2] = { .shift = 21,                                     \
			.leaf_ok = true,                                 \
			.name = "PD",                                    \
			.leaf_pa_bits = X86_LEAF_PA_BITS(21),            \
			.leaf_pa_rot = 0 },                              \
		[3] = { .shift = 30,                                     \
			.leaf_ok = true,                                 \
			.name = "PDPT",                                  \
			.leaf_pa_bits = X86_LEAF_PA_BITS(30),            \
			.leaf_pa_rot = 0 },                              \
		[4] = { .shift = 39, .leaf_ok = false, .name = "PML4" }, \
	}

/*
 * Table entries as data (pt_cfg_table_child()): new_pt() makes P=1, PS=0
 * at every level, which classify() calls a table (PS selects a page in a
 * PDE or PDPTE, Tables 4-16 and 4-18, and is reserved in a PML4E); the
 * child's address is bits 51:12 in place (Tables 4-15, 4-17, 4-19).
 */
#define X86_TABLE_DATA                                                     \
	.table_kind_mask = X86_PTE_P | X86_PTE_PS,                         \
	.table_kind_match = X86_PTE_P, .table_pa_bits = X86_PTE_ADDR_MASK, \
	.table_pa_rot = 0

#define X86_COMMON                                                          \
	.nr_levels = 4, .highest_translation_level = 3, .va_bits = 48,      \
	.va_sign_extend = true, .pa_bits = X86_PA_BITS,                     \
	.legal_flags = PT_FLAGS_ALL, .level = X86_LEVELS,                   \
	.new_absent = x86_new_absent, .new_page = x86_new_page,             \
	.new_pt = x86_new_pt, .classify = x86_classify, .paddr = x86_paddr, \
	.prop = x86_prop, .prop_ok = x86_prop_ok, X86_TABLE_DATA

extern const struct pt_config x86_64_kernel_config;

const struct pt_config x86_64_user_config = {
	.name = "x86_64",
	.top_index_first = 0,
	.top_index_last = PT_ENTRIES / 2 - 1,
	.top_level_can_unmap = true,
	.twin = &x86_64_kernel_config,
	X86_COMMON,
};

const struct pt_config x86_64_kernel_config = {
	.name = "x86_64-kernel",
	.top_index_first = PT_ENTRIES / 2,
	.top_index_last = PT_ENTRIES - 1,
	.top_level_can_unmap = false,
	.twin = &x86_64_user_config,
	X86_COMMON,
};
