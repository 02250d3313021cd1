// SPDX-License-Identifier: MPL-2.0
/*
 * Installing a user space: TTBR0_EL1. TTBR1_EL1 stays on the kernel
 * table (kernel_pt.c), and with T0SZ = 17 TTBR0 reaches only root entries
 * 0..255, the user half (aarch64_layout.h). "Arm ARM" is DDI 0487 (G.b).
 *
 * ASIDs: TTBR0_EL1.ASID [63:48] (TCR_EL1.A1 = 0), 8 bits (TCR_EL1.AS = 0,
 * boot.S). With ASIDs off every space runs with ASID 0, or 1 under
 * software PAN, and a switch flushes this CPU's whole TLB (TLBI VMALLE1),
 * so no translation of the previous space survives it (S7); kernel
 * leaves are global, but flushing them too keeps the rule simple and
 * leaves nothing cached from an intermediate table of the old space.
 * With ASIDs on (core/mm/asid.c) each space's non-global entries carry
 * its own ASID, 1 up, and a switch flushes only what the allocator says.
 *
 * Software PAN and the allocator: PAN's closed TTBR0_EL1 runs with ASID
 * 0 (kernel_pt.c), which the allocator never hands out, so no user entry
 * matches while the window is closed, whichever ASID the space has; the
 * open value (AARCH64_CL_UACCESS_OPEN) carries the space's ASID.
 */

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_pte.h"
#include "ostd/arch/aarch64_smp.h"
#include "ostd/arch/mm.h"

#include "ostd/page_table.h"
#include "ostd/vm_space.h"

void arch_vm_activate(struct page_table *pt)
{
	/*
	 * DSB ISH: the descriptors written so far are complete before walks
	 * from the new root (D5.10.1). The TTBR0_EL1 write takes effect after
	 * the ISB (D13.1.2 "Synchronization requirements for AArch64 System
	 * registers"); then TLBI VMALLE1 drops every entry, DSB NSH waits for
	 * it, and the last ISB keeps later instructions from using an old one
	 * (D5.10.2 "TLB maintenance requirements and the TLB maintenance
	 * instructions").
	 */
	__asm__ volatile("dsb ish" : : : "memory");
	if (aarch64_uaccess_closed != 0) {
		/* Software PAN (kernel_pt.c): TTBR0_EL1 stays closed here. */
		*aarch64_cpu_word(AARCH64_CL_UACCESS_OPEN) =
			pa_addr(pt->root) | AARCH64_UACCESS_ASID;
	} else {
		aarch64_write_sysreg(ttbr0_el1, pa_addr(pt->root));
	}
	__asm__ volatile("isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
			 :
			 :
			 : "memory");
}

/* ID_AA64MMFR0_EL1.ASIDBits [7:4] (Arm ARM D13.2): 0b0000 8, 0b0010 16. */
#define ID_MMFR0_ASIDBITS_SHIFT 4
#define TTBR_ASID_SHIFT 48

unsigned int arch_asid_bits(void)
{
	uint64_t mmfr0 = aarch64_read_sysreg(id_aa64mmfr0_el1);
	unsigned int field =
		(unsigned int)(mmfr0 >> ID_MMFR0_ASIDBITS_SHIFT) & 0xfU;

	/*
	 * 8 even on 16-bit parts: boot.S leaves TCR_EL1.AS = 0, and then
	 * the upper 8 bits of TTBR0_EL1.ASID are ignored (D13.2,
	 * TTBR0_EL1 and TCR_EL1).
	 */
	return field == 0 || field == 2 ? 8 : 0;
}

void arch_vm_activate_asid(struct page_table *pt, uint16_t asid,
			   enum asid_flush flush)
{
	uint64_t ttbr0 = pa_addr(pt->root) | (uint64_t)asid << TTBR_ASID_SHIFT;

	/* As in arch_vm_activate(): descriptors complete first (D5.10.1). */
	__asm__ volatile("dsb ish" : : : "memory");
	if (aarch64_uaccess_closed != 0) {
		*aarch64_cpu_word(AARCH64_CL_UACCESS_OPEN) = ttbr0;
	} else {
		aarch64_write_sysreg(ttbr0_el1, ttbr0);
	}
	/*
	 * The ISB makes the write take effect (D13.1.2). Entries the old
	 * ASID's owner left, if the allocator says there are any: TLBI
	 * ASIDE1 with the ASID in [63:48] drops that ASID's non-global
	 * entries, TLBI VMALLE1 every entry (C5.5); DSB NSH waits for it and
	 * the ISB keeps later instructions from using a dropped one
	 * (D5.10.2). A walk between the TTBR write and the TLBI fills only
	 * entries the TLBI then drops.
	 */
	if (flush == ASID_FLUSH_ONE) {
		__asm__ volatile("isb\n\ttlbi aside1, %0\n\tdsb nsh\n\tisb"
				 :
				 : "r"((uint64_t)asid << TTBR_ASID_SHIFT)
				 : "memory");
	} else if (flush == ASID_FLUSH_ALL) {
		__asm__ volatile("isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
				 :
				 :
				 : "memory");
	} else {
		__asm__ volatile("isb" : : : "memory");
	}
}

paddr_t arch_vm_current_root(void)
{
	/* TTBR0_EL1.BADDR [47:1] (bit 0 is CnP) and ASID [63:48]. */
	uint64_t ttbr0 = aarch64_uaccess_closed != 0
				 ? *aarch64_cpu_word(AARCH64_CL_UACCESS_OPEN)
				 : aarch64_read_sysreg(ttbr0_el1);

	return pa_init(ttbr0 & AARCH64_PTE_ADDR_MASK);
}
