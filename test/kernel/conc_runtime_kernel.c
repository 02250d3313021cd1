// SPDX-License-Identifier: MPL-2.0
/*
 * The kernel backend of the concurrency runtime (test/lib/conc_runtime.h):
 * one task per worker, pinned with task_spawn_on() to CPU index % online
 * CPUs. The test body (the boot task) waits for them by yielding, since a
 * worker pinned to its own CPU can only run when it gives the CPU up:
 * kernel mode is not preempted.
 */

#include "ostd/internal/cpu_local.h"
#include "ostd/panic.h"
#include "ostd/smp.h"
#include "ostd/sync.h"
#include "ostd/task.h"
#include "ostd/timer.h"

#include "../lib/conc_runtime.h"

static struct task tasks[CONC_MAX_WORKERS];

unsigned int conc_backend_cpus(void)
{
	return smp_cpu_count();
}

static void entry(void *arg)
{
	conc_backend_entry(arg);
}

void conc_backend_start(struct conc_worker *w)
{
	ostd_err_t err = task_spawn_on(&tasks[w->index], "conc-worker", entry,
				       w, w->cpu);

	if (err != OSTD_OK) {
		panic("conc: task_spawn_on(cpu %u) = %d", w->cpu, (int)err);
	}
}

bool conc_backend_join(struct conc_worker *w, uint64_t deadline_s)
{
	/*
	 * Yield until it says it finished, so task_join() below does not
	 * wait on a task that still has work to do; the tick count only
	 * bounds the wait, it never judges the result.
	 */
	while (!atomic_load(&w->finished)) {
		if (conc_backend_seconds() >= deadline_s) {
			return false;
		}
		task_yield();
	}
	int code = 0;
	ostd_err_t err = task_join(&tasks[w->index], &code);

	if (err != OSTD_OK || code != 0) {
		panic("conc: task_join(worker %u) = %d, exit %d", w->index,
		      (int)err, code);
	}
	return true;
}

void conc_backend_yield(void)
{
	/*
	 * Inside a cursor preemption is off, and a yield there trips
	 * schedule_locked()'s check (OSTD's atomic-mode guard): pause
	 * instead, which perturbs the interleaving all the same.
	 */
	if (atomic_load_explicit(&cpu_local()->preempt_count,
				 memory_order_relaxed) != 0) {
		for (unsigned int i = 0; i < 256; i++) {
			spin_relax();
		}
		return;
	}
	task_yield();
}

uint64_t conc_backend_seconds(void)
{
	return timer_ticks() / OSTD_TICK_HZ;
}

/* Fixed, so a kernel run is reproducible; the runtime prints it. */
uint64_t conc_backend_seed(void)
{
	return 0x5eed0c0cULL;
}

NORETURN void conc_backend_die(const char *why)
{
	/* Stuck workers hold this test's locks: nothing can go on. */
	panic("%s", why);
}
