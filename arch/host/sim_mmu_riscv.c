// SPDX-License-Identifier: MPL-2.0
/*
 * The host's RISC-V MMU: Sv48 and Sv39 as a hart walks them.
 *
 * Written from RISC-V Privileged Spec v1.12, 4.3.2 "Virtual Address
 * Translation Process" (4.4 Sv39 and 4.5 Sv48 reuse it with LEVELS = 3 and
 * 4, PTESIZE = 8), step by step, with the steps numbered as in the spec.
 * It is the oracle for the codec in arch/riscv64/pt_format.c and must never
 * call it: only the bit positions in ostd/arch/pte.h, which are manual
 * facts, are shared.
 *
 * Indices follow the spec, not OSTD: `i` counts VPN[i] from 0 at the leaf,
 * so a leaf found at `i` maps 4 KiB << 9 * i bytes.
 *
 * The model is a hart that implements Sv39 and Sv48 without Svpbmt or
 * Svnapot (QEMU 7.2's default CPU), that sets A and D itself (QEMU does;
 * 4.3.1 allows either scheme), and that faults on every reserved bit and
 * encoding (4.3.2 step 3), D/A/U on non-leaf entries included (4.3.1), so
 * that a codec which sets one is caught here.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/riscv64_pte.h"

#include "ostd/host/sim.h"

#ifndef RISCV_PTE_V
#error "ostd/arch/pte.h resolved to another port's header"
#endif

/*
 * 4.4.1 / 4.5.1: a 64-bit address must have bits 63..va_bits-1 all equal
 * to bit va_bits-1, "or else a page-fault exception will occur".
 */
static bool riscv_canonical(uint64_t va, unsigned int va_bits)
{
	uint64_t top = va >> (va_bits - 1);

	return top == 0 || top == UINT64_MAX >> (va_bits - 1);
}

/* Figure "Sv48 virtual address": VPN[i] is va bits 12 + 9i + 8..12 + 9i. */
static uint64_t riscv_vpn(uint64_t va, unsigned int i)
{
	return (va >> (RISCV_PAGE_SHIFT + RISCV_VPN_BITS * i)) &
	       ((1U << RISCV_VPN_BITS) - 1);
}

static uint64_t riscv_pte_ppn(uint64_t pte)
{
	return (pte & RISCV_PTE_PPN_MASK) >> RISCV_PTE_PPN_SHIFT;
}

/**
 * The privilege part of step 5, for a walk and for a TLB hit alike.
 *
 * A cached translation keeps the leaf's own R/W/X/U, and the mode is
 * applied here on every access, because 4.2.1 says "changes to the sstatus
 * fields SUM and MXR take effect immediately, without the need to execute
 * an SFENCE.VMA instruction"; and a change of privilege needs none either.
 * Writes to a cached clean entry pass: the caller's TLB re-walks those so
 * that the walk sets D (step 7).
 */
static enum sim_fault riscv_check(const struct sim_translation *t,
				  enum sim_access kind,
				  const struct sim_mode *mode)
{
	bool ok = false;

	/*
	 * 4.3.1 "U bit": "U-mode software may only access the page when
	 * U=1. If the SUM bit in the sstatus register is set, supervisor mode
	 * software may also access pages with U=1. [...] Irrespective of SUM,
	 * the supervisor may not execute code on pages with U=1."
	 */
	if (mode->user && !t->user) {
		return SIM_FAULT_PERMISSION;
	}
	if (!mode->user && t->user && (kind == SIM_EXEC || !mode->sum)) {
		return SIM_FAULT_PERMISSION;
	}
	switch (kind) {
	case SIM_READ:
		/*
		 * 4.1.1.2 "Memory Privilege in sstatus": "When MXR=1, loads
		 * from pages marked either readable or executable (R=1 or
		 * X=1) will succeed", in U-mode as in S-mode.
		 */
		ok = t->readable || (mode->mxr && t->executable);
		break;
	case SIM_WRITE:
		ok = t->writable;
		break;
	case SIM_EXEC:
		ok = t->executable;
		break;
	}
	return ok ? SIM_OK : SIM_FAULT_PERMISSION;
}

/** 4.3.2, with LEVELS = hw->levels (3 for Sv39, 4 for Sv48). */
static enum sim_fault riscv_walk(const struct sim_mmu_hw *hw, paddr_t root,
				 uint64_t va, enum sim_access kind,
				 const struct sim_mode *mode,
				 struct sim_translation *out)
{
	const unsigned int va_bits =
		RISCV_PAGE_SHIFT + RISCV_VPN_BITS * hw->levels;
	bool global = false;

	if (!riscv_canonical(va, va_bits)) {
		return SIM_FAULT_NON_CANONICAL;
	}

	/* Step 1: a = satp.ppn x PAGESIZE, i = LEVELS - 1. */
	uint64_t a = pa_addr(root);
	unsigned int i = hw->levels - 1;

	for (;;) {
		/*
		 * Step 2: pte at a + va.vpn[i] x PTESIZE. Memory outside the
		 * arena stands for a PMA/PMP violation: an access fault.
		 */
		uint64_t *slot = sim_phys_ptr(
			pa_init(a + riscv_vpn(va, i) * RISCV_PTE_SIZE),
			RISCV_PTE_SIZE);

		if (slot == NULL) {
			return SIM_FAULT_BUS;
		}
		uint64_t pte = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		/*
		 * Step 3: "If pte.v = 0, or if pte.r = 0 and pte.w = 1, or if
		 * any bits or encodings that are reserved for future standard
		 * use are set within pte, stop and raise a page-fault".
		 * Reserved here: bits 60..54 (4.4.1), PBMT and N without
		 * Svpbmt and Svnapot, and D/A/U on a non-leaf entry (4.3.1).
		 */
		if (!(pte & RISCV_PTE_V)) {
			return SIM_FAULT_NOT_PRESENT;
		}
		if ((pte & (RISCV_PTE_R | RISCV_PTE_W)) == RISCV_PTE_W) {
			return SIM_FAULT_RESERVED;
		}
		if (pte & RISCV_PTE_HIGH_MASK) {
			return SIM_FAULT_RESERVED;
		}

		/*
		 * Step 4: "If pte.r = 1 or pte.x = 1, go to step 5. Otherwise,
		 * this PTE is a pointer to the next level [...] Let i = i - 1.
		 * If i < 0, stop and raise a page-fault exception".
		 */
		if (!(pte & (RISCV_PTE_R | RISCV_PTE_X))) {
			if (pte & (RISCV_PTE_D | RISCV_PTE_A | RISCV_PTE_U)) {
				return SIM_FAULT_RESERVED;
			}
			if (i == 0) {
				return SIM_FAULT_RESERVED;
			}
			/* 4.3.1: a global non-leaf makes all below global. */
			global = global || (pte & RISCV_PTE_G) != 0;
			i--;
			a = riscv_pte_ppn(pte) << RISCV_PAGE_SHIFT;
			continue;
		}

		/* Step 5: a leaf; are R/W/X/U enough for this access? */
		const uint64_t size =
			UINT64_C(1) << (RISCV_PAGE_SHIFT + RISCV_VPN_BITS * i);
		struct sim_translation t = {
			.page_va = va & ~(size - 1),
			.page_size = size,
			.page_pa =
				pa_init(riscv_pte_ppn(pte) << RISCV_PAGE_SHIFT),
			.readable = (pte & RISCV_PTE_R) != 0,
			.writable = (pte & RISCV_PTE_W) != 0,
			.executable = (pte & RISCV_PTE_X) != 0,
			.user = (pte & RISCV_PTE_U) != 0,
			.global = global || (pte & RISCV_PTE_G) != 0,
		};
		enum sim_fault f = riscv_check(&t, kind, mode);

		if (f != SIM_OK) {
			return f;
		}

		/*
		 * Step 6: "If i > 0 and pte.ppn[i - 1 : 0] != 0, this is a
		 * misaligned superpage; stop and raise a page-fault".
		 */
		if (riscv_pte_ppn(pte) &
		    ((UINT64_C(1) << (RISCV_VPN_BITS * i)) - 1)) {
			return SIM_FAULT_RESERVED;
		}

		/*
		 * Step 7, the hardware-update scheme: set A, and D on a store,
		 * by an atomic compare with the pte read in step 2. "If the
		 * comparison fails, return to step 2": i and a are unchanged,
		 * so `continue` re-reads the same entry.
		 */
		uint64_t want =
			RISCV_PTE_A | (kind == SIM_WRITE ? RISCV_PTE_D : 0);

		if ((pte & want) != want) {
			if (!__atomic_compare_exchange_n(
				    slot, &pte, pte | want, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
				continue;
			}
			pte |= want;
		}

		/*
		 * Step 8: pa.pgoff = va.pgoff, pa.ppn[i-1:0] = va.vpn[i-1:0]
		 * for a superpage, and the rest of the PPN from the pte: the
		 * offset of va inside the (aligned) page.
		 */
		t.dirty = (pte & RISCV_PTE_D) != 0;
		t.pa = pa_init(pa_addr(t.page_pa) + (va & (size - 1)));
		if (out != NULL) {
			*out = t;
		}
		return SIM_OK;
	}
}

const struct sim_mmu_hw sim_mmu_sv48 = {
	.name = "sv48",
	.walk = riscv_walk,
	.check = riscv_check,
	.levels = RISCV_SV48_LEVELS,
};

const struct sim_mmu_hw sim_mmu_sv39 = {
	.name = "sv39",
	.walk = riscv_walk,
	.check = riscv_check,
	.levels = RISCV_SV39_LEVELS,
};
