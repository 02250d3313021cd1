// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU virt (riscv64): an NS16550A at 0x10000000 and the SiFive test
 * finisher at 0x100000 (hw/riscv/virt.c, virt_memmap). Both are looked up
 * in the device tree first, so a changed memory map still works; the
 * constants are the fallback.
 */

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/riscv64.h"

#include "ostd/drivers/exit.h"
#include "ostd/drivers/uart16550.h"
#include "ostd/fdt.h"
#include "ostd/plat.h"
#include "ostd/timer.h"

#define VIRT_UART0_BASE 0x10000000UL
#define VIRT_TEST_BASE 0x100000UL
/* A process exit status has 8 bits; a bigger code could read as success. */
#define EXIT_STATUS_MAX 255

/* The finisher works before plat_console_init(), e.g. for an early panic. */
static uintptr_t test_base = VIRT_TEST_BASE;

static uintptr_t fdt_reg(const void *fdt, const char *compat,
			 uintptr_t fallback)
{
	uint64_t base;

	if (fdt == NULL || ostd_fdt_check(fdt) != OSTD_OK ||
	    ostd_fdt_find_reg(fdt, compat, &base, NULL) != OSTD_OK) {
		return fallback;
	}
	return (uintptr_t)base;
}

/* The one board hook that runs early, so it finds the finisher too. */
void plat_console_init(const struct ostd_boot_info *info)
{
	/* NULL info: a panic before ostd_boot(); use the fallbacks. */
	const void *fdt = info == NULL
				  ? NULL
				  : (const void *)(uintptr_t)pa_addr(info->fdt);

	test_base = fdt_reg(fdt, "sifive,test0", VIRT_TEST_BASE);
	uart16550_init(fdt_reg(fdt, "ns16550a", VIRT_UART0_BASE));
}

void plat_console_putc(char c)
{
	uart16550_putc(c);
}

void plat_power_off(int status)
{
	if (status < 0 || status > EXIT_STATUS_MAX) {
		status = EXIT_STATUS_MAX;
	}
	exit_sifive_test(test_base, status);
	/*
	 * No finisher: ask the SBI firmware. SRST (SBI v1.0.0, ch. 10) and
	 * the legacy shutdown (5.9) both make QEMU exit 0 whatever the
	 * reason, so a failure is then visible only on the console.
	 */
	riscv_sbi_call(RISCV_SBI_EXT_SRST, RISCV_SBI_SRST_RESET,
		       RISCV_SBI_SRST_SHUTDOWN,
		       status == 0 ? RISCV_SBI_SRST_REASON_NONE
				   : RISCV_SBI_SRST_REASON_FAILURE);
	riscv_sbi_call(RISCV_SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
	arch_halt();
}

/* No timer driver yet: the arch kernel issue brings one. */
void plat_timer_init(void)
{
}

void plat_irq_handle(unsigned int irq)
{
	(void)irq;
}
