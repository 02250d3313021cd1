// SPDX-License-Identifier: MPL-2.0
/*
 * Physical memory access: through the linear map at PHYS_OFFSET
 * (riscv64_layout.h). boot.S maps every physical address there before any
 * C runs; arch_kernel_pt_activate() maps every RAM region and the device
 * ranges registered with riscv_mmio_map().
 */

#include "ostd/arch/mm.h"

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"
#include "ostd/arch/tlb.h"

#include "ostd/smp.h"

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
	 * hart's later fetches see its earlier stores, and only this hart's.
	 * The frame may be run on any CPU (a task migrates), so every other
	 * online hart fences too (smp.c: SBI RFENCE remote_fence_i, SBI
	 * v1.0.0, 8.1, or IPIs), and this returns once they have. FENCE.I
	 * has no address operand: the whole cache.
	 */
	(void)pa;
	(void)len;
	unsigned long flags = arch_irq_save();
	uint64_t others = smp_cpu_online_mask() & ~(1ULL << arch_cpu_id());

	__asm__ volatile("fence.i" : : : "memory");
	if (others != 0) {
		riscv_remote_fence_i(others);
	}
	arch_irq_restore(flags);
}
