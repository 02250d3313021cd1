// SPDX-License-Identifier: MPL-2.0
/*
 * Installing a user space: TTBR0_EL1. TTBR1_EL1 stays on the kernel
 * table (kernel_pt.c), and with T0SZ = 17 TTBR0 reaches only root entries
 * 0..255, the user half (aarch64_layout.h).
 *
 * ASIDs: not used. Every space runs with ASID 0 (TTBR0_EL1.ASID = 0,
 * TCR_EL1.A1 = 0; ASID 1 under software PAN, kernel_pt.c, only to keep
 * user entries apart from the closed state), and a switch flushes this
 * CPU's whole TLB (TLBI VMALLE1), so no translation of the previous space
 * survives it (S7).
 * Kernel leaves are global, but flushing them too keeps the rule simple
 * and leaves nothing cached from an intermediate table of the old space
 * either. "Arm ARM" is DDI 0487 (G.b).
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

paddr_t arch_vm_current_root(void)
{
	/* TTBR0_EL1.BADDR [47:1] (bit 0 is CnP) and ASID [63:48]. */
	uint64_t ttbr0 = aarch64_uaccess_closed != 0
				 ? *aarch64_cpu_word(AARCH64_CL_UACCESS_OPEN)
				 : aarch64_read_sysreg(ttbr0_el1);

	return pa_init(ttbr0 & AARCH64_PTE_ADDR_MASK);
}
