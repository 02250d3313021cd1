// SPDX-License-Identifier: MPL-2.0
/*
 * The x86_64 layout (x86_64_layout.h): physical memory through the
 * linear map at PHYS_OFFSET, which boot.S maps for the first 4 GiB before
 * any C runs and arch_kernel_pt_activate() maps for every RAM region and
 * device window; the image at KERNEL_VMA_OFFSET + its physical address.
 * All references are to the Intel SDM vol 3A.
 */

#include "ostd/arch/mm.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/x86_64.h"
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

/*
 * Which string store arch_zero_pages() uses: found once, since CPUID
 * exits to the hypervisor under virtualisation. Every CPU of a machine
 * reports the same features, so a race only repeats the same answer.
 */
enum zero_method { ZERO_UNKNOWN, ZERO_STOSQ, ZERO_STOSB };

static _Atomic int zero_method;

static enum zero_method zero_method_find(void)
{
	/*
	 * Enhanced REP MOVSB/STOSB: CPUID.(EAX=07H, ECX=0):EBX[bit 9] (SDM
	 * vol 2A, CPUID, table 3-8). With it `rep stosb` is the fastest way
	 * to fill a page (Intel optimization manual 3.7.6, "Enhanced REP
	 * MOVSB and STOSB Operation"); without it `rep stosq` is, storing 8
	 * bytes an iteration.
	 */
	bool erms = x86_64_cpuid_max(0) >= 7 &&
		    (x86_64_cpuid(7, 0).ebx & (1U << 9)) != 0;
	enum zero_method m = erms ? ZERO_STOSB : ZERO_STOSQ;

	atomic_store_explicit(&zero_method, m, memory_order_relaxed);
	return m;
}

void arch_zero_pages(void *p, uint64_t nr_pages)
{
	enum zero_method m =
		atomic_load_explicit(&zero_method, memory_order_relaxed);

	if (m == ZERO_UNKNOWN) {
		m = zero_method_find();
	}
	/* REP STOS (SDM vol 2B): stores rax's low bytes rcx times at rdi. */
	if (m == ZERO_STOSB) {
		uint64_t n = nr_pages << PAGE_SHIFT;

		__asm__ volatile("rep stosb"
				 : "+D"(p), "+c"(n)
				 : "a"(0)
				 : "memory");
	} else {
		uint64_t n = (nr_pages << PAGE_SHIFT) / 8;

		__asm__ volatile("rep stosq"
				 : "+D"(p), "+c"(n)
				 : "a"(0)
				 : "memory");
	}
}
