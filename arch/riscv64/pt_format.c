// SPDX-License-Identifier: MPL-2.0
/*
 * The RISC-V Sv48 and Sv39 PTE codec (RISC-V Privileged Spec v1.12, 4.3
 * "Sv32" for the common rules, 4.4 "Sv39", 4.5 "Sv48"; bit layout in
 * ostd/arch/pte.h).
 *
 * Pure C: this file is compiled into the riscv64 kernel and into the host
 * test binary, where the host's software MMU (arch/host/sim_mmu_riscv.c,
 * written separately from the spec) checks what it encodes. It has no
 * state besides the four const configs.
 *
 * Both formats use the same entry; only the number of levels differs, so
 * one set of hooks serves all four configs.
 */

#include "ostd/arch/riscv64_pte.h"

#include "ostd/assert.h"
#include "ostd/compiler.h"
#include "ostd/pt_config.h"

#ifndef RISCV_PTE_V
#error "ostd/arch/pte.h resolved to another port's header"
#endif

/*
 * The arch-neutral flags and the PTE bits that store them. The mapping is
 * one to one, which is what makes prop() the exact inverse of new_page().
 * PT_AVAIL1/2 live in RSW, which 4.3.1 reserves for supervisor software.
 */
static const struct {
	uint32_t flag;
	pte_t bit;
} riscv_flag_bits[] = {
	{ PROT_R, RISCV_PTE_R },       { PROT_W, RISCV_PTE_W },
	{ PROT_X, RISCV_PTE_X },       { PROT_USER, RISCV_PTE_U },
	{ PT_GLOBAL, RISCV_PTE_G },    { PT_ACCESSED, RISCV_PTE_A },
	{ PT_DIRTY, RISCV_PTE_D },     { PT_AVAIL1, RISCV_PTE_RSW0 },
	{ PT_AVAIL2, RISCV_PTE_RSW1 },
};

#define RISCV_LEGAL_FLAGS                                                 \
	(PROT_R | PROT_W | PROT_X | PROT_USER | PT_GLOBAL | PT_ACCESSED | \
	 PT_DIRTY | PT_AVAIL1 | PT_AVAIL2)

/* The PPN field for @p pa (4.4.1: PPN = pa >> 12, at bits 53..10). */
static pte_t riscv_ppn_bits(paddr_t pa)
{
	ASSERT((pa_addr(pa) & (PAGE_SIZE - 1)) == 0);
	ASSERT((pa_addr(pa) >> RISCV_PA_BITS) == 0);
	/* The mask keeps a bad @p pa out of the reserved bits 63..54. */
	return ((pa_addr(pa) >> RISCV_PAGE_SHIFT) << RISCV_PTE_PPN_SHIFT) &
	       RISCV_PTE_PPN_MASK;
}

/** 4.3.1: V=0 means absent whatever else is set; all zeros is canonical. */
static pte_t riscv_new_absent(const struct pt_config *cfg, pt_level_t level)
{
	(void)cfg;
	(void)level;
	return 0;
}

/**
 * A leaf: V, the flags' bits and the PPN. Cacheability needs no bits: it
 * comes from the PMAs (see riscv_prop_ok()).
 */
static pte_t riscv_new_page(const struct pt_config *cfg, paddr_t pa,
			    pt_level_t level, struct pt_prop prop)
{
	pte_t pte = RISCV_PTE_V | riscv_ppn_bits(pa);

	(void)cfg;
	(void)level;
	for (unsigned int i = 0; i < ARRAY_SIZE(riscv_flag_bits); i++) {
		if (prop.flags & riscv_flag_bits[i].flag) {
			pte |= riscv_flag_bits[i].bit;
		}
	}
	return pte;
}

/**
 * A pointer to the next table: V with R=W=X=0 (4.3.1 Table "Encoding of PTE
 * R/W/X fields"). D, A and U are reserved on non-leaf entries and must be
 * cleared by software (4.3.1), so nothing else is set. G stays clear too:
 * a global non-leaf would make every mapping below it global (4.3.1), and
 * the core decides globality per leaf.
 */
static pte_t riscv_new_pt(const struct pt_config *cfg, paddr_t pa,
			  pt_level_t level)
{
	(void)cfg;
	ASSERT(level > 1);
	return RISCV_PTE_V | riscv_ppn_bits(pa);
}

/**
 * What the hardware walk (4.3.2) would do with @p pte at @p level, leaving
 * out the permission check:
 * - V=0, or the reserved R=0,W=1 encoding: step 3 faults; ABSENT.
 * - R=1 or X=1: step 4 found a leaf; LEAF.
 * - R=W=X=0 above level 1: a pointer to the next level; TABLE.
 * - R=W=X=0 at level 1: step 4 decrements i below 0 and faults. There is no
 *   table below level 1, so TABLE would send the core past the last level;
 *   and the entry maps nothing, exactly like V=0. So ABSENT: the hardware
 *   cannot have cached a translation through it, so overwriting it needs no
 *   TLB flush. The codec never makes such an entry (new_pt is for levels
 *   above 1), so it only shows up through corruption.
 * Reserved bits 63..54 are not looked at: the codec never sets them, and a
 * future Svpbmt/Svnapot port gives them meaning without changing the kind.
 */
static enum pt_entry_type riscv_classify(const struct pt_config *cfg, pte_t pte,
					 pt_level_t level)
{
	(void)cfg;
	if (!(pte & RISCV_PTE_V)) {
		return PT_ENTRY_ABSENT;
	}
	if ((pte & (RISCV_PTE_R | RISCV_PTE_W)) == RISCV_PTE_W) {
		return PT_ENTRY_ABSENT;
	}
	if (pte & (RISCV_PTE_R | RISCV_PTE_X)) {
		return PT_ENTRY_LEAF;
	}
	return level > 1 ? PT_ENTRY_TABLE : PT_ENTRY_ABSENT;
}

/** 4.3.2 steps 4 and 8: a = pte.ppn x PAGESIZE, for tables and leaves. */
static paddr_t riscv_paddr(const struct pt_config *cfg, pte_t pte,
			   pt_level_t level)
{
	(void)cfg;
	(void)level;
	return pa_init(((pte & RISCV_PTE_PPN_MASK) >> RISCV_PTE_PPN_SHIFT)
		       << RISCV_PAGE_SHIFT);
}

static struct pt_prop riscv_prop(const struct pt_config *cfg, pte_t pte,
				 pt_level_t level)
{
	struct pt_prop prop = { .flags = 0, .cache = PT_CACHE_WRITEBACK };

	(void)cfg;
	(void)level;
	for (unsigned int i = 0; i < ARRAY_SIZE(riscv_flag_bits); i++) {
		if (pte & riscv_flag_bits[i].bit) {
			prop.flags |= riscv_flag_bits[i].flag;
		}
	}
	return prop;
}

/**
 * What a leaf can be:
 * - Only flags with a PTE bit.
 * - Cache policy WRITEBACK only. Without Svpbmt (QEMU 7.2's default CPU has
 *   none) a PTE carries no memory type: cacheability is a Physical Memory
 *   Attribute of the address (3.6 "Physical Memory Attributes"), fixed by
 *   the platform, so RAM is cached and MMIO is not whatever the PTE says.
 *   WRITEBACK stands for "as the PMA says"; accepting UNCACHED would
 *   silently hand cached RAM to a caller that asked for uncached memory,
 *   and prop() could not give it back.
 * - Not W without R: reserved (4.3.1 Table "Encoding of PTE R/W/X fields").
 * - At least R or X: R=W=X=0 is a pointer to the next level, not a leaf.
 */
static bool riscv_prop_ok(const struct pt_config *cfg, struct pt_prop prop)
{
	if (prop.flags & ~cfg->legal_flags) {
		return false;
	}
	if (prop.cache != PT_CACHE_WRITEBACK) {
		return false;
	}
	if ((prop.flags & (PROT_R | PROT_W)) == PROT_W) {
		return false;
	}
	return (prop.flags & (PROT_R | PROT_X)) != 0;
}

/*
 * 4.4.1 / 4.5.1: "Any level of PTE may be a leaf PTE", so the hardware
 * takes 512 GiB terapages in an Sv48 root and 1 GiB gigapages in an Sv39
 * root. We never put a leaf in a root: the kernel half of every user root
 * is a copy of the kernel root's entries, which must therefore point to
 * shared tables, and OSTD caps the user half the same way. Hence the
 * highest translation level is nr_levels - 1 in both formats.
 */
/*
 * The address bits of a leaf (leaf_pa_bits) are the whole PPN field at
 * every level (4.4.1 / 4.5.1). In a superpage the low PPN fields must be
 * zero ("misaligned superpage", 4.3.2 step 6), which new_page() ensures
 * through the alignment pt_config_leaf_ok() checks; prop() never reads
 * them. Flags, RSW and the reserved bits 63..54 are attributes. The PPN
 * at bits 53..10 is pa >> 12 (4.3.2 step 8: a = pte.ppn x PAGESIZE), so pa
 * is the field shifted left by 2: rotated right by 62 (leaf_pa_rot), as
 * nothing wraps past bit 63.
 */
#define RISCV_LEAF_PA_ROT (64 - (RISCV_PAGE_SHIFT - RISCV_PTE_PPN_SHIFT))
#define RISCV_LEVEL_1                               \
	[1] = { .shift = 12,                        \
		.leaf_ok = true,                    \
		.name = "VPN[0] table",             \
		.leaf_pa_bits = RISCV_PTE_PPN_MASK, \
		.leaf_pa_rot = RISCV_LEAF_PA_ROT }
#define RISCV_LEVEL_2                               \
	[2] = { .shift = 21,                        \
		.leaf_ok = true,                    \
		.name = "VPN[1] table",             \
		.leaf_pa_bits = RISCV_PTE_PPN_MASK, \
		.leaf_pa_rot = RISCV_LEAF_PA_ROT }
#define RISCV_LEVEL_3(leaf)                                      \
	[3] = { .shift = 30,                                     \
		.leaf_ok = (leaf),                               \
		.name = "VPN[2] table",                          \
		.leaf_pa_bits = (leaf) ? RISCV_PTE_PPN_MASK : 0, \
		.leaf_pa_rot = (leaf) ? RISCV_LEAF_PA_ROT : 0 }
#define RISCV_LEVEL_4 \
	[4] = { .shift = 39, .leaf_ok = false, .name = "VPN[3] table" }

/*
 * Table entries as data (pt_cfg_table_child()): V=1 with R=W=X=0 is a
 * pointer to the next level (4.3.2 step 4), which new_pt() makes above
 * level 1; the child is the PPN field, rotated as for a leaf.
 */
#define RISCV_TABLE_DATA                                                      \
	.table_kind_mask =                                                    \
		RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X,        \
	.table_kind_match = RISCV_PTE_V, .table_pa_bits = RISCV_PTE_PPN_MASK, \
	.table_pa_rot = RISCV_LEAF_PA_ROT

#define RISCV_HOOKS                                                         \
	.new_absent = riscv_new_absent, .new_page = riscv_new_page,         \
	.new_pt = riscv_new_pt, .classify = riscv_classify,                 \
	.paddr = riscv_paddr, .prop = riscv_prop, .prop_ok = riscv_prop_ok, \
	RISCV_TABLE_DATA

/*
 * The lower half of the root (indices 0..255) is user space, the upper
 * half (256..511, sign-extended to 0xffff...) the kernel (4.4.1 and 4.5.1:
 * bits 63..va_bits must equal bit va_bits - 1).
 */
#define RISCV_USER_HALF                                             \
	.top_index_first = 0, .top_index_last = PT_ENTRIES / 2 - 1, \
	.top_level_can_unmap = true
#define RISCV_KERNEL_HALF                                                    \
	.top_index_first = PT_ENTRIES / 2, .top_index_last = PT_ENTRIES - 1, \
	.top_level_can_unmap = false

#define RISCV_SV48                                                       \
	.nr_levels = RISCV_SV48_LEVELS, .highest_translation_level = 3,  \
	.va_bits = 48, .va_sign_extend = true, .pa_bits = RISCV_PA_BITS, \
	.legal_flags = RISCV_LEGAL_FLAGS,                                \
	.level = { RISCV_LEVEL_1, RISCV_LEVEL_2, RISCV_LEVEL_3(true),    \
		   RISCV_LEVEL_4 },                                      \
	RISCV_HOOKS

#define RISCV_SV39                                                       \
	.nr_levels = RISCV_SV39_LEVELS, .highest_translation_level = 2,  \
	.va_bits = 39, .va_sign_extend = true, .pa_bits = RISCV_PA_BITS, \
	.legal_flags = RISCV_LEGAL_FLAGS,                                \
	.level = { RISCV_LEVEL_1, RISCV_LEVEL_2, RISCV_LEVEL_3(false) }, \
	RISCV_HOOKS

/*
 * Named like the other ports ("<format>" and "<format>-kernel"); the host's
 * sim_mmu_for() finds the software MMU by this prefix.
 */
const struct pt_config riscv_sv48_user_config = {
	.name = "sv48",
	.twin = &riscv_sv48_kernel_config,
	RISCV_SV48,
	RISCV_USER_HALF,
};

const struct pt_config riscv_sv48_kernel_config = {
	.name = "sv48-kernel",
	.twin = &riscv_sv48_user_config,
	RISCV_SV48,
	RISCV_KERNEL_HALF,
};

const struct pt_config riscv_sv39_user_config = {
	.name = "sv39",
	.twin = &riscv_sv39_kernel_config,
	RISCV_SV39,
	RISCV_USER_HALF,
};

const struct pt_config riscv_sv39_kernel_config = {
	.name = "sv39-kernel",
	.twin = &riscv_sv39_user_config,
	RISCV_SV39,
	RISCV_KERNEL_HALF,
};
