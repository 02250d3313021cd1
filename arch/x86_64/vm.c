// SPDX-License-Identifier: MPL-2.0
/*
 * Installing a user space: CR3. No PCIDs, so the write flushes every
 * non-global translation (Intel SDM vol 3A, 4.10.4.1) and no stale user
 * entry survives a switch; kernel entries are global and shared by every
 * table, so they stay valid.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/x86_64.h"

#include "ostd/page_table.h"
#include "ostd/vm_space.h"

/* CR3 bits 12 and up hold the root (4.5, Table 4-12); 3 and 4 are PWT/PCD. */
#define CR3_ADDR_MASK 0x000ffffffffff000ULL

void arch_vm_activate(struct page_table *pt)
{
	x86_64_write_cr3(pa_addr(pt->root));
}

paddr_t arch_vm_current_root(void)
{
	return pa_init(x86_64_read_cr3() & CR3_ADDR_MASK);
}
