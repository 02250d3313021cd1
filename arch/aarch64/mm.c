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
