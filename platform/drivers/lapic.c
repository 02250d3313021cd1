// SPDX-License-Identifier: MPL-2.0
// ostd-driver: CONFIG_LAPIC
/*
 * The local APIC leaves reset software-disabled with every LVT entry
 * masked (Intel SDM vol 3A, 11.4.7.1), so the 8259's INTR reaches the CPU
 * only once firmware sets up virtual-wire mode (MP spec 1.4, 3.6.2.2).
 * SeaBIOS does; QEMU microvm's firmware does not, and QEMU then drops
 * every PIC interrupt (hw/intc/apic.c, apic_accept_pic_intr()).
 */

#include "ostd/drivers/lapic.h"

#include <stdint.h>

#include "ostd/arch/x86_64.h"

/* 11.4.4: the base above bit 12; bits 0-11 are flags. */
#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_MASK (~0xfffULL)
#define APIC_SVR 0xf0        /* 11.9: bit 8 software-enables. */
#define APIC_LVT_LINT0 0x350 /* 11.5.1 "Local Vector Table". */
#define APIC_LVT_LINT1 0x360
#define SVR_ENABLE (1U << 8)
#define LVT_EXTINT (7U << 8)
#define LVT_NMI (4U << 8)
/*
 * A spurious interrupt needs a TPR raise (11.9), which OSTD never does, so
 * the customary 0xff would reach trap.c (and panic) only through a bug.
 */
#define SPURIOUS_VECTOR 0xffU

void lapic_virtual_wire(void)
{
	uint64_t base = x86_64_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_MASK;
	volatile uint32_t *apic = x86_64_ioremap(base, 0x1000);

	apic[APIC_SVR / 4] = SVR_ENABLE | SPURIOUS_VECTOR;
	apic[APIC_LVT_LINT0 / 4] = LVT_EXTINT;
	apic[APIC_LVT_LINT1 / 4] = LVT_NMI;
}
