// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU's isa-debug-exit device (hw/misc/debugexit.c) exits QEMU with
 * (value << 1) | 1 on a write; it can never report 0. A status of 0 is
 * therefore reported through ACPI power-off, which exits QEMU with 0.
 */

#include "ostd/arch/x86_64.h"

#include "ostd/drivers/exit.h"

void exit_isa_debug(uint16_t port, int status)
{
	x86_64_outl(port, (uint32_t)status);
}

void exit_acpi_poweroff(uint16_t pm1a_cnt)
{
	/*
	 * PM1a_CNT: SLP_TYP = 0 (QEMU's S5 encoding in its DSDT) and SLP_EN
	 * (bit 13), ACPI 6.4, 4.8.3.2.1 "PM1 Control Registers".
	 */
	x86_64_outw(pm1a_cnt, 1 << 13);
}
