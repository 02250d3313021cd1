// SPDX-License-Identifier: MPL-2.0
/*
 * From boot.S to ostd_boot(): boot.S has installed VBAR_EL1, a stack and a
 * clear BSS; here we turn the arm64 boot protocol's one argument, the DTB in
 * x0, into an ostd_boot_info. A board whose loader passes no device tree
 * names its RAM in its manifest (board.ini `ram`); QEMU's loader then puts
 * an ATAG list in x0 instead (hw/arm/boot.c, set_kernel_args()), which we
 * read for the initrd.
 *
 * "Arm ARM" is DDI 0487 (G.b numbering).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"
#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/err.h"
#include "ostd/fdt.h"
#include "ostd/panic.h"

#include "generated/board.h"

extern char __kernel_start[];
extern char __kernel_end[];

NORETURN void aarch64_entry(uint64_t dtb_pa, uint64_t entry_el,
			    uint64_t kimage_pa_base);

static struct ostd_boot_info info = {
	.arch = CONFIG_ARCH,
	.board = CONFIG_BOARD,
	/* Both speak the arm64 boot protocol; only the loader differs. */
	.boot_protocol =
		IS_ENABLED(CONFIG_BOOT_UBOOT) ? "u-boot booti" : "direct",
};

void arch_halt(void)
{
	for (;;) {
		/* PSTATE.DAIF (Arm ARM C5.2 DAIF): all masked, so WFI stays. */
		__asm__ volatile("msr daifset, #0xf\n\twfi" : : : "memory");
	}
}

uintptr_t arch_unmapped_test_addr(void)
{
	/*
	 * In the kernel half, in root entry 384, which neither boot.S's
	 * tables nor the kernel page table ever fill: a Translation fault at
	 * Arm level 0.
	 */
	return AARCH64_UNMAPPED_TEST_ADDR;
}

/*
 * boot.S's linear map covers AARCH64_BOOT_RAM_GIB from the 1 GiB block of
 * the image; the frame allocator and the kernel page table are built
 * through it, so all of RAM must be inside.
 */
static ostd_err_t check_boot_window(void)
{
	uint64_t lo = aarch64_kimage_pa_base & ~((1ULL << 30) - 1);
	uint64_t hi = lo + ((uint64_t)AARCH64_BOOT_RAM_GIB << 30);

	for (unsigned int i = 0; i < info.mem_count; i++) {
		const struct ostd_mem_region *r = &info.mem[i];

		if (r->kind == OSTD_MEM_USABLE &&
		    (pa_addr(r->base) < lo || pa_addr(r->base) >= hi ||
		     r->size > hi - pa_addr(r->base))) {
			panic("RAM [%#llx, +%#llx) is outside boot.S's linear "
			      "map [%#llx, %#llx)",
			      (unsigned long long)pa_addr(r->base),
			      (unsigned long long)r->size,
			      (unsigned long long)lo, (unsigned long long)hi);
		}
	}
	return OSTD_OK;
}

/*
 * The 32-bit ARM "tagged list" (Linux Documentation/arch/arm/booting.rst,
 * arch/arm/include/uapi/asm/setup.h): {size in words, tag} headers,
 * ATAG_CORE first and a size-0 ATAG_NONE last; ATAG_INITRD2 is {physical
 * start, size}.
 */
#ifdef BOARD_RAM_SIZE
#define ATAG_CORE 0x54410001U
#define ATAG_INITRD2 0x54420005U

static ostd_err_t add_manifest_ram(uint64_t atags_pa)
{
	/*
	 * Below the image is the loader's: QEMU's boot stub, raspi's spin
	 * tables that hold the other cores (hw/arm/raspi.c) and the ATAGs.
	 */
	ostd_err_t err =
		ostd_boot_info_add_mem(&info, pa_init(BOARD_RAM_BASE),
				       BOARD_RAM_SIZE, OSTD_MEM_USABLE);
	const uint32_t *t = arch_paddr_to_ptr(pa_init(atags_pa));
	bool atags = atags_pa != 0 && t[1] == ATAG_CORE;

	if (err == OSTD_OK && pa_addr(info.kernel_start) > BOARD_RAM_BASE) {
		err = ostd_boot_info_add_mem(&info, pa_init(BOARD_RAM_BASE),
					     pa_addr(info.kernel_start) -
						     BOARD_RAM_BASE,
					     OSTD_MEM_RESERVED);
	}
	for (int n = 0; err == OSTD_OK && atags && t[0] >= 2 && n < 64;
	     n++, t += t[0]) {
		if (t[1] == ATAG_INITRD2 && t[0] >= 4 && t[3] != 0) {
			err = ostd_boot_info_set_initrd(&info, pa_init(t[2]),
							t[3]);
		}
	}
	return err == OSTD_OK ? check_boot_window() : err;
}
#endif

/*
 * The console is not up yet; a panic here brings it up at the board's
 * default address, prints, and exits.
 */
static void parse_fdt(uint64_t dtb_pa)
{
#ifdef BOARD_RAM_SIZE
	if (dtb_pa == 0 ||
	    ostd_fdt_check(arch_paddr_to_ptr(pa_init(dtb_pa))) != OSTD_OK) {
		ostd_err_t err = add_manifest_ram(dtb_pa);

		if (err != OSTD_OK) {
			panic("the manifest's RAM is unusable: %s",
			      ostd_err_name(err));
		}
		return;
	}
#endif
	if (dtb_pa == 0) {
		panic("no device tree in x0: boot kernel.bin (the arm64 "
		      "Image), not the ELF");
	}
	ostd_err_t err = ostd_boot_info_add_fdt(&info, pa_init(dtb_pa));

	if (err == OSTD_OK) {
		err = check_boot_window();
	}
	if (err != OSTD_OK) {
		panic("the device tree at %#llx is unusable: %s",
		      (unsigned long long)dtb_pa, ostd_err_name(err));
	}
}

void aarch64_entry(uint64_t dtb_pa, uint64_t entry_el, uint64_t kimage_pa_base)
{
	aarch64_kimage_pa_base = kimage_pa_base;
	info.entry_mode = entry_el == 2 ? "EL2" : "EL1";
	info.kernel_start = arch_ptr_to_paddr(__kernel_start);
	info.kernel_end = arch_ptr_to_paddr(__kernel_end);
	/* Arm ARM D13.2 MPIDR_EL1: the affinity fields name the CPU. */
	info.boot_cpu_id =
		aarch64_read_sysreg(mpidr_el1) & AARCH64_MPIDR_AFF_MASK;
	parse_fdt(dtb_pa);
	ostd_boot(&info);
}
