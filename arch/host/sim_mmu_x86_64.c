// SPDX-License-Identifier: MPL-2.0
/*
 * The software MMU for x86_64 4-level paging, written from Intel SDM vol 3A
 * chapter 4, not from the codec: 4.5.4 (linear-address translation), 4.6
 * (access rights, with CR0.WP, CR4.SMEP, CR4.SMAP, EFER.NXE), 4.8 (accessed
 * and dirty flags). It is an oracle for the codec and the core.
 */

#include "ostd/arch/x86_64_pte.h"

#include "ostd/host/sim.h"

/* Rights gathered along the walk (4.6.1: they combine over all levels). */
struct rights {
	bool all_user;     /* U/S = 1 in every entry. */
	bool all_writable; /* R/W = 1 in every entry. */
	bool any_xd;       /* XD = 1 in some entry. */
};

/*
 * 4.6.1 "Determination of Access Rights", for an access of @p kind from
 * the mode in @p m to a page with rights @p r.
 */
static enum sim_fault x86_rights_check(bool all_user, bool all_writable,
				       bool executable, enum sim_access kind,
				       const struct sim_mode *m)
{
	if (m->user) {
		/* User-mode accesses need U/S = 1 everywhere. */
		if (!all_user) {
			return SIM_FAULT_PERMISSION;
		}
		if (kind == SIM_WRITE && !all_writable) {
			return SIM_FAULT_PERMISSION;
		}
		if (kind == SIM_EXEC && !executable) {
			return SIM_FAULT_PERMISSION;
		}
		return SIM_OK;
	}
	switch (kind) {
	case SIM_READ:
		/* SMAP: no supervisor data access to user pages unless AC. */
		return all_user && m->smap && !m->ac ? SIM_FAULT_PERMISSION
						     : SIM_OK;
	case SIM_WRITE:
		if (all_user && m->smap && !m->ac) {
			return SIM_FAULT_PERMISSION;
		}
		/* CR0.WP = 0 lets the supervisor write read-only pages. */
		return m->wp && !all_writable ? SIM_FAULT_PERMISSION : SIM_OK;
	case SIM_EXEC:
		/* SMEP: the supervisor never fetches from user pages. */
		if (all_user && m->smep) {
			return SIM_FAULT_PERMISSION;
		}
		return executable ? SIM_OK : SIM_FAULT_PERMISSION;
	}
	return SIM_FAULT_PERMISSION;
}

static enum sim_fault x86_check(const struct sim_translation *t,
				enum sim_access kind,
				const struct sim_mode *mode)
{
	return x86_rights_check(t->user, t->writable, t->executable, kind,
				mode);
}

/* Reserved bits of an entry (4.5.4, Tables 4-15 to 4-20, and 4.6.2). */
static bool x86_reserved(uint64_t pte, unsigned int level, bool leaf,
			 const struct sim_mode *m)
{
	if ((pte & X86_PTE_XD) != 0 && !m->nxe) {
		return true; /* XD is reserved unless EFER.NXE = 1 (4.6.2). */
	}
	if (level == 4 && (pte & X86_PTE_PS) != 0) {
		return true; /* PS is reserved in a PML4E (Table 4-15). */
	}
	if (leaf && level > 1) {
		/* Address bits below the page size, above bit 12 (PAT). */
		uint64_t low =
			((1ULL << (12 + 9 * (level - 1))) - 1) & ~0x1fffULL;

		return (pte & low) != 0;
	}
	return false;
}

static uint64_t *entry_ptr(paddr_t table, unsigned int index)
{
	return sim_phys_ptr(pa_init(pa_addr(table) + 8ULL * index), 8);
}

/*
 * One walk. If an entry changed between reading it and setting its
 * accessed/dirty bits, sets *again: the hardware's locked update only
 * lands on the entry it read, so a cleared entry stays cleared.
 */
static enum sim_fault x86_walk_once(paddr_t root, uint64_t va,
				    enum sim_access kind,
				    const struct sim_mode *mode,
				    struct sim_translation *out, bool *again)
{
	/* Bits 63:47 must be equal, or the access takes #GP (3.3.7.1). */
	uint64_t top = va >> 47;

	if (top != 0 && top != 0x1ffff) {
		return SIM_FAULT_NON_CANONICAL;
	}
	struct rights r = { .all_user = true, .all_writable = true };
	uint64_t *used[4];
	uint64_t seen[4];
	paddr_t table = root;

	for (unsigned int level = 4; level >= 1; level--) {
		unsigned int index = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t *p = entry_ptr(table, index);

		if (p == NULL) {
			return SIM_FAULT_BUS;
		}
		uint64_t pte = __atomic_load_n(p, __ATOMIC_ACQUIRE);

		if ((pte & X86_PTE_P) == 0) {
			return SIM_FAULT_NOT_PRESENT;
		}
		bool leaf =
			level == 1 || (level <= 3 && (pte & X86_PTE_PS) != 0);

		if (x86_reserved(pte, level, leaf, mode)) {
			return SIM_FAULT_RESERVED;
		}
		used[4 - level] = p;
		seen[4 - level] = pte;
		r.all_user &= (pte & X86_PTE_US) != 0;
		r.all_writable &= (pte & X86_PTE_RW) != 0;
		r.any_xd |= mode->nxe && (pte & X86_PTE_XD) != 0;
		if (!leaf) {
			table = pa_init(pte & X86_PTE_ADDR_MASK);
			continue;
		}
		uint64_t size = 1ULL << (12 + 9 * (level - 1));
		enum sim_fault f = x86_rights_check(r.all_user, r.all_writable,
						    !r.any_xd, kind, mode);

		if (f != SIM_OK) {
			return f;
		}
		/*
		 * 4.8: set A in every entry used, and D in the leaf on a
		 * write, atomically (locked operations in hardware).
		 */
		for (unsigned int i = 0; i <= 4 - level; i++) {
			bool is_leaf = i == 4 - level;
			uint64_t want =
				seen[i] | X86_PTE_A |
				(is_leaf && kind == SIM_WRITE ? X86_PTE_D : 0);
			uint64_t expect = seen[i];

			if (want != expect &&
			    !__atomic_compare_exchange_n(
				    used[i], &expect, want, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				*again = true;
				return SIM_FAULT_NOT_PRESENT;
			}
		}
		uint64_t frame = pte & X86_PTE_ADDR_MASK & ~(size - 1);

		*out = (struct sim_translation){
			.page_va = va & ~(size - 1),
			.page_size = size,
			.page_pa = pa_init(frame),
			.pa = pa_init(frame + (va & (size - 1))),
			.readable = true,
			.writable = r.all_writable,
			.executable = !r.any_xd,
			.user = r.all_user,
			.global = (pte & X86_PTE_G) != 0,
			.dirty = kind == SIM_WRITE || (pte & X86_PTE_D) != 0,
		};
		return SIM_OK;
	}
	return SIM_FAULT_NOT_PRESENT;
}

static enum sim_fault x86_walk(const struct sim_mmu_hw *hw, paddr_t root,
			       uint64_t va, enum sim_access kind,
			       const struct sim_mode *mode,
			       struct sim_translation *out)
{
	(void)hw;
	return sim_walk_until_stable(x86_walk_once, root, va, kind, mode, out);
}

const struct sim_mmu_hw sim_mmu_x86_64 = {
	.name = "x86_64",
	.walk = x86_walk,
	.check = x86_check,
	.levels = 4,
};
