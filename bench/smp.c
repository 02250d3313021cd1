// SPDX-License-Identifier: MPL-2.0
/*
 * H14: two CPUs. Each thread runs as one simulated CPU, pinned to one host
 * CPU, on one shared table that both CPUs have active (so unmaps send
 * simulated IPIs). Every thread works on its own 1 MiB:
 *
 * - disjoint: the two ranges lie in different 1 GiB regions, so the
 *   cursors lock disjoint nodes;
 * - contended: the two ranges are the two halves of one 2 MiB slot, so
 *   both cursors lock the same last-level node and take turns.
 *
 * The workloads are map + unmap of 256 pages, and the fault path (one
 * cursor per page mapping a fresh frame) + unmap. Linux's figure is
 * mmap(MAP_POPULATE) + munmap of 1 MiB per thread in one process. The
 * scaling is the 2-thread throughput over the 1-thread throughput.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/internal/page_table.h"

#include "bench.h"

#define BASE_VA (1ULL << 40)
#define SLOT_PAGES 256ULL

static void must_ok(ostd_err_t err)
{
	if (err != OSTD_OK) {
		bench_fail("core call failed: %s", ostd_err_name(err));
		exit(1);
	}
}

enum workload {
	WL_MAP,
	WL_FAULT,
	WL_LINUX,
	/*
	 * The control: arithmetic only, nothing shared. Its 2T/1T is what
	 * the machine gives two threads right now (2.0 on two idle cores;
	 * less when other work shares them).
	 */
	WL_CONTROL,
};

struct smp_ctx {
	struct bench_fmt *f;
	struct page_table pt;
	enum workload wl;
	bool contended;
	unsigned int threads;
	uint64_t cycles;
};

struct worker {
	struct smp_ctx *c;
	unsigned int cpu;
	pthread_t thread;
};

static uint64_t range_of(const struct smp_ctx *c, unsigned int cpu)
{
	if (c->contended) {
		return BASE_VA + cpu * SLOT_PAGES * PAGE_SIZE;
	}
	return BASE_VA + cpu * (1ULL << 30);
}

static void unmap_range(struct page_table *pt, uint64_t va)
{
	struct pt_cursor cur;
	uint64_t count;

	must_ok(pt_cursor_new_mut(pt, va, va + SLOT_PAGES * PAGE_SIZE, &cur));
	must_ok(pt_cursor_unmap(&cur, SLOT_PAGES * PAGE_SIZE, &count));
	pt_cursor_drop(&cur);
}

static void cycle_map(struct page_table *pt, uint64_t va)
{
	bench_map_untracked(pt, va, SLOT_PAGES);
	unmap_range(pt, va);
}

static void cycle_fault(struct page_table *pt, uint64_t va)
{
	for (uint64_t i = 0; i < SLOT_PAGES; i++) {
		struct frame f;
		struct pt_cursor cur;
		uint64_t a = va + i * PAGE_SIZE;

		must_ok(frame_alloc(&frame_type_untyped, &f));
		must_ok(pt_cursor_new_mut(pt, a, a + PAGE_SIZE, &cur));
		must_ok(pt_cursor_map(&cur, pt_item_frame(f.pa),
				      bench_prop_rw()));
		pt_cursor_drop(&cur);
		frame_drop(&f);
	}
	unmap_range(pt, va);
}

static void cycle_linux(void)
{
	size_t len = SLOT_PAGES * 4096;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	BENCH_CHECK(m != MAP_FAILED);
	munmap(m, len);
}

/* About as long as a map + unmap cycle of 256 pages. */
static void cycle_control(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned int i = 0; i < 4096; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	bench_clobber(&x);
}

static void *work(void *p)
{
	struct worker *w = p;
	struct smp_ctx *c = w->c;
	uint64_t va = range_of(c, w->cpu);

	bench_pin(w->cpu);
	sim_cpu_set_current(w->cpu);
	for (uint64_t i = 0; i < c->cycles; i++) {
		switch (c->wl) {
		case WL_MAP:
			cycle_map(&c->pt, va);
			break;
		case WL_FAULT:
			cycle_fault(&c->pt, va);
			break;
		case WL_LINUX:
			cycle_linux();
			break;
		case WL_CONTROL:
			cycle_control();
			break;
		}
	}
	return NULL;
}

static void smp_setup(void *p)
{
	struct smp_ctx *c = p;

	if (c->wl == WL_LINUX || c->wl == WL_CONTROL) {
		return;
	}
	bench_table_new(c->f, &c->pt);
	cpu_set_add(&c->pt.active_cpus, 1);
}

static void smp_run(void *p)
{
	struct smp_ctx *c = p;
	struct worker w[2];

	for (unsigned int i = 0; i < c->threads; i++) {
		w[i] = (struct worker){ .c = c, .cpu = i };
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			bench_fail("pthread_create");
			exit(1);
		}
	}
	for (unsigned int i = 0; i < c->threads; i++) {
		pthread_join(w[i].thread, NULL);
	}
	bench_pin(0);
	sim_cpu_set_current(0);
}

static void smp_teardown(void *p)
{
	struct smp_ctx *c = p;

	if (c->wl != WL_LINUX && c->wl != WL_CONTROL) {
		bench_table_destroy(&c->pt);
	}
}

/* One 1-thread and one 2-thread variant of workload @p c. */
static void variants(struct bench_variant *v, struct smp_ctx *c,
		     char names[2][32], const char *who)
{
	for (unsigned int t = 0; t < 2; t++) {
		char *name = names[t];

		c[t].threads = t + 1;
		snprintf(name, 32, "%s/%uT", who, t + 1);
		v[t] = (struct bench_variant){ .name = name,
					       .ctx = &c[t],
					       .setup = smp_setup,
					       .run = smp_run,
					       .teardown = smp_teardown,
					       .ops = (t + 1) * c[t].cycles *
						      SLOT_PAGES };
	}
}

void bench_smp(void)
{
	static const char *const wl_names[] = { "map-unmap", "fault-unmap",
						"mmap-munmap" };

	if (!bench_selected("H14")) {
		return;
	}
	uint64_t cycles = bench_size(2, 200, 400);

	for (unsigned int wl = WL_MAP; wl <= WL_LINUX; wl++) {
		for (unsigned int contended = 0; contended < 2; contended++) {
			if (wl == WL_LINUX && contended != 0) {
				continue;
			}
			/* Fault cycles allocate a frame per page: fewer. */
			uint64_t k = wl == WL_MAP ? cycles : cycles / 4 + 1;
			struct smp_ctx c[4];
			char names[4][32];
			struct bench_variant v[4];

			for (unsigned int i = 0; i < 4; i++) {
				c[i] = (struct smp_ctx){
					.f = bench_fmt(0),
					.wl = i < 2 ? wl : WL_CONTROL,
					.contended = contended != 0,
					.cycles = k,
				};
			}
			variants(v, c, names,
				 wl == WL_LINUX ? "linux" : "ostd");
			/* The control runs beside every case, interleaved. */
			variants(v + 2, c + 2, names + 2, "control");
			char name[48];

			snprintf(name, sizeof(name), "%s-%s", wl_names[wl],
				 contended != 0 ? "contended" : "disjoint");
			struct bench_case bc = { .id = "H14",
						 .name = name,
						 .n = SLOT_PAGES,
						 .ops = k * SLOT_PAGES,
						 .unit = "page" };

			bench_run(&bc, v, 4);
		}
	}
}
