// SPDX-License-Identifier: MPL-2.0
/*
 * The legacy PC tick: the 8254 PIT (channel 0) routed through the two
 * cascaded 8259A PICs to vector 32. Every PC-compatible QEMU machine has
 * both. The 8259's INTR reaches one CPU through its local APIC in
 * virtual-wire mode (MP spec 3.6.2.2), which SeaBIOS sets up on q35; a
 * board whose firmware does not calls lapic_init_boot(true) first (lapic.c).
 */

#include "ostd/drivers/pc_timer.h"

#include <stdint.h>

#include "ostd/arch/x86_64.h"

#include "ostd/plat.h"
#include "ostd/timer.h"

/* 8259A: command and data ports of the master and the slave. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
/* ICW1: edge triggered, cascade, ICW4 follows. ICW4: 8086 mode. */
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01
#define PIC_EOI 0x20

/* 8254: 1.193182 MHz input; mode/command and channel 0 data ports. */
#define PIT_HZ 1193182U
#define PIT_CMD 0x43
#define PIT_CH0 0x40
/* Channel 0, lobyte/hibyte, mode 2 (rate generator), binary. */
#define PIT_CH0_RATE 0x34

#define IRQ_PIT 0
#define IRQ_CASCADE 2

void pc_timer_init(unsigned int vector_base)
{
	/*
	 * Remap the PICs above the 32 exception vectors: at their BIOS
	 * bases (8 and 0x70) IRQ 0 would arrive as #DF.
	 */
	x86_64_outb(PIC1_CMD, ICW1_INIT_ICW4);
	x86_64_outb(PIC2_CMD, ICW1_INIT_ICW4);
	x86_64_outb(PIC1_DATA, (uint8_t)vector_base);
	x86_64_outb(PIC2_DATA, (uint8_t)(vector_base + 8));
	x86_64_outb(PIC1_DATA, 1 << IRQ_CASCADE); /* ICW3: slave on IRQ 2. */
	x86_64_outb(PIC2_DATA, IRQ_CASCADE);      /* ICW3: its cascade id. */
	x86_64_outb(PIC1_DATA, ICW4_8086);
	x86_64_outb(PIC2_DATA, ICW4_8086);
	/* Masks (OCW1): only the PIT and the cascade. */
	x86_64_outb(PIC1_DATA,
		    (uint8_t) ~((1 << IRQ_PIT) | (1 << IRQ_CASCADE)));
	x86_64_outb(PIC2_DATA, 0xff);

	uint32_t divisor = PIT_HZ / OSTD_TICK_HZ;

	x86_64_outb(PIT_CMD, PIT_CH0_RATE);
	x86_64_outb(PIT_CH0, (uint8_t)divisor);
	x86_64_outb(PIT_CH0, (uint8_t)(divisor >> 8));
}

void pc_timer_irq(unsigned int irq)
{
	if (irq == IRQ_PIT) {
		ostd_timer_tick();
	}
	/* A slave IRQ needs an EOI at both PICs. */
	if (irq >= 8) {
		x86_64_outb(PIC2_CMD, PIC_EOI);
	}
	x86_64_outb(PIC1_CMD, PIC_EOI);
}
