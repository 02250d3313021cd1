// SPDX-License-Identifier: MPL-2.0
/*
 * The software MMU for AArch64 VMSAv8-64 stage 1, written from the Arm ARM
 * (DDI 0487; citations as in ostd/arch/pte.h), not from the codec: the
 * descriptor formats (D5.3 / D8.3), "Memory access control" (D5.4 / D8.4)
 * and the AArch64.TranslationTableWalk() and AArch64.CheckPermission()
 * pseudocode. It is an oracle for arch/aarch64/pt_format.c and the core.
 *
 * The machine it models is what OSTD-C programs on QEMU's cortex-a76, the
 * aarch64 boards' CPU (arch/aarch64/kernel_pt.c, boot.S):
 *   - the EL1&0 regime, Non-secure, stage 1 only, 4 KiB granule;
 *   - T0SZ = T1SZ = AARCH64_SIM_TNSZ (17), so both halves start at Arm
 *     level 0 with a 256-entry table; TBI0 = TBI1 = 0 (no top-byte-ignore);
 *     IPS = 48 bits;
 *   - TCR_EL1.HA = HD = 0, as the kernel programs it: the hardware never
 *     sets AF or any dirty state, whether or not it has FEAT_HAFDBS;
 *   - SCTLR_EL1.WXN = 0; no FEAT_HPDS (the table limits always apply), no
 *     FEAT_EPAN, FEAT_BTI, FEAT_LPA/LPA2 or FEAT_BBM;
 *   - PSTATE.PAN from the mode (FEAT_PAN is Armv8.1: the cortex-a76 has
 *     it, which is why the boards use it; a cortex-a72 lacks it).
 * The simulated CPU has one root. It stands for TTBR0_EL1 and TTBR1_EL1
 * both: TTBR0_EL1 = root reaches entries 0..255 with VA[46:39], and
 * TTBR1_EL1 = root + 2 KiB reaches entries 256..511 for the upper half, so
 * one 512-entry root indexed by VA[47:39] is the same walk. With TnSZ = 17
 * nothing aliases: VA 2^47 takes a Translation fault as on x86_64 and Sv48.
 */

#include "ostd/arch/aarch64_pte.h"

#include "ostd/host/sim.h"

/*
 * With TnSZ = 17, VA[63:47] all 0 selects TTBR0 and all 1 selects TTBR1;
 * any other VA takes a Translation fault at level 0 ("Selection between
 * TTBR0 and TTBR1"; the pseudocode's "inputsize < addrsize" check).
 */
#define AARCH64_SIM_TNSZ 17

/* The limits that table descriptors pass down the walk (all "take away"). */
struct limits {
	bool no_el0; /* APTable[0] somewhere above. */
	bool ro;     /* APTable[1]. */
	bool uxn;    /* UXNTable. */
	bool pxn;    /* PXNTable. */
};

/*
 * AArch64.CheckPermission() for the EL1&0 regime, for an access of @p kind
 * in @p m to a page whose effective AP[1] is @p el0 and AP[2] is !@p
 * writable. @p executable is the execute right of the mode (user or not).
 */
static enum sim_fault a64_rights(bool el0, bool writable, bool executable,
				 enum sim_access kind, const struct sim_mode *m)
{
	/* Fetches obey only UXN / PXN; PAN never applies to them. */
	if (kind == SIM_EXEC) {
		return executable ? SIM_OK : SIM_FAULT_PERMISSION;
	}
	if (m->user) {
		/* AP[1] = 0: "no access by software executing at EL0". */
		if (!el0) {
			return SIM_FAULT_PERMISSION;
		}
	} else if (m->pan && el0) {
		/*
		 * PSTATE.PAN = 1: an EL1 data access to a page EL0 can read
		 * or write faults, even a read ("Privileged Access Never").
		 */
		return SIM_FAULT_PERMISSION;
	}
	/* AP[2] = 1 is read-only at every EL; no CR0.WP-style escape. */
	if (kind == SIM_WRITE && !writable) {
		return SIM_FAULT_PERMISSION;
	}
	return SIM_OK;
}

/*
 * A TLB hit. The cached rights are the descriptor's, combined with the
 * table limits; PAN is PSTATE, not cached, so it is applied here.
 * t->executable is for the mode of the walk that filled the entry
 * (sim.h): EL0 and EL1 execute rights come from different bits.
 */
static enum sim_fault a64_check(const struct sim_translation *t,
				enum sim_access kind,
				const struct sim_mode *mode)
{
	return a64_rights(t->user, t->writable, t->executable, kind, mode);
}

/* The block or page @p desc, found at OSTD @p level, for the access. */
static enum sim_fault a64_leaf(uint64_t desc, unsigned int level, uint64_t va,
			       enum sim_access kind, const struct sim_mode *m,
			       struct limits lim, struct sim_translation *out)
{
	uint64_t size = 1ULL << (12 + 9 * (level - 1));
	uint64_t oa = desc & AARCH64_PTE_ADDR_MASK;

	/*
	 * RES0 fields: bits 51:48 (DBM, GP and OA[51:48] on later cores),
	 * the output address bits below a block's size (nT at bit 16 with
	 * FEAT_BBM, OA bits with FEAT_LPA), and SH = 0b01, "Reserved". The
	 * Armv8.0 pseudocode ignores them, but software must write them as
	 * 0 ("RES0" in the Glossary) because newer cores give them meaning,
	 * so the oracle refuses them rather than guess. It does not model
	 * the Contiguous hint either, which OSTD never sets.
	 */
	if ((desc & (AARCH64_PTE_LEAF_RES0_HIGH | AARCH64_PTE_CONT)) != 0 ||
	    (oa & (size - 1)) != 0 ||
	    (desc & AARCH64_PTE_SH_MASK) == (1ULL << AARCH64_PTE_SH_SHIFT)) {
		return SIM_FAULT_RESERVED;
	}
	/*
	 * "The Access flag": with no hardware update an access through a
	 * block or page with AF = 0 takes an Access flag fault. The walk
	 * checks it before AArch64.CheckPermission() runs, so it outranks a
	 * Permission fault.
	 */
	if ((desc & AARCH64_PTE_AF) == 0) {
		return SIM_FAULT_ACCESS_FLAG;
	}
	/* The pseudocode's perms: AP and XN combined with the table limits. */
	bool el0 = (desc & AARCH64_PTE_AP_EL0) != 0 && !lim.no_el0;
	bool writable = (desc & AARCH64_PTE_AP_RO) == 0 && !lim.ro;
	bool uxn = (desc & AARCH64_PTE_UXN) != 0 || lim.uxn;
	/*
	 * "If the value of the AP[2:1] bits is 0b01, permitting write access
	 * from EL0, then the PXN bit is treated as if it has the value 1"
	 * ("Access permissions for instruction execution"; Table D5-33 of
	 * E.a, footnote c).
	 */
	bool pxn =
		(desc & AARCH64_PTE_PXN) != 0 || lim.pxn || (el0 && writable);
	/* EL0 fetches need only UXN = 0, even with AP[1] = 0 (execute-only). */
	bool executable = m->user ? !uxn : !pxn;
	enum sim_fault f = a64_rights(el0, writable, executable, kind, m);

	if (f != SIM_OK || out == NULL) {
		return f;
	}
	uint64_t frame = oa & ~(size - 1);

	*out = (struct sim_translation){
		.page_va = va & ~(size - 1),
		.page_size = size,
		.page_pa = pa_init(frame),
		.pa = pa_init(frame + (va & (size - 1))),
		/* AP[2:1] never denies EL1 reads; EL0's need `user`. */
		.readable = true,
		.writable = writable,
		.executable = executable,
		.user = el0,
		.global = (desc & AARCH64_PTE_NG) == 0,
		/*
		 * There is no hardware dirty state to set (HD = 0), so a
		 * cached entry never needs a walk before a write, unlike on
		 * x86: report it dirty, and a write through a stale entry
		 * goes through as on the real CPU. The software D bit of the
		 * codec (bit 57) is the core's bookkeeping; the hardware
		 * ignores it.
		 */
		.dirty = true,
	};
	return SIM_OK;
}

static enum sim_fault a64_walk(const struct sim_mmu_hw *hw, paddr_t root,
			       uint64_t va, enum sim_access kind,
			       const struct sim_mode *mode,
			       struct sim_translation *out)
{
	uint64_t top = va >> (64 - AARCH64_SIM_TNSZ);

	if (top != 0 && top != (1ULL << AARCH64_SIM_TNSZ) - 1) {
		return SIM_FAULT_NON_CANONICAL;
	}
	struct limits lim = { false, false, false, false };
	/* TTBRn_EL1.BADDR: bits 11:1 are RES0 and bit 0 is CnP. */
	uint64_t table = pa_addr(root) & AARCH64_PTE_ADDR_MASK;
	/* The descriptors read, for the break-before-make check (sim.h). */
	paddr_t path_pa[SIM_PATH_MAX];
	uint64_t path_desc[SIM_PATH_MAX];
	unsigned int path_len = 0;

	for (unsigned int level = hw->levels; level >= 1; level--) {
		unsigned int index = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t *p = sim_phys_ptr(pa_init(table + 8ULL * index), 8);

		/* A Synchronous External abort on translation table walk. */
		if (p == NULL) {
			return SIM_FAULT_BUS;
		}
		uint64_t desc = __atomic_load_n(p, __ATOMIC_ACQUIRE);

		path_pa[path_len] = pa_init(table + 8ULL * index);
		path_desc[path_len++] = desc;
		if ((desc & AARCH64_PTE_VALID) == 0) {
			return SIM_FAULT_NOT_PRESENT;
		}
		bool bit1 = (desc & AARCH64_PTE_TABLE) != 0;

		if (bit1 && level > 1) {
			/* Bits 51:48 of a table descriptor are RES0. */
			if ((desc & AARCH64_PTE_TABLE_RES0) != 0) {
				return SIM_FAULT_RESERVED;
			}
			lim.no_el0 |= (desc & AARCH64_PTE_AP_TABLE_NO_EL0) != 0;
			lim.ro |= (desc & AARCH64_PTE_AP_TABLE_RO) != 0;
			lim.uxn |= (desc & AARCH64_PTE_UXN_TABLE) != 0;
			lim.pxn |= (desc & AARCH64_PTE_PXN_TABLE) != 0;
			table = desc & AARCH64_PTE_ADDR_MASK;
			continue;
		}
		/*
		 * 0b01 at Arm level 3 is "Reserved, invalid" (D5.3.2) and a
		 * block at Arm level 0 does not exist with the 4 KiB granule
		 * (D5.3.1). The hardware reports both as Translation faults,
		 * like an invalid descriptor; the simulator tells them apart
		 * so a test sees "written wrong", not "never written".
		 */
		if (!bit1 && (level == 1 || level == hw->levels)) {
			return SIM_FAULT_RESERVED;
		}
		enum sim_fault f =
			a64_leaf(desc, level, va, kind, mode, lim, out);

		if (f == SIM_OK && out != NULL) {
			out->path_len = path_len;
			for (unsigned int i = 0; i < path_len; i++) {
				out->path_pa[i] = path_pa[i];
				out->path_desc[i] = path_desc[i];
			}
		}
		return f;
	}
	return SIM_FAULT_NOT_PRESENT;
}

static bool a64_desc_valid(uint64_t desc)
{
	return (desc & AARCH64_PTE_VALID) != 0;
}

/*
 * "Using break-before-make when updating translation table entries" (Arm
 * ARM D8.16.1 of DDI 0487K; D5.10.1 in older issues), for a PE without
 * FEAT_BBM as modelled here: replacing one valid descriptor by another
 * needs the invalid entry and a TLB invalidation in between if it changes
 *   - the block size: a table descriptor for a block or back (bit 1 at
 *     Arm levels 0-2; at Arm level 3 every valid page has bit 1 set);
 *   - the output address (of a block or page; for a table, the next-level
 *     table address, which walk caches hold);
 *   - the memory type (AttrIndx, bits 4:2, selects MAIR_EL1's attribute)
 *     or the Shareability (SH, bits 9:8);
 *   - nG from 1 to 0: a global entry would overlap the non-global ones of
 *     the same address already cached, which is a TLB conflict.
 * Changes of AP[2:1], PXN, UXN, AF, DBM and the software bits need none.
 */
static bool a64_needs_bbm(const struct sim_mmu_hw *hw, uint64_t old,
			  uint64_t now, unsigned int level)
{
	const uint64_t type_bit = AARCH64_PTE_TABLE;
	bool table = level > 1 && (old & type_bit) != 0;

	(void)hw;
	if (level > 1 && ((old ^ now) & type_bit) != 0) {
		return true;
	}
	if (((old ^ now) & AARCH64_PTE_ADDR_MASK) != 0) {
		return true;
	}
	if (table) {
		return false;
	}
	if (((old ^ now) & (AARCH64_PTE_ATTRINDX_MASK | AARCH64_PTE_SH_MASK)) !=
	    0) {
		return true;
	}
	return (old & ~now & AARCH64_PTE_NG) != 0;
}

const struct sim_mmu_hw sim_mmu_aarch64 = {
	.name = "aarch64",
	.walk = a64_walk,
	.check = a64_check,
	.levels = 4,
	.needs_bbm = a64_needs_bbm,
	.desc_valid = a64_desc_valid,
};
