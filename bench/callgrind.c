// SPDX-License-Identifier: MPL-2.0
/*
 * Instruction counts (BENCHMARKS.md: no PMU on the VM, so callgrind). In
 * --callgrind mode the program runs each cg_* function once on a fixed
 * size and prints its op count; tools/bench.py runs it under
 * `valgrind --tool=callgrind --toggle-collect=cg_*` and divides each
 * function's inclusive instruction count by its ops. The counts are
 * deterministic, so they can gate a change where times cannot.
 *
 * The functions have external linkage and are never inlined, so their
 * names survive into callgrind's output (LTO included).
 */

#include <stdio.h>
#include <stdlib.h>

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"

#include "bench.h"
#include "toys.h"

#define BASE_VA (1ULL << 40)
#define CG __attribute__((noinline, used))

static void must_ok(ostd_err_t err)
{
	if (err != OSTD_OK) {
		bench_fail("core call failed: %s", ostd_err_name(err));
		exit(1);
	}
}

static void emit(const char *fn, uint64_t ops)
{
	printf("{\"cg\": \"%s\", \"fmt\": \"%s\", \"ops\": %llu}\n", fn,
	       bench_fmt(0)->name, (unsigned long long)ops);
}

/* H2: n pages with one cursor, in one pt_cursor_map_pages() call. */
CG void cg_h2_ostd(struct page_table *pt, uint64_t n);
CG void cg_h2_ostd(struct page_table *pt, uint64_t n)
{
	struct pt_cursor cur;

	must_ok(pt_cursor_new_mut(pt, BASE_VA, BASE_VA + n * PAGE_SIZE, &cur));
	must_ok(pt_cursor_map_pages(
		&cur, pt_item_untracked(pa_init(BENCH_UNTRACKED_PA), 1), n,
		bench_prop_rw()));
	pt_cursor_drop(&cur);
}

/* H2 through one pt_cursor_map() per page. */
CG void cg_h2_ostd_each(struct page_table *pt, uint64_t n);
CG void cg_h2_ostd_each(struct page_table *pt, uint64_t n)
{
	bench_map_untracked(pt, BASE_VA, n);
}

CG void cg_h2_toy_cursor(struct toy_pt *t, uint64_t n);
CG void cg_h2_toy_cursor(struct toy_pt *t, uint64_t n)
{
	BENCH_CHECK(
		toy_cursor_map(t, BASE_VA, n, BENCH_UNTRACKED_PA, TOY_PERM));
}

CG void cg_h2_flat(toy_pte *a, uint64_t n);
CG void cg_h2_flat(toy_pte *a, uint64_t n)
{
	toy_flat_map(a, n, BENCH_UNTRACKED_PA, TOY_PERM);
	bench_clobber(a);
}

/* H3: one page per cursor. */
CG void cg_h3_ostd(struct page_table *pt, uint64_t n);
CG void cg_h3_ostd(struct page_table *pt, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct pt_cursor cur;
		uint64_t va = BASE_VA + i * PAGE_SIZE;

		must_ok(pt_cursor_new_mut(pt, va, va + PAGE_SIZE, &cur));
		must_ok(pt_cursor_map(
			&cur,
			pt_item_untracked(
				pa_init(BENCH_UNTRACKED_PA + i * PAGE_SIZE), 1),
			bench_prop_rw()));
		pt_cursor_drop(&cur);
	}
}

CG void cg_h3_toy_xv6(struct toy_pt *t, uint64_t n);
CG void cg_h3_toy_xv6(struct toy_pt *t, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		BENCH_CHECK(toy_mappages(t, BASE_VA + i * 4096, 4096,
					 BENCH_UNTRACKED_PA + i * 4096,
					 TOY_PERM));
	}
}

/* H1: create and drop a mutable 4 KiB cursor, over and over. */
CG void cg_h1_ostd(struct page_table *pt, uint64_t n);
CG void cg_h1_ostd(struct page_table *pt, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct pt_cursor cur;

		must_ok(pt_cursor_new_mut(pt, BASE_VA, BASE_VA + PAGE_SIZE,
					  &cur));
		pt_cursor_drop(&cur);
	}
}

/* H5: sequential query through one cursor; random with fresh cursors. */
CG uint64_t cg_h5_ostd_seq(struct page_table *pt, uint64_t n);
CG uint64_t cg_h5_ostd_seq(struct page_table *pt, uint64_t n)
{
	struct pt_cursor cur;
	uint64_t sum = 0;

	must_ok(pt_cursor_new(pt, BASE_VA, BASE_VA + n * PAGE_SIZE, &cur));
	for (uint64_t i = 0;; i++) {
		struct pt_query q;

		must_ok(pt_cursor_query(&cur, &q));
		sum += pa_addr(q.item.pa);
		if (i + 1 == n) {
			break;
		}
		must_ok(pt_cursor_jump(&cur, q.va + q.size));
	}
	pt_cursor_drop(&cur);
	return sum;
}

CG uint64_t cg_h5_toy_cursor_seq(struct toy_pt *t, uint64_t n);
CG uint64_t cg_h5_toy_cursor_seq(struct toy_pt *t, uint64_t n)
{
	return toy_cursor_query(t, BASE_VA, n);
}

CG uint64_t cg_h5_ostd_rand(struct page_table *pt, const uint64_t *idx,
			    uint64_t m);
CG uint64_t cg_h5_ostd_rand(struct page_table *pt, const uint64_t *idx,
			    uint64_t m)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < m; i++) {
		uint64_t va = BASE_VA + idx[i] * PAGE_SIZE;
		struct pt_cursor cur;
		struct pt_query q;

		must_ok(pt_cursor_new(pt, va, va + PAGE_SIZE, &cur));
		must_ok(pt_cursor_query(&cur, &q));
		pt_cursor_drop(&cur);
		sum += pa_addr(q.item.pa);
	}
	return sum;
}

CG uint64_t cg_h5_toy_xv6_rand(struct toy_pt *t, const uint64_t *idx,
			       uint64_t m);
CG uint64_t cg_h5_toy_xv6_rand(struct toy_pt *t, const uint64_t *idx,
			       uint64_t m)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < m; i++) {
		sum += *toy_walk(t, BASE_VA + idx[i] * 4096, false) & TOY_ADDR;
	}
	return sum;
}

/* H7: unmap of n populated pages, flush and frame release included. */
CG void cg_h7_ostd(struct page_table *pt, uint64_t n);
CG void cg_h7_ostd(struct page_table *pt, uint64_t n)
{
	bench_unmap(pt, BASE_VA, n * PAGE_SIZE);
}

CG void cg_h7_toy_cursor(struct toy_pt *t, uint64_t n);
CG void cg_h7_toy_cursor(struct toy_pt *t, uint64_t n)
{
	BENCH_CHECK(toy_cursor_unmap(t, BASE_VA, n) == n);
}

/* H6: write-protect n pages in one protect_mask() call. */
CG void cg_h6_ostd(struct page_table *pt, uint64_t n);
CG void cg_h6_ostd(struct page_table *pt, uint64_t n)
{
	struct pt_cursor cur;
	uint64_t end = BASE_VA + n * PAGE_SIZE;
	uint64_t count;

	must_ok(pt_cursor_new_mut(pt, BASE_VA, end, &cur));
	must_ok(pt_cursor_protect_mask(&cur, n * PAGE_SIZE, 0, PROT_W, &count));
	pt_cursor_drop(&cur);
	BENCH_CHECK(count == n);
}

/* H6 through the callback: one protect_next() per leaf. */
static void clear_w(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_W;
}

CG void cg_h6_ostd_next(struct page_table *pt, uint64_t n);
CG void cg_h6_ostd_next(struct page_table *pt, uint64_t n)
{
	struct pt_cursor cur;
	uint64_t end = BASE_VA + n * PAGE_SIZE;

	must_ok(pt_cursor_new_mut(pt, BASE_VA, end, &cur));
	while (pt_cursor_va(&cur) < end) {
		uint64_t start;
		uint64_t len;

		must_ok(pt_cursor_protect_next(&cur, end - pt_cursor_va(&cur),
					       clear_w, NULL, &start, &len));
	}
	tlb_flusher_issue(pt_cursor_flusher(&cur),
			  (struct tlb_op){ .kind = TLB_OP_RANGE,
					   .va = BASE_VA,
					   .len = n * PAGE_SIZE });
	pt_cursor_drop(&cur);
}

/* Makes n pages writable again, uncounted (not a cg_* function). */
static void make_writable(struct page_table *pt, uint64_t n)
{
	struct pt_cursor cur;

	must_ok(pt_cursor_new_mut(pt, BASE_VA, BASE_VA + n * PAGE_SIZE, &cur));
	must_ok(pt_cursor_protect_mask(&cur, n * PAGE_SIZE, PROT_W, 0, NULL));
	pt_cursor_drop(&cur);
}

CG void cg_h6_toy_cursor(struct toy_pt *t, uint64_t n);
CG void cg_h6_toy_cursor(struct toy_pt *t, uint64_t n)
{
	toy_cursor_protect(t, BASE_VA, n, TOY_RW);
}

/* H10: the fault path, one cursor per page mapping a fresh frame. */
CG void cg_h10_ostd_fault(struct page_table *pt, uint64_t n);
CG void cg_h10_ostd_fault(struct page_table *pt, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t va = BASE_VA + i * PAGE_SIZE;
		struct frame f;
		struct pt_cursor cur;

		must_ok(frame_alloc(&frame_type_untyped, &f));
		must_ok(pt_cursor_new_mut(pt, va, va + PAGE_SIZE, &cur));
		must_ok(pt_cursor_map(&cur, pt_item_frame(f.pa),
				      bench_prop_rw()));
		pt_cursor_drop(&cur);
		frame_drop(&f);
	}
}

void bench_callgrind(void)
{
	struct bench_fmt *f = bench_fmt(0);
	uint64_t n = 65536;
	struct page_table pt;
	struct toy_pt toy;
	toy_pte *flat = calloc(n, sizeof(toy_pte));
	uint64_t m = 16384;
	uint64_t *idx = malloc(m * sizeof(*idx));
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	if (flat == NULL || idx == NULL) {
		exit(1);
	}
	for (uint64_t i = 0; i < m; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		idx[i] = seed % n;
	}
	/* H2, then H5 on the same table. */
	bench_table_new(f, &pt);
	cg_h2_ostd(&pt, n);
	emit("cg_h2_ostd", n);
	uint64_t a = cg_h5_ostd_seq(&pt, n);

	emit("cg_h5_ostd_seq", n);
	uint64_t b = cg_h5_ostd_rand(&pt, idx, m);

	emit("cg_h5_ostd_rand", m);
	cg_h1_ostd(&pt, m);
	emit("cg_h1_ostd", m);
	bench_table_destroy(&pt);
	bench_table_new(f, &pt);
	cg_h2_ostd_each(&pt, n);
	emit("cg_h2_ostd_each", n);
	bench_table_destroy(&pt);
	toy_pt_new(&toy);
	cg_h2_toy_cursor(&toy, n);
	emit("cg_h2_toy_cursor", n);
	BENCH_CHECK(cg_h5_toy_cursor_seq(&toy, n) == a);
	emit("cg_h5_toy_cursor_seq", n);
	BENCH_CHECK(cg_h5_toy_xv6_rand(&toy, idx, m) == b);
	emit("cg_h5_toy_xv6_rand", m);
	toy_pt_free(&toy);
	cg_h2_flat(flat, n);
	emit("cg_h2_flat", n);

	/* H3. */
	uint64_t n3 = 16384;

	bench_table_new(f, &pt);
	cg_h3_ostd(&pt, n3);
	emit("cg_h3_ostd", n3);
	bench_table_destroy(&pt);
	toy_pt_new(&toy);
	cg_h3_toy_xv6(&toy, n3);
	emit("cg_h3_toy_xv6", n3);

	/* H7: populated with frames; the toy's with raw addresses. */
	uint64_t n7 = 16384;

	BENCH_CHECK(toy_uvmunmap(&toy, BASE_VA, n3));
	BENCH_CHECK(toy_cursor_map(&toy, BASE_VA, n7, BENCH_UNTRACKED_PA,
				   TOY_PERM));
	cg_h7_toy_cursor(&toy, n7);
	emit("cg_h7_toy_cursor", n7);
	toy_pt_free(&toy);
	bench_table_new(f, &pt);
	bench_map_frames(&pt, BASE_VA, n7);
	cg_h6_ostd_next(&pt, n7);
	emit("cg_h6_ostd_next", n7);
	make_writable(&pt, n7);
	cg_h6_ostd(&pt, n7);
	emit("cg_h6_ostd", n7);
	cg_h7_ostd(&pt, n7);
	emit("cg_h7_ostd", n7);
	cg_h10_ostd_fault(&pt, n7);
	emit("cg_h10_ostd_fault", n7);
	bench_table_destroy(&pt);
	toy_pt_new(&toy);
	BENCH_CHECK(toy_cursor_map(&toy, BASE_VA, n7, BENCH_UNTRACKED_PA,
				   TOY_PERM));
	cg_h6_toy_cursor(&toy, n7);
	emit("cg_h6_toy_cursor", n7);
	toy_pt_free(&toy);
	free(flat);
	free(idx);
}
