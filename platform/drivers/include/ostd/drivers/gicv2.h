/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The Arm Generic Interrupt Controller, version 2 (gicv2.c): distributor
 * and CPU interface, for one CPU. Interrupt numbers are GIC INTIDs: SGIs
 * 0-15, PPIs 16-31, SPIs 32 and up.
 */

/* GICC_IAR's "no pending interrupt" INTID. */
#define GICV2_SPURIOUS 1023U

/**
 * Enables the distributor and this CPU's interface at the physical
 * addresses @p dist_pa and @p cpu_pa, with every interrupt disabled.
 */
void gicv2_init(uint64_t dist_pa, uint64_t cpu_pa);

/** Enables interrupt @p intid (at one priority: no nesting). */
void gicv2_enable(unsigned int intid);

/** Acknowledges the highest-priority pending interrupt; its INTID. */
unsigned int gicv2_ack(void);

/** Signals the end of interrupt @p intid (from gicv2_ack()). */
void gicv2_eoi(unsigned int intid);
