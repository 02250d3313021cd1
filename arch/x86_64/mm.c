// SPDX-License-Identifier: MPL-2.0
/*
 * The x86_64 layout (x86_64_layout.h): physical memory through the
 * linear map at PHYS_OFFSET, which boot.S maps for the first 4 GiB before
 * any C runs and arch_kernel_pt_activate() maps for every RAM region and
 * device window; the image at KERNEL_VMA_OFFSET + its physical address.
 * All references are to the Intel SDM vol 3A.
 */

#include "ostd/arch/mm.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/x86_64_layout.h"

const struct arch_kernel_layout arch_kernel_layout = {
	.linear_base = PHYS_OFFSET,
	/* PML4[256..383]: up to X86_UNMAPPED_TEST_ADDR. */
	.linear_size = X86_UNMAPPED_TEST_ADDR - PHYS_OFFSET,
	.image_base = KERNEL_VMA_OFFSET,
	.ram_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL,
		      .cache = PT_CACHE_WRITEBACK },
	/*
	 * Strong uncacheable, as device registers need (the local APIC:
	 * 11.4.1).
	 */
	.device_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL,
			 .cache = PT_CACHE_UNCACHED },
};

uint64_t arch_image_delta(void)
{
	/* linker.ld links the image at KERNEL_VMA_OFFSET + its load address. */
	return KERNEL_VMA_OFFSET;
}

bool arch_boot_maps_device(uint64_t pa, uint64_t len)
{
	/*
	 * boot.S maps its 4 GiB write-back only, unfit for registers that
	 * must be uncacheable (the local APIC: 11.4.1). Nothing needs a
	 * window that early here: the consoles use I/O ports.
	 */
	(void)pa;
	(void)len;
	return false;
}

void arch_kernel_map_sync(void)
{
	/*
	 * A new entry replaces a not-present one, which no TLB caches
	 * (4.10.2.3), and the page walks see earlier stores in program
	 * order: nothing to do.
	 */
}

void arch_sync_icache(paddr_t pa, uint64_t len)
{
	/*
	 * Instruction fetches snoop the data caches, and a new mapping has
	 * no stale decoded instructions behind it (11.6 "Self-Modifying
	 * Code"): nothing to do.
	 */
	(void)pa;
	(void)len;
}
