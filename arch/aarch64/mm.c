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

#include <stdatomic.h>
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

/*
 * DCZID_EL0 (Arm ARM D17.2, "DCZID_EL0, Data Cache Zero ID register"):
 * BS [3:0] is log2 of the DC ZVA block in 4-byte words; DZP [4] set means
 * DC ZVA is prohibited (a hypervisor's HCR_EL2.TDZ, say). Read once: it
 * is the same on every CPU of a system.
 */
#define DCZID_BS_MASK 0xfULL
#define DCZID_DZP (1ULL << 4)

/* The DC ZVA block in bytes; 0 if prohibited, UINT64_MAX before known. */
static _Atomic uint64_t zva_block = UINT64_MAX;

static uint64_t zva_block_find(void)
{
	uint64_t dczid = aarch64_read_sysreg(dczid_el0);
	uint64_t block =
		(dczid & DCZID_DZP) != 0 ? 0 : 4ULL << (dczid & DCZID_BS_MASK);

	/* A block larger than a page cannot tile one. */
	if (block > PAGE_SIZE) {
		block = 0;
	}
	atomic_store_explicit(&zva_block, block, memory_order_relaxed);
	return block;
}

void arch_zero_pages(void *p, uint64_t nr_pages)
{
	uint64_t block = atomic_load_explicit(&zva_block, memory_order_relaxed);
	uintptr_t va = (uintptr_t)p;
	uintptr_t end = va + (nr_pages << PAGE_SHIFT);

	if (block == UINT64_MAX) {
		block = zva_block_find();
	}
	if (block != 0) {
		/*
		 * DC ZVA (Arm ARM C5.3, "DC ZVA, Data Cache Zero by VA") zeroes
		 * one naturally aligned block without reading it first; on
		 * Normal memory, which the linear map's RAM is. Pages are
		 * aligned to every block size that fits in one.
		 */
		for (; va < end; va += block) {
			__asm__ volatile("dc zva, %0" : : "r"(va) : "memory");
		}
		return;
	}
	/* Prohibited: pairs of zero registers, 64 bytes a step (STP, C6.2). */
	for (; va < end; va += 64) {
		__asm__ volatile("stp xzr, xzr, [%0]\n\t"
				 "stp xzr, xzr, [%0, #16]\n\t"
				 "stp xzr, xzr, [%0, #32]\n\t"
				 "stp xzr, xzr, [%0, #48]"
				 :
				 : "r"(va)
				 : "memory");
	}
}
