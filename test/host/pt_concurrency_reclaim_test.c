// SPDX-License-Identifier: MPL-2.0
/*
 * Concurrency stress of the page-table core, C4 and C5 of TESTING.md
 * "Concurrency stress (C)": level-1 node reclamation under lock-free
 * guard walks (R6, I8), and tables created and destroyed concurrently.
 * HOST-ONLY; pt_concurrency_test.c describes the whole suite.
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
 * C4: node reclamation (R6, I8). Mappers map single pages in 2 MiB
 * regions (each first map allocates a level-1 node) and unmap each region
 * whole (which detaches the node and hands it to RCU), while readers run
 * read cursors inside the same regions: their guard walk meets the level-1
 * nodes lock-free, exactly what RCU must keep alive. Freed nodes are
 * reused as data frames filled with crafted entries (an untracked leaf to
 * the root node), so a walker on a stale node reports a foreign leaf or
 * trips the node-type check, and ASan/TSan see the rest.
 *
 * Every map is a fresh one-page cursor, and half the reads are fresh
 * one-page cursors in the region the reader read last: both find their
 * guard through the CPU's guard hint (core/mm/cursor_lock.c) whenever the
 * node is still there, and must walk when an unmap freed it in between,
 * perhaps reused as one of the crafted data frames.
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
	/* The region each reader read last (indexed by thread). */
	uint64_t last_region[C4_MAPPERS + C4_READERS];
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
			host_conc_fail(t, "map at 0x%llx = %d",
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
		host_conc_fail(
			t,
			"unmap of region 0x%llx = %d, %llu leaves, mapped "
			"%llu",
			(unsigned long long)base, (int)err,
			(unsigned long long)count, (unsigned long long)mapped);
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
		host_conc_fail(t,
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

	if (rng_pct(&t->rng, 50)) {
		/* One page where this reader was: its guard hint's node. */
		region = ctx->last_region[t->index];
		start = C4_BASE + region * SIZE_2M +
			rng_below(&t->rng, PAGES_2M) * PAGE_SIZE;
		len = PAGE_SIZE;
	} else if (rng_pct(&t->rng, 15) && region + 1 < C4_REGIONS) {
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
	ctx->last_region[t->index] = region;
	if (!open_read(t, ctx->pt, start, len, &c)) {
		return;
	}
	doing(t, "query", start);
	ostd_err_t qerr = pt_cursor_query(&c, &q);

	if (qerr != OSTD_OK) {
		host_conc_fail(t, "query at 0x%llx = %d",
			       (unsigned long long)start, (int)qerr);
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
			host_conc_fail(
				t, "find_next from 0x%llx = %d, then no item",
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
	host_conc_begin("c4_node_reclamation", cfg);
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
	host_conc_run();
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
		host_conc_fail(t, "populating a table failed");
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
		host_conc_fail(t, "read back %u leaves, want %u", n,
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
			host_conc_fail(t, "page_table_new_user failed");
			return;
		}
		bool ok = c5_populate(t, &pt) && c5_read_back(t, &pt);

		doing(t, "pt_check", 0);
		if (ok && pt_check(&pt, NULL) != OSTD_OK) {
			host_conc_fail(t, "pt_check failed on table %u", i);
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
	host_conc_begin("c5_lifecycle", cfg);
	const struct pt_config *kcfg = pt_test_kernel_twin(cfg);

	ASSERT_TRUE(kcfg != NULL);
	ASSERT_EQ(page_table_new_kernel(kcfg, &kernel), OSTD_OK);
	ctx.cfg = cfg;
	ctx.kernel = &kernel;
	for (unsigned int k = 0; k < C5_THREADS; k++) {
		(void)conc_add("c5", 1 + k, c5_worker, &ctx);
	}
	host_conc_run();
	ostd_err_t check = pt_check(&kernel, NULL);

	page_table_destroy(&kernel);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_EQ(check, OSTD_OK);
	ASSERT_EQ(pt_rcu_pending(), 0);
}
