/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The periodic timer tick. The board's timer driver calls
 * ostd_timer_tick() from its interrupt; ostd_boot() starts it after the
 * kernel page table is up.
 */

/* Ticks per second the boards program. */
#define OSTD_TICK_HZ 100

/** Ticks since the timer started. */
uint64_t timer_ticks(void);

/** Called by the timer driver once per tick, in interrupt context. */
void ostd_timer_tick(void);
