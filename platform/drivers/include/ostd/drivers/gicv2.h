/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * The Arm Generic Interrupt Controller, version 2 (gicv2.c): distributor
 * and CPU interfaces, up to 8 CPUs. Interrupt numbers are GIC INTIDs: SGIs
 * 0-15, PPIs 16-31, SPIs 32 and up.
 */

/* GICC_IAR's "no pending interrupt" INTID. */
#define GICV2_SPURIOUS 1023U
/* GICC_IAR: the INTID [9:0] (and, for an SGI, the sender in [12:10]). */
#define GICV2_IAR_INTID(iar) ((unsigned int)(iar)&0x3ffU)
/* GICv2 has 8 CPU interfaces (IHI 0048B, 1.4.1 "... up to eight"). */
#define GICV2_MAX_CPUS 8U

/**
 * Enables the distributor at the physical address @p dist_pa, and maps the
 * CPU interface at @p cpu_pa, with every interrupt disabled. The calling
 * CPU then runs gicv2_init_cpu() like every other.
 */
void gicv2_init(uint64_t dist_pa, uint64_t cpu_pa);

/**
 * Enables the calling CPU's interface, with its SGIs and PPIs disabled,
 * and records its SGI target bit as CPU @p cpu's (smp_cpu_id()).
 * Context: that CPU, interrupts masked, after gicv2_init().
 */
void gicv2_init_cpu(unsigned int cpu);

/**
 * Enables interrupt @p intid (at one priority: no nesting). An SGI or
 * PPI only for the calling CPU (banked registers).
 */
void gicv2_enable(unsigned int intid);

/**
 * Sends SGI @p sgi (0-15) to CPU @p cpu, after a barrier that makes the
 * caller's stores visible first. False if that CPU has no interface bit
 * (it never ran gicv2_init_cpu(), or is beyond the eight).
 */
bool gicv2_send_sgi(unsigned int cpu, unsigned int sgi);

/**
 * Acknowledges the highest-priority pending interrupt: the raw GICC_IAR,
 * GICV2_IAR_INTID() of it is the INTID.
 */
uint32_t gicv2_ack(void);

/** Signals the end of the interrupt @p iar (gicv2_ack()'s value). */
void gicv2_eoi(uint32_t iar);
