// SPDX-License-Identifier: MPL-2.0
/*
 * Installing a user space: CR3. References are to the Intel SDM vol 3A.
 *
 * With ASIDs off (no PCID, or CONFIG_ASID=n) CR4.PCIDE stays clear and a
 * CR3 write flushes every non-global translation (4.10.4.1), so no stale
 * user entry survives a switch; kernel entries are global and shared by
 * every table, so they stay valid.
 *
 * With PCIDs (core/mm/asid.c hands them out) each space's entries are
 * tagged with its PCID, CR3[11:0] (4.10.1), and a CR3 write with bit 63
 * set keeps them (4.10.4.1 "MOV to CR3": no invalidation when bit 63 is
 * 1); without bit 63 it drops that PCID's non-global TLB and
 * paging-structure-cache entries. PCID 0 is the kernel table's.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/x86_64.h"

#include "ostd/internal/cpu_local.h"
#include "ostd/page_table.h"
#include "ostd/vm_space.h"

/* CR3 bits 12 and up hold the root (4.5, Table 4-12); 3 and 4 are PWT/PCD. */
#define CR3_ADDR_MASK 0x000ffffffffff000ULL
/* 4.10.4.1: bit 63 of the value moved to CR3 (PCIDE = 1): no flush. */
#define CR3_NOFLUSH (1ULL << 63)
/* CPUID.01H:ECX[17] PCID (vol 2A CPUID, Table 3-10); CR4.PCIDE (2.5). */
#define CPUID_1_ECX_PCID (1U << 17)
#define CR4_PCIDE (1ULL << 17)
/* 4.10.1: a PCID is 12 bits. */
#define PCID_BITS 12U

void arch_vm_activate(struct page_table *pt)
{
	x86_64_write_cr3(pa_addr(pt->root));
}

unsigned int arch_asid_bits(void)
{
	return (x86_64_cpuid(1, 0).ecx & CPUID_1_ECX_PCID) != 0 ? PCID_BITS : 0;
}

void arch_vm_activate_asid(struct page_table *pt, uint16_t asid,
			   enum asid_flush flush)
{
	struct cpu_local *cl = cpu_local();

	if (!cl->asid_hw_on) {
		/*
		 * 4.10.1: CR4.PCIDE may be set only in IA-32e mode and with
		 * CR3[11:0] = 0 (#GP otherwise, vol 2A MOV CR): CR3 holds a
		 * root arch_vm_activate() or the boot loaded, PCID 0. Each
		 * CPU sets its own (smp.c starts them with it clear).
		 */
		x86_64_write_cr4(x86_64_read_cr4() | CR4_PCIDE);
		cl->asid_hw_on = true;
	}
	uint64_t cr3 = pa_addr(pt->root) | asid;

	/* MOV CR3 is serializing (vol 3A 9.3): the table's stores are
	 * visible to the walks from the new root. */
	x86_64_write_cr3(flush == ASID_FLUSH_NONE ? cr3 | CR3_NOFLUSH : cr3);
	if (flush == ASID_FLUSH_ALL) {
		x86_64_flush_all_pcids();
	}
}

paddr_t arch_vm_current_root(void)
{
	/* Bit 63 is never read back; 11:0 are the PCID. */
	return pa_init(x86_64_read_cr3() & CR3_ADDR_MASK);
}
