// SPDX-License-Identifier: MPL-2.0
/*
 * The x86_64 kernel moves from boot.S's tables onto the core's kernel page
 * table (DESIGN.md §2): the linear map of RAM and of the device windows
 * at PHYS_OFFSET and the image at KERNEL_VMA_OFFSET with per-section
 * rights, built and checked for W+X by kernel_map_build(), then the
 * paging controls and CR3. All references are to the Intel SDM vol 3A.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"
#include "ostd/arch/x86_64.h"
#include "ostd/arch/x86_64_layout.h"
#include "ostd/arch/x86_64_pte.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/kernel_map.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/printf.h"

/* 2.5 "Control Registers". */
#define CR0_WP (1ULL << 16)   /* Supervisor writes honour R/W (4.6.1). */
#define CR4_PGE (1ULL << 7)   /* Global pages (4.10.2.4). */
#define CR4_SMEP (1ULL << 20) /* No supervisor fetches from user pages. */
#define CR4_SMAP (1ULL << 21) /* No supervisor data access to user pages. */

/* 12.12.2 "IA32_PAT MSR": address 277H (vol 4, Table 2-2). */
#define MSR_IA32_PAT 0x277U

/*
 * CPUID.(EAX=07H,ECX=0):EBX bit 7 = SMEP, bit 20 = SMAP (4.1.4
 * "Enumeration of Paging Features by CPUID"; vol 2A, Table 3-8).
 */
#define CPUID_7_EBX_SMEP (1U << 7)
#define CPUID_7_EBX_SMAP (1U << 20)
/* CPUID.80000001H:EDX bit 26 = Page1GB: 1 GiB leaves in a PDPTE (4.1.4). */
#define CPUID_80000001_EDX_PAGE1GB (1U << 26)

extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __boot_pt_start[], __boot_pt_end[];

/* The image, per section: text RX, rodata R, data + bss RW. */
static const struct kernel_image_section image_sections[] = {
	{ __text_start, __text_end, PROT_R | PROT_X, "the kernel text" },
	{ __rodata_start, __rodata_end, PROT_R, "the kernel rodata" },
	{ __data_start, __data_end, PROT_R | PROT_W, "the kernel data" },
};

/*
 * boot.S's page tables are unused once CR3 holds the kernel table: take
 * them out of the image's mapping (so a frame never has a second,
 * writable image alias) and give them to the frame allocator.
 */
static void release_boot_tables(struct page_table *kpt)
{
	uint64_t va = (uintptr_t)__boot_pt_start;
	uint64_t len = (uintptr_t)__boot_pt_end - va;
	struct pt_cursor cur;
	ostd_err_t err = pt_cursor_new_mut(kpt, va, va + len, &cur);

	if (err == OSTD_OK) {
		err = pt_cursor_unmap(&cur, len, NULL);
		/* Dropping the cursor flushes the unmapped pages (tlb.c). */
		pt_cursor_drop(&cur);
	}
	if (err == OSTD_OK) {
		err = frame_release_boot_memory(pa_init(va - KERNEL_VMA_OFFSET),
						len);
	}
	if (err != OSTD_OK) {
		panic("cannot release the boot page tables: %s",
		      ostd_err_name(err));
	}
	ostd_printf("boot page tables released: %llu KiB\n",
		    (unsigned long long)(len >> 10));
}

/*
 * Fills the kernel table, once, on the boot CPU: the linear map in 1 GiB
 * pages where the CPU has them (4.1.4), else 2 MiB ones.
 */
static void kernel_pt_build(struct page_table *kpt)
{
	uint32_t max_ext = x86_64_cpuid_max(0x80000000U);
	bool page_1g =
		max_ext >= 0x80000001U && (x86_64_cpuid(0x80000001U, 0).edx &
					   CPUID_80000001_EDX_PAGE1GB) != 0;

	kernel_map_build(kpt, page_1g ? 3 : 2, image_sections,
			 ARRAY_SIZE(image_sections));
}

/*
 * The boot CPU builds the table and then, like every secondary CPU
 * (smp_secondary_entry()), sets its own paging controls and CR3: PAT, CR0,
 * CR4 and CR3 are per CPU. A secondary arrives here with the same values
 * already loaded by the trampoline (smp.c), so the writes change nothing
 * there but keep one code path.
 */
void arch_kernel_pt_activate(struct page_table *kpt)
{
	static bool built;
	bool first = !built;

	if (kpt == NULL) {
		panic("no kernel page table to activate");
	}
	if (first) {
		kernel_pt_build(kpt);
		built = true;
	}
	/*
	 * 12.12.2 "IA32_PAT MSR": the layout pt_format.c encodes. Entries
	 * 0-3 are the power-on default, so the boot tables' WB mappings
	 * mean the same across the write.
	 */
	x86_64_wrmsr(MSR_IA32_PAT, X86_PAT_MSR_VALUE);

	/* 2.5: CR0.WP, so read-only pages bind ring 0 too (4.6.1). */
	x86_64_write_cr0(x86_64_read_cr0() | CR0_WP);

	/* 2.5, 4.6.1: SMEP and SMAP where CPUID reports them. */
	uint64_t cr4 = x86_64_read_cr4();

	if (x86_64_cpuid_max(0) >= 7) {
		uint32_t ebx = x86_64_cpuid(7, 0).ebx;

		cr4 |= (ebx & CPUID_7_EBX_SMEP) != 0 ? CR4_SMEP : 0;
		cr4 |= (ebx & CPUID_7_EBX_SMAP) != 0 ? CR4_SMAP : 0;
	}
	/* usercopy.S opens SMAP with STAC only where it exists (#UD). */
	x86_64_has_smap = (cr4 & CR4_SMAP) != 0;
	x86_64_write_cr4(cr4);

	/* 4.10.4.1: a CR3 write flushes the boot tables' (non-global)
	 * translations. From here on boot.S's tables are unused. */
	x86_64_write_cr3(pa_addr(kpt->root));
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());

	/* 4.10.2.4 "Global Pages": honour G from now on. Setting CR4.PGE
	 * also flushes the whole TLB (4.10.4.1). */
	x86_64_write_cr4(cr4 | CR4_PGE);
	if (first) {
		release_boot_tables(kpt);
	}
}
