// SPDX-License-Identifier: MPL-2.0
/*
 * The riscv64 kernel moves from boot.S's tables onto the core's kernel
 * page table (DESIGN.md §2): the linear map of RAM and of the registered
 * device ranges at PHYS_OFFSET, and the image at its link address with
 * per-section rights, checked for W+X, then satp. References are to the
 * RISC-V Privileged Spec v1.12.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/kernel_map.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/printf.h"
#include "ostd/vm_space.h"

extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/* Device ranges the boards use (riscv_mmio_map()): a UART, an exit device. */
#define MMIO_MAX 8

static struct {
	uint64_t pa;
	uint64_t len;
} mmio[MMIO_MAX];
static unsigned int mmio_count;

/* The kernel table once it is installed, for late riscv_mmio_map() calls. */
static struct page_table *kernel_pt;

static uint64_t align_down_page(uint64_t x)
{
	return x & ~(PAGE_SIZE - 1);
}

static uint64_t align_up_page(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/*
 * The linear map's rights: read and write, never execute, global (4.3.1:
 * G marks a mapping that exists in every address space, which the kernel
 * half is, since every user root shares its entries).
 */
static const struct pt_prop linear_prop = {
	.flags = PROT_R | PROT_W | PT_GLOBAL,
	.cache = PT_CACHE_WRITEBACK,
};

static void map_mmio(struct page_table *kpt, unsigned int i)
{
	/*
	 * 3.6 "Physical Memory Attributes": cacheability and ordering of a
	 * device range come from the platform's PMAs, not the PTE (no
	 * Svpbmt), so the same RW leaf is right for registers.
	 */
	kernel_map_range(kpt, PHYS_OFFSET + mmio[i].pa, pa_init(mmio[i].pa),
			 mmio[i].len, linear_prop, 1, "a device range");
}

void *riscv_mmio_map(uint64_t pa, uint64_t size)
{
	uint64_t start = align_down_page(pa);
	uint64_t len = align_up_page(pa + (size == 0 ? 1 : size)) - start;
	bool known = false;

	for (unsigned int i = 0; i < mmio_count; i++) {
		if (start >= mmio[i].pa &&
		    start + len <= mmio[i].pa + mmio[i].len) {
			known = true;
		}
	}
	if (!known && mmio_count < MMIO_MAX) {
		mmio[mmio_count].pa = start;
		mmio[mmio_count].len = len;
		mmio_count++;
		if (kernel_pt != NULL && !kernel_range_in_ram(start, len)) {
			map_mmio(kernel_pt, mmio_count - 1);
		}
	}
	return arch_paddr_to_ptr(pa_init(pa));
}

/* satp for @p pt with ASID 0 (4.1.11). */
uint64_t riscv_satp_for(const struct page_table *pt)
{
	uint64_t mode = pt->cfg->nr_levels == 3 ? RISCV_SATP_MODE_SV39
						: RISCV_SATP_MODE_SV48;

	return mode << RISCV_SATP_MODE_SHIFT |
	       (pa_addr(pt->root) >> PAGE_SHIFT & RISCV_SATP_PPN_MASK);
}

void riscv_satp_switch(uint64_t satp)
{
	/*
	 * 4.1.11 satp and 4.2.1 SFENCE.VMA: the first fence orders earlier
	 * page-table stores before the walks of the new root; the write
	 * itself flushes nothing, and every space uses ASID 0, so the second
	 * fence (all addresses, all ASIDs) drops the old root's translations
	 * before anything runs on the new one (TESTING.md S7).
	 */
	__asm__ volatile("sfence.vma zero, zero\n\t"
			 "csrw satp, %0\n\t"
			 "sfence.vma zero, zero"
			 :
			 : "r"(satp)
			 : "memory");
}

void arch_kernel_pt_activate(struct page_table *kpt)
{
	if (kpt == NULL) {
		panic("no kernel page table to activate");
	}
	if (kernel_pt != NULL) {
		/*
		 * A secondary CPU (smp_secondary_entry()): the boot CPU built
		 * this table, and boot.S's secondary entry already runs on it;
		 * switching again is harmless and records this CPU.
		 */
		CHECK(kpt == kernel_pt);
		riscv_satp_switch(riscv_satp_for(kpt));
		cpu_set_add(&kpt->active_cpus, arch_cpu_id());
		return;
	}
	/* (a) The linear map: every RAM region, RW, not executable, global. */
	kernel_map_ram(kpt, PHYS_OFFSET, linear_prop,
		       kpt->cfg->highest_translation_level);
	/* (b) The device registers the board registered, outside RAM. */
	for (unsigned int i = 0; i < mmio_count; i++) {
		if (!kernel_range_in_ram(mmio[i].pa, mmio[i].len)) {
			map_mmio(kpt, i);
		}
	}

	/* (c) The image, per section: text RX, rodata R, data + bss RW. */
	kernel_map_image_section(kpt, __text_start, __text_end,
				 riscv_image_delta, PROT_R | PROT_X,
				 "the kernel text");
	kernel_map_image_section(kpt, __rodata_start, __rodata_end,
				 riscv_image_delta, PROT_R,
				 "the kernel rodata");
	kernel_map_image_section(kpt, __data_start, __data_end,
				 riscv_image_delta, PROT_R | PROT_W,
				 "the kernel data");
	kernel_check_no_wx(kpt);

	/* From here on boot.S's tables are unused. */
	riscv_satp_switch(riscv_satp_for(kpt));
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());
	kernel_pt = kpt;
}
