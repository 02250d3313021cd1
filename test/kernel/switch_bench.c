// SPDX-License-Identifier: MPL-2.0
/*
 * The in-guest switch benchmark: one task switches between two spaces
 * and reads one byte of a user page in each after every switch (through
 * the raw fallible copy, so the cost is the switch and the TLB refill, not
 * a token's bookkeeping), for a fixed number of timer ticks.
 *
 * With ASIDs on (CONFIG_ASID, a width from the hardware) a switch keeps
 * both spaces' entries; off, each switch flushes and each read walks the
 * table again. `./ostd bench --guest` builds every kernel configuration
 * both ways and prints the ratio of the "guest-switch:" lines. Printed
 * only, never judged: QEMU's TCG drops its software TLB on every root
 * switch whatever the guest asks (TESTING.md, fidelity caveat), so the
 * guest's ratio measures the kernel's path, not a hardware TLB.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/usercopy.h"

#include "ostd/internal/asid.h"
#include "ostd/printf.h"
#include "ostd/test.h"
#include "ostd/timer.h"

#include "ktest_util.h"

#if CONFIG_ARCH_USER_MODE

/* Timed ticks (0.3 s at OSTD_TICK_HZ = 100) and round trips per check. */
#define SB_TICKS 30U
#define SB_BATCH 64U
#define SB_MARKER_A 0x3a
#define SB_MARKER_B 0x3b

/* One round trip: A and a read of its page, B and a read of its page. */
static bool round_trip(struct vm_space *a, struct vm_space *b)
{
	uint8_t x = 0;
	uint8_t y = 0;
	uint64_t va = KT_DATA_VA + KT_MARKER_OFF;

	if (vm_space_activate(a) != OSTD_OK ||
	    arch_copy_from_user(&x, va, 1) != 1 ||
	    vm_space_activate(b) != OSTD_OK ||
	    arch_copy_from_user(&y, va, 1) != 1) {
		return false;
	}
	return x == SB_MARKER_A && y == SB_MARKER_B;
}

TEST(switch_bench, guest_switch_touch)
{
	const struct pt_prop rw = { .flags = PROT_R | PROT_W,
				    .cache = PT_CACHE_WRITEBACK };
	struct vm_space *a;
	struct vm_space *b;
	uint64_t rounds = 0;
	bool ok = true;

	ASSERT_EQ(kt_space_new(&a), OSTD_OK);
	ASSERT_EQ(kt_space_new(&b), OSTD_OK);
	ASSERT_EQ(kt_map_user_page(a, KT_DATA_VA, rw, SB_MARKER_A, NULL),
		  OSTD_OK);
	ASSERT_EQ(kt_map_user_page(b, KT_DATA_VA, rw, SB_MARKER_B, NULL),
		  OSTD_OK);
	/* Start on a tick edge, warm. */
	uint64_t start = timer_ticks();

	while (timer_ticks() == start && ok) {
		ok = round_trip(a, b);
	}
	start = timer_ticks();
	uint64_t ticks = 0;

	while (ok && ticks < SB_TICKS) {
		for (unsigned int i = 0; i < SB_BATCH && ok; i++) {
			ok = round_trip(a, b);
		}
		rounds += SB_BATCH;
		ticks = timer_ticks() - start;
	}
	ostd_printf("guest-switch: %s asid_bits=%u switches=%llu ticks=%llu "
		    "hz=%u\n",
		    arch_pt_config_user()->name, asid_bits(),
		    (unsigned long long)(2 * rounds), (unsigned long long)ticks,
		    OSTD_TICK_HZ);
	kt_space_destroy(a);
	kt_space_destroy(b);
	ASSERT_TRUE(ok);
}

#endif /* CONFIG_ARCH_USER_MODE */
