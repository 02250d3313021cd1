/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The PC's 8254 PIT behind the 8259A PICs (pc_timer.c): a periodic tick
 * at OSTD_TICK_HZ on vector @p vector_base (IRQ 0).
 */
void pc_timer_init(unsigned int vector_base);

/** Handles and acknowledges PIC interrupt @p irq (0-15). */
void pc_timer_irq(unsigned int irq);
