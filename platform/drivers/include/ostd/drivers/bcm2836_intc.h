/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The BCM2836/7 per-core ("ARM local") interrupt controller (bcm2836_intc.c)
 * for core 0: it routes the core's generic-timer outputs to its IRQ line.
 */

/* Its IRQ-source bit for the EL1 virtual timer (nCNTVIRQ). */
#define BCM2836_INTC_CNTV 3U

/** Maps the block at @p pa and routes the virtual timer to core 0's IRQ. */
void bcm2836_intc_init(uint64_t pa);

/** Core 0's pending IRQ sources, a bit each (BCM2836_INTC_*). */
uint32_t bcm2836_intc_pending(void);
