/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * A small runtime for concurrency tests that run both on the host (pthreads,
 * each bound to a simulated CPU) and inside every kernel image (one task
 * pinned to each online CPU; QEMU MTTCG runs them in parallel).
 *
 * A test calls conc_begin(), then conc_run() with a worker body; every
 * worker starts together behind a barrier, and conc_run() returns once all
 * of them returned. Workers cannot assert (on the kernel side an assertion
 * returns from the *test body*), so they record failures with conc_fail()
 * and the body asserts !conc_failed() afterwards.
 *
 * Kernel mode is not preempted: a worker that spins waiting for another
 * worker pinned to the same CPU would wait forever. Every wait in this
 * runtime therefore yields (conc_relax(); inside a cursor, where preemption
 * is off, it only pauses), and tests must use conc_relax()
 * in their own spin loops too.
 *
 * A worker that does not finish within CONC_TIMEOUT_SECONDS fails the whole
 * run loudly (the host aborts, the kernel panics) after printing what every
 * worker was doing: its peers may hold page-table locks, so nothing can
 * safely go on, but the run ends instead of hanging.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"

/* Workers in one run at most (the host simulates 8 CPUs, CPU 0 is main). */
#define CONC_MAX_WORKERS 7
#define CONC_TIMEOUT_SECONDS 120

struct conc_worker;
typedef void (*conc_body)(struct conc_worker *w);

struct conc_worker {
	unsigned int index;
	/* The CPU it is pinned to (host: simulated CPU id). */
	unsigned int cpu;
	conc_body body;
	void *ctx;
	/* Seeded from the run's seed and the index: reproducible per worker. */
	uint64_t rng;
	/* Progress, for the timeout's dump. */
	_Atomic uint64_t ops;
	_Atomic(const char *) doing;
	atomic_bool finished;
};

/**
 * The number of workers a test should start: on the host @p host_count
 * (the test's historical thread count); in a kernel image one per online
 * CPU (1..CONC_MAX_WORKERS), so tests never assume the CPU count.
 */
unsigned int conc_worker_count(unsigned int host_count);

/** Starts a run named @p name; prints and returns its seed. */
uint64_t conc_begin(const char *name);

/**
 * Runs @p body(w) on @p n workers (1..CONC_MAX_WORKERS), worker i pinned
 * to its own CPU where there are enough, and waits for all of them.
 * Timeouts never return (see above).
 */
void conc_run(unsigned int n, conc_body body, void *ctx);

/** Records a failure of worker @p w (NULL: the test body); prints it. */
void conc_fail(const struct conc_worker *w, const char *fmt, ...)
	PRINTF_LIKE(2, 3);

/** Has anything failed since conc_begin()? */
bool conc_failed(void);

/** One step of a spin-wait: lets another task (or thread) run. */
void conc_relax(void);

/* What @p w is doing, for the timeout's dump. */
static inline void conc_doing(struct conc_worker *w, const char *what)
{
	atomic_store_explicit(&w->doing, what, memory_order_relaxed);
}

/** Waits (yielding) until every worker of the run reached this call. */
void conc_barrier(struct conc_worker *w);

/* ---------------------------------------------------------------------
 * The backend: test/host/conc_runtime_host.c or
 * test/kernel/conc_runtime_kernel.c. conc_runtime.c (shared) calls them.
 * --------------------------------------------------------------------- */

/* Online CPUs workers may use (host: simulated CPUs other than main's). */
unsigned int conc_backend_cpus(void);
/* Starts @p w running conc_backend_entry(w) pinned to @p w->cpu. */
void conc_backend_start(struct conc_worker *w);
/* Waits for @p w with the deadline; false when it passed. */
bool conc_backend_join(struct conc_worker *w, uint64_t deadline_s);
/* The backend's yield. */
void conc_backend_yield(void);
/* Seconds since some fixed point (for the timeout only). */
uint64_t conc_backend_seconds(void);
/* The per-run seed (host: OSTD_SEED or time; kernel: a fixed default). */
uint64_t conc_backend_seed(void);
/* Ends the program after a timeout (abort / panic). */
NORETURN void conc_backend_die(const char *why);
/* Runs in the worker, on its CPU: the barrier, then the body. */
void conc_backend_entry(struct conc_worker *w);
