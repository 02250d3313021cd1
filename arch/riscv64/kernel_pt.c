// SPDX-License-Identifier: MPL-2.0
/*
 * The riscv64 kernel moves from boot.S's tables onto the core's kernel
 * page table (DESIGN.md §2): the linear map of RAM and of the device
 * windows (kernel_map_device()) at PHYS_OFFSET, and the image at its link
 * address with per-section rights, built and checked for W+X by
 * kernel_map_build(), then satp. References are to the RISC-V Privileged
 * Spec v1.12.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/kernel_map.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"

extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/* The image, per section: text RX, rodata R, data + bss RW. */
static const struct kernel_image_section image_sections[] = {
	{ __text_start, __text_end, PROT_R | PROT_X, "the kernel text" },
	{ __rodata_start, __rodata_end, PROT_R, "the kernel rodata" },
	{ __data_start, __data_end, PROT_R | PROT_W, "the kernel data" },
};

/* The kernel table once it is installed, for the secondary CPUs. */
static struct page_table *kernel_pt;

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
	 * itself flushes nothing, and every root switched to here uses ASID 0
	 * (spaces with their own ASID switch in vm.c), so the second fence
	 * (all addresses, all ASIDs) drops the old root's translations before
	 * anything runs on the new one (TESTING.md S7).
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
	kernel_map_build(kpt, kpt->cfg->highest_translation_level,
			 image_sections, ARRAY_SIZE(image_sections));

	/* From here on boot.S's tables are unused. */
	riscv_satp_switch(riscv_satp_for(kpt));
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());
	kernel_pt = kpt;
}
