// SPDX-License-Identifier: MPL-2.0
/*
 * The "hardware" of the hostile format, following the rules stated in
 * ostd/host/hostile.h. It decodes entries itself rather than through the
 * codec, so the two check each other.
 */

#include "ostd/host/hostile.h"
#include "ostd/host/sim.h"

static enum sim_fault hostile_check(const struct sim_translation *t,
				    enum sim_access kind,
				    const struct sim_mode *m)
{
	if (m->user && !t->user) {
		return SIM_FAULT_PERMISSION;
	}
	switch (kind) {
	case SIM_READ:
		return t->readable ? SIM_OK : SIM_FAULT_PERMISSION;
	case SIM_WRITE:
		return t->writable ? SIM_OK : SIM_FAULT_PERMISSION;
	case SIM_EXEC:
		/* The supervisor never executes user pages. */
		return t->executable && (m->user || !t->user)
			       ? SIM_OK
			       : SIM_FAULT_PERMISSION;
	}
	return SIM_FAULT_PERMISSION;
}

/* One walk; *again if the leaf changed before its A/D update landed. */
static enum sim_fault hostile_walk_once(paddr_t root, uint64_t va,
					enum sim_access kind,
					const struct sim_mode *mode,
					struct sim_translation *out,
					bool *again)
{
	uint64_t top = va >> 47;

	if (top != 0 && top != 0x1ffff) {
		return SIM_FAULT_NON_CANONICAL;
	}
	paddr_t table = root;

	for (unsigned int level = 4; level >= 1; level--) {
		unsigned int index = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t *p =
			sim_phys_ptr(pa_init(pa_addr(table) + 8ULL * index), 8);

		if (p == NULL) {
			return SIM_FAULT_BUS;
		}
		uint64_t raw = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		uint64_t base = hostile_rotr(raw, hostile_rot(level));

		if ((base & HOSTILE_V) == 0) {
			return SIM_FAULT_NOT_PRESENT;
		}
		if ((base & ~HOSTILE_KNOWN) != 0) {
			return SIM_FAULT_RESERVED;
		}
		uint64_t frame =
			((base & HOSTILE_PFN_MASK) >> HOSTILE_PFN_SHIFT) << 12;

		if ((base & HOSTILE_LEAF) == 0) {
			if (level == 1) {
				return SIM_FAULT_RESERVED;
			}
			table = pa_init(frame);
			continue;
		}
		uint64_t size = 1ULL << (12 + 9 * (level - 1));
		uint64_t flags = base >> HOSTILE_FLAGS_SHIFT;

		if (level == 4 || (frame & (size - 1)) != 0) {
			return SIM_FAULT_RESERVED;
		}
		struct sim_translation t = {
			.page_va = va & ~(size - 1),
			.page_size = size,
			.page_pa = pa_init(frame),
			.pa = pa_init(frame + (va & (size - 1))),
			.readable = (flags & PROT_R) != 0,
			.writable = (flags & PROT_W) != 0,
			.executable = (flags & PROT_X) != 0,
			.user = (flags & PROT_USER) != 0,
			.global = (flags & PT_GLOBAL) != 0,
			.dirty = (flags & PT_DIRTY) != 0,
		};
		enum sim_fault f = hostile_check(&t, kind, mode);

		if (f != SIM_OK) {
			return f;
		}
		/* Accessed always, dirty on a write. */
		uint64_t set = PT_ACCESSED | (kind == SIM_WRITE ? PT_DIRTY : 0);
		uint64_t rotated =
			hostile_rotl((uint64_t)set << HOSTILE_FLAGS_SHIFT,
				     hostile_rot(level));

		/* Only on the entry as read: a cleared entry stays clear. */
		uint64_t expect = raw;

		if ((raw | rotated) != raw &&
		    !__atomic_compare_exchange_n(p, &expect, raw | rotated,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			*again = true;
			return SIM_FAULT_NOT_PRESENT;
		}
		t.dirty |= kind == SIM_WRITE;
		*out = t;
		return SIM_OK;
	}
	return SIM_FAULT_NOT_PRESENT;
}

static enum sim_fault hostile_walk(const struct sim_mmu_hw *hw, paddr_t root,
				   uint64_t va, enum sim_access kind,
				   const struct sim_mode *mode,
				   struct sim_translation *out)
{
	(void)hw;
	return sim_walk_until_stable(hostile_walk_once, root, va, kind, mode,
				     out);
}

const struct sim_mmu_hw sim_mmu_hostile = {
	.name = "hostile",
	.walk = hostile_walk,
	.check = hostile_check,
	.levels = 4,
};
