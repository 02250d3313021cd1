// SPDX-License-Identifier: MPL-2.0
/*
 * H9 frames, H10 populate (the fault path minus the trap) beside the
 * zeroing floor and Linux's MAP_POPULATE and anonymous faults, H11 the
 * copy-on-write clone, H13 page-table memory.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/vm_space.h"

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

static char names[2][BENCH_MAX_FMTS][40];

static const char *ostd_name(unsigned int i, const char *what)
{
	unsigned int k = what[0] == 'f' ? 0 : 1;

	snprintf(names[k][i], sizeof(names[k][i]), "ostd/%s/%s",
		 bench_fmt(i)->name, what);
	return names[k][i];
}

/* ---------------------------------------------------------------------
 * H9: frame allocation and release.
 * --------------------------------------------------------------------- */

struct h9_ctx {
	uint64_t count;
	uint64_t batch;
	unsigned int flags;
};

static void h9_run(void *p)
{
	struct h9_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		struct segment s;

		must_ok(segment_alloc(c->batch, &frame_type_untyped, c->flags,
				      &s));
		segment_drop(&s);
	}
}

static void h9_single(void *p)
{
	struct h9_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		struct frame f;

		must_ok(frame_alloc(&frame_type_untyped, &f));
		frame_drop(&f);
	}
}

static void h9(void)
{
	uint64_t count = bench_size(4, 20000, 100000);
	struct h9_ctx one = { count, 1, 0 };
	struct h9_ctx one_nz = { count, 1, FRAME_ALLOC_NOZERO };
	struct h9_ctx batch = { count / 64 + 1, 512, 0 };
	struct h9_ctx batch_nz = { count / 64 + 1, 512, FRAME_ALLOC_NOZERO };
	struct bench_variant v[] = {
		{ .name = "frame_alloc", .ctx = &one, .run = h9_single },
		{ .name = "segment-1-nozero", .ctx = &one_nz, .run = h9_run },
		{ .name = "segment-512",
		  .ctx = &batch,
		  .run = h9_run,
		  .ops = batch.count * 512 },
		{ .name = "segment-512-nozero",
		  .ctx = &batch_nz,
		  .run = h9_run,
		  .ops = batch_nz.count * 512 },
	};
	struct bench_case c = { .id = "H9",
				.name = "alloc-free",
				.n = 1,
				.ops = count,
				.unit = "frame" };

	bench_run(&c, v, 4);
}

/* ---------------------------------------------------------------------
 * H10: populate = allocate + zero + map.
 * --------------------------------------------------------------------- */

struct pop_ctx {
	struct bench_fmt *f;
	struct vm_space *vs;
	uint64_t n;
	struct segment zero_seg; /* The zeroing floor's frames. */
	uint8_t *linux_mem;
	struct toy_pt toy;
	uint8_t *toy_frames;
};

static struct pt_prop user_rw(void)
{
	/* vm_space_map_frame() adds PROT_USER itself. */
	return (struct pt_prop){ .flags = PROT_R | PROT_W,
				 .cache = PT_CACHE_WRITEBACK };
}

static void vs_setup(void *p)
{
	struct pop_ctx *c = p;

	must_ok(vm_space_new(&c->vs, &c->f->kpt, false));
}

static void vs_teardown(void *p)
{
	struct pop_ctx *c = p;
	struct vm_space_cursor cur;
	struct pt_query q;

	/* Spot-check the last page, then free everything. */
	uint64_t va = BASE_VA + (c->n - 1) * PAGE_SIZE;

	must_ok(vm_space_cursor(c->vs, va, va + PAGE_SIZE, &cur));
	must_ok(vm_space_cursor_query(&cur, &q));
	vm_space_cursor_drop(&cur);
	BENCH_CHECK(q.item.kind == PT_ITEM_FRAME);
	must_ok(vm_space_destroy(c->vs));
}

/* The fault path: one cursor per page, as a page-fault handler does. */
static void pop_fault(void *p)
{
	struct pop_ctx *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		uint64_t va = BASE_VA + i * PAGE_SIZE;
		struct frame f;
		struct vm_space_cursor cur;

		must_ok(frame_alloc(&frame_type_untyped, &f));
		must_ok(vm_space_cursor_mut(c->vs, va, va + PAGE_SIZE, &cur));
		must_ok(vm_space_map_frame(&cur, f.pa, user_rw()));
		vm_space_cursor_drop(&cur);
		frame_drop(&f);
	}
}

/* MAP_POPULATE's shape: one cursor over the whole range. */
static void pop_batch(void *p)
{
	struct pop_ctx *c = p;
	struct vm_space_cursor cur;

	must_ok(vm_space_cursor_mut(c->vs, BASE_VA, BASE_VA + c->n * PAGE_SIZE,
				    &cur));
	for (uint64_t i = 0; i < c->n; i++) {
		struct frame f;

		must_ok(frame_alloc(&frame_type_untyped, &f));
		must_ok(vm_space_map_frame(&cur, f.pa, user_rw()));
		frame_drop(&f);
	}
	vm_space_cursor_drop(&cur);
}

/* The floor: zeroing the same number of frames of the same arena. */
static void zero_run(void *p)
{
	struct pop_ctx *c = p;
	uint8_t *mem = arch_paddr_to_ptr(c->zero_seg.pa);

	for (uint64_t i = 0; i < c->n; i++) {
		memset(mem + i * PAGE_SIZE, 0, PAGE_SIZE);
	}
	bench_clobber(mem);
}

/* The toy: a zeroed page from its pool per page, then mappages(). */
static void toy_pop_setup(void *p)
{
	struct pop_ctx *c = p;

	toy_pt_new(&c->toy);
}

static void toy_pop_run(void *p)
{
	struct pop_ctx *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		uint8_t *page = c->toy_frames + i * PAGE_SIZE;

		memset(page, 0, PAGE_SIZE);
		BENCH_CHECK(toy_mappages(&c->toy, BASE_VA + i * PAGE_SIZE,
					 PAGE_SIZE, (uint64_t)(uintptr_t)page,
					 TOY_PERM));
	}
}

static void toy_pop_teardown(void *p)
{
	struct pop_ctx *c = p;

	toy_pt_free(&c->toy);
}

static void linux_populate(void *p)
{
	struct pop_ctx *c = p;
	void *m = mmap(NULL, (size_t)(c->n * 4096), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	BENCH_CHECK(m != MAP_FAILED);
	c->linux_mem = m;
}

static void linux_reserve(void *p)
{
	struct pop_ctx *c = p;
	void *m = mmap(NULL, (size_t)(c->n * 4096), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	BENCH_CHECK(m != MAP_FAILED);
	c->linux_mem = m;
}

static void linux_touch(void *p)
{
	struct pop_ctx *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		((volatile uint8_t *)c->linux_mem)[i * 4096] = 1;
	}
}

static void linux_unmap(void *p)
{
	struct pop_ctx *c = p;

	munmap(c->linux_mem, (size_t)(c->n * 4096));
}

static void h10(void)
{
	uint64_t n = bench_size(64, 8192, 16384);
	struct pop_ctx ctx[2 * BENCH_MAX_FMTS + 4];
	struct bench_variant v[2 * BENCH_MAX_FMTS + 4];
	unsigned int k = 0;

	for (unsigned int i = 0; i < bench_fmt_count(); i++) {
		ctx[k] = (struct pop_ctx){ .f = bench_fmt(i), .n = n };
		v[k] = (struct bench_variant){ .name = ostd_name(i, "fault"),
					       .ctx = &ctx[k],
					       .setup = vs_setup,
					       .run = pop_fault,
					       .teardown = vs_teardown };
		k++;
		ctx[k] = (struct pop_ctx){ .f = bench_fmt(i), .n = n };
		v[k] = (struct bench_variant){ .name = ostd_name(i, "batch"),
					       .ctx = &ctx[k],
					       .setup = vs_setup,
					       .run = pop_batch,
					       .teardown = vs_teardown };
		k++;
	}
	/* The floor's frames stay allocated for the whole case. */
	struct pop_ctx *z = &ctx[k];

	*z = (struct pop_ctx){ .n = n };
	must_ok(segment_alloc(n, &frame_type_untyped, FRAME_ALLOC_NOZERO,
			      &z->zero_seg));
	v[k++] = (struct bench_variant){ .name = "zero-4k",
					 .ctx = z,
					 .run = zero_run };
	struct pop_ctx *t = &ctx[k];

	*t = (struct pop_ctx){ .n = n };
	t->toy_frames =
		mmap(NULL, (size_t)(n * PAGE_SIZE), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	BENCH_CHECK(t->toy_frames != MAP_FAILED);
	v[k++] = (struct bench_variant){ .name = "toy-xv6",
					 .ctx = t,
					 .setup = toy_pop_setup,
					 .run = toy_pop_run,
					 .teardown = toy_pop_teardown };
	ctx[k] = (struct pop_ctx){ .n = n };
	v[k] = (struct bench_variant){ .name = "linux-populate",
				       .ctx = &ctx[k],
				       .run = linux_populate,
				       .teardown = linux_unmap };
	k++;
	ctx[k] = (struct pop_ctx){ .n = n };
	v[k] = (struct bench_variant){ .name = "linux-fault",
				       .ctx = &ctx[k],
				       .setup = linux_reserve,
				       .run = linux_touch,
				       .teardown = linux_unmap };
	k++;
	struct bench_case c = { .id = "H10",
				.name = "populate",
				.n = n,
				.ops = n,
				.unit = "page" };

	/* The floor's segment is not the variants' business. */
	bench_run(&c, v, k);
	segment_drop(&z->zero_seg);
	munmap(t->toy_frames, (size_t)(n * PAGE_SIZE));
}

/* ---------------------------------------------------------------------
 * H11: copy-on-write clone (the fork analogue).
 * --------------------------------------------------------------------- */

struct cow_ctx {
	struct bench_fmt *f;
	struct page_table parent;
	struct page_table child;
	uint64_t n;
};

static void clear_w(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_W;
}

static void cow_setup(void *p)
{
	struct cow_ctx *c = p;

	bench_table_new(c->f, &c->parent);
	bench_map_frames(&c->parent, BASE_VA, c->n);
}

/* Shares every frame read-only with a new child, and write-protects it. */
static void cow_run(void *p)
{
	struct cow_ctx *c = p;
	uint64_t end = BASE_VA + c->n * PAGE_SIZE;
	struct pt_cursor pc;
	struct pt_cursor cc;
	uint64_t pages = 0;

	bench_table_new(c->f, &c->child);
	must_ok(pt_cursor_new_mut(&c->parent, BASE_VA, end, &pc));
	must_ok(pt_cursor_new_mut(&c->child, BASE_VA, end, &cc));
	for (;;) {
		uint64_t start;
		uint64_t len;
		struct pt_query q;
		uint64_t va = pt_cursor_va(&pc);
		ostd_err_t err = pt_cursor_protect_next(&pc, end - va, clear_w,
							NULL, &start, &len);

		if (err == OSTD_ENOENT) {
			break;
		}
		must_ok(err);
		must_ok(pt_cursor_jump(&pc, start));
		must_ok(pt_cursor_query(&pc, &q));
		must_ok(pt_cursor_jump(&cc, start));
		must_ok(pt_cursor_map(&cc, q.item, q.prop));
		pages++;
		if (start + len == end) {
			break;
		}
		must_ok(pt_cursor_jump(&pc, start + len));
	}
	tlb_flusher_issue(pt_cursor_flusher(&pc),
			  (struct tlb_op){ .kind = TLB_OP_RANGE,
					   .va = BASE_VA,
					   .len = end - BASE_VA });
	pt_cursor_drop(&cc);
	pt_cursor_drop(&pc);
	BENCH_CHECK(pages == c->n);
}

static void cow_teardown(void *p)
{
	struct cow_ctx *c = p;

	bench_table_destroy(&c->child);
	bench_table_destroy(&c->parent);
}

static void h11(void)
{
	uint64_t n = bench_size(64, 8192, 16384);
	struct cow_ctx ctx[BENCH_MAX_FMTS];
	struct bench_variant v[BENCH_MAX_FMTS];

	for (unsigned int i = 0; i < bench_fmt_count(); i++) {
		ctx[i] = (struct cow_ctx){ .f = bench_fmt(i), .n = n };
		v[i] = (struct bench_variant){ .name = ostd_name(i, "cow"),
					       .ctx = &ctx[i],
					       .setup = cow_setup,
					       .run = cow_run,
					       .teardown = cow_teardown };
	}
	struct bench_case c = { .id = "H11",
				.name = "cow-clone",
				.n = n,
				.ops = n,
				.unit = "page" };

	bench_run(&c, v, bench_fmt_count());
}

/* ---------------------------------------------------------------------
 * H13: page-table memory per mapped page. Deterministic: no timing.
 * --------------------------------------------------------------------- */

/* Maps @p n pages, @p stride pages apart, and reports the memory. */
static void footprint(const char *name, uint64_t n, uint64_t stride)
{
	struct bench_fmt *f = bench_fmt(0);
	uint64_t before = frame_stats_in_use();
	struct page_table pt;
	struct pt_cursor cur;

	bench_table_new(f, &pt);
	uint64_t root_only = frame_stats_in_use() - before;

	must_ok(pt_cursor_new_mut(&pt, BASE_VA,
				  BASE_VA + n * stride * PAGE_SIZE, &cur));
	for (uint64_t i = 0; i < n; i++) {
		must_ok(pt_cursor_jump(&cur, BASE_VA + i * stride * PAGE_SIZE));
		must_ok(pt_cursor_map(
			&cur,
			pt_item_untracked(
				pa_init(BENCH_UNTRACKED_PA + i * PAGE_SIZE), 1),
			bench_prop_rw()));
	}
	pt_cursor_drop(&cur);
	uint64_t nodes = frame_stats_in_use() - before;
	double pages = (double)n;

	bench_emit_value("H13", name, "ostd/pt-bytes", n, "B/page",
			 (double)(nodes * PAGE_SIZE) / pages);
	bench_emit_value("H13", name, "ostd/pt-bytes-below-root", n, "B/page",
			 (double)((nodes - root_only) * PAGE_SIZE) / pages);
	bench_emit_value("H13", name, "ostd/meta-bytes", n, "B/page",
			 (double)(nodes * FRAME_META_SIZE) / pages);
	bench_table_destroy(&pt);
}

static void h13(void)
{
	static const uint64_t dense[] = { 100000, 1000000, 10000000 };
	unsigned int count = (unsigned int)bench_size(1, 2, 3);

	for (unsigned int i = 0; i < count; i++) {
		footprint("dense",
			  bench_opts.mode == BENCH_SMOKE ? 1000 : dense[i], 1);
	}
	footprint("sparse-2m", bench_size(16, 10000, 20000), 512);
	footprint("sparse-64k", bench_size(16, 100000, 100000), 16);
}

void bench_core_frames(void)
{
	if (bench_selected("H9")) {
		h9();
	}
	if (bench_selected("H10")) {
		h10();
	}
	if (bench_selected("H11")) {
		h11();
	}
	if (bench_selected("H13")) {
		h13();
	}
}
