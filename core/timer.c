// SPDX-License-Identifier: MPL-2.0
/*
 * The tick counter. One writer (the timer interrupt on the boot CPU) and
 * any number of readers: a relaxed atomic is enough, since nothing is
 * published through it.
 */

#include "ostd/timer.h"

static uint64_t ticks;

uint64_t timer_ticks(void)
{
	return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

void ostd_timer_tick(void)
{
	__atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED);
}
