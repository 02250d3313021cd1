// SPDX-License-Identifier: MPL-2.0
/*
 * The page-table concurrency tests' runtime (pt_conc_util.h).
 */

#include "pt_conc_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"
#include "tlb_invariant.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define CONC_SANITIZER_STACK 1
#endif
#endif

/* ---------------------------------------------------------------------
 * Formats: the concurrency tests run on three user formats: the main
 * 4-level one, a 3-level one (other guard levels) and the hostile one.
 * --------------------------------------------------------------------- */

static const char *const conc_format_names[] = { "x86_64", "sv39", "hostile" };

#define CONC_FORMATS                                \
	((unsigned int)(sizeof(conc_format_names) / \
			sizeof(conc_format_names[0])))

static const struct pt_config *config_named(const char *name)
{
	unsigned int n;
	const struct pt_config *const *all = arch_pt_configs_for_tests(&n);

	for (unsigned int i = 0; i < n; i++) {
		if (strcmp(all[i]->name, name) == 0) {
			return all[i];
		}
	}
	return NULL;
}

static unsigned int conc_formats_count(void)
{
	return CONC_FORMATS;
}

static const void *conc_formats_get(unsigned int index)
{
	return config_named(conc_format_names[index]);
}

static const char *conc_formats_name(unsigned int index)
{
	return conc_format_names[index];
}

const struct ostd_test_params conc_formats = {
	.count = conc_formats_count,
	.get = conc_formats_get,
	.name = conc_formats_name,
};

/* ---------------------------------------------------------------------
 * Random numbers: xorshift64*, one stream per thread.
 * --------------------------------------------------------------------- */

uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

bool rng_pct(uint64_t *s, unsigned int pct)
{
	return rng_below(s, 100) < pct;
}

uint64_t conc_seed(void)
{
	const char *s = getenv("OSTD_CONC_SEED");

	return s != NULL ? strtoull(s, NULL, 0) : 0x05d7c0c0ffeeULL;
}

/* ---------------------------------------------------------------------
 * Threads, failures and the watchdog.
 * --------------------------------------------------------------------- */

struct conc_thread threads[CONC_MAX_THREADS];
unsigned int nthreads;
pthread_barrier_t start_barrier;
uint64_t run_seed;
const char *run_name;

pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_uint fail_count;
char fail_first[512];

/* Records a failure (a worker cannot assert); the body asserts none. */
void host_conc_fail(const struct conc_thread *t, const char *fmt, ...)
{
	char msg[384];
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t != NULL) {
		snprintf(line, sizeof(line),
			 "%s: %s thread %u (cpu %u, op %llu, seed 0x%llx): %s",
			 run_name, t->role, t->index, t->cpu,
			 (unsigned long long)atomic_load(&t->ops),
			 (unsigned long long)run_seed, msg);
	} else {
		snprintf(line, sizeof(line), "%s: check (seed 0x%llx): %s",
			 run_name, (unsigned long long)run_seed, msg);
	}
	pthread_mutex_lock(&fail_lock);
	unsigned int n = atomic_fetch_add(&fail_count, 1);

	if (n == 0) {
		snprintf(fail_first, sizeof(fail_first), "%s", line);
	}
	if (n < FAIL_PRINT_MAX) {
		printf("FAIL %s\n", line);
		fflush(stdout);
	}
	pthread_mutex_unlock(&fail_lock);
}

bool failed(void)
{
	return atomic_load(&fail_count) != 0;
}

void doing(struct conc_thread *t, const char *what, uint64_t va)
{
	atomic_store(&t->doing_va, va);
	atomic_store(&t->doing, what);
}

/* Schedule perturbation: yield now and then (TESTING.md: p = 5 %). */
void perturb(struct conc_thread *t)
{
	if (rng_pct(&t->rng, 5)) {
		sched_yield();
	}
}

static void conc_atexit(void);
static void conc_freeze(int sig);

void host_conc_begin(const char *name, const struct pt_config *cfg)
{
	static char label[96];
	static bool hooked;

	if (!hooked) {
		struct sigaction sa = { .sa_handler = conc_freeze };

		CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
		CHECK(atexit(conc_atexit) == 0);
		hooked = true;
	}

	snprintf(label, sizeof(label), "%s[%s]", name,
		 cfg != NULL ? cfg->name : "-");
	run_name = label;
	run_seed = conc_seed();
	nthreads = 0;
	atomic_store(&fail_count, 0);
	fail_first[0] = '\0';
}

struct conc_thread *conc_add(const char *role, unsigned int cpu, conc_body body,
			     void *ctx)
{
	CHECK(nthreads < CONC_MAX_THREADS && cpu > 0 && cpu < SIM_MAX_CPUS);
	struct conc_thread *t = &threads[nthreads];

	t->index = nthreads++;
	t->cpu = cpu;
	t->role = role;
	t->body = body;
	t->ctx = ctx;
	t->rng = run_seed ^ (0x9e3779b97f4a7c15ULL * (t->index + 1));
	t->rng |= t->rng == 0; /* xorshift never leaves 0. */
	(void)rng_next(&t->rng);
	atomic_store(&t->ops, 0);
	atomic_store(&t->doing, "starting");
	atomic_store(&t->doing_va, 0);
	atomic_store(&t->in_cursor, false);
	atomic_store(&t->finished, false);
	return t;
}

_Thread_local const struct conc_thread *conc_self;

static void dump_threads(void)
{
	for (unsigned int i = 0; i < nthreads; i++) {
		const struct conc_thread *t = &threads[i];

		printf("  thread %u %-8s cpu %u: %s, op %llu, doing %s at va "
		       "0x%llx%s\n",
		       i, t->role, t->cpu,
		       atomic_load(&t->finished) ? "finished" : "RUNNING",
		       (unsigned long long)atomic_load(&t->ops),
		       atomic_load(&t->doing),
		       (unsigned long long)atomic_load(&t->doing_va),
		       atomic_load(&t->in_cursor) ? ", holding a cursor" : "");
	}
	fflush(stdout);
}

/* Parks a worker while another one reports why the process ends. */
static void conc_freeze(int sig)
{
	(void)sig;
	for (;;) {
		pause();
	}
}

/*
 * Under the host runner CHECK() is CMocka's mock_assert(), which cannot
 * fail a test from another thread: it exits the process, and its message
 * is lost with that thread's buffer. Say at least who and where.
 */
static void conc_atexit(void)
{
	static atomic_flag reporting = ATOMIC_FLAG_INIT;
	const struct conc_thread *t = conc_self;

	if (t == NULL) {
		return;
	}
	/* One report; other threads exiting too wait for its _exit(). */
	if (atomic_flag_test_and_set(&reporting)) {
		conc_freeze(0);
	}
	for (unsigned int i = 0; i < nthreads; i++) {
		if (&threads[i] != t && !atomic_load(&threads[i].finished)) {
			(void)pthread_kill(threads[i].tid, SIGUSR2);
		}
	}
	printf("FATAL %s: %s thread %u (cpu %u) ended the process while "
	       "doing %s at va 0x%llx (op %llu, seed 0x%llx): a sanitizer "
	       "report above, or a CHECK that failed in this worker thread "
	       "(CMocka exits then). Its stack:\n",
	       run_name, t->role, t->index, t->cpu, atomic_load(&t->doing),
	       (unsigned long long)atomic_load(&t->doing_va),
	       (unsigned long long)atomic_load(&t->ops),
	       (unsigned long long)run_seed);
	fflush(stdout);
#ifdef CONC_SANITIZER_STACK
	__sanitizer_print_stack_trace();
#endif
	printf("Threads:\n");
	dump_threads();
	fflush(stdout);
	/* Not the other exit handlers: they would race the live threads. */
	_exit(255);
}

static void *conc_entry(void *arg)
{
	struct conc_thread *t = arg;

	conc_self = t;

	/* Before anything touches a table: RCU state is per CPU id. */
	sim_cpu_set_current(t->cpu);
	pthread_barrier_wait(&start_barrier);
	t->body(t);
	doing(t, "finished", 0);
	atomic_store(&t->finished, true);
	return NULL;
}

/* A deadlock (or livelock): dump every thread and stop the suite. */
static void watchdog_trip(const struct conc_thread *stuck)
{
	printf("WATCHDOG %s: %s thread %u (cpu %u) did not finish within "
	       "%d s (seed 0x%llx). Threads:\n",
	       run_name, stuck->role, stuck->index, stuck->cpu,
	       WATCHDOG_SECONDS, (unsigned long long)run_seed);
	dump_threads();
	/* The stuck threads hold locks of this test: nothing can go on. */
	abort();
}

/* Starts every added thread together and joins them, under a watchdog. */
void host_conc_run(void)
{
	struct timespec deadline;

	CHECK(pthread_barrier_init(&start_barrier, NULL, nthreads) == 0);
	for (unsigned int i = 0; i < nthreads; i++) {
		CHECK(pthread_create(&threads[i].tid, NULL, conc_entry,
				     &threads[i]) == 0);
	}
	CHECK(clock_gettime(CLOCK_REALTIME, &deadline) == 0);
	deadline.tv_sec += WATCHDOG_SECONDS;
	for (unsigned int i = 0; i < nthreads; i++) {
		int r = pthread_timedjoin_np(threads[i].tid, NULL, &deadline);

		if (r == ETIMEDOUT) {
			watchdog_trip(&threads[i]);
		}
		CHECK(r == 0);
	}
	CHECK(pthread_barrier_destroy(&start_barrier) == 0);
}

/* ---------------------------------------------------------------------
 * Cursors that tell the watchdog and the parallelism probe about them.
 * --------------------------------------------------------------------- */

bool open_mut(struct conc_thread *t, struct page_table *pt, uint64_t va,
	      uint64_t len, struct pt_cursor *c)
{
	doing(t, "pt_cursor_new_mut", va);
	ostd_err_t err = pt_cursor_new_mut(pt, va, va + len, c);

	if (err != OSTD_OK) {
		host_conc_fail(t, "pt_cursor_new_mut(0x%llx, +0x%llx) = %d",
			       (unsigned long long)va, (unsigned long long)len,
			       (int)err);
		return false;
	}
	atomic_store(&t->in_cursor, true);
	doing(t, "in cursor", va);
	return true;
}

bool open_read(struct conc_thread *t, struct page_table *pt, uint64_t va,
	       uint64_t len, struct pt_cursor *c)
{
	doing(t, "pt_cursor_new", va);
	ostd_err_t err = pt_cursor_new(pt, va, va + len, c);

	if (err != OSTD_OK) {
		host_conc_fail(t, "pt_cursor_new(0x%llx, +0x%llx) = %d",
			       (unsigned long long)va, (unsigned long long)len,
			       (int)err);
		return false;
	}
	atomic_store(&t->in_cursor, true);
	doing(t, "in read cursor", va);
	return true;
}

void close_cursor(struct conc_thread *t, struct pt_cursor *c)
{
	doing(t, "pt_cursor_drop", c->start);
	atomic_store(&t->in_cursor, false);
	pt_cursor_drop(c);
	doing(t, "between ops", 0);
}

struct pt_prop prop_of(bool w)
{
	return (struct pt_prop){ .flags = PROT_R | PROT_USER | (w ? PROT_W : 0),
				 .cache = PT_CACHE_WRITEBACK };
}

void set_w(struct pt_prop *prop, void *ctx)
{
	if (*(const bool *)ctx) {
		prop->flags |= PROT_W;
	} else {
		prop->flags &= ~PROT_W;
	}
}

struct tlb_op tlb_range(uint64_t va, uint64_t len)
{
	return (struct tlb_op){ .kind = TLB_OP_RANGE, .va = va, .len = len };
}

/* ---------------------------------------------------------------------
 * A flat 4 KiB-granular model of part of an address space.
 * --------------------------------------------------------------------- */

bool model_mapped(const struct model *m, uint64_t i)
{
	return pa_addr(m->page[i].pa) != 0;
}

/*
 * The core splits a 2 MiB leaf that a range boundary cuts; so does the
 * model. @p b is a page index (a boundary, may equal npages).
 */
void model_split_at(struct model *m, uint64_t b)
{
	uint64_t group = b - b % PAGES_2M;

	if (b % PAGES_2M == 0 || group >= m->npages || !m->page[group].huge) {
		return;
	}
	for (uint64_t i = group; i < group + PAGES_2M; i++) {
		m->page[i].huge = false;
	}
}

/*
 * Splits at both ends of [first, first + n) and returns how many leaves
 * the range then holds: what unmap and protect_next report.
 */
uint64_t model_leaves(struct model *m, uint64_t first, uint64_t n)
{
	uint64_t leaves = 0;

	model_split_at(m, first);
	model_split_at(m, first + n);
	for (uint64_t i = first; i < first + n; i++) {
		if (!model_mapped(m, i)) {
			continue;
		}
		if (!m->page[i].huge || i % PAGES_2M == 0) {
			leaves++;
		}
	}
	return leaves;
}

uint64_t model_count_mapped(const struct model *m)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < m->npages; i++) {
		n += model_mapped(m, i);
	}
	return n;
}

static void verify_leaf(const struct pt_query *q, void *ctx)
{
	struct verify_ctx *v = ctx;
	struct model *m = NULL;

	for (unsigned int k = 0; k < v->nmodels; k++) {
		struct model *c = &v->models[k];

		if (q->va >= c->base &&
		    q->va - c->base < c->npages * PAGE_SIZE) {
			m = c;
		}
	}
	if (m == NULL || q->size > m->base + m->npages * PAGE_SIZE - q->va) {
		host_conc_fail(
			NULL, "leaf at 0x%llx (size 0x%llx) outside any model",
			(unsigned long long)q->va, (unsigned long long)q->size);
		v->errors++;
		return;
	}
	uint64_t first = (q->va - m->base) / PAGE_SIZE;

	for (uint64_t i = 0; i < q->size / PAGE_SIZE; i++) {
		const struct model_page *p = &m->page[first + i];
		uint64_t pa = pa_addr(q->item.pa) + i * PAGE_SIZE;
		bool tracked = q->item.kind == PT_ITEM_FRAME;

		v->pages++;
		if (pa_addr(p->pa) != pa || p->tracked != tracked ||
		    p->flags != (q->prop.flags & PROP_MASK) ||
		    p->huge != (q->size == SIZE_2M)) {
			if (v->errors++ < FAIL_PRINT_MAX) {
				host_conc_fail(
					NULL,
					"va 0x%llx: table has pa 0x%llx "
					"flags 0x%x %s%s, model pa 0x%llx "
					"flags 0x%x %s%s",
					(unsigned long long)(q->va +
							     i * PAGE_SIZE),
					(unsigned long long)pa,
					q->prop.flags & PROP_MASK,
					tracked ? "tracked" : "untracked",
					q->size == SIZE_2M ? " 2M" : "",
					(unsigned long long)pa_addr(p->pa),
					p->flags,
					p->tracked ? "tracked" : "untracked",
					p->huge ? " 2M" : "");
			}
		}
		if (tracked && frame_refcount(q->item.pa) != 1) {
			host_conc_fail(
				NULL,
				"frame 0x%llx mapped once has refcount "
				"%llu",
				(unsigned long long)pa,
				(unsigned long long)frame_refcount(q->item.pa));
			v->errors++;
		}
	}
}

/* True if @p pt maps exactly what the models say. */
bool verify_table(struct page_table *pt, struct model *models,
		  unsigned int nmodels)
{
	struct verify_ctx v = { .models = models, .nmodels = nmodels };
	uint64_t expect = 0;

	pt_for_each_leaf(pt, verify_leaf, &v);
	for (unsigned int k = 0; k < nmodels; k++) {
		expect += model_count_mapped(&models[k]);
	}
	if (v.pages != expect) {
		host_conc_fail(NULL,
			       "the table maps %llu pages, the models %llu",
			       (unsigned long long)v.pages,
			       (unsigned long long)expect);
		v.errors++;
	}
	return v.errors == 0;
}

/* A fresh untyped frame; the caller maps it and drops its handle. */
bool alloc_frame(struct conc_thread *t, struct frame *f)
{
	ostd_err_t err = frame_alloc(&frame_type_untyped, f);

	if (err != OSTD_OK) {
		host_conc_fail(t, "frame_alloc = %d", (int)err);
		return false;
	}
	return true;
}
