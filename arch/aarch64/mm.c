// SPDX-License-Identifier: MPL-2.0
/*
 * Physical memory access: through the linear map at PHYS_OFFSET
 * (aarch64_layout.h). boot.S's tables map it before any C runs, and
 * arch_kernel_pt_activate() maps every RAM region there in the kernel page
 * table. The image itself runs at KERNEL_VMA_OFFSET + (pa - its physical
 * base), which boot.S found and passed to aarch64_entry().
 */

#include "ostd/arch/mm.h"

#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"

uint64_t aarch64_kimage_pa_base;

void *arch_paddr_to_ptr(paddr_t pa)
{
	return (void *)(uintptr_t)(PHYS_OFFSET + pa_addr(pa));
}

paddr_t arch_ptr_to_paddr(const void *ptr)
{
	uintptr_t va = (uintptr_t)ptr;

	/* A pointer into the image (a static object) is reached there. */
	if (va >= KERNEL_VMA_OFFSET) {
		return pa_init(va - KERNEL_VMA_OFFSET + aarch64_kimage_pa_base);
	}
	return pa_init(va - PHYS_OFFSET);
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
