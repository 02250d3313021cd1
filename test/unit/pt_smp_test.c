// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table concurrency on real CPUs: the part of the concurrency suite
 * that runs both on the host (pthreads on simulated CPUs) and inside every
 * kernel image, with one worker per online CPU (QEMU MTTCG runs them in
 * parallel). It is correct for 1..N CPUs and never assumes the count.
 *
 * - disjoint: every worker owns a 1 GiB window (only the upper nodes are
 *   shared) and keeps an exact model of it; every result is predicted, and
 *   at the end the table must map exactly what the models say.
 * - stress: every worker maps, protects, queries and unmaps random ranges
 *   of one shared 8 MiB window (overlapping cursors, detached and reclaimed
 *   nodes); results cannot be predicted, so the test checks that each is
 *   one of the legal outcomes and that, at the end, the structural and
 *   frame-accounting invariants hold and every frame comes back.
 *
 * The finer host tests (linearisation log, walker against unmap, hostile
 * MMU, watchdog with signals) stay in test/host/pt_concurrency_test.c.
 */

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"
#include "ostd/test.h"

#include "../lib/conc_runtime.h"
#include "../lib/pt_invariants.h"
#include "../lib/pt_test_util.h"

#define SMP_SZ_2M (2ULL << 20)
#define SMP_SZ_1G (1ULL << 30)
#define SMP_PAGES_2M (SMP_SZ_2M / PAGE_SIZE)
/* The flags the tests set and compare (a format may report more). */
#define SMP_PROP_MASK (PROT_R | PROT_W | PROT_USER)
/* Workers on the host: the host suite's historical thread count. */
#define SMP_HOST_WORKERS 4

static struct pt_prop prop_of(bool w)
{
	return (struct pt_prop){ .flags = PROT_R | PROT_USER | (w ? PROT_W : 0),
				 .cache = PT_CACHE_WRITEBACK };
}

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

static bool open_cursor(struct conc_worker *w, struct page_table *pt,
			uint64_t va, uint64_t len, bool mut,
			struct pt_cursor *c)
{
	conc_doing(w, mut ? "pt_cursor_new_mut" : "pt_cursor_new");
	ostd_err_t err = mut ? pt_cursor_new_mut(pt, va, va + len, c)
			     : pt_cursor_new(pt, va, va + len, c);

	if (err != OSTD_OK) {
		conc_fail(w, "cursor(0x%llx, +0x%llx) = %d",
			  (unsigned long long)va, (unsigned long long)len,
			  (int)err);
		return false;
	}
	conc_doing(w, "in cursor");
	return true;
}

static void close_cursor(struct conc_worker *w, struct pt_cursor *c)
{
	conc_doing(w, "pt_cursor_drop");
	pt_cursor_drop(c);
	conc_doing(w, "between ops");
}

/* Schedule perturbation (TESTING.md: yield with p = 5 %). */
static void perturb(struct conc_worker *w)
{
	if (pt_test_rng_pct(&w->rng, 5)) {
		conc_relax();
	}
}

/* Maps one fresh frame at @p va; OSTD_EEXIST leaves nothing behind. */
static ostd_err_t map_fresh(struct conc_worker *w, struct pt_cursor *c,
			    uint64_t va, bool wr, paddr_t *pa)
{
	struct frame f;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err != OSTD_OK) {
		conc_fail(w, "frame_alloc = %d", (int)err);
		return err;
	}
	conc_doing(w, "map");
	err = pt_cursor_jump(c, va);
	if (err == OSTD_OK) {
		err = pt_cursor_map(c, pt_item_frame(f.pa), prop_of(wr));
	}
	*pa = f.pa;
	/* On success the mapping keeps its own reference. */
	frame_drop(&f);
	return err;
}

/* Protects [va, va + len); returns the leaves changed, or -1 on error. */
static int64_t protect_range(struct conc_worker *w, struct pt_cursor *c,
			     uint64_t va, uint64_t len, bool wr)
{
	uint64_t end = va + len;
	int64_t changed = 0;
	ostd_err_t err = OSTD_OK;

	conc_doing(w, "protect");
	while (err == OSTD_OK && pt_cursor_va(c) < end) {
		uint64_t rs = 0;
		uint64_t rl = 0;

		err = pt_cursor_protect_next(c, end - pt_cursor_va(c), set_w,
					     &wr, &rs, &rl);
		if (err == OSTD_OK) {
			changed++;
			tlb_flusher_issue(pt_cursor_flusher(c),
					  tlb_range(rs, rl));
		}
	}
	if (err != OSTD_OK && err != OSTD_ENOENT) {
		conc_fail(w, "protect(0x%llx, +0x%llx) = %d",
			  (unsigned long long)va, (unsigned long long)len,
			  (int)err);
		return -1;
	}
	return changed;
}

/* Sets up a table of format @p cfg; returns false if it cannot. */
static bool table_new(const struct pt_config *cfg, struct page_table *pt)
{
	ostd_err_t err = pt_test_new_table(cfg, pt);

	if (err != OSTD_OK) {
		conc_fail(NULL, "pt_test_new_table = %d", (int)err);
		return false;
	}
	return true;
}

/* Frees the table and waits out RCU so its nodes are counted as free. */
static void table_destroy(struct page_table *pt)
{
	page_table_destroy(pt);
	pt_rcu_barrier();
}

/* ---------------------------------------------------------------------
 * Disjoint windows, exact model.
 * --------------------------------------------------------------------- */

#define DJ_WINDOW_PAGES 1024 /* 4 MiB: two level-1 nodes' worth. */
#define DJ_OPS 600
#define DJ_MAX_LEN 16

struct dj_page {
	paddr_t pa; /* 0: nothing mapped (frame 0 is never handed out). */
	bool w;
};

static struct dj_page dj_model[CONC_MAX_WORKERS][DJ_WINDOW_PAGES];
static struct page_table dj_pt;

static uint64_t dj_base(unsigned int index)
{
	/* 1 GiB apart: workers share no level-1 or level-2 node. */
	return dj_pt.va_start + (1 + index) * SMP_SZ_1G;
}

static uint64_t dj_mapped(const struct dj_page *m, uint64_t first, uint64_t n)
{
	uint64_t count = 0;

	for (uint64_t i = first; i < first + n; i++) {
		count += pa_addr(m[i].pa) != 0;
	}
	return count;
}

static void dj_map(struct conc_worker *w, struct dj_page *m, uint64_t base,
		   uint64_t first, uint64_t n)
{
	bool wr = pt_test_rng_pct(&w->rng, 50);
	struct pt_cursor c;

	if (!open_cursor(w, &dj_pt, base + first * PAGE_SIZE, n * PAGE_SIZE,
			 true, &c)) {
		return;
	}
	for (uint64_t i = first; i < first + n && !conc_failed(); i++) {
		paddr_t pa;
		ostd_err_t err =
			map_fresh(w, &c, base + i * PAGE_SIZE, wr, &pa);
		ostd_err_t want = pa_addr(m[i].pa) != 0 ? OSTD_EEXIST : OSTD_OK;

		if (err != want) {
			conc_fail(w, "map at 0x%llx = %d, model wants %d",
				  (unsigned long long)(base + i * PAGE_SIZE),
				  (int)err, (int)want);
			break;
		}
		if (err == OSTD_OK) {
			m[i] = (struct dj_page){ .pa = pa, .w = wr };
		}
		perturb(w);
	}
	close_cursor(w, &c);
}

static void dj_unmap(struct conc_worker *w, struct dj_page *m, uint64_t base,
		     uint64_t first, uint64_t n)
{
	uint64_t want = dj_mapped(m, first, n);
	uint64_t count = 0;
	struct pt_cursor c;

	if (!open_cursor(w, &dj_pt, base + first * PAGE_SIZE, n * PAGE_SIZE,
			 true, &c)) {
		return;
	}
	conc_doing(w, "unmap");
	ostd_err_t err = pt_cursor_unmap(&c, n * PAGE_SIZE, &count);

	perturb(w);
	close_cursor(w, &c);
	if (err != OSTD_OK || count != want) {
		conc_fail(w,
			  "unmap(0x%llx, %llu pages) = %d, %llu leaves; "
			  "model wants %llu",
			  (unsigned long long)(base + first * PAGE_SIZE),
			  (unsigned long long)n, (int)err,
			  (unsigned long long)count, (unsigned long long)want);
		return;
	}
	for (uint64_t i = first; i < first + n; i++) {
		m[i] = (struct dj_page){ .pa = pa_init(0) };
	}
}

static void dj_protect(struct conc_worker *w, struct dj_page *m, uint64_t base,
		       uint64_t first, uint64_t n)
{
	bool wr = pt_test_rng_pct(&w->rng, 50);
	uint64_t want = dj_mapped(m, first, n);
	struct pt_cursor c;

	if (!open_cursor(w, &dj_pt, base + first * PAGE_SIZE, n * PAGE_SIZE,
			 true, &c)) {
		return;
	}
	int64_t changed = protect_range(w, &c, base + first * PAGE_SIZE,
					n * PAGE_SIZE, wr);

	perturb(w);
	close_cursor(w, &c);
	if (changed < 0 || (uint64_t)changed != want) {
		conc_fail(w,
			  "protect(%llu pages) changed %lld leaves; model "
			  "wants %llu",
			  (unsigned long long)n, (long long)changed,
			  (unsigned long long)want);
		return;
	}
	for (uint64_t i = first; i < first + n; i++) {
		m[i].w = wr;
	}
}

static void dj_query(struct conc_worker *w, struct dj_page *m, uint64_t base,
		     uint64_t first, uint64_t n)
{
	struct pt_cursor c;

	if (!open_cursor(w, &dj_pt, base + first * PAGE_SIZE, n * PAGE_SIZE,
			 false, &c)) {
		return;
	}
	conc_doing(w, "query");
	for (uint64_t i = first; i < first + n; i++) {
		struct pt_query q;
		ostd_err_t err = pt_cursor_jump(&c, base + i * PAGE_SIZE);

		if (err == OSTD_OK) {
			err = pt_cursor_query(&c, &q);
		}
		bool mapped = err == OSTD_OK && q.item.kind != PT_ITEM_NONE;

		if (err != OSTD_OK || mapped != (pa_addr(m[i].pa) != 0) ||
		    (mapped && (pa_addr(q.item.pa) != pa_addr(m[i].pa) ||
				(q.prop.flags & SMP_PROP_MASK) !=
					prop_of(m[i].w).flags))) {
			conc_fail(w,
				  "query at 0x%llx = %d disagrees with the "
				  "model",
				  (unsigned long long)(base + i * PAGE_SIZE),
				  (int)err);
			break;
		}
	}
	close_cursor(w, &c);
}

static void dj_worker(struct conc_worker *w)
{
	struct dj_page *m = dj_model[w->index];
	uint64_t base = dj_base(w->index);

	for (unsigned int op = 0; op < DJ_OPS && !conc_failed(); op++) {
		uint64_t kind = pt_test_rng_below(&w->rng, 100);
		uint64_t n = 1 + pt_test_rng_below(&w->rng, DJ_MAX_LEN);
		uint64_t first;

		atomic_store_explicit(&w->ops, op, memory_order_relaxed);
		if (kind >= 90) {
			/* A whole 2 MiB: detaches a level-1 node (RCU). */
			n = SMP_PAGES_2M;
			first = pt_test_rng_below(&w->rng,
						  DJ_WINDOW_PAGES / n) *
				n;
			dj_unmap(w, m, base, first, n);
			continue;
		}
		first = pt_test_rng_below(&w->rng, DJ_WINDOW_PAGES - n + 1);
		if (kind < 40) {
			dj_map(w, m, base, first, n);
		} else if (kind < 60) {
			dj_unmap(w, m, base, first, n);
		} else if (kind < 75) {
			dj_protect(w, m, base, first, n);
		} else {
			dj_query(w, m, base, first, n);
		}
	}
}

/* Every leaf of the table must be modelled, and the counts must match. */
struct dj_verify {
	uint64_t pages;
	unsigned int workers;
	unsigned int errors;
};

static void dj_verify_leaf(const struct pt_query *q, void *ctx)
{
	struct dj_verify *v = ctx;
	uint64_t index = (q->va - dj_pt.va_start) / SMP_SZ_1G - 1;
	uint64_t page = (q->va - dj_base((unsigned int)index)) / PAGE_SIZE;

	v->pages++;
	if (q->va < dj_base(0) || index >= v->workers ||
	    page >= DJ_WINDOW_PAGES || q->size != PAGE_SIZE ||
	    pa_addr(dj_model[index][page].pa) != pa_addr(q->item.pa) ||
	    frame_refcount(q->item.pa) != 1) {
		if (v->errors++ == 0) {
			conc_fail(NULL,
				  "leaf at 0x%llx (pa 0x%llx) is not "
				  "as modelled",
				  (unsigned long long)q->va,
				  (unsigned long long)pa_addr(q->item.pa));
		}
	}
}

TEST_FORMAT(pt_smp, disjoint_windows)
{
	uint64_t in_use = frame_stats_in_use();
	unsigned int n = conc_worker_count(SMP_HOST_WORKERS);
	struct pt_check_stats st;

	(void)conc_begin("pt_smp.disjoint_windows");
	ASSERT_TRUE(table_new(cfg, &dj_pt));
	for (unsigned int k = 0; k < n; k++) {
		for (unsigned int i = 0; i < DJ_WINDOW_PAGES; i++) {
			dj_model[k][i] = (struct dj_page){ .pa = pa_init(0) };
		}
	}
	conc_run(n, dj_worker, NULL);

	struct dj_verify v = { .workers = n };
	uint64_t expect = 0;

	pt_for_each_leaf(&dj_pt, dj_verify_leaf, &v);
	for (unsigned int k = 0; k < n; k++) {
		expect += dj_mapped(dj_model[k], 0, DJ_WINDOW_PAGES);
	}
	bool structure_ok = pt_check(&dj_pt, &st) == OSTD_OK;

	table_destroy(&dj_pt);
	ostd_printf("  %u worker(s) x %u ops, %llu pages mapped at the end\n",
		    n, DJ_OPS, (unsigned long long)v.pages);
	ASSERT_FALSE(conc_failed());
	ASSERT_EQ(v.errors, 0);
	ASSERT_EQ(v.pages, expect);
	ASSERT_TRUE(structure_ok);
	ASSERT_EQ(frame_stats_in_use(), in_use);
}

/* ---------------------------------------------------------------------
 * Stress: one shared window, random overlapping ops.
 * --------------------------------------------------------------------- */

#define ST_WINDOW_PAGES 2048 /* 8 MiB: four level-1 nodes, shared. */
#define ST_OPS 500
#define ST_MAX_LEN 32

static struct page_table st_pt;

static uint64_t st_base(void)
{
	return st_pt.va_start + SMP_SZ_1G;
}

static void st_map(struct conc_worker *w, uint64_t va, uint64_t n)
{
	bool wr = pt_test_rng_pct(&w->rng, 50);
	struct pt_cursor c;

	if (!open_cursor(w, &st_pt, va, n * PAGE_SIZE, true, &c)) {
		return;
	}
	for (uint64_t i = 0; i < n && !conc_failed(); i++) {
		paddr_t pa;
		ostd_err_t err = map_fresh(w, &c, va + i * PAGE_SIZE, wr, &pa);

		/* Another worker may have mapped it first. */
		if (err != OSTD_OK && err != OSTD_EEXIST) {
			conc_fail(w, "map at 0x%llx = %d",
				  (unsigned long long)(va + i * PAGE_SIZE),
				  (int)err);
			break;
		}
		perturb(w);
	}
	close_cursor(w, &c);
}

static void st_unmap(struct conc_worker *w, uint64_t va, uint64_t n)
{
	uint64_t count = 0;
	struct pt_cursor c;

	if (!open_cursor(w, &st_pt, va, n * PAGE_SIZE, true, &c)) {
		return;
	}
	conc_doing(w, "unmap");
	ostd_err_t err = pt_cursor_unmap(&c, n * PAGE_SIZE, &count);

	perturb(w);
	close_cursor(w, &c);
	/* Only 4 KiB leaves exist here: never more leaves than pages. */
	if (err != OSTD_OK || count > n) {
		conc_fail(w, "unmap(0x%llx, %llu pages) = %d, %llu leaves",
			  (unsigned long long)va, (unsigned long long)n,
			  (int)err, (unsigned long long)count);
	}
}

static void st_protect(struct conc_worker *w, uint64_t va, uint64_t n)
{
	struct pt_cursor c;

	if (!open_cursor(w, &st_pt, va, n * PAGE_SIZE, true, &c)) {
		return;
	}
	int64_t changed = protect_range(w, &c, va, n * PAGE_SIZE,
					pt_test_rng_pct(&w->rng, 50));

	perturb(w);
	close_cursor(w, &c);
	if (changed > (int64_t)n) {
		conc_fail(w, "protect(%llu pages) changed %lld leaves",
			  (unsigned long long)n, (long long)changed);
	}
}

/*
 * A read cursor may see any interleaving, but never a torn or foreign
 * leaf: every mapped slot is one 4 KiB page of a managed frame, readable
 * and user, as every map in this test makes it.
 */
static void st_query(struct conc_worker *w, uint64_t va, uint64_t n)
{
	struct pt_cursor c;

	if (!open_cursor(w, &st_pt, va, n * PAGE_SIZE, false, &c)) {
		return;
	}
	conc_doing(w, "query");
	for (uint64_t i = 0; i < n; i++) {
		struct pt_query q;
		ostd_err_t err = pt_cursor_jump(&c, va + i * PAGE_SIZE);

		if (err == OSTD_OK) {
			err = pt_cursor_query(&c, &q);
		}
		if (err != OSTD_OK) {
			conc_fail(w, "query at 0x%llx = %d",
				  (unsigned long long)(va + i * PAGE_SIZE),
				  (int)err);
			break;
		}
		if (q.item.kind == PT_ITEM_NONE) {
			continue;
		}
		if (q.item.kind != PT_ITEM_FRAME || q.size != PAGE_SIZE ||
		    q.va != va + i * PAGE_SIZE ||
		    !frame_range_is_managed(q.item.pa, PAGE_SIZE) ||
		    (q.prop.flags & (PROT_R | PROT_USER)) !=
			    (PROT_R | PROT_USER)) {
			conc_fail(w,
				  "query at 0x%llx: kind %d size 0x%llx "
				  "pa 0x%llx flags 0x%x",
				  (unsigned long long)(va + i * PAGE_SIZE),
				  (int)q.item.kind, (unsigned long long)q.size,
				  (unsigned long long)pa_addr(q.item.pa),
				  (unsigned int)q.prop.flags);
			break;
		}
	}
	close_cursor(w, &c);
}

static void st_worker(struct conc_worker *w)
{
	for (unsigned int op = 0; op < ST_OPS && !conc_failed(); op++) {
		uint64_t kind = pt_test_rng_below(&w->rng, 100);
		uint64_t n = 1 + pt_test_rng_below(&w->rng, ST_MAX_LEN);
		uint64_t first;

		atomic_store_explicit(&w->ops, op, memory_order_relaxed);
		if (kind >= 92) {
			/* A whole 2 MiB: frees a shared level-1 node. */
			n = SMP_PAGES_2M;
			first = pt_test_rng_below(&w->rng,
						  ST_WINDOW_PAGES / n) *
				n;
		} else {
			first = pt_test_rng_below(&w->rng,
						  ST_WINDOW_PAGES - n + 1);
		}
		uint64_t va = st_base() + first * PAGE_SIZE;

		if (kind >= 92 || (kind >= 35 && kind < 55)) {
			st_unmap(w, va, n);
		} else if (kind < 35) {
			st_map(w, va, n);
		} else if (kind < 70) {
			st_protect(w, va, n);
		} else {
			st_query(w, va, n);
		}
	}
}

static void st_count_leaf(const struct pt_query *q, void *ctx)
{
	(void)q;
	(*(uint64_t *)ctx)++;
}

TEST_FORMAT(pt_smp, stress_shared_window)
{
	uint64_t in_use = frame_stats_in_use();
	unsigned int n = conc_worker_count(SMP_HOST_WORKERS);
	struct pt_check_stats st;

	(void)conc_begin("pt_smp.stress_shared_window");
	ASSERT_TRUE(table_new(cfg, &st_pt));
	conc_run(n, st_worker, NULL);

	/* Quiescent now: the invariant checkers may walk the table. */
	bool structure_ok = pt_check(&st_pt, &st) == OSTD_OK;
	bool accounting_ok = pt_check_accounting(&st_pt, NULL, 0, NULL, NULL);
	uint64_t leaves = 0;
	uint64_t unmapped = 0;
	struct pt_cursor c;

	pt_for_each_leaf(&st_pt, st_count_leaf, &leaves);
	ostd_err_t err = pt_cursor_new_mut(
		&st_pt, st_base(), st_base() + ST_WINDOW_PAGES * PAGE_SIZE, &c);

	if (err == OSTD_OK) {
		err = pt_cursor_unmap(&c, ST_WINDOW_PAGES * PAGE_SIZE,
				      &unmapped);
		pt_cursor_drop(&c);
	}
	table_destroy(&st_pt);
	ostd_printf("  %u worker(s) x %u ops, %llu leaves at the end\n", n,
		    ST_OPS, (unsigned long long)leaves);
	ASSERT_FALSE(conc_failed());
	ASSERT_TRUE(structure_ok);
	ASSERT_TRUE(accounting_ok);
	ASSERT_EQ(err, OSTD_OK);
	ASSERT_EQ(unmapped, leaves);
	/* Every frame mapped, and every node, came back. */
	ASSERT_EQ(frame_stats_in_use(), in_use);
}
