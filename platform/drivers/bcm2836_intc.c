// SPDX-License-Identifier: MPL-2.0
/*
 * BCM2836/7 ARM-local peripherals ("QA7", Quad-A7 control, rev 3.4), one
 * set of registers per core n (0-3), which is MPIDR_EL1.Aff0 on BCM2837:
 *
 * - "Core timers interrupts", p. 13: control at 0x40 + 4n, bits 0-3
 *   route nCNTPSIRQ, nCNTPNSIRQ, nCNTHPIRQ, nCNTVIRQ to the core's IRQ,
 *   bits 4-7 to its FIQ;
 * - "Core Mailboxes interrupts", p. 14: control at 0x50 + 4n, bits 0-3
 *   route mailboxes 0-3 to the core's IRQ;
 * - "Core interrupt sources", p. 16: IRQ source at 0x60 + 4n, bits 0-3
 *   the timers as above, bits 4-7 mailboxes 0-3;
 * - "Mailboxes", p. 18: 4 mailboxes of 32 bits per core; writing 1s at
 *   0x80 + 16n + 4m sets bits of core n's mailbox m, writing 1s at
 *   0xC0 + 16n + 4m clears them (and reads it). A mailbox interrupts
 *   while any bit is set.
 *
 * QEMU models it in hw/intc/bcm2836_control.c, wired to the CPUs'
 * GTIMER_* outputs in hw/arm/bcm2836.c. The timer sources are levels:
 * the timer deasserts when re-armed, so nothing is acknowledged for it.
 */

#include "ostd/drivers/bcm2836_intc.h"

#include <stdint.h>

#include "ostd/arch/aarch64.h"

#include "ostd/kernel_map.h"

#define CORE_TIMER_CTRL(n) (0x40 + 4 * (n))
#define CORE_MBOX_CTRL(n) (0x50 + 4 * (n))
#define CORE_IRQ_SOURCE(n) (0x60 + 4 * (n))
#define CORE_MBOX_SET(n, m) (0x80 + 16 * (n) + 4 * (m))
#define CORE_MBOX_CLR(n, m) (0xc0 + 16 * (n) + 4 * (m))

/* The mailbox that carries IPIs, and its IRQ control bit. */
#define IPI_MBOX 0U

static volatile uint32_t *regs;

/* This core's number: MPIDR_EL1.Aff0 (Arm ARM D13.2 MPIDR_EL1). */
static unsigned int this_core(void)
{
	return (unsigned int)(aarch64_read_sysreg(mpidr_el1) & 3);
}

void bcm2836_intc_init(uint64_t pa)
{
	regs = kernel_map_device_or_panic(pa_init(pa), 0x100,
					  "the BCM2836 local intc");
}

void bcm2836_intc_init_cpu(void)
{
	unsigned int n = this_core();

	regs[CORE_MBOX_CLR(n, IPI_MBOX) / 4] = 0xffffffffU;
	regs[CORE_TIMER_CTRL(n) / 4] = 1U << BCM2836_INTC_CNTV;
	regs[CORE_MBOX_CTRL(n) / 4] = 1U << IPI_MBOX;
}

uint32_t bcm2836_intc_pending(void)
{
	return regs[CORE_IRQ_SOURCE(this_core()) / 4];
}

void bcm2836_intc_send_ipi(unsigned int core)
{
	/*
	 * The sender's earlier stores (the posted call) must be observable
	 * by the target before it can take the interrupt: DSB ISHST orders
	 * them before this Device write (Arm ARM DDI 0487, B2.3.12 "Memory
	 * barriers").
	 */
	__asm__ volatile("dsb ishst" : : : "memory");
	regs[CORE_MBOX_SET(core & 3, IPI_MBOX) / 4] = 1;
}

void bcm2836_intc_ack_ipi(void)
{
	unsigned int n = this_core();

	/*
	 * Clear before the handler reads the posted calls: a call posted
	 * after this sets the bit again and interrupts again.
	 */
	regs[CORE_MBOX_CLR(n, IPI_MBOX) / 4] = 0xffffffffU;
	__asm__ volatile("dsb sy" : : : "memory");
}
