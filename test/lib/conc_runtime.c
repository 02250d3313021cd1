// SPDX-License-Identifier: MPL-2.0
/*
 * The shared half of the concurrency runtime (conc_runtime.h): seeds,
 * failure recording, the start barrier and the timeout. Only starting,
 * joining and yielding differ between the host and a kernel image.
 */

#include "conc_runtime.h"

#include <stdarg.h>

#include "ostd/assert.h"
#include "ostd/printf.h"

#include "pt_test_util.h"

/* Failures printed per run; later ones are only counted. */
#define CONC_FAIL_PRINT_MAX 8

static struct conc_worker workers[CONC_MAX_WORKERS];
static unsigned int worker_count;
static uint64_t run_seed;
static const char *run_name;
static atomic_uint fail_count;
/* Workers that reached the start barrier, and conc_barrier() rounds. */
static atomic_uint arrived;
static atomic_uint barrier_gen;

unsigned int conc_worker_count(unsigned int host_count)
{
#ifdef UNIT_TESTING
	unsigned int n = host_count;
#else
	(void)host_count;
	unsigned int n = conc_backend_cpus();
#endif
	CHECK(n >= 1);
	return n < CONC_MAX_WORKERS ? n : CONC_MAX_WORKERS;
}

uint64_t conc_begin(const char *name)
{
	run_name = name;
	run_seed = conc_backend_seed();
	worker_count = 0;
	atomic_store(&fail_count, 0);
	ostd_printf("  %s: seed 0x%llx\n", name, (unsigned long long)run_seed);
	return run_seed;
}

void conc_fail(const struct conc_worker *w, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	(void)ostd_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unsigned int n = atomic_fetch_add(&fail_count, 1);

	if (n >= CONC_FAIL_PRINT_MAX) {
		return;
	}
	if (w != NULL) {
		ostd_printf(
			"FAIL %s: worker %u (cpu %u, op %llu, seed 0x%llx): "
			"%s\n",
			run_name, w->index, w->cpu,
			(unsigned long long)atomic_load(&w->ops),
			(unsigned long long)run_seed, msg);
	} else {
		ostd_printf("FAIL %s: check (seed 0x%llx): %s\n", run_name,
			    (unsigned long long)run_seed, msg);
	}
}

bool conc_failed(void)
{
	return atomic_load(&fail_count) != 0;
}

void conc_relax(void)
{
	conc_backend_yield();
}

/*
 * A sense-reversing barrier over every worker of the run. It yields while
 * waiting: the last worker to arrive may be pinned to the waiter's CPU,
 * and kernel tasks are not preempted.
 */
void conc_barrier(struct conc_worker *w)
{
	unsigned int gen = atomic_load(&barrier_gen);

	conc_doing(w, "barrier");
	if (atomic_fetch_add(&arrived, 1) + 1 == worker_count) {
		atomic_store(&arrived, 0);
		atomic_fetch_add(&barrier_gen, 1);
		return;
	}
	while (atomic_load(&barrier_gen) == gen) {
		conc_relax();
	}
}

void conc_backend_entry(struct conc_worker *w)
{
	conc_barrier(w);
	conc_doing(w, "running");
	w->body(w);
	conc_doing(w, "finished");
	atomic_store(&w->finished, true);
}

static void dump_workers(void)
{
	for (unsigned int i = 0; i < worker_count; i++) {
		const struct conc_worker *w = &workers[i];

		ostd_printf("  worker %u cpu %u: %s, op %llu, doing %s\n", i,
			    w->cpu,
			    atomic_load(&w->finished) ? "finished" : "RUNNING",
			    (unsigned long long)atomic_load(&w->ops),
			    atomic_load(&w->doing));
	}
}

void conc_run(unsigned int n, conc_body body, void *ctx)
{
	CHECK(n >= 1 && n <= CONC_MAX_WORKERS);
	unsigned int cpus = conc_backend_cpus();

	worker_count = n;
	atomic_store(&arrived, 0);
	for (unsigned int i = 0; i < n; i++) {
		struct conc_worker *w = &workers[i];

		w->index = i;
		/* Its own CPU where there are enough; else shared, in turn. */
		w->cpu = i % cpus;
		w->body = body;
		w->ctx = ctx;
		w->rng = run_seed ^ (0x9e3779b97f4a7c15ULL * (i + 1));
		w->rng |= w->rng == 0; /* xorshift never leaves 0. */
		(void)pt_test_rng_next(&w->rng);
		atomic_store(&w->ops, 0);
		atomic_store(&w->doing, "starting");
		atomic_store(&w->finished, false);
	}
	for (unsigned int i = 0; i < n; i++) {
		conc_backend_start(&workers[i]);
	}
	uint64_t deadline = conc_backend_seconds() + CONC_TIMEOUT_SECONDS;

	for (unsigned int i = 0; i < n; i++) {
		if (!conc_backend_join(&workers[i], deadline)) {
			ostd_printf("TIMEOUT %s: worker %u (cpu %u) did not "
				    "finish within %d s (seed 0x%llx):\n",
				    run_name, i, workers[i].cpu,
				    CONC_TIMEOUT_SECONDS,
				    (unsigned long long)run_seed);
			dump_workers();
			conc_backend_die("concurrency test timed out");
		}
	}
}
