// SPDX-License-Identifier: MPL-2.0
/*
 * The AArch64 VMSAv8-64 stage 1 PTE codec: 4 KiB granule, 48-bit VA, the
 * EL1&0 regime. Pure: it is linked into the aarch64 kernel and into the
 * host test binary. The descriptor layout and the citation scheme for the
 * Arm ARM (DDI 0487) are in ostd/arch/pte.h.
 *
 * OSTD levels: 1 = Arm level 3 (4 KiB pages), 2 = Arm level 2 (2 MiB
 * blocks), 3 = Arm level 1 (1 GiB blocks), 4 = Arm level 0 (tables only:
 * with the 4 KiB granule a level 0 block needs FEAT_LPA2, D5.3.1 / D8.3).
 *
 * How a pt_prop becomes bits (D5.4 / D8.4 "Memory access control"):
 *
 *   PROT_R       required: stage 1 AP cannot deny EL1 reads
 *   PROT_W       AP[2] = 0, else AP[2] = 1 (read-only at every EL)
 *   PROT_USER    AP[1] = 1 (EL0 may access)
 *   PROT_X       the owner may execute: UXN = 0 on a user page, PXN = 0
 *                on a kernel page; the other XN bit is always 1
 *   no PROT_X    UXN = PXN = 1
 *   PT_GLOBAL    nG = 0, else nG = 1
 *   PT_ACCESSED  AF
 *   PT_DIRTY     software bit 57 (see AARCH64_PTE_SW_DIRTY)
 *   PT_AVAIL1/2  software bits 55 / 56
 *   cache        AttrIndx into AARCH64_MAIR_VALUE; SH = Inner Shareable
 */

#include "ostd/arch/aarch64_pte.h"

#include "ostd/assert.h"
#include "ostd/pt_config.h"

/*
 * The dirty state is a software bit. Hardware dirty tracking (DBM, bit 51)
 * needs FEAT_HAFDBS, which Cortex-A72 lacks: there bit 51 is RES0. The Linux
 * DBM convention (DBM = 1 with AP[2] = 1 meaning "writable but clean") would
 * also make PROT_W depend on two bits and a write fault, so instead D is
 * a plain bit in the "reserved for software use" field (bits 58:55, IGNORED
 * by the hardware: "Other fields in the VMSAv8-64 translation table format
 * descriptors"). It round-trips like x86's D, but only software sets it.
 */
#define AARCH64_PTE_SW_DIRTY AARCH64_PTE_SW2
#define AARCH64_PTE_SW_AVAIL1 AARCH64_PTE_SW0
#define AARCH64_PTE_SW_AVAIL2 AARCH64_PTE_SW1

/* The levels that may hold a block: Arm levels 1 and 2 (D5.3.1 / D8.3). */
#define AARCH64_BLOCK_LEVEL_MIN 2
#define AARCH64_BLOCK_LEVEL_MAX 3

static pte_t attr_bits(enum pt_cache cache)
{
	switch (cache) {
	case PT_CACHE_WRITEBACK:
		return AARCH64_PTE_ATTRINDX(AARCH64_MAIR_IDX_WB);
	case PT_CACHE_WRITETHROUGH:
		return AARCH64_PTE_ATTRINDX(AARCH64_MAIR_IDX_WT);
	case PT_CACHE_WRITECOMBINE:
		return AARCH64_PTE_ATTRINDX(AARCH64_MAIR_IDX_NC);
	case PT_CACHE_UNCACHED:
		return AARCH64_PTE_ATTRINDX(AARCH64_MAIR_IDX_DEVICE);
	case PT_CACHE_COUNT:
		break;
	}
	CHECK(false);
	return 0;
}

static enum pt_cache cache_of(pte_t pte)
{
	/*
	 * The memory type of each MAIR byte AARCH64_MAIR_VALUE programs.
	 * Bytes 4-7 are 0x00, Device-nGnRnE, so a stray index still decodes
	 * to what the hardware would do with it.
	 */
	static const enum pt_cache types[8] = {
		[AARCH64_MAIR_IDX_WB] = PT_CACHE_WRITEBACK,
		[AARCH64_MAIR_IDX_WT] = PT_CACHE_WRITETHROUGH,
		[AARCH64_MAIR_IDX_NC] = PT_CACHE_WRITECOMBINE,
		[AARCH64_MAIR_IDX_DEVICE] = PT_CACHE_UNCACHED,
		[4] = PT_CACHE_UNCACHED,
		[5] = PT_CACHE_UNCACHED,
		[6] = PT_CACHE_UNCACHED,
		[7] = PT_CACHE_UNCACHED,
	};

	return types[(pte & AARCH64_PTE_ATTRINDX_MASK) >>
		     AARCH64_PTE_ATTRINDX_SHIFT];
}

static pte_t a64_new_absent(const struct pt_config *cfg, pt_level_t level)
{
	(void)cfg;
	(void)level;
	return 0;
}

static pte_t a64_new_page(const struct pt_config *cfg, paddr_t pa,
			  pt_level_t level, struct pt_prop prop)
{
	(void)cfg;
	bool user = (prop.flags & PROT_USER) != 0;
	/*
	 * SH is Inner Shareable for every type. Device and Non-cacheable
	 * memory ignore it (they are always Outer Shareable), and prop()
	 * ignores it too, so one value keeps encoding simple.
	 */
	pte_t pte =
		(level == 1 ? AARCH64_PTE_TYPE_PAGE : AARCH64_PTE_TYPE_BLOCK) |
		(pa_addr(pa) & AARCH64_PTE_ADDR_MASK) | attr_bits(prop.cache) |
		AARCH64_PTE_SH_INNER;

	pte |= user ? AARCH64_PTE_AP_EL0 : 0;
	pte |= (prop.flags & PROT_W) == 0 ? AARCH64_PTE_AP_RO : 0;
	if ((prop.flags & PROT_X) == 0) {
		pte |= AARCH64_PTE_UXN | AARCH64_PTE_PXN;
	} else if (user) {
		/*
		 * The kernel never executes user memory (what SMEP does on
		 * x86). The hardware only implies PXN for EL0-writable pages
		 * ("if AP[2:1] is 0b01, permitting write access from EL0,
		 * then the PXN bit is treated as if it has the value 1",
		 * "Access permissions for instruction execution"), and
		 * SCTLR_EL1.WXN only for writable ones ("Preventing execution
		 * from writable locations"). A read-only user text page
		 * (AP[2:1] = 0b11) would be executable at EL1 without PXN.
		 */
		pte |= AARCH64_PTE_PXN;
	} else {
		/*
		 * AP[1] = 0 stops EL0 loads and stores but not instruction
		 * fetches: UXN alone decides those, and a page with AP[2:1] =
		 * 0b00 and UXN = 0 is execute-only memory for EL0 (Table
		 * D5-33 in E.a). Kernel text must therefore carry UXN.
		 */
		pte |= AARCH64_PTE_UXN;
	}
	pte |= (prop.flags & PT_GLOBAL) == 0 ? AARCH64_PTE_NG : 0;
	pte |= (prop.flags & PT_ACCESSED) != 0 ? AARCH64_PTE_AF : 0;
	pte |= (prop.flags & PT_DIRTY) != 0 ? AARCH64_PTE_SW_DIRTY : 0;
	pte |= (prop.flags & PT_AVAIL1) != 0 ? AARCH64_PTE_SW_AVAIL1 : 0;
	pte |= (prop.flags & PT_AVAIL2) != 0 ? AARCH64_PTE_SW_AVAIL2 : 0;
	return pte;
}

static pte_t a64_new_pt(const struct pt_config *cfg, paddr_t pa,
			pt_level_t level)
{
	(void)cfg;
	(void)level;
	/*
	 * APTable, UXNTable and PXNTable only ever take rights away from the
	 * levels below ("Hierarchical control of data access permissions"),
	 * so tables leave them 0 and the leaf decides, as on x86_64. NSTable
	 * is RES0 for Non-secure accesses.
	 */
	return AARCH64_PTE_TYPE_TABLE | (pa_addr(pa) & AARCH64_PTE_ADDR_MASK);
}

static enum pt_entry_type a64_classify(const struct pt_config *cfg, pte_t pte,
				       pt_level_t level)
{
	(void)cfg;
	switch (pte & AARCH64_PTE_TYPE_MASK) {
	case AARCH64_PTE_TYPE_TABLE:
		/* 0b11 is a page at Arm level 3, a table above it. */
		return level == 1 ? PT_ENTRY_LEAF : PT_ENTRY_TABLE;
	case AARCH64_PTE_TYPE_BLOCK:
		if (level >= AARCH64_BLOCK_LEVEL_MIN &&
		    level <= AARCH64_BLOCK_LEVEL_MAX) {
			return PT_ENTRY_LEAF;
		}
		/*
		 * 0b01 at Arm level 3 is "Reserved, invalid: behaves
		 * identically to encodings with bit[0] set to 0" (D5.3.2),
		 * and a level 0 block Translation faults too (the walk's
		 * "level < firstblocklevel" check). The hardware sees no
		 * mapping, so neither does the core. The codec never makes
		 * either; the software MMU flags them as reserved.
		 */
		return PT_ENTRY_ABSENT;
	default:
		/* Bit 0 clear: invalid, whatever the other bits say. */
		return PT_ENTRY_ABSENT;
	}
}

static paddr_t a64_paddr(const struct pt_config *cfg, pte_t pte,
			 pt_level_t level)
{
	pte_t mask = AARCH64_PTE_ADDR_MASK;

	/* In a block the address bits below the block size are RES0. */
	if (a64_classify(cfg, pte, level) == PT_ENTRY_LEAF) {
		mask &= ~(pt_page_size(level) - 1);
	}
	return pa_init(pte & mask);
}

static struct pt_prop a64_prop(const struct pt_config *cfg, pte_t pte,
			       pt_level_t level)
{
	(void)cfg;
	(void)level;
	bool user = (pte & AARCH64_PTE_AP_EL0) != 0;
	/* PROT_X is the owner's right: EL0's for a user page, else EL1's. */
	pte_t owner_xn = user ? AARCH64_PTE_UXN : AARCH64_PTE_PXN;
	struct pt_prop prop = { .flags = PROT_R, .cache = cache_of(pte) };

	prop.flags |= (pte & AARCH64_PTE_AP_RO) == 0 ? PROT_W : 0;
	prop.flags |= (pte & owner_xn) == 0 ? PROT_X : 0;
	prop.flags |= user ? PROT_USER : 0;
	prop.flags |= (pte & AARCH64_PTE_NG) == 0 ? PT_GLOBAL : 0;
	prop.flags |= (pte & AARCH64_PTE_AF) != 0 ? PT_ACCESSED : 0;
	prop.flags |= (pte & AARCH64_PTE_SW_DIRTY) != 0 ? PT_DIRTY : 0;
	prop.flags |= (pte & AARCH64_PTE_SW_AVAIL1) != 0 ? PT_AVAIL1 : 0;
	prop.flags |= (pte & AARCH64_PTE_SW_AVAIL2) != 0 ? PT_AVAIL2 : 0;
	return prop;
}

static bool a64_prop_ok(const struct pt_config *cfg, struct pt_prop prop)
{
	(void)cfg;
	/*
	 * Stage 1 AP[2:1] always lets EL1 read ("The AP[2:1] data access
	 * permissions, for stage 1 translations"), so R is mandatory.
	 *
	 * Everything else is encodable, W|X|USER included: W^X is the
	 * core's policy, not the format's. The hardware adds two rules of
	 * its own that the encoding does not show: an EL0-writable page
	 * (AP[2:1] = 0b01) is never executable at EL1, whatever PXN says,
	 * and with SCTLR_EL1.WXN = 1 no writable page is executable at all
	 * ("Access permissions for instruction execution"). EL0-readable
	 * but read-only pages are not covered by the first rule; PXN
	 * covers them (see a64_new_page). PROT_X on Device memory is also
	 * encodable; the core never asks for it.
	 */
	return (prop.flags & PROT_R) != 0;
}

/*
 * The output address of a leaf (leaf_pa_bits), 4 KiB granule, 48-bit OA:
 * bits 47:12 of a page descriptor, 47:21 of a level 2 block and 47:30 of
 * a level 1 block ("VMSAv8-64 translation table level 1, level 2, and
 * level 3 descriptor formats", D5.3.1 / D8.3). The bits below a block's
 * address are RES0; everything else is an attribute, the software bits
 * 58:55 included. The field is the address in place (leaf_pa_rot 0);
 * with FEAT_LPA's 52-bit OA, PA[51:48] would sit in bits 15:12 and the
 * port would set PT_PA_ROT_NONE.
 */
#define AARCH64_LEAF_PA_BITS(shift) \
	(AARCH64_PTE_ADDR_MASK & ~((AARCH64_PTE_C(1) << (shift)) - 1))

#define AARCH64_LEVELS                                                     \
	{                                                                  \
		[1] = { .shift = 12,                                       \
			.leaf_ok = true,                                   \
			.name = "Arm L3",                                  \
			.leaf_pa_bits = AARCH64_LEAF_PA_BITS(12),          \
			.leaf_pa_rot = 0 },                                \
		[2] = { .shift = 21,                                       \
			.leaf_ok = true,                                   \
			.name = "Arm L2",                                  \
			.leaf_pa_bits = AARCH64_LEAF_PA_BITS(21),          \
			.leaf_pa_rot = 0 },                                \
		[3] = { .shift = 30,                                       \
			.leaf_ok = true,                                   \
			.name = "Arm L1",                                  \
			.leaf_pa_bits = AARCH64_LEAF_PA_BITS(30),          \
			.leaf_pa_rot = 0 },                                \
		[4] = { .shift = 39, .leaf_ok = false, .name = "Arm L0" }, \
	}

/*
 * Break-before-make ("Using break-before-make when updating translation
 * table entries", Arm ARM D8.16.1 of DDI 0487K; B2.2.1 / D5.10.1 in older
 * issues). Without FEAT_BBM, which OSTD-C does not rely on, a valid entry
 * may only be replaced by another valid one directly when neither the
 * block size (block <-> table), nor the output address, nor the memory
 * type (AttrIndx, bits 4:2, through MAIR_EL1), nor the Shareability (SH,
 * bits 9:8) changes; otherwise the TLB may hold both translations at once
 * (a TLB conflict abort, or a mix of their attributes: "CONSTRAINED
 * UNPREDICTABLE"). Linux's pgattr_change_is_safe() also refuses a change of
 * nG from 1 to 0 in place, since a global entry would then overlap the
 * non-global ones already cached; nG is in the set for that reason (a
 * change from 0 to 1 pays a flush it does not strictly need). Changes of
 * AP[2:1], PXN, UXN, AF and the software bits are done in place, followed
 * by the TLB invalidation the flusher issues.
 */
#define AARCH64_BBM_ATTR_BITS \
	(AARCH64_PTE_ATTRINDX_MASK | AARCH64_PTE_SH_MASK | AARCH64_PTE_NG)

/*
 * Table entries as data (pt_cfg_table_child()): bits 1:0 = 0b11 above Arm
 * level 3 is a table descriptor, whose next-level table address is bits
 * 47:12 in place ("Table descriptor format", D8.3.1 of DDI 0487K).
 */
#define AARCH64_TABLE_DATA                          \
	.table_kind_mask = AARCH64_PTE_TYPE_MASK,   \
	.table_kind_match = AARCH64_PTE_TYPE_TABLE, \
	.table_pa_bits = AARCH64_PTE_ADDR_MASK, .table_pa_rot = 0

#define AARCH64_COMMON                                                        \
	.nr_levels = 4, .highest_translation_level = AARCH64_BLOCK_LEVEL_MAX, \
	.va_bits = 48, .va_sign_extend = true, .pa_bits = AARCH64_PA_BITS,    \
	.legal_flags = PT_FLAGS_ALL, .level = AARCH64_LEVELS,                 \
	.break_before_make = true, .bbm_attr_bits = AARCH64_BBM_ATTR_BITS,    \
	.new_absent = a64_new_absent, .new_page = a64_new_page,               \
	.new_pt = a64_new_pt, .classify = a64_classify, .paddr = a64_paddr,   \
	.prop = a64_prop, .prop_ok = a64_prop_ok, AARCH64_TABLE_DATA

/*
 * TTBR0_EL1 with T0SZ = 16: the lower half, root entries 0..255. TTBR0
 * also reaches entries 256..511 (VA 0x0000800000000000 up), which in a user
 * root are the kernel's shared entries (DESIGN.md §2): EL0 cannot use the
 * kernel pages there (AP[1] = 0, UXN), but EL1 sees an alias of them.
 * T0SZ = T1SZ = 17 with TTBR1_EL1 = root + 2 KiB would close that hole and
 * keep this very geometry (a 256-entry Arm level 0 table per half).
 */
const struct pt_config aarch64_user_config = {
	.name = "aarch64",
	.top_index_first = 0,
	.top_index_last = PT_ENTRIES / 2 - 1,
	.top_level_can_unmap = true,
	.twin = &aarch64_kernel_config,
	AARCH64_COMMON,
};

/*
 * TTBR1_EL1 with T1SZ = 16 covers VA[63:48] all ones and, like TTBR0,
 * starts at Arm level 0 indexed by VA[47:39] ("The algorithm for finding
 * the translation table entries"). So the kernel table has the very same
 * geometry; it manages entries 256..511 (VA[47] = 1, from
 * 0xffff800000000000 up), the canonical upper half of x86_64 and Sv48.
 * Entries 0..255 of a TTBR1 table would map 0xffff000000000000 up to
 * 0xffff7fffffffffff; OSTD leaves them empty.
 */
const struct pt_config aarch64_kernel_config = {
	.name = "aarch64-kernel",
	.top_index_first = PT_ENTRIES / 2,
	.top_index_last = PT_ENTRIES - 1,
	.top_level_can_unmap = false,
	.twin = &aarch64_user_config,
	AARCH64_COMMON,
};
