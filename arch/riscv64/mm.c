// SPDX-License-Identifier: MPL-2.0
/*
 * The riscv64 layout (riscv64_layout.h): physical memory through the
 * linear map at PHYS_OFFSET, which boot.S maps for every physical
 * address before any C runs and arch_kernel_pt_activate() maps for every
 * RAM region and device window; the image at its link address,
 * riscv_image_delta above its load address. References are to the
 * RISC-V Privileged Spec v1.12.
 */

#include "ostd/arch/mm.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"
#include "ostd/arch/tlb.h"

#include "ostd/math.h"
#include "ostd/smp.h"

/*
 * boot.S's linear map: LINEAR_SLOTS root leaves from physical 0, one
 * 512 GiB terapage (Sv48) or 64 gigapages (Sv39).
 */
#if CONFIG_RISCV_SV39
#define BOOT_LINEAR_SIZE (64ULL << 30)
#else
#define BOOT_LINEAR_SIZE (512ULL << 30)
#endif

const struct arch_kernel_layout arch_kernel_layout = {
	.linear_base = PHYS_OFFSET,
	/* Root slots 256..383: up to RISCV_UNMAPPED_TEST_ADDR. */
	.linear_size = RISCV_UNMAPPED_TEST_ADDR - PHYS_OFFSET,
	.image_base = KERNEL_VMA_BASE,
	/*
	 * Read and write, never execute, global (4.3.1: G marks a mapping
	 * that exists in every address space, which the kernel half is,
	 * since every user root shares its entries).
	 */
	.ram_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL,
		      .cache = PT_CACHE_WRITEBACK },
	/*
	 * 3.6 "Physical Memory Attributes": cacheability and ordering of a
	 * device range come from the platform's PMAs, not the PTE (no
	 * Svpbmt), so the RAM map's leaf is right for registers.
	 */
	.device_prop = { .flags = PROT_R | PROT_W | PT_GLOBAL,
			 .cache = PT_CACHE_WRITEBACK },
};

uint64_t arch_image_delta(void)
{
	return riscv_image_delta;
}

bool arch_boot_maps_device(uint64_t pa, uint64_t len)
{
	return range_within(pa, len, 0, BOOT_LINEAR_SIZE);
}

void arch_kernel_map_sync(void)
{
	/*
	 * 4.2.1: a hart may keep the invalid entries it walked until an
	 * SFENCE.VMA (the Svvptc extension would lift that); the fence also
	 * orders the new entries' stores before this hart's later walks.
	 */
	__asm__ volatile("sfence.vma zero, zero" : : : "memory");
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

void arch_zero_pages(void *p, uint64_t nr_pages)
{
	/*
	 * A store loop, 64 bytes a step, written as assembly so the
	 * compiler cannot turn it back into a call to the freestanding
	 * byte-wise memset(). Zicboz's cbo.zero (RISC-V CMO spec v1.0,
	 * section 2.5) zeroes a whole cache block, but S-mode may execute
	 * it only where M-mode set menvcfg.CBZE (Privileged Spec v1.12,
	 * 3.1.18), which S-mode cannot read; the QEMU these images run on
	 * (7.2) does not offer the extension either.
	 */
	uintptr_t va = (uintptr_t)p;
	uintptr_t end = va + (nr_pages << PAGE_SHIFT);

	for (; va < end; va += 64) {
		__asm__ volatile("sd zero, 0(%0)\n\t"
				 "sd zero, 8(%0)\n\t"
				 "sd zero, 16(%0)\n\t"
				 "sd zero, 24(%0)\n\t"
				 "sd zero, 32(%0)\n\t"
				 "sd zero, 40(%0)\n\t"
				 "sd zero, 48(%0)\n\t"
				 "sd zero, 56(%0)"
				 :
				 : "r"(va)
				 : "memory");
	}
}
