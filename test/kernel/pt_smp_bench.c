// SPDX-License-Identifier: MPL-2.0
/*
 * The in-guest scaling benchmark (BENCHMARKS.md H14, in QEMU): disjoint
 * map+unmap of 4 KiB pages on 1, 2, ... N CPUs (N = online CPUs, at most
 * 4), each worker in its own 1 GiB window of one shared table, so only the
 * upper nodes are shared (the low-contention case).
 *
 * Every worker does a fixed amount of work; the timer only measures it for
 * the report and is never a pass/fail threshold (TCG timing is noise). The
 * test passes when the work is correct: every map and unmap succeeds and
 * every frame comes back. `./ostd bench --guest` collects the
 * "guest-bench:" lines of every kernel configuration and prints the ratio
 * ops/s with N CPUs over ops/s with one.
 */

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/test.h"
#include "ostd/timer.h"

#include "../lib/conc_runtime.h"
#include "../lib/pt_test_util.h"

#define GB_MAX_CPUS 4
/* Pages per cursor (one level-1 node's worth at most) and rounds. */
#define GB_BATCH 64
#define GB_ROUNDS 600

static struct page_table gb_pt;

static void gb_worker(struct conc_worker *w)
{
	uint64_t base = gb_pt.va_start + (1 + w->index) * (1ULL << 30);
	struct pt_prop prop = { .flags = PROT_R | PROT_W,
				.cache = PT_CACHE_WRITEBACK };

	for (unsigned int r = 0; r < GB_ROUNDS && !conc_failed(); r++) {
		struct pt_cursor c;
		uint64_t count = 0;

		atomic_store_explicit(&w->ops, r, memory_order_relaxed);
		conc_doing(w, "map");
		if (pt_cursor_new_mut(&gb_pt, base, base + GB_BATCH * PAGE_SIZE,
				      &c) != OSTD_OK) {
			conc_fail(w, "pt_cursor_new_mut failed");
			return;
		}
		for (unsigned int i = 0; i < GB_BATCH; i++) {
			struct frame f;

			if (frame_alloc(&frame_type_untyped, &f) != OSTD_OK) {
				conc_fail(w, "frame_alloc failed");
				break;
			}
			if (pt_cursor_map(&c, pt_item_frame(f.pa), prop) !=
			    OSTD_OK) {
				conc_fail(w, "map at page %u failed", i);
			}
			frame_drop(&f); /* The mapping keeps its own. */
		}
		pt_cursor_drop(&c);
		conc_doing(w, "unmap");
		if (pt_cursor_new_mut(&gb_pt, base, base + GB_BATCH * PAGE_SIZE,
				      &c) != OSTD_OK) {
			conc_fail(w, "pt_cursor_new_mut failed");
			return;
		}
		if (pt_cursor_unmap(&c, GB_BATCH * PAGE_SIZE, &count) !=
			    OSTD_OK ||
		    count != GB_BATCH) {
			conc_fail(w, "unmap removed %llu of %u leaves",
				  (unsigned long long)count, GB_BATCH);
		}
		pt_cursor_drop(&c);
	}
}

TEST(pt_smp_bench, guest_scaling)
{
	unsigned int count;
	const struct pt_config *cfg = arch_pt_configs_for_tests(&count)[0];
	unsigned int max = conc_worker_count(1);
	uint64_t in_use = frame_stats_in_use();
	uint64_t one_ticks = 0;

	if (max > GB_MAX_CPUS) {
		max = GB_MAX_CPUS;
	}
	(void)conc_begin("pt_smp_bench.guest_scaling");
	ASSERT_EQ(pt_test_new_table(cfg, &gb_pt), OSTD_OK);
	for (unsigned int n = 1; n <= max && !conc_failed(); n++) {
		uint64_t start = timer_ticks();

		conc_run(n, gb_worker, NULL);
		uint64_t ticks = timer_ticks() - start;
		uint64_t pages = (uint64_t)n * GB_ROUNDS * GB_BATCH;

		if (n == 1) {
			one_ticks = ticks;
		}
		/*
		 * ratio = (pages_n / ticks_n) / (pages_1 / ticks_1), in
		 * hundredths; printed only, never judged.
		 */
		uint64_t ratio_x100 = ticks == 0 || one_ticks == 0
					      ? 0
					      : pages * one_ticks * 100 /
							((uint64_t)GB_ROUNDS *
							 GB_BATCH * ticks);

		ostd_printf("guest-bench: %s map+unmap disjoint 4K cpus=%u "
			    "pages=%llu ticks=%llu hz=%u ratio_x100=%llu\n",
			    cfg->name, n, (unsigned long long)pages,
			    (unsigned long long)ticks, OSTD_TICK_HZ,
			    (unsigned long long)ratio_x100);
	}
	page_table_destroy(&gb_pt);
	pt_rcu_barrier();
	ASSERT_FALSE(conc_failed());
	ASSERT_EQ(frame_stats_in_use(), in_use);
}
