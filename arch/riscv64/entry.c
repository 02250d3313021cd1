// SPDX-License-Identifier: MPL-2.0
/*
 * From boot.S to ostd_boot(): boot.S has installed the trap vector, cleared
 * the BSS, turned on the MMU with its boot tables and set up the stack;
 * here we translate the firmware's handoff (hart id, device tree) into an
 * ostd_boot_info. Physical memory is reached through the linear map.
 */

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/err.h"
#include "ostd/fdt.h"
#include "ostd/panic.h"

extern char __kernel_start[];
extern char __kernel_end[];

NORETURN void riscv_entry(unsigned long hartid, uintptr_t dtb);

static struct ostd_boot_info info = {
	.arch = CONFIG_ARCH,
	.board = CONFIG_BOARD,
	.boot_protocol = IS_ENABLED(CONFIG_BOARD_QEMU_VIRT_RISCV64_UBOOT)
				 ? "opensbi+u-boot"
				 : "opensbi",
	.entry_mode = "S-mode",
};

void arch_halt(void)
{
	for (;;) {
		/*
		 * wfi may return early (Privileged Spec v1.12, 3.3.3 "Wait
		 * for Interrupt"), so loop; with sstatus.SIE clear (4.1.1) no
		 * handler runs in between.
		 */
		riscv_csr_clear(sstatus, RISCV_SSTATUS_SIE);
		__asm__ volatile("wfi");
	}
}

uintptr_t arch_unmapped_test_addr(void)
{
	/*
	 * In the kernel half, in a root slot (384) that neither the linear
	 * map nor the image uses: unmapped in the kernel page table and in
	 * boot.S's tables.
	 */
	return RISCV_UNMAPPED_TEST_ADDR;
}

/*
 * The console is not up yet; a panic here brings it up at the board's
 * default address, prints, and exits through the finisher.
 */
static void parse_fdt(uintptr_t dtb)
{
	ostd_err_t err = ostd_boot_info_add_fdt(&info, pa_init(dtb));

	if (err != OSTD_OK) {
		panic("the device tree at %#lx is unusable: %s",
		      (unsigned long)dtb, ostd_err_name(err));
	}
}

void riscv_entry(unsigned long hartid, uintptr_t dtb)
{
	/* The image runs at its link address, riscv_image_delta above. */
	info.kernel_start =
		pa_init((uintptr_t)__kernel_start - riscv_image_delta);
	info.kernel_end = pa_init((uintptr_t)__kernel_end - riscv_image_delta);
	info.boot_cpu_id = hartid;
	parse_fdt(dtb);
	ostd_boot(&info);
}
