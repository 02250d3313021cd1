// SPDX-License-Identifier: MPL-2.0
/*
 * The aarch64 kernel moves from boot.S's tables onto the core's kernel page
 * table (DESIGN.md §2): the linear map of RAM at PHYS_OFFSET, the device
 * windows drivers asked for (kernel_map_device()), and the image at
 * KERNEL_VMA_OFFSET with per-section rights, built and checked for W+X by
 * kernel_map_build(); then TTBR1_EL1 and TTBR0_EL1, and PSTATE.PAN.
 * Layout and the T0SZ = T1SZ = 17 choice: aarch64_layout.h.
 *
 * "Arm ARM" is DDI 0487 (G.b section numbers, with their names).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"
#include "ostd/arch/aarch64_smp.h"
#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/kernel_map.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"

extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/*
 * The image, per section: text RX, rodata R, data + bss RW. The codec
 * puts UXN on every kernel leaf and PXN on every one but text
 * (pt_format.c); PT_ACCESSED: the layout's device_prop says why.
 */
static const struct kernel_image_section image_sections[] = {
	{ __text_start, __text_end, PROT_R | PROT_X | PT_ACCESSED,
	  "the kernel text" },
	{ __rodata_start, __rodata_end, PROT_R | PT_ACCESSED,
	  "the kernel rodata" },
	{ __data_start, __data_end, PROT_R | PROT_W | PT_ACCESSED,
	  "the kernel data" },
};

/* mmu.S; runs at its physical address, through boot.S's identity map. */
void aarch64_replace_ttbr1(uint64_t ttbr1, uint64_t empty_ttbr1);

uint8_t aarch64_has_pan;
uint64_t aarch64_uaccess_closed;

static struct page_table *active_kpt;

/*
 * PSTATE.PAN on this CPU (FEAT_PAN), or its software PAN state: closed,
 * with the open value the kernel root until a space is activated here.
 */
static void pan_on_this_cpu(uint64_t root)
{
	if (aarch64_has_pan) {
		/* MSR PAN, #1 (C5.2.13 "PAN"), spelled out: clang-14 wants
		 * +pan for the mnemonic. */
		__asm__ volatile(".inst 0xd500419f" : : : "memory");
	}
	*aarch64_cpu_word(AARCH64_CL_UACCESS_OPEN) = root;
}

/*
 * A secondary CPU (smp_secondary_entry()): the table is built, and boot.S
 * already put its kernel half in TTBR1_EL1 (aarch64_secondary_entry), so
 * only TTBR0_EL1 moves from boot_pt's identity map to the root's empty
 * lower half, as on the boot CPU below.
 */
static void activate_on_secondary(struct page_table *kpt)
{
	uint64_t root = pa_addr(kpt->root);

	CHECK(aarch64_read_sysreg(ttbr1_el1) ==
	      root + AARCH64_ROOT_KERNEL_HALF);
	aarch64_write_sysreg(ttbr0_el1, root);
	/* D5.10.2: TLBI, DSB, ISB; this CPU's own entries only. */
	__asm__ volatile("isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
			 :
			 :
			 : "memory");
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());
	pan_on_this_cpu(root);
}

/* Moves the boot CPU from boot.S's tables onto @p kpt's root. */
static void switch_tables(struct page_table *kpt)
{
	uint64_t root = pa_addr(kpt->root);
	void (*replace)(uint64_t, uint64_t) =
		(void (*)(uint64_t, uint64_t))(uintptr_t)pa_addr(
			arch_ptr_to_paddr((const void *)aarch64_replace_ttbr1));

	/*
	 * The walker must see every descriptor the cursors wrote before the
	 * TTBR write makes them reachable (D5.10.1: a DSB orders the table
	 * writes before later translation table walks).
	 */
	__asm__ volatile("dsb ish" : : : "memory");
	/*
	 * TTBR1_EL1 changes under our feet: the kernel half is remapped
	 * with other block sizes at the same addresses. Doing that in one
	 * write could leave TLB entries of both tables for one address (a
	 * TLB conflict, D5.10.3 "TLB conflict aborts"). mmu.S runs from the
	 * identity map (TTBR0_EL1 is still boot.S's root) and goes through
	 * an empty table first: the lower half of our own root, entries
	 * 0..255, which the kernel config never fills.
	 */
	replace(root + AARCH64_ROOT_KERNEL_HALF, root);
	/*
	 * TTBR0_EL1: the same root, whose lower half is empty until a
	 * VmSpace is activated (vm.c). The identity map is gone with it;
	 * flush what the TLB kept of it (D5.10.2: TLBI, DSB, ISB). From here
	 * on boot.S's tables are unused.
	 */
	aarch64_write_sysreg(ttbr0_el1, root);
	__asm__ volatile("isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
			 :
			 :
			 : "memory");
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());
}

/*
 * Privileged Access Never (D5.4.7 "Privileged access never", FEAT_PAN
 * from Armv8.1): with PSTATE.PAN = 1 an EL1 data access to a page EL0 may
 * access faults. boot.S cleared SCTLR_EL1.SPAN, so every exception to EL1
 * sets it again. The user copies use LDTR/STTR, which PAN does not
 * restrict; only the 32-bit atomics clear it, around one exclusive pair
 * (usercopy.S).
 */
static void choose_pan(uint64_t root)
{
	uint64_t mmfr1 = aarch64_read_sysreg(id_aa64mmfr1_el1);

	if (((mmfr1 >> AARCH64_ID_MMFR1_PAN_SHIFT) & 0xf) != 0) {
		aarch64_has_pan = 1;
	} else {
		/*
		 * No FEAT_PAN (Cortex-A53): Linux's software PAN
		 * (CONFIG_ARM64_SW_TTBR0_PAN). In the kernel TTBR0_EL1 is our
		 * root, whose lower half stays empty, with ASID 0; user
		 * leaves are non-global and tagged with their space's ASID,
		 * never 0 (vm.c, core/mm/asid.c), so no
		 * TLB entry of them matches either (D5.9.1 "Global and
		 * process-specific translation table entries"): a raw access
		 * takes a translation fault. trap.S, user.S and usercopy.S
		 * switch to the space's value and back.
		 */
		aarch64_uaccess_closed = root;
	}
}

void arch_kernel_pt_activate(struct page_table *kpt)
{
	if (kpt == NULL) {
		panic("no kernel page table to activate");
	}
	if (active_kpt != NULL) {
		CHECK(kpt == active_kpt);
		activate_on_secondary(kpt);
		return;
	}
	kernel_map_build(kpt, 3, image_sections, ARRAY_SIZE(image_sections));
	switch_tables(kpt);
	active_kpt = kpt;
	choose_pan(pa_addr(kpt->root));
	pan_on_this_cpu(pa_addr(kpt->root));
}
