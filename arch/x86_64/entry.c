// SPDX-License-Identifier: MPL-2.0
/*
 * From boot.S to ostd_boot(): install the IDT first (a fault without one
 * triple-faults and QEMU resets silently), then translate the PVH start
 * info into an ostd_boot_info.
 */

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/x86_64.h"
#include "ostd/arch/x86_64_layout.h"

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/printf.h"

/* Xen public/arch-x86/hvm/start_info.h: the PVH boot ABI. */
#define HVM_START_MAGIC 0x336ec578
#define E820_RAM 1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* Version 1 and later. */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

/* One module: QEMU passes -initrd as module 0. */
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

extern char __kernel_start[];
extern char __kernel_end[];

void x86_64_trap_init(void);
NORETURN void x86_64_entry(uint32_t start_info_pa);

static struct ostd_boot_info info = {
	.arch = CONFIG_ARCH,
	.board = CONFIG_BOARD,
	.boot_protocol = "pvh",
	.entry_mode = "32-bit protected mode",
};

void arch_halt(void)
{
	for (;;) {
		__asm__ volatile("cli; hlt");
	}
}

uintptr_t arch_unmapped_test_addr(void)
{
	/*
	 * In the kernel half, and in a root slot (PML4[384]) that neither
	 * the linear map nor the image uses: unmapped in the kernel page
	 * table (and in boot.S's tables).
	 */
	return X86_UNMAPPED_TEST_ADDR;
}

static void parse_pvh(const struct hvm_start_info *si)
{
	if (si->magic != HVM_START_MAGIC) {
		panic("PVH start info has bad magic %#x", si->magic);
	}
	if (si->version < 1 || si->memmap_entries == 0) {
		panic("PVH start info v%u has no memory map", si->version);
	}
	const struct hvm_memmap_entry *map =
		arch_paddr_to_ptr(pa_init(si->memmap_paddr));

	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		enum ostd_mem_kind kind = map[i].type == E820_RAM
						  ? OSTD_MEM_USABLE
						  : OSTD_MEM_RESERVED;

		if (map[i].size == 0) {
			continue;
		}
		if (ostd_boot_info_add_mem(&info, pa_init(map[i].addr),
					   map[i].size, kind) != OSTD_OK) {
			ostd_printf("warning: memory map entry %u [%#llx, "
				    "+%#llx) dropped\n",
				    i, (unsigned long long)map[i].addr,
				    (unsigned long long)map[i].size);
		}
	}
	/*
	 * The secondary CPUs' trampoline pages (smp.c) stay out of the
	 * frame allocator. The STARTUP vector can only name a page below
	 * 1 MiB, and PVH memory maps on QEMU start with RAM at 0.
	 */
	if (ostd_boot_info_add_mem(&info, pa_init(X86_TRAMPOLINE_PA),
				   X86_TRAMPOLINE_PAGES * PAGE_SIZE,
				   OSTD_MEM_RESERVED) != OSTD_OK) {
		panic("no room to reserve the SMP trampoline");
	}
	if (si->nr_modules > 0 && si->modlist_paddr != 0) {
		const struct hvm_modlist_entry *mod =
			arch_paddr_to_ptr(pa_init(si->modlist_paddr));

		if (mod->size != 0 &&
		    ostd_boot_info_set_initrd(&info, pa_init(mod->paddr),
					      mod->size) != OSTD_OK) {
			panic("no room to record the initrd");
		}
	}
}

void x86_64_entry(uint32_t start_info_pa)
{
	x86_64_trap_init();
	/* The image runs at KERNEL_VMA_OFFSET + its load address. */
	info.kernel_start =
		pa_init((uintptr_t)__kernel_start - KERNEL_VMA_OFFSET);
	info.kernel_end = pa_init((uintptr_t)__kernel_end - KERNEL_VMA_OFFSET);
	/* PVH passes the start info's physical address. */
	const struct hvm_start_info *si =
		arch_paddr_to_ptr(pa_init(start_info_pa));

	parse_pvh(si);
	/*
	 * The CPU list, while boot.S's tables still map the first 4 GiB
	 * (smp.c says why). rsdp_paddr is 0 when QEMU found no RSDP.
	 */
	x86_64_smp_scan(si->rsdp_paddr);
	ostd_boot(&info);
}
