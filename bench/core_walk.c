// SPDX-License-Identifier: MPL-2.0
/*
 * H5-H8: query, protect, unmap of populated memory and of empty ranges,
 * beside the toys and Linux's own mprotect() and munmap().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"

#include "bench.h"
#include "toys.h"

#define BASE_VA (1ULL << 40)

static void must_ok(ostd_err_t err)
{
	if (err != OSTD_OK) {
		bench_fail("core call failed: %s", ostd_err_name(err));
		exit(1);
	}
}

static char names[BENCH_MAX_FMTS][32];

static const char *ostd_name(unsigned int i)
{
	snprintf(names[i], sizeof(names[i]), "ostd/%s", bench_fmt(i)->name);
	return names[i];
}

/* One variant's state. */
struct walk_ctx {
	struct bench_fmt *f;
	struct bench_metrics *m;
	struct page_table pt;
	struct toy_pt toy;
	toy_pte *flat;
	uint8_t *linux_mem;
	uint64_t n;          /* Pages. */
	pt_level_t level;    /* Leaf level (H6 2 MiB). */
	bool tracked;        /* Map frames rather than raw ranges. */
	const uint64_t *idx; /* Random page indices (H5). */
	uint64_t lookups;
	uint64_t sum; /* Keeps queries from being optimised away. */
	uint64_t flushes0;
};

#define MAX_V (BENCH_MAX_FMTS + 4)

struct variants {
	struct bench_variant v[MAX_V];
	struct walk_ctx ctx[MAX_V];
	unsigned int count;
};

static struct walk_ctx *add(struct variants *vs, const char *name,
			    void (*setup)(void *), void (*run)(void *),
			    void (*teardown)(void *), uint64_t n)
{
	unsigned int k = vs->count++;

	vs->ctx[k] = (struct walk_ctx){ .n = n, .level = 1, .m = &vs->v[k].m };
	vs->v[k] = (struct bench_variant){ .name = name,
					   .ctx = &vs->ctx[k],
					   .setup = setup,
					   .run = run,
					   .teardown = teardown };
	return &vs->ctx[k];
}

/* Maps the variant's n pages (at its leaf level) with one cursor. */
static void ostd_populate(struct walk_ctx *c)
{
	bench_table_new(c->f, &c->pt);
	if (c->tracked) {
		bench_map_frames(&c->pt, BASE_VA, c->n);
		return;
	}
	uint64_t size = pt_page_size(c->level);
	uint64_t leaves = c->n * PAGE_SIZE / size;
	struct pt_cursor cur;

	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA, BASE_VA + leaves * size,
				  &cur));
	for (uint64_t i = 0; i < leaves; i++) {
		must_ok(pt_cursor_map(
			&cur,
			pt_item_untracked(
				pa_init(BENCH_UNTRACKED_PA + i * size),
				c->level),
			bench_prop_rw()));
	}
	pt_cursor_drop(&cur);
}

static void ostd_setup(void *p)
{
	struct walk_ctx *c = p;

	ostd_populate(c);
	c->flushes0 = bench_flush_count();
}

static void ostd_teardown(void *p)
{
	struct walk_ctx *c = p;

	c->m->has_flushes = true;
	c->m->flushes = (double)(bench_flush_count() - c->flushes0);
	bench_table_destroy(&c->pt);
}

static void toy_setup(void *p)
{
	struct walk_ctx *c = p;

	toy_pt_new(&c->toy);
	BENCH_CHECK(toy_cursor_map(&c->toy, BASE_VA, c->n, BENCH_UNTRACKED_PA,
				   TOY_PERM));
}

static void toy_teardown(void *p)
{
	struct walk_ctx *c = p;

	toy_pt_free(&c->toy);
}

/* ---------------------------------------------------------------------
 * H5: query.
 * --------------------------------------------------------------------- */

static void query_seq(void *p)
{
	struct walk_ctx *c = p;
	struct pt_cursor cur;
	uint64_t sum = 0;

	must_ok(pt_cursor_new(&c->pt, BASE_VA, BASE_VA + c->n * PAGE_SIZE,
			      &cur));
	for (uint64_t i = 0;; i++) {
		struct pt_query q;

		must_ok(pt_cursor_query(&cur, &q));
		sum += pa_addr(q.item.pa);
		if (i + 1 == c->n) {
			break;
		}
		must_ok(pt_cursor_jump(&cur, q.va + q.size));
	}
	pt_cursor_drop(&cur);
	c->sum = sum;
}

static void query_rand(void *p)
{
	struct walk_ctx *c = p;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < c->lookups; i++) {
		uint64_t va = BASE_VA + c->idx[i] * PAGE_SIZE;
		struct pt_cursor cur;
		struct pt_query q;

		must_ok(pt_cursor_new(&c->pt, va, va + PAGE_SIZE, &cur));
		must_ok(pt_cursor_query(&cur, &q));
		pt_cursor_drop(&cur);
		sum += pa_addr(q.item.pa);
	}
	c->sum = sum;
}

static void toy_query_seq(void *p)
{
	struct walk_ctx *c = p;

	c->sum = toy_cursor_query(&c->toy, BASE_VA, c->n);
}

static void toy_query_rand(void *p)
{
	struct walk_ctx *c = p;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < c->lookups; i++) {
		toy_pte *pte =
			toy_walk(&c->toy, BASE_VA + c->idx[i] * 4096, false);

		sum += *pte & TOY_ADDR;
	}
	c->sum = sum;
}

static void flat_query(void *p)
{
	struct walk_ctx *c = p;

	c->sum = toy_flat_query(c->flat, c->n);
}

/* The setups of H5 build the tables once per case; runs only read. */
static void h5_case(uint64_t n, bool random, const uint64_t *idx,
		    uint64_t lookups)
{
	struct variants vs = { .count = 0 };

	for (unsigned int i = 0; i < bench_fmt_count(); i++) {
		struct walk_ctx *c =
			add(&vs, ostd_name(i), NULL,
			    random ? query_rand : query_seq, NULL, n);

		c->f = bench_fmt(i);
		c->idx = idx;
		c->lookups = lookups;
		ostd_populate(c);
		if (random) {
			vs.v[vs.count - 1].ops = lookups;
		}
	}
	struct walk_ctx *t =
		add(&vs, random ? "toy-xv6-walk" : "toy-cursor", NULL,
		    random ? toy_query_rand : toy_query_seq, NULL, n);

	t->idx = idx;
	t->lookups = lookups;
	toy_setup(t);
	if (random) {
		vs.v[vs.count - 1].ops = lookups;
	}
	struct walk_ctx *fl = NULL;

	if (!random) {
		fl = add(&vs, "flat", NULL, flat_query, NULL, n);
		fl->flat = malloc(n * sizeof(toy_pte));
		if (fl->flat == NULL) {
			exit(1);
		}
		toy_flat_map(fl->flat, n, BENCH_UNTRACKED_PA, TOY_PERM);
	}
	struct bench_case c = { .id = "H5",
				.name = random ? "query-rand" : "query-seq",
				.n = n,
				.ops = random ? lookups : n,
				.unit = random ? "lookup" : "page" };

	bench_run(&c, vs.v, vs.count);
	/* Every variant must have seen the same mappings. */
	uint64_t want = vs.ctx[0].sum;

	for (unsigned int k = 0; k < bench_fmt_count(); k++) {
		BENCH_CHECK(vs.ctx[k].sum == want);
		bench_table_destroy(&vs.ctx[k].pt);
	}
	BENCH_CHECK(t->sum == want);
	toy_teardown(t);
	if (fl != NULL) {
		BENCH_CHECK(fl->sum == want);
		free(fl->flat);
	}
}

static void h5(void)
{
	static const uint64_t quick[] = { 4096, 262144 };
	static const uint64_t full[] = { 4096, 65536, 1048576, 4194304 };
	const uint64_t *ns = bench_opts.mode == BENCH_FULL ? full : quick;
	unsigned int count = (unsigned int)bench_size(1, 2, 4);
	uint64_t lookups = bench_size(64, 65536, 262144);

	for (unsigned int i = 0; i < count; i++) {
		uint64_t n = bench_opts.mode == BENCH_SMOKE ? 1024 : ns[i];
		uint64_t *idx = malloc(lookups * sizeof(*idx));
		uint64_t seed = 0x9e3779b97f4a7c15ULL;

		if (idx == NULL) {
			exit(1);
		}
		for (uint64_t k = 0; k < lookups; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			idx[k] = seed % n;
		}
		h5_case(n, false, NULL, 0);
		h5_case(n, true, idx, lookups);
		free(idx);
	}
}

/* ---------------------------------------------------------------------
 * H6: protect RW -> RO.
 * --------------------------------------------------------------------- */

static void clear_w(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_W;
}

/* protect_mask: the whole range in one call, which queues one flush. */
static void protect_run(void *p)
{
	struct walk_ctx *c = p;
	uint64_t len = c->n * PAGE_SIZE;
	struct pt_cursor cur;
	uint64_t leaves = 0;

	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA, BASE_VA + len, &cur));
	must_ok(pt_cursor_protect_mask(&cur, len, 0, PROT_W, &leaves));
	pt_cursor_drop(&cur);
	c->m->dispatches = (double)cur.flusher.dispatches;
	BENCH_CHECK(leaves == c->n * PAGE_SIZE / pt_page_size(c->level));
}

/* protect_next: one call and one callback per leaf, as a general change. */
static void protect_next_run(void *p)
{
	struct walk_ctx *c = p;
	uint64_t len = c->n * PAGE_SIZE;
	struct pt_cursor cur;
	uint64_t leaves = 0;

	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA, BASE_VA + len, &cur));
	for (;;) {
		uint64_t start;
		uint64_t size;
		uint64_t left = BASE_VA + len - pt_cursor_va(&cur);
		ostd_err_t err = pt_cursor_protect_next(&cur, left, clear_w,
							NULL, &start, &size);

		if (err == OSTD_ENOENT) {
			break;
		}
		must_ok(err);
		leaves++;
		if (pt_cursor_va(&cur) == BASE_VA + len) {
			break;
		}
	}
	/* What a VmSpace protect does: one flush for the whole range. */
	tlb_flusher_issue(pt_cursor_flusher(&cur),
			  (struct tlb_op){ .kind = TLB_OP_RANGE,
					   .va = BASE_VA,
					   .len = len });
	pt_cursor_drop(&cur);
	c->m->dispatches = (double)cur.flusher.dispatches;
	BENCH_CHECK(leaves == c->n * PAGE_SIZE / pt_page_size(c->level));
}

static void toy_protect(void *p)
{
	struct walk_ctx *c = p;

	toy_cursor_protect(&c->toy, BASE_VA, c->n, TOY_RW);
}

/* Linux: mprotect() of populated anonymous memory, RW -> RO. */
static void linux_setup_populated(void *p)
{
	struct walk_ctx *c = p;
	void *m = mmap(NULL, (size_t)(c->n * 4096), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	BENCH_CHECK(m != MAP_FAILED);
	c->linux_mem = m;
}

static void linux_mprotect(void *p)
{
	struct walk_ctx *c = p;

	BENCH_CHECK(mprotect(c->linux_mem, (size_t)(c->n * 4096), PROT_READ) ==
		    0);
}

static void linux_teardown_unmap(void *p)
{
	struct walk_ctx *c = p;

	if (c->linux_mem != NULL) {
		munmap(c->linux_mem, (size_t)(c->n * 4096));
		c->linux_mem = NULL;
	}
}

static void h6(void)
{
	static char next_name[32];
	static const uint64_t sizes[] = { 16, 512, 16384, 262144 };
	unsigned int first = bench_opts.mode == BENCH_SMOKE ? 1 : 0;
	unsigned int last = (unsigned int)bench_size(1, 2, 3);

	for (unsigned int i = first; i <= last; i++) {
		for (pt_level_t level = 1; level <= 2; level++) {
			uint64_t n = sizes[i];

			if (level == 2 && n < 512) {
				continue;
			}
			struct variants vs = { .count = 0 };

			for (unsigned int k = 0; k < bench_fmt_count(); k++) {
				struct walk_ctx *c =
					add(&vs, ostd_name(k), ostd_setup,
					    protect_run, ostd_teardown, n);

				c->f = bench_fmt(k);
				c->level = level;
			}
			/* The callback path, on the first format only. */
			snprintf(next_name, sizeof(next_name), "ostd-next/%s",
				 bench_fmt(0)->name);
			struct walk_ctx *nc =
				add(&vs, next_name, ostd_setup,
				    protect_next_run, ostd_teardown, n);

			nc->f = bench_fmt(0);
			nc->level = level;
			if (level == 1) {
				add(&vs, "toy-cursor", toy_setup, toy_protect,
				    toy_teardown, n);
				add(&vs, "linux", linux_setup_populated,
				    linux_mprotect, linux_teardown_unmap, n);
			}
			struct bench_case c = { .id = "H6",
						.name = level == 1
								? "protect-4k"
								: "protect-2m",
						.n = n,
						.ops = n,
						.unit = "page" };

			bench_run(&c, vs.v, vs.count);
		}
	}
}

/* ---------------------------------------------------------------------
 * H7: unmap of populated memory.
 * --------------------------------------------------------------------- */

static void unmap_run(void *p)
{
	struct walk_ctx *c = p;
	uint64_t len = c->n * PAGE_SIZE;
	struct pt_cursor cur;
	uint64_t count;

	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA, BASE_VA + len, &cur));
	must_ok(pt_cursor_unmap(&cur, len, &count));
	pt_cursor_drop(&cur);
	c->m->dispatches = (double)cur.flusher.dispatches;
	BENCH_CHECK(count == c->n);
}

static void toy_unmap(void *p)
{
	struct walk_ctx *c = p;

	BENCH_CHECK(toy_cursor_unmap(&c->toy, BASE_VA, c->n) == c->n);
}

static void toy_unmap_xv6(void *p)
{
	struct walk_ctx *c = p;

	BENCH_CHECK(toy_uvmunmap(&c->toy, BASE_VA, c->n));
}

static void linux_munmap(void *p)
{
	struct walk_ctx *c = p;

	munmap(c->linux_mem, (size_t)(c->n * 4096));
	c->linux_mem = NULL;
}

static void h7(void)
{
	static const uint64_t sizes[] = { 512, 4096, 16384, 32768 };
	unsigned int first = bench_opts.mode == BENCH_SMOKE ? 0 : 1;
	unsigned int last = (unsigned int)bench_size(0, 2, 3);

	for (unsigned int i = first; i <= last; i++) {
		uint64_t n = sizes[i];
		struct variants vs = { .count = 0 };

		for (unsigned int k = 0; k < bench_fmt_count(); k++) {
			struct walk_ctx *c = add(&vs, ostd_name(k), ostd_setup,
						 unmap_run, ostd_teardown, n);

			c->f = bench_fmt(k);
			c->tracked = true;
		}
		add(&vs, "toy-cursor", toy_setup, toy_unmap, toy_teardown, n);
		add(&vs, "toy-xv6", toy_setup, toy_unmap_xv6, toy_teardown, n);
		add(&vs, "linux", linux_setup_populated, linux_munmap,
		    linux_teardown_unmap, n);
		struct bench_case c = { .id = "H7",
					.name = "unmap-populated",
					.n = n,
					.ops = n,
					.unit = "page" };

		bench_run(&c, vs.v, vs.count);
	}
}

/* ---------------------------------------------------------------------
 * H8: unmap of empty ranges (unmap-virt).
 * --------------------------------------------------------------------- */

struct virt_ctx {
	struct bench_fmt *f;
	struct page_table pt;
	uint64_t len;
	uint64_t count;
};

static void virt_setup(void *p)
{
	struct virt_ctx *c = p;

	bench_table_new(c->f, &c->pt);
}

static void virt_run(void *p)
{
	struct virt_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		struct pt_cursor cur;
		uint64_t count;

		must_ok(pt_cursor_new_mut(&c->pt, BASE_VA, BASE_VA + c->len,
					  &cur));
		must_ok(pt_cursor_unmap(&cur, c->len, &count));
		pt_cursor_drop(&cur);
		BENCH_CHECK(count == 0);
	}
}

static void virt_teardown(void *p)
{
	struct virt_ctx *c = p;

	bench_table_destroy(&c->pt);
}

static void h8(void)
{
	static const uint64_t lens[] = { 4096, 2ULL << 20, 1ULL << 30,
					 1ULL << 39 };
	static const char *const case_names[] = { "empty-4k", "empty-2m",
						  "empty-1g", "empty-512g" };
	uint64_t count = bench_size(4, 2000, 10000);

	for (unsigned int i = 0; i < 4; i++) {
		struct virt_ctx vc[BENCH_MAX_FMTS];
		struct bench_variant v[BENCH_MAX_FMTS];

		for (unsigned int k = 0; k < bench_fmt_count(); k++) {
			vc[k] = (struct virt_ctx){ .f = bench_fmt(k),
						   .len = lens[i],
						   .count = count };
			v[k] = (struct bench_variant){ .name = ostd_name(k),
						       .ctx = &vc[k],
						       .setup = virt_setup,
						       .run = virt_run,
						       .teardown =
							       virt_teardown };
		}
		struct bench_case c = { .id = "H8",
					.name = case_names[i],
					.n = lens[i] / PAGE_SIZE,
					.ops = count,
					.unit = "unmap" };

		bench_run(&c, v, bench_fmt_count());
	}
}

void bench_core_walk(void)
{
	if (bench_selected("H5")) {
		h5();
	}
	if (bench_selected("H6")) {
		h6();
	}
	if (bench_selected("H7")) {
		h7();
	}
	if (bench_selected("H8")) {
		h8();
	}
}
