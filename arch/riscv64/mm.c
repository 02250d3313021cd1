// SPDX-License-Identifier: MPL-2.0
/*
 * Physical memory access: through the linear map at PHYS_OFFSET
 * (riscv64_layout.h). boot.S maps every physical address there before any
 * C runs; arch_kernel_pt_activate() maps every RAM region and the device
 * ranges registered with riscv_mmio_map().
 */

#include "ostd/arch/mm.h"

#include <stdint.h>

#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"

void *arch_paddr_to_ptr(paddr_t pa)
{
	return (void *)(uintptr_t)(PHYS_OFFSET + pa_addr(pa));
}

paddr_t arch_ptr_to_paddr(const void *ptr)
{
	uintptr_t va = (uintptr_t)ptr;

	/* A pointer into the image (a static object) is reached there. */
	if (va >= KERNEL_VMA_BASE) {
		return pa_init(va - riscv_image_delta);
	}
	return pa_init(va - PHYS_OFFSET);
}

void arch_sync_icache(paddr_t pa, uint64_t len)
{
	/*
	 * Zifencei (Unprivileged Spec v20191213, ch. 3): FENCE.I makes this
	 * hart's later fetches see its earlier stores. One hart runs the
	 * kernel; SMP will need a remote fence.i through SBI.
	 */
	(void)pa;
	(void)len;
	__asm__ volatile("fence.i" : : : "memory");
}
