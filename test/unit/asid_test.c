// SPDX-License-Identifier: MPL-2.0
/*
 * The ASID allocator (core/mm/asid.c) and the stale-ASID class of TLB
 * bug, on the host: the allocator driven for simulated CPUs with a tiny
 * width, so that it rolls over; and a space's page cached under its ASID
 * on a CPU that then switched away, unmapped and its frame rewritten,
 * which that CPU must not read when it switches back.
 *
 * Host only: asid_init() starts the allocator over, which a kernel image
 * running spaces on every CPU cannot allow. The host suite runs with
 * ASIDs off (arch/host/vm.c); each test turns them on for its own run and
 * off again, whatever its outcome (EXPECT_*, never ASSERT_*, before the
 * clean-up).
 */

#include "ostd/internal/asid.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/test.h"

#if CONFIG_ARCH_HOST

#include "ostd/arch/usercopy.h"

#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/internal/vm_space_testing.h"
#include "ostd/task.h"

#include "../../core/mm/vm_space_internal.h"
#include "../lib/pt_test_util.h"
#include "../lib/vm_space_fixture.h"

#define NCTX 12U
#define ASID_NR(id) ((uint16_t)((id) & ((1U << ASID_GEN_SHIFT) - 1U)))

static struct asid_ctx ctx[NCTX];

/* Switches CPU @p cpu to ctx[@p i]; the ASID, and the flush in *f. */
static uint16_t sw(unsigned int cpu, unsigned int i, enum asid_flush *f)
{
	return asid_switch(&ctx[i], cpu, f);
}

/* No two spaces of the current generation share an ASID number. */
static bool numbers_unique(void)
{
	uint64_t gen = asid_test_generation();

	for (unsigned int i = 0; i < NCTX; i++) {
		uint64_t a = atomic_load(&ctx[i].id);

		for (unsigned int j = i + 1; j < NCTX; j++) {
			uint64_t b = atomic_load(&ctx[j].id);

			if (a >> ASID_GEN_SHIFT == gen &&
			    b >> ASID_GEN_SHIFT == gen &&
			    ASID_NR(a) == ASID_NR(b)) {
				return false;
			}
		}
	}
	return true;
}

static void allocator_run(void)
{
	enum asid_flush f;
	uint16_t on[3];

	for (unsigned int i = 0; i < NCTX; i++) {
		asid_ctx_init(&ctx[i]);
	}
	/* 3 bits: ASIDs 1..7. CPUs 0..2 run spaces 0..2 from now on. */
	for (unsigned int cpu = 0; cpu < 3; cpu++) {
		on[cpu] = sw(cpu, cpu, &f);
		EXPECT_NE(on[cpu], 0);
		/* Every CPU's first ASID switch drops what came before. */
		EXPECT_EQ(f, ASID_FLUSH_ALL);
	}
	EXPECT_EQ(sw(0, 0, &f), on[0]);
	EXPECT_EQ(f, ASID_FLUSH_NONE);
	uint64_t gen = asid_test_generation();

	/* CPU 3 runs spaces 3..6 in turn: ASIDs 4..7, the last ones. */
	for (unsigned int i = 3; i < 7; i++) {
		EXPECT_NE(sw(3, i, &f), 0);
		EXPECT_TRUE(numbers_unique());
	}
	EXPECT_EQ(asid_test_generation(), gen);
	/* Space 7 finds none free: the generation rolls over. */
	uint16_t a7 = sw(3, 7, &f);

	EXPECT_EQ(asid_test_generation(), gen + 1);
	EXPECT_EQ(f, ASID_FLUSH_ALL);
	/* Not one that a CPU kept (it runs that space still). */
	for (unsigned int cpu = 0; cpu < 3; cpu++) {
		EXPECT_NE(a7, on[cpu]);
	}
	EXPECT_NE(a7, ASID_NR(atomic_load(&ctx[6].id)));
	/* Running spaces keep their ASIDs; each CPU flushes once, first. */
	for (unsigned int cpu = 0; cpu < 3; cpu++) {
		EXPECT_EQ(sw(cpu, cpu, &f), on[cpu]);
		EXPECT_EQ(f, ASID_FLUSH_ALL);
		EXPECT_EQ(sw(cpu, cpu, &f), on[cpu]);
		EXPECT_EQ(f, ASID_FLUSH_NONE);
	}
	/* A second CPU joining a kept space gets its ASID too. */
	EXPECT_EQ(sw(4, 1, &f), on[1]);
	EXPECT_EQ(f, ASID_FLUSH_ALL);
	/*
	 * Old-generation spaces get numbers unique among the live: 3 kept,
	 * space 7's, and space 6's (CPU 3 ran it at the rollover) are taken,
	 * two are free.
	 */
	for (unsigned int i = 3; i < 7; i++) {
		if (i != 5) {
			EXPECT_NE(sw(5, i, &f), 0);
			EXPECT_TRUE(numbers_unique());
		}
	}
	EXPECT_EQ(asid_test_generation(), gen + 1);
	/* One more: none is free, the next rollover. */
	EXPECT_NE(sw(5, 5, &f), 0);
	EXPECT_EQ(asid_test_generation(), gen + 2);
	EXPECT_EQ(f, ASID_FLUSH_ALL);
	EXPECT_TRUE(numbers_unique());
}

TEST(asid, allocator_rolls_over_keeping_running_spaces)
{
	asid_init(3);
	EXPECT_EQ(asid_bits(), 3);
	allocator_run();
	asid_init(0);
}

TEST(asid, flush_marks_cpus_that_left_the_space_stale)
{
	enum asid_flush f;

	asid_init(4);
	asid_ctx_init(&ctx[0]);
	asid_ctx_init(&ctx[1]);
	/* Space 0 on CPUs 1 and 2, which then switch to space 1. */
	uint16_t a = sw(1, 0, &f);

	EXPECT_EQ(sw(2, 0, &f), a);
	EXPECT_NE(sw(1, 1, &f), a);
	(void)sw(2, 1, &f);
	/* A flush of space 0 by CPU 2, which flushed itself already. */
	asid_mark_stale(&ctx[0], 1ULL << 2);
	EXPECT_EQ(sw(1, 0, &f), a);
	EXPECT_EQ(f, ASID_FLUSH_ONE);
	EXPECT_EQ(sw(2, 0, &f), a);
	EXPECT_EQ(f, ASID_FLUSH_NONE);
	/* Once dropped, the entries are good again. */
	(void)sw(1, 1, &f);
	EXPECT_EQ(sw(1, 0, &f), a);
	EXPECT_EQ(f, ASID_FLUSH_NONE);
	asid_init(0);
}

#define OLD_BYTE 0x11
#define NEW_BYTE 0x22

/* Runs CPU @p cpu on @p pt, as the scheduler does for a task of it. */
static void run_on(unsigned int cpu, struct page_table *pt)
{
	struct task t = { .pt = pt };

	sim_cpu_set_current(cpu);
	vm_space_task_resumed(&t);
	sim_cpu_set_current(0);
}

/* What CPU @p cpu reads at @p va (-1: a fault). */
static int read_on(unsigned int cpu, uint64_t va)
{
	uint8_t b = 0;

	sim_cpu_set_current(cpu);
	uint64_t n = arch_copy_from_user(&b, va, 1);

	sim_cpu_set_current(0);
	return n == 1 ? b : -1;
}

static void stale_run(struct frame *fr)
{
	struct page_table *a = vm_space_test_pt(fx.vs);
	struct page_table *b = vm_space_test_pt(fx.vs2);

	frame_bytes(fr->pa)[0] = OLD_BYTE;
	if (!EXPECT_EQ(map_frame_at(fx.vs, UBASE, fr->pa, prop_rw), OSTD_OK)) {
		return;
	}
	/* CPU 1 caches A's page under A's ASID, then runs B. */
	run_on(1, a);
	EXPECT_EQ(read_on(1, UBASE), OLD_BYTE);
	run_on(1, b);
	/* A's page goes (CPU 1 is not in A's set) and the frame is reused. */
	EXPECT_EQ(unmap_at(fx.vs, UBASE, P), OSTD_OK);
	frame_bytes(fr->pa)[0] = NEW_BYTE;
	/* Back on A, CPU 1 must fault, not read the frame's new life. */
	run_on(1, a);
	EXPECT_EQ(read_on(1, UBASE), -1);
	run_on(1, b);
}

TEST_FORMAT(asid, switch_back_after_unmap_sees_no_stale_entry)
{
	struct frame fr;

	if (!user_format(cfg)) {
		return;
	}
	asid_init(8);
	if (EXPECT_EQ(fx_setup(cfg, false), OSTD_OK) &&
	    EXPECT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, false), OSTD_OK) &&
	    EXPECT_EQ(frame_alloc(&frame_type_untyped, &fr), OSTD_OK)) {
		stale_run(&fr);
		frame_drop(&fr);
	}
	fx_teardown();
	asid_init(0);
}

#endif /* CONFIG_ARCH_HOST */
