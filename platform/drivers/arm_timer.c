// SPDX-License-Identifier: MPL-2.0
/*
 * The periodic tick from the Arm generic timer's EL1 virtual timer (Arm
 * ARM DDI 0487, D11 "The Generic Timer in AArch64 state"; registers
 * CNTFRQ_EL0, CNTV_TVAL_EL0 and CNTV_CTL_EL0). The virtual timer works the
 * same whether we were entered at EL1 or came down from EL2, where boot.S
 * set CNTVOFF_EL2 = 0. Its interrupt is a level-sensitive PPI that stays
 * asserted while the condition holds, so each tick writes TVAL again,
 * which moves the compare value into the future and deasserts it.
 */

#include "ostd/drivers/arm_timer.h"

#include <stdint.h>

#include "ostd/arch/aarch64.h"

#include "ostd/timer.h"

/* CNTV_CTL_EL0: ENABLE (bit 0); IMASK (bit 1) = 0 lets it interrupt. */
#define CNTV_CTL_ENABLE 1ULL

static uint64_t interval;

void arm_timer_init(void)
{
	/* CNTFRQ_EL0: the counter's frequency, set by firmware or QEMU. */
	interval = aarch64_read_sysreg(cntfrq_el0) / OSTD_TICK_HZ;
	aarch64_write_sysreg(cntv_tval_el0, interval);
	aarch64_write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	__asm__ volatile("isb" : : : "memory");
}

void arm_timer_irq(void)
{
	aarch64_write_sysreg(cntv_tval_el0, interval);
	__asm__ volatile("isb" : : : "memory");
	ostd_timer_tick();
}
