// SPDX-License-Identifier: MPL-2.0
/*
 * H1-H4: creating cursors and mapping, on every format, beside the flat
 * array, the cursor toy and the xv6 toy (BENCHMARKS.md).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"

#include "bench.h"
#include "toys.h"

/* Where the benchmarks map: 1 TiB, aligned far beyond any leaf size. */
#define BASE_VA (1ULL << 40)

/* The state of one variant: a format's table or a toy. */
struct map_ctx {
	struct bench_fmt *f;
	struct bench_metrics *m;
	struct page_table pt;
	struct toy_pt toy;
	toy_pte *flat;
	uint64_t n;       /* Pages (or leaves) per run. */
	pt_level_t level; /* Leaf level mapped. */
	uint64_t frames0; /* Frames in use before the table existed. */
	uint64_t flushes0;
	const uint64_t *order; /* 2 MiB chunk order, or NULL. */
};

static void ostd_setup(void *p)
{
	struct map_ctx *c = p;

	c->frames0 = frame_stats_in_use();
	bench_table_new(c->f, &c->pt);
	c->flushes0 = bench_flush_count();
}

static void ostd_teardown(void *p)
{
	struct map_ctx *c = p;
	uint64_t nodes = frame_stats_in_use() - c->frames0;
	/* Pages mapped: leaves of a huge level count as their 4 KiB pages. */
	double pages = (double)c->n * (double)(pt_page_size(c->level) >> 12);

	c->m->has_pt = true;
	c->m->pt_bytes = (double)(nodes * PAGE_SIZE) / pages;
	c->m->meta_bytes = (double)(nodes * FRAME_META_SIZE) / pages;
	c->m->has_flushes = true;
	c->m->flushes = (double)(bench_flush_count() - c->flushes0);
	bench_table_destroy(&c->pt);
}

static void must_ok(ostd_err_t err)
{
	if (err != OSTD_OK) {
		bench_fail("core call failed: %s", ostd_err_name(err));
		exit(1);
	}
}

/* H2: n pages, one cursor: the transactional batch. */
static void ostd_map_batch(void *p)
{
	struct map_ctx *c = p;
	uint64_t size = pt_page_size(c->level);
	struct pt_cursor cur;
	struct pt_prop prop = bench_prop_rw();

	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA, BASE_VA + c->n * size,
				  &cur));
	if (c->level == 1) {
		/* 4 KiB pages: one batch (pt_cursor_map_pages()). */
		must_ok(pt_cursor_map_pages(
			&cur, pt_item_untracked(pa_init(BENCH_UNTRACKED_PA), 1),
			c->n, prop));
	}
	for (uint64_t i = 0; c->level != 1 && i < c->n; i++) {
		paddr_t pa = pa_init(BENCH_UNTRACKED_PA + i * size);

		must_ok(pt_cursor_map(&cur, pt_item_untracked(pa, c->level),
				      prop));
	}
	c->m->dispatches = (double)cur.flusher.dispatches;
	pt_cursor_drop(&cur);
}

/* H2, random 2 MiB chunks: one cursor over the span, jumping around. */
static void ostd_map_chunks(void *p)
{
	struct map_ctx *c = p;
	uint64_t chunks = c->n / 512;
	struct pt_cursor cur;
	struct pt_prop prop = bench_prop_rw();

	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA,
				  BASE_VA + chunks * 4 * (2ULL << 20), &cur));
	for (uint64_t k = 0; k < chunks; k++) {
		uint64_t va = BASE_VA + c->order[k] * (2ULL << 20);

		must_ok(pt_cursor_jump(&cur, va));
		must_ok(pt_cursor_map_pages(
			&cur,
			pt_item_untracked(pa_init(BENCH_UNTRACKED_PA +
						  k * 512 * PAGE_SIZE),
					  1),
			512, prop));
	}
	pt_cursor_drop(&cur);
}

/* H3: one page per cursor. */
static void ostd_map_single(void *p)
{
	struct map_ctx *c = p;
	struct pt_prop prop = bench_prop_rw();

	for (uint64_t i = 0; i < c->n; i++) {
		struct pt_cursor cur;
		uint64_t va = BASE_VA + i * PAGE_SIZE;

		must_ok(pt_cursor_new_mut(&c->pt, va, va + PAGE_SIZE, &cur));
		must_ok(pt_cursor_map(
			&cur,
			pt_item_untracked(
				pa_init(BENCH_UNTRACKED_PA + i * PAGE_SIZE), 1),
			prop));
		pt_cursor_drop(&cur);
	}
}

static void toy_setup(void *p)
{
	struct map_ctx *c = p;

	toy_pt_new(&c->toy);
}

static void toy_teardown(void *p)
{
	struct map_ctx *c = p;
	double pages = (double)c->n * (double)(pt_page_size(c->level) >> 12);

	c->m->has_pt = true;
	c->m->pt_bytes = (double)(toy_pool_in_use() * 4096) / pages;
	toy_pt_free(&c->toy);
}

static void toy_map_cursor(void *p)
{
	struct map_ctx *c = p;

	BENCH_CHECK(toy_cursor_map(&c->toy, BASE_VA, c->n, BENCH_UNTRACKED_PA,
				   TOY_PERM));
}

static void toy_map_chunks(void *p)
{
	struct map_ctx *c = p;

	for (uint64_t k = 0; k < c->n / 512; k++) {
		BENCH_CHECK(toy_cursor_map(
			&c->toy, BASE_VA + c->order[k] * (2ULL << 20), 512,
			BENCH_UNTRACKED_PA + k * 512 * 4096, TOY_PERM));
	}
}

static void toy_map_xv6_locked(void *p)
{
	struct map_ctx *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		BENCH_CHECK(toy_mappages_locked(
			&c->toy, BASE_VA + i * 4096, 4096,
			BENCH_UNTRACKED_PA + i * 4096, TOY_PERM));
	}
}

static void toy_map_xv6(void *p)
{
	struct map_ctx *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		BENCH_CHECK(toy_mappages(&c->toy, BASE_VA + i * 4096, 4096,
					 BENCH_UNTRACKED_PA + i * 4096,
					 TOY_PERM));
	}
}

/* 2 MiB / 1 GiB leaves in the toy: a walk to the level, then PS. */
static void toy_map_huge(void *p)
{
	struct map_ctx *c = p;
	uint64_t size = pt_page_size(c->level);

	for (uint64_t i = 0; i < c->n; i++) {
		toy_pte *pte = toy_walk_to(&c->toy, BASE_VA + i * size,
					   c->level, true);

		*pte = (BENCH_UNTRACKED_PA + i * size) | TOY_PERM | TOY_PS |
		       TOY_P;
	}
}

static void flat_map(void *p)
{
	struct map_ctx *c = p;

	toy_flat_map(c->flat, c->n, BENCH_UNTRACKED_PA, TOY_PERM);
	bench_clobber(c->flat);
}

/* Up to 3 formats plus 4 baselines. */
#define MAX_V (BENCH_MAX_FMTS + 4)

struct variants {
	struct bench_variant v[MAX_V];
	struct map_ctx ctx[MAX_V];
	unsigned int count;
};

static struct bench_variant *add(struct variants *vs, const char *name,
				 void (*setup)(void *), void (*run)(void *),
				 void (*teardown)(void *), uint64_t n,
				 pt_level_t level)
{
	unsigned int k = vs->count++;

	vs->ctx[k] =
		(struct map_ctx){ .n = n, .level = level, .m = &vs->v[k].m };
	vs->v[k] = (struct bench_variant){ .name = name,
					   .ctx = &vs->ctx[k],
					   .setup = setup,
					   .run = run,
					   .teardown = teardown };
	return &vs->v[k];
}

static char fmt_names[BENCH_MAX_FMTS][32];

static const char *ostd_name(unsigned int i)
{
	snprintf(fmt_names[i], sizeof(fmt_names[i]), "ostd/%s",
		 bench_fmt(i)->name);
	return fmt_names[i];
}

static void add_ostd(struct variants *vs, void (*run)(void *), uint64_t n,
		     pt_level_t level, const uint64_t *order)
{
	for (unsigned int i = 0; i < bench_fmt_count(); i++) {
		add(vs, ostd_name(i), ostd_setup, run, ostd_teardown, n, level);
		vs->ctx[vs->count - 1].f = bench_fmt(i);
		vs->ctx[vs->count - 1].order = order;
	}
}

static toy_pte *flat_array(uint64_t n)
{
	size_t bytes = (size_t)(n * sizeof(toy_pte));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("flat array");
		exit(1);
	}
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	return p;
}

/* A fixed pseudo-random permutation of 0..n-1 (xorshift, Fisher-Yates). */
static uint64_t *permutation(uint64_t n, uint64_t seed)
{
	uint64_t *a = malloc(n * sizeof(*a));

	if (a == NULL) {
		exit(1);
	}
	for (uint64_t i = 0; i < n; i++) {
		a[i] = i;
	}
	for (uint64_t i = n - 1; i > 0; i--) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		uint64_t j = seed % (i + 1);
		uint64_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
	return a;
}

static void h2(void)
{
	static const uint64_t quick[] = { 4096, 65536, 1048576 };
	static const uint64_t full[] = { 1024, 16384, 262144, 1048576,
					 10000000 };
	const uint64_t *ns = bench_opts.mode == BENCH_FULL ? full : quick;
	unsigned int count = bench_opts.mode == BENCH_FULL ? 5 : 3;

	if (bench_opts.mode == BENCH_SMOKE) {
		count = 1;
	}
	for (unsigned int i = 0; i < count; i++) {
		uint64_t n = bench_opts.mode == BENCH_SMOKE ? 1024 : ns[i];
		struct variants vs = { .count = 0 };
		toy_pte *flat = flat_array(n);

		add_ostd(&vs, ostd_map_batch, n, 1, NULL);
		add(&vs, "toy-cursor", toy_setup, toy_map_cursor, toy_teardown,
		    n, 1);
		add(&vs, "toy-xv6", toy_setup, toy_map_xv6, toy_teardown, n, 1);
		add(&vs, "flat", NULL, flat_map, NULL, n, 1);
		vs.ctx[vs.count - 1].flat = flat;
		struct bench_case c = { .id = "H2",
					.name = "map-seq",
					.n = n,
					.ops = n,
					.unit = "page" };

		bench_run(&c, vs.v, vs.count);
		munmap(flat, (size_t)(n * sizeof(toy_pte)));
	}
	/* Random 2 MiB chunks, one cursor over a span 4x as large. */
	uint64_t n = bench_size(1024, 65536, 1048576);
	uint64_t *order = permutation(n / 512 * 4, 42);
	struct variants vs = { .count = 0 };

	add_ostd(&vs, ostd_map_chunks, n, 1, order);
	add(&vs, "toy-cursor", toy_setup, toy_map_chunks, toy_teardown, n, 1);
	vs.ctx[vs.count - 1].order = order;
	struct bench_case c = { .id = "H2",
				.name = "map-rand2m",
				.n = n,
				.ops = n,
				.unit = "page" };

	bench_run(&c, vs.v, vs.count);
	free(order);
}

static void h3(void)
{
	static const uint64_t sizes[] = { 4096, 65536, 1048576 };
	unsigned int count = (unsigned int)bench_size(1, 2, 3);

	for (unsigned int i = 0; i < count; i++) {
		uint64_t n = bench_opts.mode == BENCH_SMOKE ? 1024 : sizes[i];
		struct variants vs = { .count = 0 };

		add_ostd(&vs, ostd_map_single, n, 1, NULL);
		add(&vs, "toy-xv6", toy_setup, toy_map_xv6, toy_teardown, n, 1);
		add(&vs, "toy-xv6-locked", toy_setup, toy_map_xv6_locked,
		    toy_teardown, n, 1);
		struct bench_case c = { .id = "H3",
					.name = "map-1-per-cursor",
					.n = n,
					.ops = n,
					.unit = "page" };

		bench_run(&c, vs.v, vs.count);
	}
}

/* ---------------------------------------------------------------------
 * H1: cursor creation and drop.
 * --------------------------------------------------------------------- */

struct h1_ctx {
	struct page_table *pt;
	uint64_t len;
	uint64_t count;
	bool is_mut;
};

static void h1_run(void *p)
{
	struct h1_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		struct pt_cursor cur;

		if (c->is_mut) {
			must_ok(pt_cursor_new_mut(c->pt, BASE_VA,
						  BASE_VA + c->len, &cur));
		} else {
			must_ok(pt_cursor_new(c->pt, BASE_VA, BASE_VA + c->len,
					      &cur));
		}
		pt_cursor_drop(&cur);
	}
}

static void h1(void)
{
	static const uint64_t lens[] = { 4096, 2ULL << 20, 1ULL << 30 };
	static const char *const names[] = { "4k", "2m", "1g" };
	uint64_t count = bench_size(4, 2000, 10000);
	struct bench_fmt *f = bench_fmt(0);

	for (unsigned int populated = 0; populated < 2; populated++) {
		for (unsigned int i = 0; i < 3; i++) {
			struct page_table pt;

			bench_table_new(f, &pt);
			/* Creating the nodes down to the guard is a one-off. */
			struct pt_cursor cur;

			must_ok(pt_cursor_new_mut(&pt, BASE_VA,
						  BASE_VA + lens[i], &cur));
			pt_cursor_drop(&cur);
			if (populated != 0) {
				bench_map_untracked(&pt, BASE_VA,
						    lens[i] / PAGE_SIZE);
			}
			/* A 1 GiB cursor locks up to 513 nodes: fewer runs. */
			uint64_t k = i == 2 ? count / 64 + 1 : count;
			struct h1_ctx rd = { &pt, lens[i], k, false };
			struct h1_ctx wr = { &pt, lens[i], k, true };
			struct bench_variant v[] = {
				{ .name = "ostd/read",
				  .ctx = &rd,
				  .run = h1_run },
				{ .name = "ostd/mut",
				  .ctx = &wr,
				  .run = h1_run },
			};
			char name[32];

			snprintf(name, sizeof(name), "%s-%s", names[i],
				 populated != 0 ? "populated" : "empty");
			struct bench_case c = { .id = "H1",
						.name = name,
						.n = lens[i] / PAGE_SIZE,
						.ops = k,
						.unit = "cursor" };

			bench_run(&c, v, 2);
			bench_table_destroy(&pt);
		}
	}
}

/* ---------------------------------------------------------------------
 * H4: huge leaves, and splitting one.
 * --------------------------------------------------------------------- */

static void clear_w(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_W;
}

struct split_ctx {
	struct bench_fmt *f;
	struct page_table pt;
	uint64_t n;
};

static void split_setup(void *p)
{
	struct split_ctx *c = p;
	struct pt_cursor cur;

	bench_table_new(c->f, &c->pt);
	must_ok(pt_cursor_new_mut(&c->pt, BASE_VA,
				  BASE_VA + c->n * (2ULL << 20), &cur));
	for (uint64_t i = 0; i < c->n; i++) {
		must_ok(pt_cursor_map(
			&cur,
			pt_item_untracked(
				pa_init(BENCH_UNTRACKED_PA + i * (2ULL << 20)),
				2),
			bench_prop_rw()));
	}
	pt_cursor_drop(&cur);
}

/* Protects one 4 KiB page in the middle of each 2 MiB leaf. */
static void split_run(void *p)
{
	struct split_ctx *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		uint64_t va = BASE_VA + i * (2ULL << 20) + (1ULL << 20);
		struct pt_cursor cur;
		uint64_t start;
		uint64_t len;

		must_ok(pt_cursor_new_mut(&c->pt, va, va + PAGE_SIZE, &cur));
		must_ok(pt_cursor_protect_next(&cur, PAGE_SIZE, clear_w, NULL,
					       &start, &len));
		tlb_flusher_issue(
			pt_cursor_flusher(&cur),
			(struct tlb_op){ .kind = TLB_OP_PAGE, .va = start });
		pt_cursor_drop(&cur);
	}
}

static void split_teardown(void *p)
{
	struct split_ctx *c = p;

	bench_table_destroy(&c->pt);
}

static void h4(void)
{
	for (pt_level_t level = 2; level <= 3; level++) {
		uint64_t n = level == 2 ? bench_size(8, 4096, 65536)
					: bench_size(2, 256, 1024);
		struct variants vs = { .count = 0 };

		add_ostd(&vs, ostd_map_batch, n, level, NULL);
		add(&vs, "toy-cursor", toy_setup, toy_map_huge, toy_teardown, n,
		    level);
		struct bench_case c = { .id = "H4",
					.name = level == 2 ? "map-2m"
							   : "map-1g",
					.n = n,
					.ops = n,
					.unit = "leaf" };

		bench_run(&c, vs.v, vs.count);
	}
	uint64_t n = bench_size(4, 256, 1024);
	struct split_ctx sc[BENCH_MAX_FMTS];
	struct bench_variant v[BENCH_MAX_FMTS];

	for (unsigned int i = 0; i < bench_fmt_count(); i++) {
		sc[i] = (struct split_ctx){ .f = bench_fmt(i), .n = n };
		v[i] = (struct bench_variant){ .name = ostd_name(i),
					       .ctx = &sc[i],
					       .setup = split_setup,
					       .run = split_run,
					       .teardown = split_teardown };
	}
	struct bench_case c = { .id = "H4",
				.name = "split-2m",
				.n = n,
				.ops = n,
				.unit = "split" };

	bench_run(&c, v, bench_fmt_count());
}

void bench_core_map(void)
{
	if (bench_selected("H1")) {
		h1();
	}
	if (bench_selected("H2")) {
		h2();
	}
	if (bench_selected("H3")) {
		h3();
	}
	if (bench_selected("H4")) {
		h4();
	}
}
