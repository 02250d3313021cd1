// SPDX-License-Identifier: MPL-2.0
/*
 * From boot.S to ostd_boot(): boot.S has installed VBAR_EL1, a stack and a
 * clear BSS; here we turn the arm64 boot protocol's one argument, the DTB in
 * x0, into an ostd_boot_info.
 *
 * "Arm ARM" is DDI 0487 (G.b numbering).
 */

#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/cpu.h"

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/err.h"
#include "ostd/fdt.h"
#include "ostd/panic.h"

extern char __kernel_start[];
extern char __kernel_end[];

NORETURN void aarch64_entry(uint64_t dtb_pa, uint64_t entry_el);

static struct ostd_boot_info info = {
	.arch = CONFIG_ARCH,
	.board = CONFIG_BOARD,
	.boot_protocol = "direct",
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
	 * The MMU is off, so there is nothing to leave unmapped. Instead use
	 * an address above every possible physical address size (at most 52
	 * bits, Arm ARM D13.2 ID_AA64MMFR0_EL1.PARange): with stage 1
	 * translation disabled, such an access is an Address size fault at
	 * level 0 (Arm ARM D5.2, "The effects of disabling address
	 * translation stages on VMSAv8-64 behavior"). Bit 52 is below the top
	 * byte, so TBI does not hide it.
	 */
	return 1ULL << 52;
}

/*
 * The console is not up yet; a panic here brings it up at the board's
 * default address, prints, and exits.
 */
static void parse_fdt(uint64_t dtb_pa)
{
	if (dtb_pa == 0) {
		panic("no device tree in x0: boot kernel.bin (the arm64 "
		      "Image), not the ELF");
	}
	ostd_err_t err = ostd_boot_info_add_fdt(&info, pa_init(dtb_pa));

	if (err != OSTD_OK) {
		panic("the device tree at %#llx is unusable: %s",
		      (unsigned long long)dtb_pa, ostd_err_name(err));
	}
}

void aarch64_entry(uint64_t dtb_pa, uint64_t entry_el)
{
	info.entry_mode = entry_el == 2 ? "EL2" : "EL1";
	info.kernel_start = pa_init((uintptr_t)__kernel_start);
	info.kernel_end = pa_init((uintptr_t)__kernel_end);
	/* Arm ARM D13.2 MPIDR_EL1: the affinity fields name the CPU. */
	info.boot_cpu_id =
		aarch64_read_sysreg(mpidr_el1) & AARCH64_MPIDR_AFF_MASK;
	parse_fdt(dtb_pa);
	ostd_boot(&info);
}
