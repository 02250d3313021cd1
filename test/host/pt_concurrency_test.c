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
 * The runtime the tests share (threads, failures, watchdog, model) is
 * pt_conc_util.h; C1 and C2 are here, C3 and C3b in
 * pt_concurrency_access_test.c, C4 and C5 in pt_concurrency_reclaim_test.c.
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
#include "pt_conc_util.h"
#include "tlb_invariant.h"

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
			host_conc_fail(t, "map at 0x%llx = %d, model wants %d",
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
		host_conc_fail(t, "2M map at 0x%llx = %d, model wants %d",
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
		host_conc_fail(
			t,
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
		host_conc_fail(
			t,
			"protect(0x%llx, +0x%llx) = %d after %llu leaves; "
			"model wants %llu",
			(unsigned long long)va,
			(unsigned long long)(n * PAGE_SIZE), (int)err,
			(unsigned long long)changed, (unsigned long long)want);
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
	host_conc_run();
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
		host_conc_fail(NULL, "page_table_new_user failed");
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
	host_conc_begin("c1_disjoint_ranges_2_threads", cfg);
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
	host_conc_begin("c1_disjoint_ranges_4_threads", cfg);
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
			host_conc_fail(t,
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
			host_conc_fail(
				t, "op %u at 0x%llx (+%llu pages) = %d",
				(unsigned int)kind, (unsigned long long)rec->va,
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
				host_conc_fail(
					NULL,
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
			host_conc_fail(NULL,
				       "seq %llu: %s at 0x%llx (+%llu pages) "
				       "reported %llu leaves, the replay "
				       "has %llu",
				       (unsigned long long)rec->seq,
				       rec->kind == C2_UNMAP ? "unmap"
							     : "protect",
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
				host_conc_fail(
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
			host_conc_fail(NULL, "log position %zu has seq %llu", i,
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
	host_conc_begin("c2_overlapping_ranges", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	memset(c2_log, 0, sizeof(c2_log));
	memset(c2_pages, 0, sizeof(c2_pages));
	memset(c2_reg, 0, sizeof(c2_reg));
	atomic_store(&c2_seq, 0);
	for (unsigned int k = 0; k < C2_THREADS; k++) {
		(void)conc_add("c2", 1 + k, c2_worker, &pt);
	}
	host_conc_run();

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
