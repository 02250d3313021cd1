/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The BCM2836/7 per-core ("ARM local") interrupt controller
 * (bcm2836_intc.c): it routes each core's generic-timer outputs and
 * mailboxes to that core's IRQ line. Cores are MPIDR_EL1.Aff0, 0-3.
 */

/* IRQ-source bits: the EL1 virtual timer (nCNTVIRQ) and mailbox 0. */
#define BCM2836_INTC_CNTV 3U
#define BCM2836_INTC_MBOX0 4U

/** Maps the block at @p pa. */
void bcm2836_intc_init(uint64_t pa);

/**
 * Routes the calling core's virtual timer and IPI mailbox to its IRQ.
 * Context: that core, interrupts masked, after bcm2836_intc_init().
 */
void bcm2836_intc_init_cpu(void);

/** The calling core's pending IRQ sources, a bit each (BCM2836_INTC_*). */
uint32_t bcm2836_intc_pending(void);

/** Raises an IPI on @p core, after a barrier for the caller's stores. */
void bcm2836_intc_send_ipi(unsigned int core);

/** Clears the calling core's IPI mailbox. */
void bcm2836_intc_ack_ipi(void);
