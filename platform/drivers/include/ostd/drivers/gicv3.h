/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"

/*
 * The Arm Generic Interrupt Controller, version 3 (gicv3.c): distributor
 * with affinity routing, one redistributor per CPU, and the
 * system-register CPU interface. Interrupt numbers are GIC INTIDs: SGIs
 * 0-15, PPIs 16-31, SPIs 32 and up.
 */

/* ICC_IAR1_EL1's "no pending interrupt" INTID (IHI 0069, 2.2.1). */
#define GICV3_SPURIOUS 1023U
/* CPUs the driver keeps a redistributor for (OSTD_MAX_CPUS). */
#define GICV3_MAX_CPUS 64U

/**
 * Maps the distributor at @p dist_pa and the redistributor region
 * [@p redist_pa, + @p redist_size), and enables the distributor with
 * affinity routing and every SPI disabled. False if it never settled
 * (GICD_CTLR.RWP).
 */
WARN_UNUSED bool gicv3_init(uint64_t dist_pa, uint64_t redist_pa,
			    uint64_t redist_size);

/**
 * Finds the calling CPU's redistributor (by MPIDR_EL1), wakes it, and
 * enables the system-register CPU interface with Group 1 on and the
 * CPU's SGIs and PPIs disabled; records it as CPU @p cpu's
 * (smp_cpu_id()). False if there is no redistributor for this CPU or
 * the interface cannot be enabled.
 * Context: that CPU, interrupts masked, after gicv3_init().
 */
WARN_UNUSED bool gicv3_init_cpu(unsigned int cpu);

/** Enables SGI or PPI @p intid (< 32) of CPU @p cpu, the caller. */
void gicv3_enable_local(unsigned int cpu, unsigned int intid);

/**
 * Sends SGI @p sgi (0-15) to the CPU whose MPIDR_EL1 affinity is
 * @p mpidr, after a barrier that makes the caller's stores visible first.
 */
void gicv3_send_sgi(uint64_t mpidr, unsigned int sgi);

/** Acknowledges the highest-priority pending Group 1 interrupt: its INTID. */
uint32_t gicv3_ack(void);

/** Ends (and deactivates) interrupt @p intid (gicv3_ack()'s value). */
void gicv3_eoi(uint32_t intid);
