// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace tokens and copies (DESIGN.md §7, §8): the token life cycle,
 * the copies with their exact partial counts, and the user and kernel
 * atomics.
 *
 * The fixture, the helpers and the rules they follow are in
 * test/lib/vm_space_fixture.h.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/internal/vm_space_testing.h"
#include "ostd/math.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"
#include "ostd/test.h"
#include "ostd/vm_space.h"

#include "../../core/mm/vm_space_internal.h"
#include "../lib/pt_test_util.h"
#include "../lib/vm_space_fixture.h"

#if CONFIG_ARCH_HOST
#include "ostd/host/sim.h"
#endif

/* ---------------------------------------------------------------------
 * Token life cycle.
 * --------------------------------------------------------------------- */

/*
 * create -> activate -> use -> dispose -> activate -> dispose -> remove;
 * after remove, activate, dispose, remove and use are refused; a token is
 * only good for its own kind.
 */
static void token_lifecycle(const struct pt_config *cfg, enum vm_io_kind kind,
			    bool shared)
{
	uint64_t done = 0;

	if (!EXPECT_EQ(fx_setup_layout(cfg, shared), OSTD_OK)) {
		goto out;
	}
	/* Active tokens are counted by kind, with or without the registry
	 * (kind_count()). */
	uint64_t va = UBASE + 2 * P;

	if (!EXPECT_EQ(io_create(fx.vs, &io_a, kind, va, 64), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_EBADSTATE) ||
	    !EXPECT_EQ(done, 0)) {
		goto out;
	}
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	/* The wrong kind's calls refuse it. */
	io_a.kind = kind == VM_IO_READER ? VM_IO_WRITER : VM_IO_READER;
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	io_a.kind = kind;

	for (int round = 0; round < 2; round++) {
		if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_OK)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok),
			       VM_IO_ACTIVE)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_space_test_active_tokens(fx.vs), 1)) {
			goto out;
		}
		if (!EXPECT_EQ(kind_count(fx.vs, kind), 1U)) {
			goto out;
		}
		if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE)) {
			goto out;
		}
		if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_EBADSTATE)) {
			goto out;
		}
		if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_OK) ||
		    !EXPECT_EQ(done, 1)) {
			goto out;
		}
		if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_OK)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok),
			       VM_IO_DISPOSED)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_space_test_active_tokens(fx.vs), 0) ||
		    !EXPECT_EQ(kind_count(fx.vs, kind), 0)) {
			goto out;
		}
		if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_EBADSTATE)) {
			goto out;
		}
		if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_EBADSTATE) ||
		    !EXPECT_EQ(done, 0)) {
			goto out;
		}
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok), VM_IO_REMOVED)) {
		goto out;
	}
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_EBADSTATE) ||
	    !EXPECT_EQ(done, 0)) {
		goto out;
	}
	/* Two bytes were used, one per round. */
	if (kind == VM_IO_READER) {
		if (!EXPECT_EQ(io_a.r.cursor, va + 2)) {
			goto out;
		}
	} else {
		if (!EXPECT_EQ(io_a.w.cursor, va + 2)) {
			goto out;
		}
	}
	if (!EXPECT_TRUE(vm_space_owner_inv(fx.vs))) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_token_lifecycle, writer_token_lifecycle,
		   token_lifecycle, NEEDS_ACTIVE)

/*
 * Probe (copied token): a token is a handle; the permission is the
 * registry's. A copy taken while the token was active is the same
 * permission: once the original is disposed the copy neither copies nor
 * disposes (the count does not go below zero), and once it is removed no
 * copy can activate it again. Holds with or without the registry.
 */
static void token_copy_refused(const struct pt_config *cfg,
			       enum vm_io_kind kind, bool shared)
{
	uint64_t done = 1;

	if (!EXPECT_EQ(fx_setup_layout(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_a, kind, UBASE, P), OSTD_OK)) {
		goto out;
	}
	io_b = io_a;
	if (!EXPECT_EQ(io_use(&io_b, &done), OSTD_OK) || !EXPECT_EQ(done, 1)) {
		goto out;
	}
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	vm_space_test_snap_take(fx.vs, 1);
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_b.tok), VM_IO_DISPOSED)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_b, &done), OSTD_EBADSTATE) ||
	    !EXPECT_EQ(done, 0)) {
		goto out;
	}
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_test_snap_same(fx.vs, 1))) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_test_active_tokens(fx.vs), 0)) {
		goto out;
	}
	/* With another token active, the copy still cannot dispose it. */
	if (!EXPECT_EQ(io_open(fx.vs, &io_c, kind, UBASE + 2 * P, P),
		       OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_test_active_tokens(fx.vs), 1)) {
		goto out;
	}
	if (!EXPECT_EQ(io_close(fx.vs, &io_c), OSTD_OK)) {
		goto out;
	}
	/* Removed through the original: gone for the copy too (no revival). */
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	vm_space_test_snap_take(fx.vs, 1);
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_b.tok), VM_IO_REMOVED)) {
		goto out;
	}
	if (!EXPECT_EQ(io_activate(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_b, &done), OSTD_EBADSTATE) ||
	    !EXPECT_EQ(done, 0)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_test_snap_same(fx.vs, 1))) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_token_copy_refused_after_dispose,
		   writer_token_copy_refused_after_dispose, token_copy_refused,
		   NEEDS_ACTIVE)

/* Destroy with an active token: OSTD_EBUSY, and nothing changed. */
static void destroy_busy(const struct pt_config *cfg, enum vm_io_kind kind,
			 bool shared)
{
	uint64_t done = 0;
	struct pt_query q;

	if (!EXPECT_EQ(fx_setup_layout(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_a, kind, UBASE + 2 * P, 64),
		       OSTD_OK)) {
		goto out;
	}
	vm_space_test_snap_take(fx.vs, 1);
	uint64_t in_use = frame_stats_in_use();

	if (!EXPECT_EQ(vm_space_destroy(fx.vs), OSTD_EBUSY)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_test_snap_same(fx.vs, 1))) {
		goto out;
	}
	if (!EXPECT_EQ(frame_stats_in_use(), in_use)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_is_current(fx.vs))) {
		goto out;
	}
	if (!EXPECT_TRUE(cpu_set_contains(&vm_space_test_pt(fx.vs)->active_cpus,
					  arch_cpu_id()))) {
		goto out;
	}
	if (!EXPECT_EQ(query_at(fx.vs, UBASE + 2 * P, &q), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(q.item.kind, PT_ITEM_FRAME) ||
	    !EXPECT_EQ(pa_addr(q.item.pa), pa_addr(fx.pa[2]))) {
		goto out;
	}
	if (!EXPECT_EQ(frame_refcount(fx.pa[2]), 1)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_OK) || !EXPECT_EQ(done, 1)) {
		goto out;
	}
	if (!EXPECT_EQ(io_close(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_destroy(fx.vs), OSTD_OK)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(destroy_with_active_reader_is_busy,
		   destroy_with_active_writer_is_busy, destroy_busy,
		   NEEDS_ACTIVE)

/* ---------------------------------------------------------------------
 * Copies.
 * --------------------------------------------------------------------- */

/* Kernel to kernel: infallible, min(remain, avail), everywhere. */
TEST(vm_space, copy_kernel_to_kernel)
{
	static uint8_t src[100];
	static uint8_t dst[60];
	uint64_t copied = 0;

	for (unsigned int i = 0; i < sizeof(src); i++) {
		src[i] = pat(i);
	}
	struct vm_reader r = vm_reader_from_kernel(src, sizeof(src));
	struct vm_writer w = vm_writer_from_kernel(dst, sizeof(dst));

	ASSERT_EQ(vm_reader_read(&r, &w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 60);
	ASSERT_EQ(vm_reader_remain(&r), 40);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	ASSERT_TRUE(is_pat(dst, 0, 60));
	/* Nothing left to write: a successful empty copy. */
	ASSERT_EQ(vm_reader_read(&r, &w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_reader_remain(&r), 40);
}

/* User to kernel and kernel to user, across a page boundary. */
TEST_FORMAT(vm_space, copy_user_kernel_both_ways)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(layout(), OSTD_OK);
	/* Page 1 mapped too: pages 0-2 read-write. */
	ASSERT_EQ(map_new(fx.vs, UBASE + P, prop_rw, &fx.pa[1]), OSTD_OK);
	fill_page(fx.pa[1], UBASE + P);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);

	/* User -> kernel: [UBASE + 100, + 2P - 200). */
	uint64_t len = 2 * P - 200;

	memset(kbuf, 0, sizeof(kbuf));
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 100, len),
		  OSTD_OK);
	struct vm_writer kw = vm_writer_from_kernel(kbuf, sizeof(kbuf));

	ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_OK);
	ASSERT_EQ(copied, len);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 0);
	ASSERT_EQ(vm_writer_avail(&kw), sizeof(kbuf) - len);
	ASSERT_TRUE(is_pat(kbuf, UBASE + 100, len));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);

	/* Kernel -> user: [UBASE + 2P - 50, + 100), pages 1 and 2. */
	for (unsigned int i = 0; i < 100; i++) {
		kbuf[i] = (uint8_t)~pat(i);
	}
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P - 50, 100),
		  OSTD_OK);
	struct vm_reader kr = vm_reader_from_kernel(kbuf, 150);

	ASSERT_EQ(vm_reader_read(&kr, &io_b.w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 100);
	ASSERT_EQ(vm_reader_remain(&kr), 50);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 0);
	ASSERT_EQ(memcmp(frame_bytes(fx.pa[1]) + P - 50, kbuf, 50), 0);
	ASSERT_EQ(memcmp(frame_bytes(fx.pa[2]), kbuf + 50, 50), 0);
	ASSERT_TRUE(
		is_pat(frame_bytes(fx.pa[2]) + 50, UBASE + 2 * P + 50, P - 50));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* User to user within the current space, larger than the bounce buffer. */
TEST_FORMAT(vm_space, copy_user_to_user)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 10, 3000),
		  OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P + 20, 2000),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &io_b.w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 2000);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 1000);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 0);
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]) + 20, UBASE + 10, 2000));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]), UBASE + 2 * P, 20));
	ASSERT_TRUE(
		is_pat(frame_bytes(fx.pa[2]) + 2020, UBASE + 2 * P + 2020, 8));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * Partial copies stop at the first byte that faults, on either side,
 * with exact counts: kernel -> user across read-write -> read-only, user
 * -> user with the source running into an unmapped page (at a count that
 * is not a multiple of the bounce buffer), and with the destination
 * running into a read-only page.
 */
TEST_FORMAT(vm_space, copy_partial_exact_counts)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);

	/* Kernel -> user: 30 bytes of page 2, then page 3 (read-only). */
	memset(kbuf, 0xee, 100);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 3 * P - 30, 100),
		  OSTD_OK);
	struct vm_reader kr = vm_reader_from_kernel(kbuf, 100);

	ASSERT_EQ(vm_reader_read(&kr, &io_b.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 30);
	ASSERT_EQ(vm_reader_remain(&kr), 70);
	ASSERT_EQ(io_b.w.cursor, UBASE + 3 * P);
	ASSERT_TRUE(all_bytes(frame_bytes(fx.pa[2]) + P - 30, 30, 0xee));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, P));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);

	/* User -> user: the source has 1000 bytes before page 1. */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P - 1000, 2000),
		  OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 2000),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &io_b.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 1000);
	ASSERT_EQ(io_a.r.cursor, UBASE + P);
	ASSERT_EQ(io_b.w.cursor, UBASE + 2 * P + 1000);
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]), UBASE + P - 1000, 1000));
	/* Up to the 30 bytes the first copy wrote. */
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]) + 1000, UBASE + 2 * P + 1000,
			   P - 1030));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);

	/* User -> user: the destination has 300 bytes before page 3. */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 100, 1000),
		  OSTD_OK);
	ASSERT_EQ(
		io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 3 * P - 300, 1000),
		OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &io_b.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 300);
	ASSERT_EQ(io_a.r.cursor, UBASE + 400);
	ASSERT_EQ(io_b.w.cursor, UBASE + 3 * P);
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]) + P - 300, UBASE + 100, 300));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, P));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * The arch copy loops change gear at 8 bytes (words), 32 or 64 (unrolled
 * rounds) and 2048 (x86_64's REP MOVSB / STOSB). A fault in any gear
 * still stops the copy on exactly the first byte that cannot be reached:
 * copies and fills of lengths on each side of every boundary, with the
 * fault k bytes in (k at each boundary too, so that the page end falls
 * in a head, a round, a word and a tail), user to kernel into the hole
 * at page 1, kernel to user into the read-only page 3.
 */
static const uint64_t gear_lens[] = {
	7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 2047, 2048, 2049, 4096
};
static const uint64_t gear_ks[] = {
	1, 7, 8, 9, 31, 33, 63, 64, 65, 2047, 2049
};

/* One length @p n, the fault @p k bytes in; false (reported) on a miss. */
static bool gear_check(uint64_t n, uint64_t k)
{
	uint64_t done = 0;
	uint64_t ka = UBASE + P - k;     /* k bytes before the hole. */
	uint64_t kw = UBASE + 3 * P - k; /* k bytes before read-only. */
	ostd_err_t want = k < n ? OSTD_EFAULT : OSTD_OK;
	uint64_t want_done = MIN(k, n);

	for (uint64_t i = 0; i < n; i++) {
		kbuf[i] = (uint8_t)(i * 29 + n + k);
	}
	if (!EXPECT_EQ(vm_space_copy_to_user(fx.vs, kw, kbuf, n, &done),
		       want) ||
	    !EXPECT_EQ(done, want_done) ||
	    !EXPECT_EQ(memcmp(layout_ptr(kw), kbuf, (size_t)done), 0) ||
	    !EXPECT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, 64))) {
		return false;
	}
	memset(kbuf, 0x5a, (size_t)n + 1);
	if (!EXPECT_EQ(vm_space_copy_from_user(fx.vs, kbuf, ka, n, &done),
		       want) ||
	    !EXPECT_EQ(done, want_done) ||
	    !EXPECT_TRUE(is_pat(kbuf, ka, done)) ||
	    !EXPECT_TRUE(all_bytes(kbuf + done, n + 1 - done, 0x5a))) {
		return false;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, ka, n), OSTD_OK)) {
		return false;
	}
	bool ok = EXPECT_EQ(vm_writer_fill_zeros(&io_b.w, n, &done), want) &&
		  EXPECT_EQ(done, want_done) &&
		  EXPECT_EQ(io_b.w.cursor, ka + done) &&
		  EXPECT_TRUE(all_bytes(layout_ptr(ka), done, 0));

	ok = EXPECT_EQ(io_close(fx.vs, &io_b), OSTD_OK) && ok;
	fill_page(fx.pa[0], UBASE);
	return ok;
}

TEST_FORMAT(vm_space, copy_fault_at_every_gear)
{
	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	bool ok = true;

	for (unsigned int i = 0; ok && i < ARRAY_SIZE(gear_lens); i++) {
		for (unsigned int j = 0; ok && j < ARRAY_SIZE(gear_ks); j++) {
			ok = gear_check(gear_lens[i], gear_ks[j]);
		}
	}
	fx_teardown();
	ASSERT_TRUE(ok);
}

/*
 * read_val and write_val roll the cursor back on a fault. The bytes a
 * write_val stored before the fault stay stored (as in OSTD, where only
 * the cursor is rolled back): pinned.
 */
TEST_FORMAT(vm_space, read_val_write_val_rollback)
{
	uint64_t v = 0;
	uint32_t w = 0;
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff };

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	/* 4 bytes of page 0, then page 1 (unmapped). */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P - 8, 16),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &w, 4), OSTD_OK);
	ASSERT_TRUE(is_pat((const uint8_t *)&w, UBASE + P - 8, 4));
	ASSERT_EQ(io_a.r.cursor, UBASE + P - 4);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &v, 8), OSTD_EFAULT);
	ASSERT_EQ(io_a.r.cursor, UBASE + P - 4);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 12);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);

	/* 4 bytes of page 2, then page 3 (read-only). */
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 3 * P - 8, 16),
		  OSTD_OK);
	w = 0x01020304;
	ASSERT_EQ(vm_writer_write_val(&io_b.w, &w, 4), OSTD_OK);
	ASSERT_EQ(memcmp(frame_bytes(fx.pa[2]) + P - 8, &w, 4), 0);
	ASSERT_EQ(vm_writer_write_val(&io_b.w, ones, 8), OSTD_EFAULT);
	ASSERT_EQ(io_b.w.cursor, UBASE + 3 * P - 4);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 12);
	ASSERT_TRUE(all_bytes(frame_bytes(fx.pa[2]) + P - 4, 4, 0xff));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, P));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* fill_zeros: min(len, avail) bytes, and exact partial counts. */
TEST_FORMAT(vm_space, fill_zeros_partial)
{
	static uint8_t buf[32];
	uint64_t done = 0;

	if (!user_format(cfg)) {
		return;
	}
	/* Kernel memory: everywhere. */
	memset(buf, 0x77, sizeof(buf));
	struct vm_writer kw = vm_writer_from_kernel(buf, 20);

	ASSERT_EQ(vm_writer_fill_zeros(&kw, 8, &done), OSTD_OK);
	ASSERT_EQ(done, 8);
	ASSERT_EQ(vm_writer_fill_zeros(&kw, 100, &done), OSTD_OK);
	ASSERT_EQ(done, 12);
	ASSERT_EQ(vm_writer_avail(&kw), 0);
	ASSERT_TRUE(all_bytes(buf, 20, 0));
	ASSERT_TRUE(all_bytes(buf + 20, 12, 0x77));
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* The user half needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	/* 64 bytes of page 0, then page 1 (unmapped). */
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + P - 96, 128),
		  OSTD_OK);
	ASSERT_EQ(vm_writer_fill_zeros(&io_b.w, 32, &done), OSTD_OK);
	ASSERT_EQ(done, 32);
	ASSERT_EQ(vm_writer_fill_zeros(&io_b.w, 1000, &done), OSTD_EFAULT);
	ASSERT_EQ(done, 64);
	ASSERT_EQ(io_b.w.cursor, UBASE + P);
	ASSERT_TRUE(all_bytes(frame_bytes(fx.pa[0]) + P - 96, 96, 0));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[0]), UBASE, P - 96));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* skip, limit, remain and avail; kernel everywhere, user where spaces run. */
TEST_FORMAT(vm_space, skip_limit_remain_avail)
{
	static uint8_t buf[64];
	uint64_t copied = 0;

	if (!user_format(cfg)) {
		return;
	}
	struct vm_reader r = vm_reader_from_kernel(buf, 64);
	struct vm_writer w = vm_writer_from_kernel(buf, 64);

	ASSERT_EQ(vm_reader_remain(&r), 64);
	ASSERT_EQ(vm_reader_skip(&r, 65), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_remain(&r), 64);
	ASSERT_EQ(vm_reader_skip(&r, 10), OSTD_OK);
	ASSERT_EQ(vm_reader_remain(&r), 54);
	ASSERT_EQ(vm_reader_limit(&r, 100), OSTD_OK); /* Larger: no change. */
	ASSERT_EQ(vm_reader_remain(&r), 54);
	ASSERT_EQ(vm_reader_limit(&r, 20), OSTD_OK);
	ASSERT_EQ(vm_reader_remain(&r), 20);
	ASSERT_EQ(vm_reader_skip(&r, 21), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_skip(&r, 20), OSTD_OK);
	ASSERT_EQ(vm_reader_remain(&r), 0);
	ASSERT_EQ(vm_writer_skip(&w, UINT64_MAX), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&w, 64), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	ASSERT_EQ(vm_writer_limit(&w, 5), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	w = vm_writer_from_kernel(buf, 64);
	ASSERT_EQ(vm_writer_limit(&w, 0), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* The user half needs activation. */
	}
	/* A user reader skips an unmapped page without touching it. */
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P, 2 * P),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_skip(&io_a.r, P + 8), OSTD_OK);
	ASSERT_EQ(vm_reader_limit(&io_a.r, 16), OSTD_OK);
	w = vm_writer_from_kernel(buf, 64);
	ASSERT_EQ(vm_reader_read(&io_a.r, &w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 16);
	ASSERT_TRUE(is_pat(buf, UBASE + 2 * P + 8, 16));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE, 64), OSTD_OK);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 65), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 60), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 4);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * 32-bit atomics: value semantics on a mapped page, OSTD_EFAULT on an
 * unmapped page (and cmpxchg on a read-only one), OSTD_EINVAL, not a
 * crash, when misaligned or short. Neither moves the cursor.
 */
TEST_FORMAT(vm_space, atomics_user)
{
	uint32_t v = 0;
	uint32_t old = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	uint32_t *word = (uint32_t *)(void *)(frame_bytes(fx.pa[2]) + 8);

	*word = 5;
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P + 8, 8),
		  OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 5, 9, &old), OSTD_OK);
	ASSERT_EQ(old, 5);
	ASSERT_EQ(*word, 9);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 5, 11, &old), OSTD_OK);
	ASSERT_EQ(old, 9);
	ASSERT_EQ(*word, 9);
	ASSERT_EQ(io_b.w.cursor, UBASE + 2 * P + 8);
	/* Misaligned, and short. */
	ASSERT_EQ(vm_writer_skip(&io_b.w, 2), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 9, 1, &old), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 2), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 9, 1, &old), OSTD_OK);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 4), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 0, 1, &old), OSTD_EINVAL);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);

	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 2 * P + 8, 8),
		  OSTD_OK);
	*word = 42;
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_OK);
	ASSERT_EQ(v, 42);
	ASSERT_EQ(io_a.r.cursor, UBASE + 2 * P + 8);
	ASSERT_EQ(vm_reader_skip(&io_a.r, 1), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_skip(&io_a.r, 3), OSTD_OK);
	ASSERT_EQ(vm_reader_limit(&io_a.r, 3), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_EINVAL);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);

	/* Unmapped page 1; read-only page 3 (loads work, cmpxchg faults). */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P, 8), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_EFAULT);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + P, 8), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 0, 1, &old), OSTD_EFAULT);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	uint64_t ro = UBASE + 3 * P;

	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, ro, 4), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_OK);
	ASSERT_EQ(memcmp(&v, layout_ptr(ro), 4), 0);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	fx_teardown();
}

/* The same atomics over kernel memory (infallible): everywhere. */
TEST(vm_space, atomics_kernel)
{
	static uint32_t words[2] = { 7, 0 };
	uint32_t v = 0;
	uint32_t old = 0;
	struct vm_reader r = vm_reader_from_kernel(words, sizeof(words));
	struct vm_writer w = vm_writer_from_kernel(words, sizeof(words));

	ASSERT_EQ(vm_reader_atomic_load(&r, &v), OSTD_OK);
	ASSERT_EQ(v, 7);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 7, 8, &old), OSTD_OK);
	ASSERT_EQ(old, 7);
	ASSERT_EQ(words[0], 8);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 7, 9, &old), OSTD_OK);
	ASSERT_EQ(old, 8);
	ASSERT_EQ(words[0], 8);
	ASSERT_EQ(vm_reader_skip(&r, 2), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&r, &v), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&w, 6), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 0, 1, &old), OSTD_EINVAL);
}
