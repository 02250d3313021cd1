// SPDX-License-Identifier: MPL-2.0
// ostd-driver: CONFIG_BCM2836_INTC
/*
 * BCM2836/7 ARM-local peripherals ("QA7", Quad-A7 control, rev 3.4):
 * "Core timers interrupts", p. 13 (control at 0x40 + 4 * core: bits 0-3
 * route nCNTPSIRQ, nCNTPNSIRQ, nCNTHPIRQ, nCNTVIRQ to the core's IRQ,
 * bits 4-7 to its FIQ) and "Core interrupt sources", p. 16 (IRQ source at
 * 0x60 + 4 * core, the same bit numbers for the timers). QEMU models it in
 * hw/intc/bcm2836_control.c, wired to the CPUs' GTIMER_* outputs in
 * hw/arm/bcm2836.c. The sources are levels: the timer deasserts when
 * re-armed, so nothing is acknowledged here.
 */

#include "ostd/drivers/bcm2836_intc.h"

#include <stdint.h>

#include "ostd/arch/aarch64.h"

#define CORE0_TIMER_CTRL 0x40
#define CORE0_IRQ_SOURCE 0x60

static volatile uint32_t *regs;

void bcm2836_intc_init(uint64_t pa)
{
	regs = aarch64_ioremap(pa, 0x100);
	regs[CORE0_TIMER_CTRL / 4] = 1U << BCM2836_INTC_CNTV;
}

uint32_t bcm2836_intc_pending(void)
{
	return regs[CORE0_IRQ_SOURCE / 4];
}
