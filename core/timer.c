// SPDX-License-Identifier: MPL-2.0
/*
 * The tick counter. Every CPU has its own tick (for time slices); only
 * the boot CPU's advances the clock, so one writer and any number of
 * readers: a relaxed atomic is enough, since nothing is published
 * through it.
 */

#include "ostd/timer.h"

#include "ostd/arch/tlb.h"

#include "ostd/internal/sched.h"

static uint64_t ticks;

uint64_t timer_ticks(void)
{
	return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

void ostd_timer_tick(void)
{
	if (arch_cpu_id() == 0) {
		__atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED);
	}
	task_tick();
}
