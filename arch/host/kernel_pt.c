// SPDX-License-Identifier: MPL-2.0
/*
 * The host "kernel" runs as a process: the core's kernel table is created
 * at boot (the tests build their own tables on the simulated MMUs) and
 * never installed, and physical memory is the simulated arena (sim.c's
 * arch_paddr_to_ptr()). The layout below serves kernel_map_device()
 * alone: windows are recorded with addresses of the kernel ports' shape,
 * which nothing on the host dereferences.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/mm.h"

#include "ostd/math.h"

const struct arch_kernel_layout arch_kernel_layout = {
	.linear_base = 0xffff800000000000ULL,
	.linear_size = 1ULL << 46,
	/* No image in this layout: no address is at or above it. */
	.image_base = UINT64_MAX,
	.ram_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL,
		      .cache = PT_CACHE_WRITEBACK },
	.device_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL,
			 .cache = PT_CACHE_UNCACHED },
};

uint64_t arch_image_delta(void)
{
	return 0;
}

bool arch_boot_maps_device(uint64_t pa, uint64_t len)
{
	return range_within(pa, len, 0, arch_kernel_layout.linear_size);
}

void arch_kernel_map_sync(void)
{
	/* The kernel table is never installed: no walker reads it. */
}

void arch_kernel_pt_activate(struct page_table *kpt)
{
	(void)kpt;
}
