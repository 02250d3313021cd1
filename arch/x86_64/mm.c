// SPDX-License-Identifier: MPL-2.0
/*
 * Physical memory access: through the linear map at PHYS_OFFSET
 * (x86_64_layout.h). boot.S maps its first 4 GiB before any C runs, and
 * arch_kernel_pt_activate() maps every RAM region there in the kernel
 * page table.
 */

#include "ostd/arch/mm.h"

#include <stdint.h>

#include "ostd/arch/x86_64_layout.h"

void *arch_paddr_to_ptr(paddr_t pa)
{
	return (void *)(uintptr_t)(PHYS_OFFSET + pa_addr(pa));
}

paddr_t arch_ptr_to_paddr(const void *ptr)
{
	uintptr_t va = (uintptr_t)ptr;

	/* A pointer into the image (a static object) is reached there. */
	if (va >= KERNEL_VMA_OFFSET) {
		return pa_init(va - KERNEL_VMA_OFFSET);
	}
	return pa_init(va - PHYS_OFFSET);
}

void arch_sync_icache(paddr_t pa, uint64_t len)
{
	/*
	 * Instruction fetches snoop the data caches, and a new mapping has
	 * no stale decoded instructions behind it (Intel SDM vol 3A, 11.6
	 * "Self-Modifying Code"): nothing to do.
	 */
	(void)pa;
	(void)len;
}
