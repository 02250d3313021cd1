// SPDX-License-Identifier: MPL-2.0
/*
 * The host backend of the concurrency runtime (test/lib/conc_runtime.h):
 * one pthread per worker, bound to simulated CPU 1 + its index before it
 * touches a table (RCU state is per CPU id; CPU 0 is the test body's).
 * Host-only because it needs pthreads and the simulator.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "ostd/assert.h"
#include "ostd/host/sim.h"

#include "../lib/conc_runtime.h"

static pthread_t tids[CONC_MAX_WORKERS];

unsigned int conc_backend_cpus(void)
{
	return SIM_MAX_CPUS - 1;
}

static void *entry(void *arg)
{
	struct conc_worker *w = arg;

	sim_cpu_set_current(1 + w->cpu);
	conc_backend_entry(w);
	return NULL;
}

void conc_backend_start(struct conc_worker *w)
{
	CHECK(pthread_create(&tids[w->index], NULL, entry, w) == 0);
}

bool conc_backend_join(struct conc_worker *w, uint64_t deadline_s)
{
	struct timespec deadline = { .tv_sec = (time_t)deadline_s };
	int r = pthread_timedjoin_np(tids[w->index], NULL, &deadline);

	if (r == ETIMEDOUT) {
		return false;
	}
	CHECK(r == 0);
	return true;
}

void conc_backend_yield(void)
{
	(void)sched_yield();
}

/* CLOCK_REALTIME: pthread_timedjoin_np's clock. */
uint64_t conc_backend_seconds(void)
{
	struct timespec now;

	CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
	return (uint64_t)now.tv_sec;
}

/* Fixed, so a run is reproducible; OSTD_CONC_SEED=<n> replaces it. */
uint64_t conc_backend_seed(void)
{
	const char *s = getenv("OSTD_CONC_SEED");

	if (s != NULL && *s != '\0') {
		return strtoull(s, NULL, 0);
	}
	return 0x5eed0c0cULL;
}

NORETURN void conc_backend_die(const char *why)
{
	(void)why;
	/* Stuck workers hold this test's locks: nothing can go on. */
	abort();
}
