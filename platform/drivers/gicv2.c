// SPDX-License-Identifier: MPL-2.0
/*
 * GICv2: the Arm Generic Interrupt Controller Architecture Specification,
 * version 2 (IHI 0048B). Register offsets: 4.1.2 "Distributor register
 * map" and 4.1.3 "CPU interface register map". Without the Security
 * Extensions (QEMU virt has no EL3), every interrupt is Group 0 and, with
 * GICC_CTLR.FIQEn = 0, signalled as an IRQ (3.3 "Interrupt grouping").
 *
 * SMP: the CPU interface (GICC_*) is at one address for every CPU, each
 * reaching its own; the SGI and PPI registers of the distributor (the
 * first word of GICD_ISENABLER/ICENABLER/ICPENDR, the first eight of
 * GICD_IPRIORITYR and GICD_ITARGETSR) are banked per CPU too (4.3 "The
 * Distributor registers", "Banked registers"). So each CPU runs
 * gicv2_init_cpu() and enables its own PPIs and SGIs. An SGI names its
 * targets by CPU interface bit, which need not be the CPU's index: each
 * CPU learns its own from GICD_ITARGETSR0, whose fields read as that
 * CPU's bit (4.3.12 "Interrupt Processor Targets Registers": "each field
 * ... returns a value that corresponds only to the processor reading the
 * register").
 */

#include "ostd/drivers/gicv2.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/kernel_map.h"

#define GICD_CTLR 0x000       /* 4.3.1 Distributor Control */
#define GICD_TYPER 0x004      /* 4.3.2: ITLinesNumber [4:0] */
#define GICD_ISENABLER 0x100  /* 4.3.5 Interrupt Set-Enable */
#define GICD_ICENABLER 0x180  /* 4.3.6 Interrupt Clear-Enable */
#define GICD_ICPENDR 0x280    /* 4.3.8 Interrupt Clear-Pending */
#define GICD_IPRIORITYR 0x400 /* 4.3.11 Interrupt Priority, a byte each */
#define GICD_ITARGETSR 0x800  /* 4.3.12 Processor Targets, a byte each */
#define GICD_SGIR 0xf00       /* 4.3.15 Software Generated Interrupt */
#define GICC_CTLR 0x000       /* 4.4.1 CPU Interface Control */
#define GICC_PMR 0x004        /* 4.4.2 Interrupt Priority Mask */
#define GICC_BPR 0x008        /* 4.4.3 Binary Point */
#define GICC_IAR 0x00c        /* 4.4.4 Interrupt Acknowledge */
#define GICC_EOIR 0x010       /* 4.4.5 End of Interrupt */

#define CTLR_ENABLE 1U
/*
 * GICD_SGIR (4.3.15): TargetListFilter [25:24] = 0b00 (the list),
 * CPUTargetList [23:16], NSATT [15] = 0, SGIINTID [3:0].
 */
#define SGIR_TARGET_SHIFT 16
#define SGIR_INTID_MASK 0xfU
/* The one priority every enabled interrupt gets; the mask lets all in. */
#define PRIORITY_DEFAULT 0xa0U
#define PMR_ALLOW_ALL 0xffU

/* The distributor is 4 KiB of registers, the CPU interface 8 KiB. */
#define GICD_SIZE 0x1000U
#define GICC_SIZE 0x2000U

static uintptr_t gicd;
static uintptr_t gicc;
/* Each CPU's interface bit (GICD_ITARGETSR0 as that CPU reads it). */
static uint8_t cpu_bits[GICV2_MAX_CPUS];

static void write32(uintptr_t base, unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(base + reg) = v;
}

static uint32_t read32(uintptr_t base, unsigned int reg)
{
	return *(volatile uint32_t *)(base + reg);
}

void gicv2_init(uint64_t dist_pa, uint64_t cpu_pa)
{
	gicd = (uintptr_t)kernel_map_device_or_panic(
		pa_init(dist_pa), GICD_SIZE, "the GICv2 distributor");
	gicc = (uintptr_t)kernel_map_device_or_panic(pa_init(cpu_pa), GICC_SIZE,
						     "the GICv2 CPU interface");

	/* 32 * (ITLinesNumber + 1) interrupt lines (4.3.2). */
	unsigned int lines = 32 * ((read32(gicd, GICD_TYPER) & 0x1f) + 1);

	write32(gicd, GICD_CTLR, 0);
	for (unsigned int i = 0; i < lines; i += 32) {
		write32(gicd, GICD_ICENABLER + i / 8, 0xffffffffU);
		write32(gicd, GICD_ICPENDR + i / 8, 0xffffffffU);
	}
	write32(gicd, GICD_CTLR, CTLR_ENABLE);
}

void gicv2_init_cpu(unsigned int cpu)
{
	if (cpu >= GICV2_MAX_CPUS) {
		return;
	}
	/* This CPU's banked SGIs and PPIs: all off and clear, as above. */
	write32(gicd, GICD_ICENABLER, 0xffffffffU);
	write32(gicd, GICD_ICPENDR, 0xffffffffU);
	cpu_bits[cpu] = *(volatile uint8_t *)(gicd + GICD_ITARGETSR);
	write32(gicc, GICC_PMR, PMR_ALLOW_ALL);
	write32(gicc, GICC_BPR, 0);
	write32(gicc, GICC_CTLR, CTLR_ENABLE);
}

bool gicv2_send_sgi(unsigned int cpu, unsigned int sgi)
{
	if (cpu >= GICV2_MAX_CPUS || cpu_bits[cpu] == 0) {
		return false;
	}
	/*
	 * The sender's earlier stores (the posted call) must be observable
	 * by the target before it can take the interrupt: DSB ISHST orders
	 * them before this Device write (Arm ARM DDI 0487, B2.3.12 "Memory
	 * barriers"; Linux does the same before GICD_SGIR).
	 */
	__asm__ volatile("dsb ishst" : : : "memory");
	write32(gicd, GICD_SGIR,
		((uint32_t)cpu_bits[cpu] << SGIR_TARGET_SHIFT) |
			(sgi & SGIR_INTID_MASK));
	return true;
}

void gicv2_enable(unsigned int intid)
{
	volatile uint8_t *prio =
		(volatile uint8_t *)(gicd + GICD_IPRIORITYR + intid);

	*prio = PRIORITY_DEFAULT;
	write32(gicd, GICD_ISENABLER + 4 * (intid / 32), 1U << (intid % 32));
}

uint32_t gicv2_ack(void)
{
	return read32(gicc, GICC_IAR);
}

void gicv2_eoi(uint32_t iar)
{
	/*
	 * The whole GICC_IAR value: for an SGI, CPUID [12:10] names the
	 * sender and must come back in GICC_EOIR (4.4.5).
	 */
	write32(gicc, GICC_EOIR, iar);
}
