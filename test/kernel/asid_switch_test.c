// SPDX-License-Identifier: MPL-2.0
/*
 * The stale-ASID class on a real (emulated) MMU: space A's page is read
 * from user mode on CPU 1, so its translation sits in CPU 1's TLB tagged
 * with A's ASID; CPU 1 switches to space B; CPU 0 unmaps the page of A
 * (CPU 1 is not in A's active set: no IPI reaches it) and writes a new
 * marker into the frame; CPU 1 switches back to A and reads again. It
 * must fault: reading the new marker means it used the stale entry.
 *
 * With ASIDs on, only the mark core/mm/asid.c leaves on CPU 1 (the flush
 * of A marks the CPUs that ran it) makes CPU 1 drop A's ASID on its way
 * back. CONFIG_TEST_PLANT_SKIP_ASID_FLUSH removes the mark; the host's
 * TLB simulator then keeps the entry and test/unit/asid_test.c fails.
 * QEMU's TCG drops its software TLB on every root switch (TESTING.md,
 * fidelity caveat), so here the plant shows only on hardware that keeps
 * entries per ASID.
 */

#include <stdatomic.h>

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/internal/asid.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/string.h"
#include "ostd/task.h"
#include "ostd/test.h"

#include "ktest_util.h"

#if CONFIG_ARCH_USER_MODE

#define OLD_MARKER 0x5a
#define NEW_MARKER 0xa5
#define PAGE_VA KT_DATA_VA

struct visit {
	struct task task;
	struct vm_space *read;  /* Read PAGE_VA in this space, */
	struct vm_space *leave; /* then switch to this one (or NULL). */
	int probed;             /* kt_user_probe(): 1 read, 0 fault. */
	uint8_t byte;
	ostd_err_t err;
};

static void visit_fn(void *arg)
{
	struct visit *v = arg;

	v->err = vm_space_activate(v->read);
	if (v->err != OSTD_OK) {
		return;
	}
	v->probed =
		kt_user_probe(PROBE_READ, PAGE_VA + KT_MARKER_OFF, 0, &v->byte);
	if (v->leave != NULL) {
		v->err = vm_space_activate(v->leave);
	}
}

/* Runs @p v on CPU @p cpu to its end. */
static bool visit_on(struct visit *v, unsigned int cpu)
{
	int code;

	if (task_spawn_on(&v->task, "asid-visit", visit_fn, v, cpu) !=
	    OSTD_OK) {
		return false;
	}
	return task_join(&v->task, &code) == OSTD_OK && v->err == OSTD_OK;
}

static ostd_err_t write_marker(struct frame f, uint8_t marker)
{
	uint8_t page[KT_MARKER_OFF + 1];
	struct vm_writer w = frame_writer(f);

	memset(page, 0, sizeof(page));
	page[KT_MARKER_OFF] = marker;
	return vm_writer_write_val(&w, page, sizeof(page));
}

TEST(asid_kernel, switch_back_after_unmap_sees_no_stale_entry)
{
	unsigned int cpu = smp_cpu_count() > 1 ? 1 : 0;
	struct vm_space *a;
	struct vm_space *b;
	struct frame f;

	ASSERT_EQ(kt_space_new(&b), OSTD_OK);
	ASSERT_EQ(kt_map_probe_code(b, PROBE_READ), OSTD_OK);
	ASSERT_EQ(kt_space_new(&a), OSTD_OK);
	ASSERT_EQ(kt_map_probe_code(a, PROBE_READ), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(write_marker(f, OLD_MARKER), OSTD_OK);
	ASSERT_EQ(kt_map_frame(a, PAGE_VA, f.pa,
			       (struct pt_prop){ .flags = PROT_R,
						 .cache = PT_CACHE_WRITEBACK }),
		  OSTD_OK);
	/* This task runs B: A is active on no CPU but the visitor's. */
	ASSERT_EQ(vm_space_activate(b), OSTD_OK);

	struct visit first = { .read = a, .leave = b };
	bool first_ok = visit_on(&first, cpu);
	ostd_err_t unmapped = kt_unmap_user(a, PAGE_VA, PAGE_SIZE);
	ostd_err_t rewritten = write_marker(f, NEW_MARKER);
	struct visit again = { .read = a, .leave = b };
	bool again_ok = visit_on(&again, cpu);

	ostd_printf("asid: %u bit(s); CPU %u read %#x, then after the unmap "
		    "%s %#x\n",
		    asid_bits(), cpu, first.byte,
		    again.probed == 0 ? "faulted, not reading" : "READ",
		    again.byte);
	kt_space_destroy(a);
	kt_space_destroy(b);
	frame_drop(&f);
	ASSERT_TRUE(first_ok);
	ASSERT_EQ(first.probed, 1);
	ASSERT_EQ(first.byte, OLD_MARKER);
	ASSERT_EQ(unmapped, OSTD_OK);
	ASSERT_EQ(rewritten, OSTD_OK);
	ASSERT_TRUE(again_ok);
	ASSERT_EQ(again.probed, 0);
}

#endif /* CONFIG_ARCH_USER_MODE */
