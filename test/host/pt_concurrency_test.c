// SPDX-License-Identifier: MPL-2.0
/*
 * Concurrency stress of the page-table core: TESTING.md "Concurrency
 * stress (C)", promises R5 (disjoint cursors run in parallel, overlapping
 * ones serialise without losing updates), R6 (a detached node is freed
 * only after RCU grace and shootdown) and S2 (no access through a stale
 * translation to a freed frame), and invariant I7.
 *
 * - C1 disjoint ranges: per-thread models; cursors held in parallel.
 * - C2 overlapping ranges: a log linearised by a sequence number taken
 *   under the lock, replayed into a model; live-range exclusivity.
 * - C3 unmap vs access: TLB-cached readers never see a reused frame; I7
 *   (tlb_invariant.h) while a flush is pending and after it.
 * - C3b hardware walks (accessed-bit updates) vs unmap.
 * - C4 level-1 node reclamation under lock-free guard walks (R6, I8).
 * - C5 lifecycle: tables created and destroyed concurrently.
 *
 * HOST-ONLY: it needs POSIX threads and the simulated CPUs of the host
 * machine. Every worker thread acts as its own simulated CPU
 * (sim_cpu_set_current) before it touches a page table, because RCU
 * read-side state and TLB flush targets are per CPU id. CPU 0 stays the
 * test body's, which only waits while workers run.
 *
 * What runs on real CPUs too lives in test/unit/pt_smp_test.c (disjoint
 * windows with an exact model, and the shared-window stress) over
 * test/lib/conc_runtime.h. These stay here because each reads what only
 * the host has: C1's parallelism probe and C2's linearisation lock are
 * pthread based; C3/C3b read the simulated CPUs' TLBs (sim_cpu(...),
 * tlb_invariant.h) and the hostile format; C4 inspects RCU state through
 * the simulator; and the watchdog parks threads with pthread_kill/signals.
 *
 * The same tests run under ASan+UBSan (`./ostd test host`) and under TSan
 * (`./ostd test host-tsan`); the sizes are fixed operation counts chosen
 * for a 2-core machine (TESTING.md's sizes are for a bigger budget), and
 * no assertion depends on wall-clock time. A watchdog turns a deadlock
 * into a report naming the stuck thread instead of a hung suite.
 *
 * The seed is fixed; OSTD_CONC_SEED=<n> in the environment replaces it.
 * It fixes each thread's sequence of operations, not the interleaving. A
 * failure message names the seed, thread, CPU and operation; a CHECK that
 * fails in a worker, a sanitizer report or the watchdog also dump what
 * every thread was doing.
 */

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

static const struct ostd_test_params conc_formats = {
	.count = conc_formats_count,
	.get = conc_formats_get,
	.name = conc_formats_name,
};

#define TEST_CONC(name)                               \
	TEST_EACH(pt_concurrency, name, conc_formats, \
		  const struct pt_config *, cfg)

/* ---------------------------------------------------------------------
 * Random numbers: xorshift64*, one stream per thread.
 * --------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

static bool rng_pct(uint64_t *s, unsigned int pct)
{
	return rng_below(s, 100) < pct;
}

static uint64_t conc_seed(void)
{
	const char *s = getenv("OSTD_CONC_SEED");

	return s != NULL ? strtoull(s, NULL, 0) : 0x05d7c0c0ffeeULL;
}

/* ---------------------------------------------------------------------
 * Threads, failures and the watchdog.
 * --------------------------------------------------------------------- */

#define CONC_MAX_THREADS 8
/* Generous: the slowest test takes a few seconds under TSan. */
#define WATCHDOG_SECONDS 60

struct conc_thread;
typedef void (*conc_body)(struct conc_thread *t);

struct conc_thread {
	pthread_t tid;
	unsigned int index;
	unsigned int cpu;
	const char *role;
	conc_body body;
	void *ctx;
	uint64_t rng;
	/* What it is doing, for the watchdog's dump. */
	_Atomic uint64_t ops;
	_Atomic(const char *) doing;
	_Atomic uint64_t doing_va;
	atomic_bool in_cursor;
	atomic_bool finished;
};

static struct conc_thread threads[CONC_MAX_THREADS];
static unsigned int nthreads;
static pthread_barrier_t start_barrier;
static uint64_t run_seed;
static const char *run_name;

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint fail_count;
static char fail_first[512];

#define FAIL_PRINT_MAX 8

static void conc_fail(const struct conc_thread *t, const char *fmt, ...)
	PRINTF_LIKE(2, 3);

/* Records a failure (a worker cannot assert); the body asserts none. */
static void conc_fail(const struct conc_thread *t, const char *fmt, ...)
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

static bool failed(void)
{
	return atomic_load(&fail_count) != 0;
}

static void doing(struct conc_thread *t, const char *what, uint64_t va)
{
	atomic_store(&t->doing_va, va);
	atomic_store(&t->doing, what);
}

/* Schedule perturbation: yield now and then (TESTING.md: p = 5 %). */
static void perturb(struct conc_thread *t)
{
	if (rng_pct(&t->rng, 5)) {
		sched_yield();
	}
}

static void conc_atexit(void);
static void conc_freeze(int sig);

static void conc_begin(const char *name, const struct pt_config *cfg)
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

static struct conc_thread *conc_add(const char *role, unsigned int cpu,
				    conc_body body, void *ctx)
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

/* The worker the calling thread is, NULL for the test body. */
static _Thread_local const struct conc_thread *conc_self;

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
static void conc_run(void)
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

static bool open_mut(struct conc_thread *t, struct page_table *pt, uint64_t va,
		     uint64_t len, struct pt_cursor *c)
{
	doing(t, "pt_cursor_new_mut", va);
	ostd_err_t err = pt_cursor_new_mut(pt, va, va + len, c);

	if (err != OSTD_OK) {
		conc_fail(t, "pt_cursor_new_mut(0x%llx, +0x%llx) = %d",
			  (unsigned long long)va, (unsigned long long)len,
			  (int)err);
		return false;
	}
	atomic_store(&t->in_cursor, true);
	doing(t, "in cursor", va);
	return true;
}

static bool open_read(struct conc_thread *t, struct page_table *pt, uint64_t va,
		      uint64_t len, struct pt_cursor *c)
{
	doing(t, "pt_cursor_new", va);
	ostd_err_t err = pt_cursor_new(pt, va, va + len, c);

	if (err != OSTD_OK) {
		conc_fail(t, "pt_cursor_new(0x%llx, +0x%llx) = %d",
			  (unsigned long long)va, (unsigned long long)len,
			  (int)err);
		return false;
	}
	atomic_store(&t->in_cursor, true);
	doing(t, "in read cursor", va);
	return true;
}

static void close_cursor(struct conc_thread *t, struct pt_cursor *c)
{
	doing(t, "pt_cursor_drop", c->start);
	atomic_store(&t->in_cursor, false);
	pt_cursor_drop(c);
	doing(t, "between ops", 0);
}

static struct pt_prop prop_of(bool w)
{
	return (struct pt_prop){ .flags = PROT_R | PROT_USER | (w ? PROT_W : 0),
				 .cache = PT_CACHE_WRITEBACK };
}

/* The flags a model keeps (a format may report more, e.g. x86's X). */
#define PROP_MASK (PROT_R | PROT_W | PROT_USER)

static void set_w(struct pt_prop *prop, void *ctx)
{
	if (*(const bool *)ctx) {
		prop->flags |= PROT_W;
	} else {
		prop->flags &= ~PROT_W;
	}
}

static struct tlb_op tlb_range(uint64_t va, uint64_t len)
{
	return (struct tlb_op){ .kind = TLB_OP_RANGE, .va = va, .len = len };
}

#define SIZE_2M (2ULL << 20)
#define PAGES_2M (SIZE_2M / PAGE_SIZE)

/* ---------------------------------------------------------------------
 * A flat 4 KiB-granular model of part of an address space.
 * --------------------------------------------------------------------- */

struct model_page {
	paddr_t pa; /* 0: nothing mapped (frame 0 is never handed out). */
	uint8_t flags;
	bool tracked;
	bool huge; /* Part of a 2 MiB leaf that was never split. */
};

struct model {
	uint64_t base;
	uint64_t npages;
	struct model_page *page;
};

static bool model_mapped(const struct model *m, uint64_t i)
{
	return pa_addr(m->page[i].pa) != 0;
}

/*
 * The core splits a 2 MiB leaf that a range boundary cuts; so does the
 * model. @p b is a page index (a boundary, may equal npages).
 */
static void model_split_at(struct model *m, uint64_t b)
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
static uint64_t model_leaves(struct model *m, uint64_t first, uint64_t n)
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

static uint64_t model_count_mapped(const struct model *m)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < m->npages; i++) {
		n += model_mapped(m, i);
	}
	return n;
}

/* Compares a table with a set of models: every leaf must be modelled. */
struct verify_ctx {
	struct model *models;
	unsigned int nmodels;
	uint64_t pages;
	unsigned int errors;
};

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
		conc_fail(
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
				conc_fail(NULL,
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
			conc_fail(
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
static bool verify_table(struct page_table *pt, struct model *models,
			 unsigned int nmodels)
{
	struct verify_ctx v = { .models = models, .nmodels = nmodels };
	uint64_t expect = 0;

	pt_for_each_leaf(pt, verify_leaf, &v);
	for (unsigned int k = 0; k < nmodels; k++) {
		expect += model_count_mapped(&models[k]);
	}
	if (v.pages != expect) {
		conc_fail(NULL, "the table maps %llu pages, the models %llu",
			  (unsigned long long)v.pages,
			  (unsigned long long)expect);
		v.errors++;
	}
	return v.errors == 0;
}

/* A fresh untyped frame; the caller maps it and drops its handle. */
static bool alloc_frame(struct conc_thread *t, struct frame *f)
{
	ostd_err_t err = frame_alloc(&frame_type_untyped, f);

	if (err != OSTD_OK) {
		conc_fail(t, "frame_alloc = %d", (int)err);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * C1: disjoint ranges. Each thread owns a 1 GiB window and works in its
 * first 16 MiB (so a cursor never needs the node that holds 1 GiB
 * leaves, which all windows share); a per-thread model predicts every
 * result exactly.
 * --------------------------------------------------------------------- */

#define C1_BASE (1ULL << 30)
#define C1_WINDOW (1ULL << 30)
#define C1_AREA (16ULL << 20)
#define C1_PAGES (C1_AREA / PAGE_SIZE)
#define C1_OPS 3000
/* Probe for a parallel cursor on every 8th op, yielding at most this. */
#define C1_PROBE_EVERY 8
#define C1_PROBE_SPINS 256
#define C1_PROBE_GIVE_UP 8
/* Untracked 2 MiB leaves point above the simulated RAM. */
#define C1_UNTRACKED_PA (8ULL << 30)

static struct model_page c1_pages[CONC_MAX_THREADS][C1_PAGES];
static struct model c1_models[CONC_MAX_THREADS];

struct c1_ctx {
	struct page_table *pt;
	atomic_uint overlaps; /* Probes that saw another cursor held. */
	atomic_uint probes;
	/* Per thread: probes in a row that saw nobody. */
	unsigned int misses[CONC_MAX_THREADS];
};

/*
 * Holding a cursor, wait (bounded) until another thread holds one too.
 * With a global lock this never happens; with per-sub-tree locks it does
 * as soon as another thread is scheduled, so a bounded yield loop is
 * enough even on 2 cores: the assertion is that the interleaving was
 * observed at least once, not how fast. A thread whose probes keep
 * missing stops probing, so that a serialising core fails fast instead
 * of crawling into the watchdog.
 */
static void c1_probe(struct conc_thread *t, struct c1_ctx *ctx)
{
	if (ctx->misses[t->index] >= C1_PROBE_GIVE_UP) {
		return;
	}
	atomic_fetch_add(&ctx->probes, 1);
	for (unsigned int spin = 0; spin < C1_PROBE_SPINS; spin++) {
		for (unsigned int k = 0; k < nthreads; k++) {
			if (k != t->index &&
			    atomic_load(&threads[k].in_cursor)) {
				atomic_fetch_add(&ctx->overlaps, 1);
				ctx->misses[t->index] = 0;
				return;
			}
		}
		sched_yield();
	}
	ctx->misses[t->index]++;
}

static uint64_t c1_pick_len(struct conc_thread *t, uint64_t max_pages)
{
	uint64_t r = rng_below(&t->rng, 100);

	if (r < 70) {
		return 1 + rng_below(&t->rng, 64 < max_pages ? 64 : max_pages);
	}
	return 1 + rng_below(&t->rng, 1024 < max_pages ? 1024 : max_pages);
}

static void c1_map(struct conc_thread *t, struct c1_ctx *ctx, struct model *m,
		   bool probe)
{
	uint64_t n = 1 + rng_below(&t->rng, 16);
	uint64_t first = rng_below(&t->rng, m->npages - n + 1);
	uint64_t va = m->base + first * PAGE_SIZE;
	bool w = rng_pct(&t->rng, 50);
	struct frame f = { .pa = pa_init(0) };
	struct pt_cursor c;

	if (!open_mut(t, ctx->pt, va, n * PAGE_SIZE, &c)) {
		return;
	}
	if (probe) {
		c1_probe(t, ctx);
	}
	for (uint64_t i = 0; i < n && !failed(); i++) {
		uint64_t p = first + i;

		if (pa_addr(f.pa) == 0 && !alloc_frame(t, &f)) {
			break;
		}
		doing(t, "map", va + i * PAGE_SIZE);
		ostd_err_t err = pt_cursor_jump(&c, va + i * PAGE_SIZE);

		if (err == OSTD_OK) {
			err = pt_cursor_map(&c, pt_item_frame(f.pa),
					    prop_of(w));
		}
		ostd_err_t want = model_mapped(m, p) ? OSTD_EEXIST : OSTD_OK;

		if (err != want) {
			conc_fail(t, "map at 0x%llx = %d, model wants %d",
				  (unsigned long long)(va + i * PAGE_SIZE),
				  (int)err, (int)want);
			break;
		}
		if (err == OSTD_OK) {
			m->page[p] = (struct model_page){
				.pa = f.pa,
				.flags = (uint8_t)(prop_of(w).flags),
				.tracked = true,
			};
			frame_drop(&f); /* The mapping keeps it. */
			f.pa = pa_init(0);
		}
		perturb(t);
	}
	close_cursor(t, &c);
	if (pa_addr(f.pa) != 0) {
		frame_drop(&f);
	}
}

static void c1_map_huge(struct conc_thread *t, struct c1_ctx *ctx,
			struct model *m, bool probe)
{
	uint64_t first = rng_below(&t->rng, m->npages / PAGES_2M) * PAGES_2M;
	uint64_t va = m->base + first * PAGE_SIZE;
	uint64_t pa = C1_UNTRACKED_PA + t->index * C1_WINDOW +
		      (rng_below(&t->rng, 64) * SIZE_2M);
	bool w = rng_pct(&t->rng, 50);
	bool any = false;
	struct pt_cursor c;

	for (uint64_t i = first; i < first + PAGES_2M; i++) {
		any |= model_mapped(m, i);
	}
	if (!open_mut(t, ctx->pt, va, SIZE_2M, &c)) {
		return;
	}
	if (probe) {
		c1_probe(t, ctx);
	}
	doing(t, "map 2M", va);
	ostd_err_t err = pt_cursor_map(&c, pt_item_untracked(pa_init(pa), 2),
				       prop_of(w));
	ostd_err_t want = any ? OSTD_EEXIST : OSTD_OK;

	perturb(t);
	close_cursor(t, &c);
	if (err != want) {
		conc_fail(t, "2M map at 0x%llx = %d, model wants %d",
			  (unsigned long long)va, (int)err, (int)want);
		return;
	}
	for (uint64_t i = 0; err == OSTD_OK && i < PAGES_2M; i++) {
		m->page[first + i] = (struct model_page){
			.pa = pa_init(pa + i * PAGE_SIZE),
			.flags = (uint8_t)(prop_of(w).flags),
			.tracked = false,
			.huge = true,
		};
	}
}

static void c1_unmap(struct conc_thread *t, struct c1_ctx *ctx, struct model *m,
		     bool probe)
{
	uint64_t first;
	uint64_t n;

	if (rng_pct(&t->rng, 20)) {
		/* A whole 2 MiB: detaches the level-1 node. */
		first = rng_below(&t->rng, m->npages / PAGES_2M) * PAGES_2M;
		n = PAGES_2M;
	} else {
		n = c1_pick_len(t, m->npages);
		first = rng_below(&t->rng, m->npages - n + 1);
	}
	uint64_t va = m->base + first * PAGE_SIZE;
	uint64_t want = model_leaves(m, first, n);
	uint64_t count = 0;
	struct pt_cursor c;

	if (!open_mut(t, ctx->pt, va, n * PAGE_SIZE, &c)) {
		return;
	}
	if (probe) {
		c1_probe(t, ctx);
	}
	doing(t, "unmap", va);
	ostd_err_t err = pt_cursor_unmap(&c, n * PAGE_SIZE, &count);

	perturb(t);
	close_cursor(t, &c);
	if (err != OSTD_OK || count != want) {
		conc_fail(t,
			  "unmap(0x%llx, +0x%llx) = %d, %llu leaves; model "
			  "wants %llu",
			  (unsigned long long)va,
			  (unsigned long long)(n * PAGE_SIZE), (int)err,
			  (unsigned long long)count, (unsigned long long)want);
		return;
	}
	for (uint64_t i = first; i < first + n; i++) {
		m->page[i] = (struct model_page){ .pa = pa_init(0) };
	}
}

static void c1_protect(struct conc_thread *t, struct c1_ctx *ctx,
		       struct model *m, bool probe)
{
	uint64_t n = c1_pick_len(t, m->npages);
	uint64_t first = rng_below(&t->rng, m->npages - n + 1);
	uint64_t va = m->base + first * PAGE_SIZE;
	uint64_t end = va + n * PAGE_SIZE;
	uint64_t want = model_leaves(m, first, n);
	uint64_t changed = 0;
	bool w = rng_pct(&t->rng, 50);
	struct pt_cursor c;
	ostd_err_t err = OSTD_OK;

	if (!open_mut(t, ctx->pt, va, n * PAGE_SIZE, &c)) {
		return;
	}
	if (probe) {
		c1_probe(t, ctx);
	}
	while (err == OSTD_OK && pt_cursor_va(&c) < end) {
		uint64_t rs = 0;
		uint64_t rl = 0;

		doing(t, "protect_next", pt_cursor_va(&c));
		err = pt_cursor_protect_next(&c, end - pt_cursor_va(&c), set_w,
					     &w, &rs, &rl);
		if (err == OSTD_OK) {
			changed++;
			tlb_flusher_issue(pt_cursor_flusher(&c),
					  tlb_range(rs, rl));
		}
	}
	perturb(t);
	close_cursor(t, &c);
	if ((err != OSTD_OK && err != OSTD_ENOENT) || changed != want) {
		conc_fail(t,
			  "protect(0x%llx, +0x%llx) = %d after %llu leaves; "
			  "model wants %llu",
			  (unsigned long long)va,
			  (unsigned long long)(n * PAGE_SIZE), (int)err,
			  (unsigned long long)changed,
			  (unsigned long long)want);
		return;
	}
	for (uint64_t i = first; i < first + n; i++) {
		if (model_mapped(m, i)) {
			m->page[i].flags = (uint8_t)(prop_of(w).flags);
		}
	}
}

static void c1_worker(struct conc_thread *t)
{
	struct c1_ctx *ctx = t->ctx;
	struct model *m = &c1_models[t->index];

	for (unsigned int i = 0; i < C1_OPS && !failed(); i++) {
		uint64_t kind = rng_below(&t->rng, 100);
		bool probe = i % C1_PROBE_EVERY == 0;

		atomic_store(&t->ops, i);
		if (kind < 40) {
			c1_map(t, ctx, m, probe);
		} else if (kind < 48) {
			c1_map_huge(t, ctx, m, probe);
		} else if (kind < 75) {
			c1_unmap(t, ctx, m, probe);
		} else {
			c1_protect(t, ctx, m, probe);
		}
	}
}

/* Runs C1 with @p n threads; returns the number of parallel sightings. */
static unsigned int c1_run(const struct pt_config *cfg, struct page_table *pt,
			   unsigned int n)
{
	static struct c1_ctx ctx;

	ctx.pt = pt;
	atomic_store(&ctx.overlaps, 0);
	atomic_store(&ctx.probes, 0);
	memset(ctx.misses, 0, sizeof(ctx.misses));
	for (unsigned int k = 0; k < n; k++) {
		memset(c1_pages[k], 0, sizeof(c1_pages[k]));
		c1_models[k] = (struct model){
			.base = C1_BASE + k * C1_WINDOW,
			.npages = C1_PAGES,
			.page = c1_pages[k],
		};
		(void)conc_add("c1", 1 + k, c1_worker, &ctx);
	}
	conc_run();
	printf("  %s: %u threads x %u ops, %u of %u probes saw a parallel "
	       "cursor\n",
	       run_name, n, C1_OPS, atomic_load(&ctx.overlaps),
	       atomic_load(&ctx.probes));
	(void)cfg;
	return atomic_load(&ctx.overlaps);
}

static void c1_test(const struct pt_config *cfg, unsigned int n,
		    unsigned int *overlaps, bool *table_ok, bool *check_ok)
{
	struct page_table pt;

	*table_ok = false;
	*check_ok = false;
	if (page_table_new_user(cfg, NULL, &pt) != OSTD_OK) {
		conc_fail(NULL, "page_table_new_user failed");
		return;
	}
	*overlaps = c1_run(cfg, &pt, n);
	*table_ok = verify_table(&pt, c1_models, n);
	*check_ok = pt_check(&pt, NULL) == OSTD_OK;
	page_table_destroy(&pt);
	pt_rcu_barrier();
}

TEST_CONC(c1_disjoint_ranges_2_threads)
{
	unsigned int overlaps = 0;
	bool table_ok;
	bool check_ok;

	ASSERT_TRUE(cfg != NULL);
	conc_begin("c1_disjoint_ranges_2_threads", cfg);
	c1_test(cfg, 2, &overlaps, &table_ok, &check_ok);
	ASSERT_STREQ(fail_first, "");
	ASSERT_TRUE(table_ok);
	ASSERT_TRUE(check_ok);
	/* R5: two cursors on disjoint ranges were held at the same time. */
	ASSERT_GT(overlaps, 0);
}

TEST_CONC(c1_disjoint_ranges_4_threads)
{
	unsigned int overlaps = 0;
	bool table_ok;
	bool check_ok;

	ASSERT_TRUE(cfg != NULL);
	conc_begin("c1_disjoint_ranges_4_threads", cfg);
	c1_test(cfg, 4, &overlaps, &table_ok, &check_ok);
	ASSERT_STREQ(fail_first, "");
	ASSERT_TRUE(table_ok);
	ASSERT_TRUE(check_ok);
	ASSERT_GT(overlaps, 0);
}

/* ---------------------------------------------------------------------
 * C2: overlapping ranges. Threads share a 64 MiB window. Every operation
 * runs inside a cursor over its range and takes a global sequence number
 * while holding it (its linearisation point); replaying the log in that
 * order must predict every result and the final table. A registry of live
 * mutable-cursor ranges catches two overlapping cursors held together.
 * --------------------------------------------------------------------- */

#define C2_THREADS 4
#define C2_BASE (1ULL << 30)
#define C2_WINDOW (64ULL << 20)
#define C2_PAGES (C2_WINDOW / PAGE_SIZE)
#define C2_OPS 1500
#define C2_MAP_MAX 16
#define C2_HOT_PCT 50
#define C2_HOT_REGIONS 2

enum c2_kind {
	C2_MAP,
	C2_UNMAP,
	C2_PROTECT,
	C2_READ,
};

struct c2_rec {
	uint64_t seq;
	uint64_t va;
	uint64_t pages;
	uint64_t count; /* unmap/protect: leaves reported. */
	uint8_t kind;
	uint8_t thread;
	bool w;
	ostd_err_t err;
	/* map: the frame mapped at each page, 0 if EEXIST; read: what
	 * the cursor saw (0 if nothing), and whether it was writable. */
	paddr_t pa[C2_MAP_MAX];
	uint16_t wmask;
};

static struct c2_rec c2_log[C2_THREADS][C2_OPS];
static struct c2_rec c2_sorted[C2_THREADS * C2_OPS];
static struct model_page c2_pages[C2_PAGES];
static _Atomic uint64_t c2_seq;

/* The live mutable-cursor ranges, one slot per thread. */
static pthread_mutex_t c2_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool live;
	uint64_t start;
	uint64_t end;
} c2_reg[CONC_MAX_THREADS];

/* Registers the range of a cursor just created. */
static void c2_reg_enter(struct conc_thread *t, uint64_t start, uint64_t end)
{
	pthread_mutex_lock(&c2_reg_lock);
	for (unsigned int k = 0; k < nthreads; k++) {
		if (k != t->index && c2_reg[k].live && start < c2_reg[k].end &&
		    c2_reg[k].start < end) {
			conc_fail(t,
				  "cursor over [0x%llx, 0x%llx) is live "
				  "together with thread %u's over "
				  "[0x%llx, 0x%llx)",
				  (unsigned long long)start,
				  (unsigned long long)end, k,
				  (unsigned long long)c2_reg[k].start,
				  (unsigned long long)c2_reg[k].end);
		}
	}
	c2_reg[t->index].live = true;
	c2_reg[t->index].start = start;
	c2_reg[t->index].end = end;
	pthread_mutex_unlock(&c2_reg_lock);
}

static void c2_reg_leave(struct conc_thread *t)
{
	pthread_mutex_lock(&c2_reg_lock);
	c2_reg[t->index].live = false;
	pthread_mutex_unlock(&c2_reg_lock);
}

static uint64_t c2_pick_pages(struct conc_thread *t, enum c2_kind kind)
{
	uint64_t r = rng_below(&t->rng, 100);

	if (kind == C2_MAP || kind == C2_READ) {
		return 1 + rng_below(&t->rng, C2_MAP_MAX);
	}
	if (kind == C2_UNMAP && r < 15) {
		return PAGES_2M;
	}
	return 1 + rng_below(&t->rng, r < 90 ? 64 : 1024);
}

/*
 * Where an op starts: half of them in a hot zone of C2_HOT_REGIONS 2 MiB
 * regions, so that small cursors (a level-1 guard) and large ones (a
 * level-2 guard, or a whole region) often meet in the same sub-tree.
 */
static uint64_t c2_pick_first(struct conc_thread *t, enum c2_kind kind,
			      uint64_t pages)
{
	uint64_t span = rng_pct(&t->rng, C2_HOT_PCT) ? C2_HOT_REGIONS * PAGES_2M
						     : C2_PAGES;

	if (kind == C2_UNMAP && pages == PAGES_2M) {
		return rng_below(&t->rng, span / PAGES_2M) * PAGES_2M;
	}
	if (pages > span) {
		span = C2_PAGES;
	}
	return rng_below(&t->rng, span - pages + 1);
}

static void c2_do_map(struct conc_thread *t, struct pt_cursor *c,
		      struct c2_rec *rec)
{
	struct frame f = { .pa = pa_init(0) };

	for (uint64_t i = 0; i < rec->pages; i++) {
		rec->pa[i] = pa_init(0);
		if (pa_addr(f.pa) == 0 && !alloc_frame(t, &f)) {
			break;
		}
		doing(t, "map", rec->va + i * PAGE_SIZE);
		ostd_err_t err = pt_cursor_jump(c, rec->va + i * PAGE_SIZE);

		if (err == OSTD_OK) {
			err = pt_cursor_map(c, pt_item_frame(f.pa),
					    prop_of(rec->w));
		}
		if (err == OSTD_OK) {
			rec->pa[i] = f.pa;
			frame_drop(&f);
			f.pa = pa_init(0);
		} else if (err != OSTD_EEXIST) {
			rec->err = err;
			break;
		}
	}
	if (pa_addr(f.pa) != 0) {
		frame_drop(&f);
	}
}

static void c2_do_protect(struct conc_thread *t, struct pt_cursor *c,
			  struct c2_rec *rec)
{
	uint64_t end = rec->va + rec->pages * PAGE_SIZE;
	ostd_err_t err = OSTD_OK;

	while (err == OSTD_OK && pt_cursor_va(c) < end) {
		uint64_t rs = 0;
		uint64_t rl = 0;

		doing(t, "protect_next", pt_cursor_va(c));
		err = pt_cursor_protect_next(c, end - pt_cursor_va(c), set_w,
					     &rec->w, &rs, &rl);
		if (err == OSTD_OK) {
			rec->count++;
			tlb_flusher_issue(pt_cursor_flusher(c),
					  tlb_range(rs, rl));
		}
	}
	rec->err = err == OSTD_ENOENT ? OSTD_OK : err;
}

static void c2_do_read(struct conc_thread *t, struct pt_cursor *c,
		       struct c2_rec *rec)
{
	for (uint64_t i = 0; i < rec->pages; i++) {
		struct pt_query q;

		doing(t, "query", rec->va + i * PAGE_SIZE);
		ostd_err_t err = pt_cursor_jump(c, rec->va + i * PAGE_SIZE);

		if (err == OSTD_OK) {
			err = pt_cursor_query(c, &q);
		}
		if (err != OSTD_OK) {
			rec->err = err;
			return;
		}
		rec->pa[i] =
			q.item.kind == PT_ITEM_NONE ? pa_init(0) : q.item.pa;
		if ((q.prop.flags & PROT_W) != 0) {
			rec->wmask |= (uint16_t)(1U << i);
		}
	}
}

static void c2_worker(struct conc_thread *t)
{
	struct page_table *pt = t->ctx;

	for (unsigned int i = 0; i < C2_OPS && !failed(); i++) {
		struct c2_rec *rec = &c2_log[t->index][i];
		uint64_t r = rng_below(&t->rng, 100);
		enum c2_kind kind = r < 35   ? C2_MAP
				    : r < 60 ? C2_UNMAP
				    : r < 80 ? C2_PROTECT
					     : C2_READ;
		uint64_t pages = c2_pick_pages(t, kind);
		uint64_t first = c2_pick_first(t, kind, pages);
		struct pt_cursor c;

		atomic_store(&t->ops, i);
		*rec = (struct c2_rec){
			.va = C2_BASE + first * PAGE_SIZE,
			.pages = pages,
			.kind = (uint8_t)kind,
			.thread = (uint8_t)t->index,
			.w = rng_pct(&t->rng, 50),
			.seq = UINT64_MAX,
		};
		uint64_t len = pages * PAGE_SIZE;
		bool ok = kind == C2_READ ? open_read(t, pt, rec->va, len, &c)
					  : open_mut(t, pt, rec->va, len, &c);

		if (!ok) {
			break;
		}
		if (kind != C2_READ) {
			c2_reg_enter(t, rec->va, rec->va + len);
		}
		/* The linearisation point: the sub-tree lock is held. */
		rec->seq = atomic_fetch_add(&c2_seq, 1);
		perturb(t);
		switch (kind) {
		case C2_MAP:
			c2_do_map(t, &c, rec);
			break;
		case C2_UNMAP:
			doing(t, "unmap", rec->va);
			rec->err = pt_cursor_unmap(&c, len, &rec->count);
			break;
		case C2_PROTECT:
			c2_do_protect(t, &c, rec);
			break;
		case C2_READ:
			c2_do_read(t, &c, rec);
			break;
		}
		perturb(t);
		if (kind != C2_READ) {
			c2_reg_leave(t);
		}
		close_cursor(t, &c);
		if (rec->err != OSTD_OK) {
			conc_fail(t, "op %u at 0x%llx (+%llu pages) = %d",
				  (unsigned int)kind,
				  (unsigned long long)rec->va,
				  (unsigned long long)pages, (int)rec->err);
		}
	}
}

static int c2_by_seq(const void *a, const void *b)
{
	const struct c2_rec *x = a;
	const struct c2_rec *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

/* Applies one logged op to the model, checking its result. */
static bool c2_replay_one(struct model *m, const struct c2_rec *rec)
{
	uint64_t first = (rec->va - m->base) / PAGE_SIZE;
	uint8_t flags = (uint8_t)prop_of(rec->w).flags;
	uint64_t want = 0;

	switch ((enum c2_kind)rec->kind) {
	case C2_MAP:
		for (uint64_t i = 0; i < rec->pages; i++) {
			bool got = pa_addr(rec->pa[i]) != 0;

			if (got == model_mapped(m, first + i)) {
				conc_fail(NULL,
					  "seq %llu: map at 0x%llx %s, "
					  "but the replay has it %s",
					  (unsigned long long)rec->seq,
					  (unsigned long long)(rec->va +
							       i * PAGE_SIZE),
					  got ? "succeeded" : "found EEXIST",
					  got ? "mapped" : "free");
				return false;
			}
			if (got) {
				m->page[first + i] = (struct model_page){
					.pa = rec->pa[i],
					.flags = flags,
					.tracked = true,
				};
			}
		}
		return true;
	case C2_UNMAP:
	case C2_PROTECT:
		want = model_leaves(m, first, rec->pages);
		if (rec->count != want) {
			conc_fail(NULL,
				  "seq %llu: %s at 0x%llx (+%llu pages) "
				  "reported %llu leaves, the replay "
				  "has %llu",
				  (unsigned long long)rec->seq,
				  rec->kind == C2_UNMAP ? "unmap" : "protect",
				  (unsigned long long)rec->va,
				  (unsigned long long)rec->pages,
				  (unsigned long long)rec->count,
				  (unsigned long long)want);
			return false;
		}
		for (uint64_t i = first; i < first + rec->pages; i++) {
			if (rec->kind == C2_UNMAP) {
				m->page[i] =
					(struct model_page){ .pa = pa_init(0) };
			} else if (model_mapped(m, i)) {
				m->page[i].flags = flags;
			}
		}
		return true;
	case C2_READ:
		for (uint64_t i = 0; i < rec->pages; i++) {
			const struct model_page *p = &m->page[first + i];
			bool w = (rec->wmask >> i) & 1U;

			if (pa_addr(rec->pa[i]) != pa_addr(p->pa) ||
			    (model_mapped(m, first + i) &&
			     w != ((p->flags & PROT_W) != 0))) {
				conc_fail(
					NULL,
					"seq %llu: read at 0x%llx saw "
					"pa 0x%llx%s, the replay has "
					"0x%llx%s",
					(unsigned long long)rec->seq,
					(unsigned long long)(rec->va +
							     i * PAGE_SIZE),
					(unsigned long long)pa_addr(rec->pa[i]),
					w ? " writable" : "",
					(unsigned long long)pa_addr(p->pa),
					(p->flags & PROT_W) != 0 ? " writable"
								 : "");
				return false;
			}
		}
		return true;
	}
	return false;
}

/* Sorts the log by sequence number and replays it into @p m. */
static bool c2_replay(struct model *m)
{
	size_t n = 0;

	for (unsigned int k = 0; k < C2_THREADS; k++) {
		for (unsigned int i = 0; i < C2_OPS; i++) {
			if (c2_log[k][i].seq != UINT64_MAX) {
				c2_sorted[n++] = c2_log[k][i];
			}
		}
	}
	qsort(c2_sorted, n, sizeof(c2_sorted[0]), c2_by_seq);
	for (size_t i = 0; i < n; i++) {
		/* One number per op: none lost, none taken twice. */
		if (c2_sorted[i].seq != i) {
			conc_fail(NULL, "log position %zu has seq %llu", i,
				  (unsigned long long)c2_sorted[i].seq);
			return false;
		}
		if (!c2_replay_one(m, &c2_sorted[i])) {
			return false;
		}
	}
	return true;
}

TEST_CONC(c2_overlapping_ranges)
{
	struct page_table pt;
	struct model m = { .base = C2_BASE,
			   .npages = C2_PAGES,
			   .page = c2_pages };

	ASSERT_TRUE(cfg != NULL);
	conc_begin("c2_overlapping_ranges", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	memset(c2_log, 0, sizeof(c2_log));
	memset(c2_pages, 0, sizeof(c2_pages));
	memset(c2_reg, 0, sizeof(c2_reg));
	atomic_store(&c2_seq, 0);
	for (unsigned int k = 0; k < C2_THREADS; k++) {
		(void)conc_add("c2", 1 + k, c2_worker, &pt);
	}
	conc_run();

	bool replay_ok = !failed() && c2_replay(&m);
	bool table_ok = replay_ok && verify_table(&pt, &m, 1);
	ostd_err_t check = pt_check(&pt, NULL);

	printf("  %s: %llu ops linearised\n", run_name,
	       (unsigned long long)atomic_load(&c2_seq));
	page_table_destroy(&pt);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_TRUE(replay_ok);
	ASSERT_TRUE(table_ok);
	ASSERT_EQ(check, OSTD_OK);
	ASSERT_EQ(atomic_load(&c2_seq), C2_THREADS * C2_OPS);
}

/* ---------------------------------------------------------------------
 * C3: unmap vs access (S2; the CVE-2018-18281 class). The table is active
 * on simulated CPUs 1-4; readers (CPUs 2-4) keep reading the A slots
 * through their TLBs while the writer (CPU 1) maps a frame marked 0x11
 * there, lets every reader cache it, unmaps it and, while that flush is
 * still pending, allocates and poisons a frame (the unmapped one must not
 * come back yet: the flusher holds it); after dropping the cursor it
 * allocates again (now the unmapped frame does come back), poisons it and
 * maps it at a B slot, which nobody reads. A reader of an A slot must
 * fault or see 0x11, never the poison nor a zeroed frame. I7 is checked
 * with the readers paused, both while the flush is pending (stale entries
 * allowed, their frame held) and after it (no stale entry at all).
 * --------------------------------------------------------------------- */

#define C3_READERS 3
#define C3_WRITER_CPU 1
#define C3_ROUNDS 400
#define C3_SLOTS 8
#define C3_A_BASE (3ULL << 30) /* Read by the readers, 0x11 frames only. */
#define C3_B_BASE (C3_A_BASE + (64ULL << 20)) /* Never read: poison. */
#define C3_MARK 0x11
#define C3_POISON 0xAA
/* Every 8th round unmaps the whole 2 MiB around the slots (node freed). */
#define C3_WHOLE_EVERY 8
/* Every 4th round checks I7 with the readers paused. */
#define C3_CHECK_EVERY 4
/* Bounded waits for the readers (yields, not time). */
#define C3_WAIT_SPINS 20000
#define C3_AFTER_SPINS 4
#define C3_READ_LEN 64

struct c3_ctx {
	struct page_table *pt;
	atomic_bool stop;
	atomic_bool pause;
	atomic_uint paused;
	_Atomic uint64_t hits[C3_READERS];
	_Atomic uint64_t faults[C3_READERS];
	uint64_t reuses;       /* The unmapped frame handed out again. */
	uint64_t early_reuses; /* ... while its flush was pending: a bug. */
	uint64_t stale_seen;   /* Stale entries seen with a flush pending. */
	uint64_t checks;
};

static void c3_reader(struct conc_thread *t)
{
	struct c3_ctx *ctx = t->ctx;
	struct sim_cpu *cpu = sim_cpu(t->cpu);
	unsigned int r = t->index - 1;
	uint8_t buf[C3_READ_LEN];

	while (!atomic_load(&ctx->stop) && !failed()) {
		if (atomic_load(&ctx->pause)) {
			doing(t, "paused", 0);
			atomic_fetch_add(&ctx->paused, 1);
			while (atomic_load(&ctx->pause)) {
				sched_yield();
			}
			atomic_fetch_sub(&ctx->paused, 1);
			continue;
		}
		for (unsigned int s = 0; s < C3_SLOTS; s++) {
			uint64_t va =
				C3_A_BASE + s * PAGE_SIZE +
				rng_below(&t->rng, PAGE_SIZE / C3_READ_LEN) *
					C3_READ_LEN;

			doing(t, "sim_cpu_read", va);
			memset(buf, 0, sizeof(buf));
			enum sim_fault f =
				sim_cpu_read(cpu, va, buf, sizeof(buf));

			if (f == SIM_FAULT_NOT_PRESENT) {
				atomic_fetch_add(&ctx->faults[r], 1);
				continue;
			}
			if (f != SIM_OK) {
				conc_fail(t, "read at 0x%llx: %s fault",
					  (unsigned long long)va,
					  sim_fault_name(f));
				return;
			}
			atomic_fetch_add(&ctx->hits[r], 1);
			for (unsigned int b = 0; b < sizeof(buf); b++) {
				if (buf[b] != C3_MARK) {
					conc_fail(t,
						  "read at 0x%llx saw 0x%02x "
						  "(%s), not the mark 0x%x: "
						  "a stale translation",
						  (unsigned long long)va + b,
						  buf[b],
						  buf[b] == C3_POISON
							  ? "the poison"
							  : "a freed frame",
						  C3_MARK);
					return;
				}
			}
		}
		atomic_fetch_add(&t->ops, 1);
		perturb(t);
	}
}

static bool c3_map_one(struct conc_thread *t, struct page_table *pt,
		       uint64_t va, struct frame *f)
{
	struct pt_cursor c;

	if (!open_mut(t, pt, va, PAGE_SIZE, &c)) {
		return false;
	}
	doing(t, "map", va);
	ostd_err_t err = pt_cursor_map(&c, pt_item_frame(f->pa), prop_of(true));

	close_cursor(t, &c);
	if (err != OSTD_OK) {
		conc_fail(t, "map at 0x%llx = %d", (unsigned long long)va,
			  (int)err);
		return false;
	}
	frame_drop(f); /* The mapping holds the only reference now. */
	return true;
}

/* Opens a cursor over [va, va + len) and unmaps the one page in it. */
static bool c3_unmap_begin(struct conc_thread *t, struct page_table *pt,
			   uint64_t va, uint64_t len, struct pt_cursor *c)
{
	uint64_t count = 0;

	if (!open_mut(t, pt, va, len, c)) {
		return false;
	}
	doing(t, "unmap", va);
	ostd_err_t err = pt_cursor_unmap(c, len, &count);

	if (err != OSTD_OK || count != 1) {
		close_cursor(t, c);
		conc_fail(t, "unmap(0x%llx, +0x%llx) = %d, %llu leaves",
			  (unsigned long long)va, (unsigned long long)len,
			  (int)err, (unsigned long long)count);
		return false;
	}
	return true;
}

static bool c3_unmap(struct conc_thread *t, struct page_table *pt, uint64_t va,
		     uint64_t len)
{
	struct pt_cursor c;

	if (!c3_unmap_begin(t, pt, va, len, &c)) {
		return false;
	}
	close_cursor(t, &c);
	return true;
}

/* Waits, bounded, until every reader read successfully again. */
static void c3_wait_hits(struct c3_ctx *ctx, const uint64_t *before)
{
	for (unsigned int spin = 0; spin < C3_WAIT_SPINS && !failed(); spin++) {
		bool all = true;

		for (unsigned int r = 0; r < C3_READERS; r++) {
			all &= atomic_load(&ctx->hits[r]) > before[r];
		}
		if (all) {
			return;
		}
		sched_yield();
	}
}

static void c3_yield(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		sched_yield();
	}
}

/* Stops the readers (they only ever touch their own TLB). */
static bool c3_pause(struct conc_thread *t, struct c3_ctx *ctx)
{
	doing(t, "pausing readers", 0);
	atomic_store(&ctx->pause, true);
	while (atomic_load(&ctx->paused) != C3_READERS) {
		if (failed()) {
			atomic_store(&ctx->pause, false);
			return false;
		}
		sched_yield();
	}
	return true;
}

/*
 * I7 with the readers paused. @p pending: a mutable cursor still holds
 * an unmap whose flush is not done, so stale entries are allowed as long
 * as their frame is held; otherwise there must be none, and none may
 * reach @p freed.
 */
static void c3_checkpoint(struct conc_thread *t, struct c3_ctx *ctx,
			  bool pending, paddr_t freed)
{
	if (!c3_pause(t, ctx)) {
		return;
	}
	for (unsigned int r = 0; r < C3_READERS; r++) {
		const struct sim_cpu *cpu = sim_cpu(C3_WRITER_CPU + 1 + r);
		unsigned int stale = tlb_stale_count(cpu, ctx->pt);
		bool to_freed =
			!pending && sim_tlb_caches_pa(cpu, freed, PAGE_SIZE);

		ctx->stale_seen += stale;
		if (!tlb_consistent(cpu, ctx->pt) || (!pending && stale != 0) ||
		    to_freed) {
			conc_fail(t,
				  "I7 on cpu %u (%s flush): %u stale "
				  "entries%s",
				  cpu->id, pending ? "pending" : "after the",
				  stale,
				  to_freed ? ", one to the freed frame" : "");
		}
	}
	ctx->checks++;
	atomic_store(&ctx->pause, false);
}

/*
 * One round: map a marked frame at an A slot; let the readers cache it;
 * unmap it, and while the flush is still pending allocate and poison a
 * frame (which must not be the unmapped one, the flusher holds it); drop
 * the cursor (flush, then free); allocate again (now the unmapped frame
 * is handed out), poison it and map it at a B slot.
 */
static void c3_round(struct conc_thread *t, struct c3_ctx *ctx,
		     unsigned int round)
{
	struct page_table *pt = ctx->pt;
	unsigned int s = round % C3_SLOTS;
	uint64_t va_a = C3_A_BASE + s * PAGE_SIZE;
	uint64_t va_b = C3_B_BASE + s * PAGE_SIZE;
	bool whole = round % C3_WHOLE_EVERY == C3_WHOLE_EVERY - 1;
	bool check = round % C3_CHECK_EVERY == 0;
	uint64_t before[C3_READERS];
	struct pt_cursor c;
	struct frame f;
	struct frame g;
	struct frame h;

	if (!alloc_frame(t, &f)) {
		return;
	}
	paddr_t old = f.pa;

	memset(sim_phys_ptr(f.pa, PAGE_SIZE), C3_MARK, PAGE_SIZE);
	for (unsigned int r = 0; r < C3_READERS; r++) {
		before[r] = atomic_load(&ctx->hits[r]);
	}
	if (!c3_map_one(t, pt, va_a, &f)) {
		return;
	}
	doing(t, "waiting for readers", va_a);
	c3_wait_hits(ctx, before);
	if (!c3_unmap_begin(t, pt, whole ? C3_A_BASE : va_a,
			    whole ? SIZE_2M : PAGE_SIZE, &c)) {
		return;
	}
	/* The flush is pending: readers may still hit, the frame is held. */
	if (check) {
		c3_checkpoint(t, ctx, true, old);
	}
	if (!alloc_frame(t, &h)) {
		close_cursor(t, &c);
		return;
	}
	ctx->early_reuses += pa_addr(h.pa) == pa_addr(old);
	memset(sim_phys_ptr(h.pa, PAGE_SIZE), C3_POISON, PAGE_SIZE);
	c3_yield(C3_AFTER_SPINS);
	frame_drop(&h);
	/* Flush every active CPU, then free the frame (last, so that the
	 * allocator hands it out next). */
	close_cursor(t, &c);
	if (!alloc_frame(t, &g)) {
		return;
	}
	ctx->reuses += pa_addr(g.pa) == pa_addr(old);
	memset(sim_phys_ptr(g.pa, PAGE_SIZE), C3_POISON, PAGE_SIZE);
	if (!c3_map_one(t, pt, va_b, &g)) {
		return;
	}
	c3_yield(C3_AFTER_SPINS);
	if (check) {
		c3_checkpoint(t, ctx, false, old);
	}
	(void)c3_unmap(t, pt, va_b, PAGE_SIZE);
}

static void c3_rounds(struct conc_thread *t)
{
	struct c3_ctx *ctx = t->ctx;

	for (unsigned int round = 0; round < C3_ROUNDS && !failed(); round++) {
		atomic_store(&t->ops, round);
		c3_round(t, ctx, round);
	}
}

static void c3_writer(struct conc_thread *t)
{
	struct c3_ctx *ctx = t->ctx;

	c3_rounds(t);
	/* The readers stop when the writer is done, or failed. */
	atomic_store(&ctx->stop, true);
}

static void c3_activate(const struct pt_config *cfg, struct page_table *pt,
			unsigned int cpu)
{
	struct sim_cpu *c = sim_cpu(cpu);

	sim_tlb_flush_all(c, true);
	/* User accesses; NXE so that x86's XD bit is not reserved. */
	c->mode = (struct sim_mode){ .user = true, .wp = true, .nxe = true };
	sim_cpu_set_root(c, sim_mmu_for(cfg), pt->root, 1);
	cpu_set_add(&pt->active_cpus, cpu);
}

static void c3_deactivate(struct page_table *pt, unsigned int cpu)
{
	struct sim_cpu *c = sim_cpu(cpu);

	cpu_set_remove(&pt->active_cpus, cpu);
	sim_tlb_flush_all(c, true);
	c->mode = (struct sim_mode){ .user = false };
	sim_cpu_set_root(c, NULL, pa_init(0), 0);
}

TEST_CONC(c3_unmap_vs_access)
{
	static struct c3_ctx ctx;
	struct page_table pt;
	uint64_t hits = 0;
	uint64_t faults = 0;
	bool i7 = true;

	ASSERT_TRUE(cfg != NULL);
	ASSERT_TRUE(sim_mmu_for(cfg) != NULL);
	conc_begin("c3_unmap_vs_access", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	memset(&ctx, 0, sizeof(ctx));
	ctx.pt = &pt;
	for (unsigned int cpu = C3_WRITER_CPU;
	     cpu <= C3_WRITER_CPU + C3_READERS; cpu++) {
		c3_activate(cfg, &pt, cpu);
	}
	/* The writer first: the readers are threads 1.. */
	(void)conc_add("writer", C3_WRITER_CPU, c3_writer, &ctx);
	for (unsigned int r = 0; r < C3_READERS; r++) {
		(void)conc_add("reader", C3_WRITER_CPU + 1 + r, c3_reader,
			       &ctx);
	}
	conc_run();
	for (unsigned int r = 0; r < C3_READERS; r++) {
		hits += atomic_load(&ctx.hits[r]);
		faults += atomic_load(&ctx.faults[r]);
	}
	for (unsigned int cpu = C3_WRITER_CPU;
	     cpu <= C3_WRITER_CPU + C3_READERS; cpu++) {
		i7 &= tlb_consistent(sim_cpu(cpu), &pt);
		i7 &= tlb_stale_count(sim_cpu(cpu), &pt) == 0;
	}
	printf("  %s: %u rounds, %llu hits, %llu faults, %llu frames reused, "
	       "%llu I7 checkpoints, %llu stale entries under a pending "
	       "flush\n",
	       run_name, C3_ROUNDS, (unsigned long long)hits,
	       (unsigned long long)faults, (unsigned long long)ctx.reuses,
	       (unsigned long long)ctx.checks,
	       (unsigned long long)ctx.stale_seen);
	ostd_err_t check = pt_check(&pt, NULL);

	for (unsigned int cpu = C3_WRITER_CPU;
	     cpu <= C3_WRITER_CPU + C3_READERS; cpu++) {
		c3_deactivate(&pt, cpu);
	}
	page_table_destroy(&pt);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_TRUE(i7);
	ASSERT_EQ(check, OSTD_OK);
	/* The scenario happened: cached reads, faults after unmaps, and the
	 * allocator handed the unmapped frame out again. */
	ASSERT_GT(hits, 0);
	ASSERT_GT(faults, 0);
	ASSERT_GT(ctx.reuses, 0);
	/* S2: a frame is not handed out while a flush of it is pending. */
	ASSERT_EQ(ctx.early_reuses, 0);
}

/* ---------------------------------------------------------------------
 * C3b: hardware walks vs unmap. A real MMU sets accessed (and dirty)
 * bits in the entries it walks, atomically but without any lock of the
 * kernel's, while a cursor clears those very entries. The readers here
 * flush their own TLB before every access, so that every access walks,
 * while the writer maps and unmaps one page (every other time the whole
 * 2 MiB around it, which clears a level-2 entry). After each unmap is
 * synced, every entry on the way must be either a table or zero: an
 * "absent" entry with bits left in it (a walker's accessed bit set after
 * the clear) is what the next cursor then trips over.
 * --------------------------------------------------------------------- */

#define C3B_READERS 2
#define C3B_WRITER_CPU 5
#define C3B_ROUNDS 40000
#define C3B_VA (3ULL << 30)

struct c3b_ctx {
	struct page_table *pt;
	atomic_bool stop;
	_Atomic uint64_t walks;
};

static void c3b_reader(struct conc_thread *t)
{
	struct c3b_ctx *ctx = t->ctx;
	struct sim_cpu *cpu = sim_cpu(t->cpu);
	uint8_t buf[8];

	while (!atomic_load(&ctx->stop) && !failed()) {
		doing(t, "walk", C3B_VA);
		sim_tlb_flush_all(cpu, true);
		enum sim_fault f = sim_cpu_read(cpu, C3B_VA, buf, sizeof(buf));

		if (f == SIM_OK) {
			atomic_fetch_add(&ctx->walks, 1);
			for (unsigned int b = 0; b < sizeof(buf); b++) {
				if (buf[b] != C3_MARK) {
					conc_fail(t,
						  "read saw 0x%02x, not 0x%x",
						  buf[b], C3_MARK);
					return;
				}
			}
		} else if (f != SIM_FAULT_NOT_PRESENT) {
			conc_fail(t, "read: %s fault", sim_fault_name(f));
			return;
		}
		/*
		 * The simulated CPU's lock is a plain spinlock: a walker
		 * that retakes it at once could starve the writer's remote
		 * flush (an IPI cannot be starved on hardware).
		 */
		if (atomic_fetch_add(&t->ops, 1) % 64 == 0) {
			sched_yield();
		}
	}
}

/* Every entry on the way to @p va is a table or zero (nothing mapped). */
static bool c3b_path_clean(struct conc_thread *t, struct page_table *pt,
			   uint64_t va)
{
	const struct pt_config *cfg = pt->cfg;
	paddr_t node = pt->root;

	for (pt_level_t level = cfg->nr_levels; level >= 1; level--) {
		const pte_t *e = sim_phys_ptr(node, PAGE_SIZE);
		unsigned int idx = pt_index(cfg, va, level);
		pte_t pte = __atomic_load_n(&e[idx], __ATOMIC_ACQUIRE);
		enum pt_entry_type type = cfg->classify(cfg, pte, level);

		if (type == PT_ENTRY_TABLE) {
			node = cfg->paddr(cfg, pte, level);
			continue;
		}
		if (type == PT_ENTRY_LEAF || pte != 0) {
			conc_fail(t,
				  "after unmap of 0x%llx the level-%u entry "
				  "%u is 0x%llx (%s): a cleared entry must "
				  "stay 0; a walker's accessed-bit update "
				  "landed after the clear",
				  (unsigned long long)va, level, idx,
				  (unsigned long long)pte,
				  type == PT_ENTRY_LEAF ? "a leaf"
							: "absent, not zero");
			return false;
		}
		return true;
	}
	return true;
}

static void c3b_writer(struct conc_thread *t)
{
	struct c3b_ctx *ctx = t->ctx;
	struct page_table *pt = ctx->pt;

	for (unsigned int i = 0; i < C3B_ROUNDS && !failed(); i++) {
		bool whole = i % 2 == 1;
		struct pt_cursor c;
		struct frame f;
		uint64_t count = 0;

		atomic_store(&t->ops, i);
		if (!alloc_frame(t, &f)) {
			break;
		}
		memset(sim_phys_ptr(f.pa, PAGE_SIZE), C3_MARK, PAGE_SIZE);
		if (!c3_map_one(t, pt, C3B_VA, &f)) {
			break;
		}
		perturb(t);
		if (!open_mut(t, pt, C3B_VA, whole ? SIZE_2M : PAGE_SIZE, &c)) {
			break;
		}
		doing(t, "unmap", C3B_VA);
		ostd_err_t err = pt_cursor_unmap(
			&c, whole ? SIZE_2M : PAGE_SIZE, &count);

		close_cursor(t, &c);
		if (err != OSTD_OK || count != 1) {
			conc_fail(t, "unmap = %d, %llu leaves", (int)err,
				  (unsigned long long)count);
			break;
		}
		/* Synced: the readers' walks through it are over. */
		if (!c3b_path_clean(t, pt, C3B_VA)) {
			break;
		}
	}
	atomic_store(&ctx->stop, true);
}

TEST_CONC(c3b_walker_vs_unmap)
{
	static struct c3b_ctx ctx;
	struct page_table pt;

	ASSERT_TRUE(cfg != NULL);
	ASSERT_TRUE(sim_mmu_for(cfg) != NULL);
	conc_begin("c3b_walker_vs_unmap", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	memset(&ctx, 0, sizeof(ctx));
	ctx.pt = &pt;
	for (unsigned int cpu = C3B_WRITER_CPU;
	     cpu <= C3B_WRITER_CPU + C3B_READERS; cpu++) {
		c3_activate(cfg, &pt, cpu);
	}
	(void)conc_add("writer", C3B_WRITER_CPU, c3b_writer, &ctx);
	for (unsigned int r = 0; r < C3B_READERS; r++) {
		(void)conc_add("walker", C3B_WRITER_CPU + 1 + r, c3b_reader,
			       &ctx);
	}
	conc_run();
	printf("  %s: %u rounds, %llu successful walks\n", run_name, C3B_ROUNDS,
	       (unsigned long long)atomic_load(&ctx.walks));
	for (unsigned int cpu = C3B_WRITER_CPU;
	     cpu <= C3B_WRITER_CPU + C3B_READERS; cpu++) {
		c3_deactivate(&pt, cpu);
	}
	ostd_err_t check = pt_check(&pt, NULL);

	page_table_destroy(&pt);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_EQ(check, OSTD_OK);
	ASSERT_GT(atomic_load(&ctx.walks), 0);
}

/* ---------------------------------------------------------------------
 * C4: node reclamation (R6, I8). Mappers map single pages in 2 MiB
 * regions (each first map allocates a level-1 node) and unmap each region
 * whole (which detaches the node and hands it to RCU), while readers run
 * read cursors inside the same regions: their guard walk meets the level-1
 * nodes lock-free, exactly what RCU must keep alive. Freed nodes are
 * reused as data frames filled with crafted entries (an untracked leaf to
 * the root node), so a walker on a stale node reports a foreign leaf or
 * trips the node-type check, and ASan/TSan see the rest.
 * --------------------------------------------------------------------- */

#define C4_MAPPERS 2
#define C4_READERS 2
#define C4_BASE (2ULL << 30)
#define C4_REGIONS 16
#define C4_ITERS 3000
#define C4_MAX_PAGES 4

struct c4_ctx {
	struct page_table *pt;
	pte_t crafted; /* What freed-and-reused frames are filled with. */
	atomic_uint mappers_left;
	_Atomic uint64_t reads;
	_Atomic uint64_t found;
};

static void c4_fill_crafted(struct c4_ctx *ctx, paddr_t pa)
{
	pte_t *e = sim_phys_ptr(pa, PAGE_SIZE);

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		e[i] = ctx->crafted;
	}
}

static void c4_mapper_iter(struct conc_thread *t, struct c4_ctx *ctx,
			   uint64_t base)
{
	uint64_t pages = 1 + rng_below(&t->rng, C4_MAX_PAGES);
	uint64_t mapped = 0;
	struct pt_cursor c;

	for (uint64_t i = 0; i < pages && !failed(); i++) {
		uint64_t va = base + rng_below(&t->rng, PAGES_2M) * PAGE_SIZE;
		struct frame f;

		if (!alloc_frame(t, &f)) {
			return;
		}
		c4_fill_crafted(ctx, f.pa);
		if (!open_mut(t, ctx->pt, va, PAGE_SIZE, &c)) {
			frame_drop(&f);
			return;
		}
		doing(t, "map", va);
		ostd_err_t err =
			pt_cursor_map(&c, pt_item_frame(f.pa), prop_of(true));

		close_cursor(t, &c);
		perturb(t);
		frame_drop(&f);
		if (err == OSTD_OK) {
			mapped++;
		} else if (err != OSTD_EEXIST) {
			conc_fail(t, "map at 0x%llx = %d",
				  (unsigned long long)va, (int)err);
			return;
		}
	}
	uint64_t count = 0;

	if (!open_mut(t, ctx->pt, base, SIZE_2M, &c)) {
		return;
	}
	doing(t, "unmap 2M", base);
	ostd_err_t err = pt_cursor_unmap(&c, SIZE_2M, &count);

	close_cursor(t, &c);
	perturb(t);
	if (err != OSTD_OK || count != mapped) {
		conc_fail(t,
			  "unmap of region 0x%llx = %d, %llu leaves, mapped "
			  "%llu",
			  (unsigned long long)base, (int)err,
			  (unsigned long long)count,
			  (unsigned long long)mapped);
	}
}

static void c4_mapper(struct conc_thread *t)
{
	struct c4_ctx *ctx = t->ctx;
	unsigned int k = t->index; /* Mappers come first. */

	for (unsigned int i = 0; i < C4_ITERS && !failed(); i++) {
		unsigned int region =
			k + C4_MAPPERS * (i % (C4_REGIONS / C4_MAPPERS));

		atomic_store(&t->ops, i);
		c4_mapper_iter(t, ctx, C4_BASE + region * SIZE_2M);
	}
	atomic_fetch_sub(&ctx->mappers_left, 1);
}

/* What a read cursor finds must be one of the mappers' frames. */
static bool c4_check_item(struct conc_thread *t, const struct pt_query *q)
{
	if (q->item.kind == PT_ITEM_NONE) {
		return true;
	}
	if (q->item.kind != PT_ITEM_FRAME || q->size != PAGE_SIZE ||
	    frame_type_of(q->item.pa) != &frame_type_untyped ||
	    frame_refcount(q->item.pa) == 0) {
		conc_fail(t,
			  "query at 0x%llx: kind %d size 0x%llx pa 0x%llx "
			  "(type %s): not a mapped data frame",
			  (unsigned long long)q->va, (int)q->item.kind,
			  (unsigned long long)q->size,
			  (unsigned long long)pa_addr(q->item.pa),
			  frame_type_of(q->item.pa) != NULL
				  ? frame_type_of(q->item.pa)->name
				  : "free");
		return false;
	}
	return true;
}

static void c4_read_once(struct conc_thread *t, struct c4_ctx *ctx)
{
	uint64_t region = rng_below(&t->rng, C4_REGIONS);
	uint64_t start;
	uint64_t len;
	struct pt_cursor c;
	struct pt_query q;

	if (rng_pct(&t->rng, 15) && region + 1 < C4_REGIONS) {
		/* Two regions: the guard is the level-2 node. */
		start = C4_BASE + region * SIZE_2M;
		len = 2 * SIZE_2M;
	} else {
		/* Inside one region: the guard is its level-1 node. */
		uint64_t off = rng_below(&t->rng, PAGES_2M);
		uint64_t max = PAGES_2M - off < 64 ? PAGES_2M - off : 64;

		start = C4_BASE + region * SIZE_2M + off * PAGE_SIZE;
		len = (1 + rng_below(&t->rng, max)) * PAGE_SIZE;
	}
	if (!open_read(t, ctx->pt, start, len, &c)) {
		return;
	}
	doing(t, "query", start);
	ostd_err_t qerr = pt_cursor_query(&c, &q);

	if (qerr != OSTD_OK) {
		conc_fail(t, "query at 0x%llx = %d", (unsigned long long)start,
			  (int)qerr);
	}
	if (qerr != OSTD_OK || !c4_check_item(t, &q)) {
		close_cursor(t, &c);
		return;
	}
	for (;;) {
		uint64_t found = 0;
		uint64_t at = pt_cursor_va(&c);

		if (at >= start + len) {
			break;
		}
		doing(t, "find_next", at);
		ostd_err_t err =
			pt_cursor_find_next(&c, start + len - at, &found);

		if (err == OSTD_ENOENT) {
			break;
		}
		if (err != OSTD_OK || pt_cursor_query(&c, &q) != OSTD_OK ||
		    q.item.kind == PT_ITEM_NONE || !c4_check_item(t, &q)) {
			conc_fail(t, "find_next from 0x%llx = %d, then no item",
				  (unsigned long long)at, (int)err);
			break;
		}
		atomic_fetch_add(&ctx->found, 1);
		if (found + PAGE_SIZE >= start + len ||
		    pt_cursor_jump(&c, found + PAGE_SIZE) != OSTD_OK) {
			break;
		}
	}
	close_cursor(t, &c);
	perturb(t);
	atomic_fetch_add(&ctx->reads, 1);
}

static void c4_reader(struct conc_thread *t)
{
	struct c4_ctx *ctx = t->ctx;

	while (atomic_load(&ctx->mappers_left) != 0 && !failed()) {
		c4_read_once(t, ctx);
		atomic_fetch_add(&t->ops, 1);
	}
}

TEST_CONC(c4_node_reclamation)
{
	static struct c4_ctx ctx;
	struct page_table pt;
	struct pt_check_stats stats;
	pte_t crafted = 0;

	ASSERT_TRUE(cfg != NULL);
	conc_begin("c4_node_reclamation", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	/* A level-1 "leaf" to the root node, untracked: never legitimate. */
	ASSERT_EQ(pt_config_new_page(cfg, pt.root, 1, prop_of(false), &crafted),
		  OSTD_OK);
	memset(&ctx, 0, sizeof(ctx));
	ctx.pt = &pt;
	ctx.crafted = crafted;
	atomic_store(&ctx.mappers_left, C4_MAPPERS);
	for (unsigned int k = 0; k < C4_MAPPERS; k++) {
		(void)conc_add("mapper", 1 + k, c4_mapper, &ctx);
	}
	for (unsigned int k = 0; k < C4_READERS; k++) {
		(void)conc_add("reader", 1 + C4_MAPPERS + k, c4_reader, &ctx);
	}
	conc_run();
	pt_rcu_barrier();
	ostd_err_t check = pt_check(&pt, &stats);

	printf("  %s: %u x %u region cycles, %llu read cursors, %llu "
	       "mappings seen, %llu nodes left\n",
	       run_name, C4_MAPPERS, C4_ITERS,
	       (unsigned long long)atomic_load(&ctx.reads),
	       (unsigned long long)atomic_load(&ctx.found),
	       (unsigned long long)stats.nodes);
	uint64_t pending = pt_rcu_pending();

	page_table_destroy(&pt);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_EQ(check, OSTD_OK);
	ASSERT_EQ(pending, 0);
	/* I8: every region was unmapped whole, so no level-1 node is left:
	 * only the root and the path down to the regions' level-2 node. */
	ASSERT_EQ(stats.leaves, 0);
	ASSERT_EQ(stats.nodes, cfg->nr_levels - 1);
}

/* ---------------------------------------------------------------------
 * C5-lite: lifecycle. Every thread creates, uses and destroys its own
 * tables (sharing one kernel table's root entries), concurrently: the
 * frame allocator, node allocation and RCU retirement from many CPUs.
 * --------------------------------------------------------------------- */

#define C5_THREADS 4
#define C5_TABLES 100
#define C5_BASE (1ULL << 30)
#define C5_FRAMES 6

static bool c5_populate(struct conc_thread *t, struct page_table *pt)
{
	struct pt_cursor c;
	bool ok = true;

	/* Frames in two 2 MiB regions, and a 2 MiB untracked leaf. */
	if (!open_mut(t, pt, C5_BASE, 4 * SIZE_2M, &c)) {
		return false;
	}
	for (unsigned int i = 0; i < C5_FRAMES && ok; i++) {
		uint64_t va = C5_BASE + (i % 2) * SIZE_2M +
			      (i / 2 + rng_below(&t->rng, 8) * 8) * PAGE_SIZE;
		struct frame f;

		ok = alloc_frame(t, &f);
		if (!ok) {
			break;
		}
		doing(t, "map", va);
		ok = pt_cursor_jump(&c, va) == OSTD_OK &&
		     pt_cursor_map(&c, pt_item_frame(f.pa), prop_of(true)) ==
			     OSTD_OK;
		frame_drop(&f);
	}
	ok = ok && pt_cursor_jump(&c, C5_BASE + 2 * SIZE_2M) == OSTD_OK &&
	     pt_cursor_map(&c, pt_item_untracked(pa_init(C1_UNTRACKED_PA), 2),
			   prop_of(false)) == OSTD_OK;
	/* Detach the first region's node: it goes through RCU. */
	ok = ok && pt_cursor_jump(&c, C5_BASE) == OSTD_OK &&
	     pt_cursor_unmap(&c, SIZE_2M, NULL) == OSTD_OK;
	perturb(t);
	close_cursor(t, &c);
	if (!ok) {
		conc_fail(t, "populating a table failed");
	}
	return ok;
}

static bool c5_read_back(struct conc_thread *t, struct page_table *pt)
{
	struct pt_cursor c;
	uint64_t found = 0;
	unsigned int n = 0;

	if (!open_read(t, pt, C5_BASE, 4 * SIZE_2M, &c)) {
		return false;
	}
	while (pt_cursor_find_next(&c, C5_BASE + 4 * SIZE_2M - pt_cursor_va(&c),
				   &found) == OSTD_OK) {
		struct pt_query q;

		n++;
		if (pt_cursor_query(&c, &q) != OSTD_OK ||
		    q.va + q.size >= C5_BASE + 4 * SIZE_2M ||
		    pt_cursor_jump(&c, q.va + q.size) != OSTD_OK) {
			break;
		}
	}
	close_cursor(t, &c);
	/* C5_FRAMES / 2 frames in the second region, and the 2 MiB leaf. */
	if (n != C5_FRAMES / 2 + 1) {
		conc_fail(t, "read back %u leaves, want %u", n,
			  C5_FRAMES / 2 + 1);
		return false;
	}
	return true;
}

struct c5_ctx {
	const struct pt_config *cfg;
	struct page_table *kernel;
};

static void c5_worker(struct conc_thread *t)
{
	const struct c5_ctx *ctx = t->ctx;

	for (unsigned int i = 0; i < C5_TABLES && !failed(); i++) {
		struct page_table pt;

		atomic_store(&t->ops, i);
		doing(t, "page_table_new_user", 0);
		if (page_table_new_user(ctx->cfg, ctx->kernel, &pt) !=
		    OSTD_OK) {
			conc_fail(t, "page_table_new_user failed");
			return;
		}
		bool ok = c5_populate(t, &pt) && c5_read_back(t, &pt);

		doing(t, "pt_check", 0);
		if (ok && pt_check(&pt, NULL) != OSTD_OK) {
			conc_fail(t, "pt_check failed on table %u", i);
		}
		doing(t, "page_table_destroy", 0);
		page_table_destroy(&pt);
		if (rng_pct(&t->rng, 25)) {
			doing(t, "pt_rcu_poll", 0);
			pt_rcu_poll();
		}
	}
}

TEST_CONC(c5_lifecycle)
{
	static struct c5_ctx ctx;
	struct page_table kernel;

	ASSERT_TRUE(cfg != NULL);
	conc_begin("c5_lifecycle", cfg);
	const struct pt_config *kcfg = pt_test_kernel_twin(cfg);

	ASSERT_TRUE(kcfg != NULL);
	ASSERT_EQ(page_table_new_kernel(kcfg, &kernel), OSTD_OK);
	ctx.cfg = cfg;
	ctx.kernel = &kernel;
	for (unsigned int k = 0; k < C5_THREADS; k++) {
		(void)conc_add("c5", 1 + k, c5_worker, &ctx);
	}
	conc_run();
	ostd_err_t check = pt_check(&kernel, NULL);

	page_table_destroy(&kernel);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_EQ(check, OSTD_OK);
	ASSERT_EQ(pt_rcu_pending(), 0);
}
