/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The Arm generic timer's EL1 virtual timer (arm_timer.c), as the
 * periodic tick at OSTD_TICK_HZ. The board routes its PPI through its
 * interrupt controller and calls arm_timer_irq() for it.
 */

/* INTID of the EL1 virtual timer PPI on Arm's reference platforms. */
#define ARM_TIMER_VIRT_INTID 27U

/** Programs the first tick. */
void arm_timer_init(void);

/** Re-arms the timer and counts a tick (interrupt context). */
void arm_timer_irq(void);
