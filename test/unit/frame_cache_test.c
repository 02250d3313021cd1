// SPDX-License-Identifier: MPL-2.0
/*
 * The per-CPU frame caches in front of the allocator (ostd/frame.h):
 * fault injection and injected allocators see them, frame_cache_drain()
 * gives every cached frame back, and frames cached on other CPUs are
 * reached before an allocation fails. The runner checks after every test
 * that the frames in use are back at their baseline.
 */

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/page_table.h"
#include "ostd/test.h"

#include "../lib/conc_runtime.h"

/*
 * An allocator in front of the installed one that counts the frames
 * going each way and refuses runs longer than max_run. Single-threaded
 * tests only: its counts are plain.
 */
struct wrap_allocator {
	struct frame_allocator base;
	struct frame_allocator *inner;
	uint64_t max_run;
	uint64_t calls;
	uint64_t frames_out;
	uint64_t frames_in;
};

static struct wrap_allocator wrap;

static ostd_err_t wrap_alloc(struct frame_allocator *self, uint64_t nr,
			     uint64_t *pfn)
{
	(void)self;
	wrap.calls++;
	if (nr > wrap.max_run) {
		return OSTD_ENOMEM;
	}
	ostd_err_t err = wrap.inner->alloc(wrap.inner, nr, pfn);

	if (err == OSTD_OK) {
		wrap.frames_out += nr;
	}
	return err;
}

static void wrap_free(struct frame_allocator *self, uint64_t pfn, uint64_t nr)
{
	(void)self;
	wrap.frames_in += nr;
	wrap.inner->dealloc(wrap.inner, pfn, nr);
}

static uint64_t wrap_nr_free(struct frame_allocator *self)
{
	(void)self;
	return wrap.inner->nr_free(wrap.inner);
}

/* Installs the wrapper; every cache is empty afterwards. */
static void wrap_install(uint64_t max_run)
{
	wrap = (struct wrap_allocator){
		.base = { .name = "wrap",
			  .alloc = wrap_alloc,
			  .dealloc = wrap_free,
			  .nr_free = wrap_nr_free },
		.max_run = max_run,
	};
	wrap.inner = frame_allocator_set(&wrap.base);
}

/* Removes it: the caches drain into it first. True if it was installed. */
static bool wrap_remove(void)
{
	return frame_allocator_set(wrap.inner) == &wrap.base;
}

TEST(frame_cache, fail_nth_fails_a_warm_cache)
{
	struct frame f;
	uint64_t base = frame_stats_in_use();

	/* A frame freed on this CPU waits in its cache. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	frame_drop(&f);
	uint64_t cached = frame_stats_cached();

	ASSERT_GT(cached, 0);
	uint64_t count = frame_fi_alloc_count();

	frame_fi_fail_nth(1);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_ENOMEM);
	ASSERT_EQ(frame_fi_alloc_count(), count + 1);
	ASSERT_EQ(frame_stats_cached(), cached);
	ASSERT_EQ(frame_stats_in_use(), base);
	/* Only that one: the next comes from the cache. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(frame_stats_cached(), cached - 1);
	frame_drop(&f);
	ASSERT_EQ(frame_stats_in_use(), base);
}

/* An injected allocator sees every frame, through the caches. */
TEST(frame_cache, injected_allocator_sees_every_frame)
{
	struct frame f;
	struct segment s;

	wrap_install(UINT64_MAX);
	ASSERT_EQ(frame_stats_cached(), 0);
	/* An empty cache refills through the allocator, in one call. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(wrap.calls, 1);
	ASSERT_GE(wrap.frames_out, 1);
	/* Runs go to the allocator itself. */
	ASSERT_EQ(segment_alloc(3, &frame_type_untyped, 0, &s), OSTD_OK);
	ASSERT_EQ(wrap.calls, 2);
	frame_drop(&f);
	segment_drop(&s);
	/* Every frame the allocator gave is in use, cached or back. */
	ASSERT_EQ(frame_stats_cached(), wrap.frames_out - wrap.frames_in);
	uint64_t out = wrap.frames_out;

	ASSERT_TRUE(wrap_remove());
	ASSERT_EQ(wrap.frames_out, out);
	ASSERT_EQ(wrap.frames_in, out);
	ASSERT_EQ(frame_stats_cached(), 0);
}

TEST(frame_cache, refill_failure)
{
	uint64_t base = frame_stats_in_use();
	struct frame f;
	struct frame g;

	/* No run longer than one frame: the refill falls back to singles. */
	wrap_install(1);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(wrap.frames_out, 1);
	ASSERT_EQ(frame_stats_cached(), 0);

	/* Nothing at all: a cached frame still serves, without a call. */
	wrap.max_run = 0;
	frame_drop(&f);
	uint64_t calls = wrap.calls;

	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(wrap.calls, calls);
	/* Then the refill fails, and so does the allocation, cleanly. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &g), OSTD_ENOMEM);
	ASSERT_GT(wrap.calls, calls);
	ASSERT_EQ(frame_stats_in_use(), base + 1);
	frame_drop(&f);
	ASSERT_TRUE(wrap_remove());
	ASSERT_EQ(wrap.frames_in, wrap.frames_out);
	ASSERT_EQ(frame_stats_in_use(), base);
}

TEST(frame_cache, drain_gives_everything_back)
{
	enum { N = 3 * FRAME_CACHE_CAP };
	static struct frame held[N];

	wrap_install(UINT64_MAX);
	uint64_t free_before = wrap.inner->nr_free(wrap.inner);

	for (unsigned int i = 0; i < N; i++) {
		ASSERT_EQ(frame_alloc(&frame_type_kernel, &held[i]), OSTD_OK);
	}
	for (unsigned int i = 0; i < N; i++) {
		frame_drop(&held[i]);
	}
	/* The cache keeps at most its capacity; the rest went back. */
	uint64_t cached = frame_stats_cached();

	ASSERT_GT(cached, 0);
	ASSERT_LE(cached, FRAME_CACHE_CAP);
	ASSERT_EQ(cached, wrap.frames_out - wrap.frames_in);
	ASSERT_EQ(frame_cache_drain(), cached);
	ASSERT_EQ(frame_stats_cached(), 0);
	ASSERT_EQ(wrap.frames_in, wrap.frames_out);
	ASSERT_EQ(wrap.inner->nr_free(wrap.inner), free_before);
	ASSERT_TRUE(wrap_remove());
}

/* ---------------------------------------------------------------------
 * Several CPUs.
 * --------------------------------------------------------------------- */

#define MC_FRAMES 96
#define MC_ROUNDS 4

static struct frame mc_held[CONC_MAX_WORKERS][MC_FRAMES];

/* Marks a frame as worker @p w's: its first byte. */
static uint8_t *first_byte(struct frame f)
{
	return arch_paddr_to_ptr(f.pa);
}

/*
 * Allocates, frees half, allocates again, a few rounds; keeps the last
 * round's frames, each marked with the worker's number.
 */
static void mc_worker(struct conc_worker *w)
{
	struct frame *held = mc_held[w->index];

	for (unsigned int r = 0; r < MC_ROUNDS; r++) {
		for (unsigned int i = 0; i < MC_FRAMES; i++) {
			if (r != 0 && i >= MC_FRAMES / 2) {
				continue;
			}
			if (frame_alloc(&frame_type_untyped, &held[i]) !=
			    OSTD_OK) {
				conc_fail(w, "frame_alloc failed");
				return;
			}
			if (*first_byte(held[i]) != 0) {
				conc_fail(w, "a fresh frame is not zeroed");
			}
			*first_byte(held[i]) = (uint8_t)(w->index + 1);
		}
		if (r + 1 < MC_ROUNDS) {
			for (unsigned int i = 0; i < MC_FRAMES / 2; i++) {
				frame_drop(&held[i]);
			}
		}
	}
}

TEST(frame_cache, several_cpus_lose_nothing)
{
	uint64_t base = frame_stats_in_use();
	unsigned int n = conc_worker_count(CONC_MAX_WORKERS);

	(void)conc_begin("frame_cache.several_cpus_lose_nothing");
	conc_run(n, mc_worker, NULL);
	ASSERT_FALSE(conc_failed());
	ASSERT_EQ(frame_stats_in_use(), base + (uint64_t)n * MC_FRAMES);
	/* No frame went to two owners: each still carries its mark. */
	for (unsigned int k = 0; k < n; k++) {
		for (unsigned int i = 0; i < MC_FRAMES; i++) {
			EXPECT_EQ(*first_byte(mc_held[k][i]), k + 1);
			EXPECT_EQ(frame_refcount(mc_held[k][i].pa), 1);
		}
	}
	/* Freed here, on another CPU than most were allocated on. */
	for (unsigned int k = 0; k < n; k++) {
		for (unsigned int i = 0; i < MC_FRAMES; i++) {
			frame_drop(&mc_held[k][i]);
		}
	}
	ASSERT_EQ(frame_stats_in_use(), base);
	ASSERT_LE(frame_stats_cached(),
		  (uint64_t)OSTD_MAX_CPUS * FRAME_CACHE_CAP);
}

/* Leaves frames in this worker's CPU's cache. */
static void warm_worker(struct conc_worker *w)
{
	struct frame *held = mc_held[w->index];

	for (unsigned int i = 0; i < FRAME_CACHE_CAP / 2; i++) {
		if (frame_alloc(&frame_type_untyped, &held[i]) != OSTD_OK) {
			conc_fail(w, "frame_alloc failed");
			return;
		}
	}
	for (unsigned int i = 0; i < FRAME_CACHE_CAP / 2; i++) {
		frame_drop(&held[i]);
	}
}

TEST(frame_cache, exhaustion_reaches_other_cpus_caches)
{
	enum { MAX_HELD = 256 };
	static struct segment held[MAX_HELD];
	uint64_t base = frame_stats_in_use();
	unsigned int n = conc_worker_count(CONC_MAX_WORKERS);

	(void)conc_begin("frame_cache.exhaustion_reaches_other_cpus_caches");
	conc_run(n, warm_worker, NULL);
	ASSERT_FALSE(conc_failed());
	ASSERT_GT(frame_stats_cached(), 0);

	/* Everything, in big runs and then single frames. */
	unsigned int got = 0;

	for (uint64_t run = 1ULL << 14; got < MAX_HELD && run > 0;) {
		if (segment_alloc(run, &frame_type_untyped, FRAME_ALLOC_NOZERO,
				  &held[got]) == OSTD_OK) {
			got++;
		} else {
			run /= 2;
		}
	}
	bool all = frame_stats_in_use() == frame_stats_total();
	uint64_t cached = frame_stats_cached();

	while (got > 0) {
		segment_drop(&held[--got]);
	}
	ASSERT_TRUE(all);
	ASSERT_EQ(cached, 0);
	ASSERT_EQ(frame_stats_in_use(), base);
}
