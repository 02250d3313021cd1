// SPDX-License-Identifier: MPL-2.0
/*
 * The aarch64 layout (aarch64_layout.h): physical memory through the
 * linear map at PHYS_OFFSET, which boot.S's tables map before any C runs
 * and arch_kernel_pt_activate() maps for every RAM region and device
 * window; the image at KERNEL_VMA_OFFSET + (pa - its physical base),
 * which boot.S found and passed to aarch64_entry().
 *
 * "Arm ARM" is DDI 0487 (G.b section numbers, with their names).
 */

#include "ostd/arch/mm.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"

#include "ostd/math.h"

#define GIB (1ULL << 30)

uint64_t aarch64_kimage_pa_base;

const struct arch_kernel_layout arch_kernel_layout = {
	.linear_base = PHYS_OFFSET,
	/* Root entries 256..383: up to AARCH64_UNMAPPED_TEST_ADDR. */
	.linear_size = AARCH64_UNMAPPED_TEST_ADDR - PHYS_OFFSET,
	.image_base = KERNEL_VMA_OFFSET,
	.ram_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL | PT_ACCESSED,
		      .cache = PT_CACHE_WRITEBACK },
	/*
	 * Device-nGnRnE (PT_CACHE_UNCACHED, MAIR index 3), never executable
	 * (the codec sets UXN and PXN without PROT_X). Every kernel mapping
	 * carries PT_ACCESSED: without hardware Access flag management an
	 * access through a descriptor with AF = 0 faults (D5.4.12 "The
	 * Access flag"). PT_GLOBAL: nG = 0, the TLB entries survive a TTBR0
	 * switch.
	 */
	.device_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL | PT_ACCESSED,
			 .cache = PT_CACHE_UNCACHED },
};

uint64_t arch_image_delta(void)
{
	return KERNEL_VMA_OFFSET - aarch64_kimage_pa_base;
}

bool arch_boot_maps_device(uint64_t pa, uint64_t len)
{
	/*
	 * boot.S's 1 GiB blocks reach min(AARCH64_BOOT_RAM_GIB past the
	 * image's GiB, 512 GiB); the ones below the image's GiB are Device
	 * memory, and so is everything from AARCH64_BOOT_DEVICE_FLOOR on.
	 */
	uint64_t image_gib = align_down(aarch64_kimage_pa_base, GIB);
	uint64_t top = MIN(image_gib + AARCH64_BOOT_RAM_GIB * GIB, 512 * GIB);

	return range_within(pa, len, 0, image_gib) ||
	       (pa >= AARCH64_BOOT_DEVICE_FLOOR &&
		range_within(pa, len, 0, top));
}

void arch_kernel_map_sync(void)
{
	/*
	 * A new entry replaced an invalid one: no TLB entry can hold it, but
	 * the walker must see the write before the caller's first access
	 * (D5.10.1 "General TLB maintenance requirements": DSB, then ISB for
	 * this PE's own accesses).
	 */
	__asm__ volatile("dsb ishst\n\tisb" : : : "memory");
}

void arch_sync_icache(paddr_t pa, uint64_t len)
{
	/*
	 * Arm ARM B2.4.4 "Concurrent modification and execution of
	 * instructions" and D7.5.9 "Data and instruction cache maintenance":
	 * clean the data cache to the point of unification, DSB, invalidate
	 * the instruction cache there, DSB, ISB, stepping by the line sizes
	 * CTR_EL0 reports (D17.2.34: DminLine [19:16], IminLine [3:0], log2
	 * of words).
	 */
	uint64_t ctr = aarch64_read_sysreg(ctr_el0);
	uintptr_t dline = 4UL << ((ctr >> 16) & 0xf);
	uintptr_t iline = 4UL << (ctr & 0xf);
	uintptr_t va = (uintptr_t)arch_paddr_to_ptr(pa);
	uintptr_t end = va + len;

	for (uintptr_t p = va & ~(dline - 1); p < end; p += dline) {
		__asm__ volatile("dc cvau, %0" : : "r"(p) : "memory");
	}
	__asm__ volatile("dsb ish" : : : "memory");
	for (uintptr_t p = va & ~(iline - 1); p < end; p += iline) {
		__asm__ volatile("ic ivau, %0" : : "r"(p) : "memory");
	}
	__asm__ volatile("dsb ish\n\tisb" : : : "memory");
}
