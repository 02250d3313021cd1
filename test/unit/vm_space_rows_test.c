// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace and VmReader/VmWriter (DESIGN.md §7, §8): the bad-input rows
 * 21-33 of TESTING.md.
 *
 * The fixture, the helpers and the rules they follow are in
 * test/lib/vm_space_fixture.h.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/internal/vm_space_testing.h"
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
 * TESTING.md bad-input rows 21-33.
 * --------------------------------------------------------------------- */

/* Row 21: only untyped frames reach user space (S1): OSTD_EPERM. */
TEST_FORMAT(vm_space, row21_map_pt_node_into_user)
{
	if (!user_format(cfg)) {
		return;
	}
	struct frame kobj;
	struct frame user;
	struct frame gone;

	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &kobj), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &user), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + P, &hcur), OSTD_OK);
	/* A free frame: freed after the cursor allocated its nodes. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &gone), OSTD_OK);
	paddr_t free_pa = gone.pa;

	frame_drop(&gone);
	uint64_t in_use = frame_stats_in_use();

	/* The space's own root, the kernel table's root, a kernel object. */
	ASSERT_EQ(vm_space_map_frame(&hcur, vm_space_test_pt(fx.vs)->root,
				     prop_rw),
		  OSTD_EPERM);
	ASSERT_EQ(vm_space_map_frame(&hcur, fx.kpt->root, prop_ro), OSTD_EPERM);
	ASSERT_EQ(vm_space_map_frame(&hcur, kobj.pa, prop_rw), OSTD_EPERM);
	ASSERT_EQ(vm_space_map_frame(&hcur, free_pa, prop_rw), OSTD_EPERM);
	ASSERT_EQ(vm_space_cursor_va(&hcur), UBASE);
	ASSERT_EQ(frame_refcount(kobj.pa), 1);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	/* The cursor still maps what may be mapped. */
	ASSERT_EQ(vm_space_map_frame(&hcur, user.pa, prop_rw), OSTD_OK);
	vm_space_cursor_drop(&hcur);
	ASSERT_EQ(frame_refcount(user.pa), 2);
	struct pt_query q;

	ASSERT_EQ(query_at(fx.vs, UBASE, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_FRAME);
	ASSERT_EQ(pa_addr(q.item.pa), pa_addr(user.pa));
	fx_teardown();
	ASSERT_EQ(frame_refcount(user.pa), 1);
	frame_drop(&user);
	frame_drop(&kobj);
}

/*
 * Row 22: PROT_USER, PT_GLOBAL and the software bits are the framework's
 * (S6): a request with any of them is refused, not silently kept, and a
 * mapping's query shows PROT_USER set by the framework and no AVAIL bit.
 */
TEST_FORMAT(vm_space, row22_user_prop_privileged_bits)
{
	if (!user_format(cfg)) {
		return;
	}
	static const uint32_t bad[] = { PROT_USER, PT_GLOBAL, PT_AVAIL1,
					PT_AVAIL2,
					PROT_USER | PT_GLOBAL | PT_AVAIL1 |
						PT_AVAIL2 };
	const struct io_mem io = { .pa = pa_init(IO_PA), .len = P };
	struct frame f;
	struct pt_query q;

	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + 2 * P, &hcur),
		  OSTD_OK);
	uint64_t in_use = frame_stats_in_use();

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pt_prop p = { .flags = PROT_R | PROT_W | bad[i],
				     .cache = PT_CACHE_WRITEBACK };

		ASSERT_EQ(vm_space_map_frame(&hcur, f.pa, p), OSTD_EINVAL);
		ASSERT_EQ(vm_space_map_io(&hcur, &io, 0, 1, p), OSTD_EINVAL);
	}
	ASSERT_EQ(vm_space_cursor_va(&hcur), UBASE);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_EQ(vm_space_map_frame(&hcur, f.pa, prop_rw), OSTD_OK);
	ASSERT_EQ(vm_space_map_io(&hcur, &io, 0, 1, prop_ro), OSTD_OK);
	vm_space_cursor_drop(&hcur);

	ASSERT_EQ(query_at(fx.vs, UBASE, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_FRAME);
	ASSERT_EQ(q.prop.flags & (PROT_R | PROT_W | PROT_USER),
		  PROT_R | PROT_W | PROT_USER);
	ASSERT_EQ(q.prop.flags & (PT_GLOBAL | PT_AVAIL1 | PT_AVAIL2), 0);
	ASSERT_EQ(query_at(fx.vs, UBASE + P, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_UNTRACKED);
	ASSERT_EQ(q.prop.flags & (PROT_R | PROT_W | PROT_USER),
		  PROT_R | PROT_USER);
	ASSERT_EQ(q.prop.flags & (PT_GLOBAL | PT_AVAIL1 | PT_AVAIL2), 0);
	fx_teardown();
	frame_drop(&f);
}

/*
 * Row 23: device memory maps only from inside its io_mem, checked without
 * overflow (OSTD_EINVAL); a misaligned offset is OSTD_EUNALIGNED.
 */
TEST_FORMAT(vm_space, row23_map_io_outside_io_mem)
{
	if (!user_format(cfg)) {
		return;
	}
	const struct io_mem io = { .pa = pa_init(IO_PA), .len = 2 * P };
	const struct io_mem half = { .pa = pa_init(IO_PA), .len = P / 2 };
	const struct io_mem none = { .pa = pa_init(IO_PA), .len = 0 };
	struct pt_query q;

	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + 2 * P, &hcur),
		  OSTD_OK);
	uint64_t in_use = frame_stats_in_use();

	ASSERT_EQ(vm_space_map_io(&hcur, &io, 2 * P, 1, prop_rw), OSTD_EINVAL);
	ASSERT_EQ(vm_space_map_io(&hcur, &io, 3 * P, 1, prop_rw), OSTD_EINVAL);
	/* offset + page size wraps. */
	ASSERT_EQ(vm_space_map_io(&hcur, &io, 0 - P, 1, prop_rw), OSTD_EINVAL);
	/* An io_mem shorter than one page has no page to map. */
	ASSERT_EQ(vm_space_map_io(&hcur, &half, 0, 1, prop_rw), OSTD_EINVAL);
	ASSERT_EQ(vm_space_map_io(&hcur, &none, 0, 1, prop_rw), OSTD_EINVAL);
	/* A 2 MiB leaf does not fit in 8 KiB of device memory. */
	ASSERT_EQ(vm_space_map_io(&hcur, &io, 0, 2, prop_rw), OSTD_EINVAL);
	ASSERT_EQ(vm_space_map_io(&hcur, &io, P + 1, 1, prop_rw),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(vm_space_map_io(&hcur, NULL, 0, 1, prop_rw), OSTD_EINVAL);
	ASSERT_EQ(vm_space_cursor_va(&hcur), UBASE);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	/* The last page inside is fine: untracked, at pa + offset. */
	ASSERT_EQ(vm_space_map_io(&hcur, &io, P, 1, prop_rw), OSTD_OK);
	vm_space_cursor_drop(&hcur);
	ASSERT_EQ(query_at(fx.vs, UBASE, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_UNTRACKED);
	ASSERT_EQ(pa_addr(q.item.pa), IO_PA + P);
	ASSERT_TRUE((q.prop.flags & PROT_USER) != 0);
	ASSERT_TRUE(nothing_mapped_at(fx.vs, UBASE + P));
	ASSERT_EQ(unmap_at(fx.vs, UBASE, P), OSTD_OK);
	ASSERT_TRUE(nothing_mapped_at(fx.vs, UBASE));
	fx_teardown();
}

/* Row 24: a range whose end wraps is refused (OSTD_ERANGE). */
TEST_FORMAT(vm_space, row24_reader_writer_overflow)
{
	bool same = false;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_active(cfg, false), OSTD_OK);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_READER, UINT64_MAX - 0xff, 0x200,
				 &same),
		  OSTD_ERANGE);
	ASSERT_TRUE(same);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_WRITER, UINT64_MAX - 0xff, 0x200,
				 &same),
		  OSTD_ERANGE);
	ASSERT_TRUE(same);
	fx_teardown();
}

/*
 * Row 25: reader(U - 1, 1) is fine, reader(U - 1, 2) is not. Where the
 * format's user half reaches U, the byte just below it reads back; on
 * Sv39 that address is non-canonical and the read faults at byte 0.
 */
TEST_FORMAT(vm_space, row25_last_user_byte)
{
	static uint8_t byte;
	bool same = false;
	uint64_t copied = 1;
	paddr_t pa = pa_init(0);

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_active(cfg, false), OSTD_OK);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_READER, MAX_USER_VADDR - 1, 2,
				 &same),
		  OSTD_ERANGE);
	ASSERT_TRUE(same);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_WRITER, MAX_USER_VADDR - 1, 2,
				 &same),
		  OSTD_ERANGE);
	ASSERT_TRUE(same);
	bool reachable = vm_space_test_pt(fx.vs)->va_last >= MAX_USER_VADDR - 1;

	if (reachable) {
		ASSERT_EQ(map_new(fx.vs, MAX_USER_VADDR - P, prop_rw, &pa),
			  OSTD_OK);
		fill_page(pa, MAX_USER_VADDR - P);
	}
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, MAX_USER_VADDR - 1, 1),
		  OSTD_OK);
	struct vm_writer k = vm_writer_from_kernel(&byte, 1);

	ASSERT_EQ(vm_reader_read(&io_a.r, &k, &copied),
		  reachable ? OSTD_OK : OSTD_EFAULT);
	ASSERT_EQ(copied, reachable ? 1 : 0);
	if (reachable) {
		ASSERT_EQ(byte, pat(MAX_USER_VADDR - 1));
	}
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	fx_teardown();
}

/* Row 26: a kernel address is refused for readers and writers. */
TEST_FORMAT(vm_space, row26_kernel_address)
{
	bool same = false;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_active(cfg, false), OSTD_OK);
	for (int k = 0; k < 2; k++) {
		enum vm_io_kind kind = k == 0 ? VM_IO_READER : VM_IO_WRITER;

		ASSERT_EQ(create_checked(fx.vs, kind, fx.kpt->va_start, 64,
					 &same),
			  OSTD_ERANGE);
		ASSERT_TRUE(same);
		ASSERT_EQ(create_checked(fx.vs, kind, fx.kpt->va_last - P + 1,
					 P, &same),
			  OSTD_ERANGE);
		ASSERT_TRUE(same);
	}
	fx_teardown();
}

/*
 * Row 27: a space not active on this CPU gives no reader or writer
 * (OSTD_ENOTCURRENT); and one made while it was active stops working once
 * another space is installed.
 */
TEST_FORMAT(vm_space, row27_space_not_active_on_cpu)
{
	static uint8_t buf[16];
	bool same = false;
	uint64_t copied = 1;

	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_READER, UBASE, 16, &same),
		  OSTD_ENOTCURRENT);
	ASSERT_TRUE(same);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_WRITER, UBASE, 16, &same),
		  OSTD_ENOTCURRENT);
	ASSERT_TRUE(same);
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		fx_teardown();
		return; /* The rest needs activation. */
	}
	ASSERT_EQ(layout(), OSTD_OK);
	ASSERT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, false), OSTD_OK);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE, 16), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 16),
		  OSTD_OK);
	ASSERT_EQ(vm_space_activate(fx.vs2), OSTD_OK);
	ASSERT_FALSE(vm_space_is_current(fx.vs));
	struct vm_writer kw = vm_writer_from_kernel(buf, sizeof(buf));
	struct vm_reader kr = vm_reader_from_kernel(buf, sizeof(buf));
	uint32_t v = 0;

	ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_ENOTCURRENT);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_reader_read(&kr, &io_b.w, &copied), OSTD_ENOTCURRENT);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &v, 4), OSTD_ENOTCURRENT);
	ASSERT_EQ(vm_writer_write_val(&io_b.w, &v, 4), OSTD_ENOTCURRENT);
	ASSERT_EQ(vm_writer_fill_zeros(&io_b.w, 4, &copied), OSTD_ENOTCURRENT);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_ENOTCURRENT);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 0, 1, &v),
		  OSTD_ENOTCURRENT);
	ASSERT_EQ(io_a.r.cursor, UBASE);
	ASSERT_EQ(io_b.w.cursor, UBASE + 2 * P);
	ASSERT_TRUE(is_pat(layout_ptr(UBASE + 2 * P), UBASE + 2 * P, 16));
	/* Back on the space, they work again. */
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_OK);
	ASSERT_EQ(copied, 16);
	ASSERT_TRUE(is_pat(buf, UBASE, 16));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* Row 28: reader(va, 0) is pinned to OSTD_EINVAL (PR#2361 debate). */
TEST_FORMAT(vm_space, row28_zero_length_is_einval)
{
	bool same = false;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_active(cfg, false), OSTD_OK);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_READER, UBASE, 0, &same),
		  OSTD_EINVAL);
	ASSERT_TRUE(same);
	ASSERT_EQ(create_checked(fx.vs, VM_IO_WRITER, UBASE, 0, &same),
		  OSTD_EINVAL);
	ASSERT_TRUE(same);
	fx_teardown();
}

/*
 * Row 29: read_val of 4 bytes with 3 left is OSTD_EINVAL and moves
 * nothing, for kernel memory (everywhere) and user memory (host).
 */
TEST_FORMAT(vm_space, row29_read_val_short)
{
	static uint8_t src[3] = { 1, 2, 3 };
	static uint8_t dst[3];
	uint32_t v = 0xdeadbeef;

	if (!user_format(cfg)) {
		return;
	}
	memset(dst, 0, sizeof(dst));
	struct vm_reader kr = vm_reader_from_kernel(src, 3);
	struct vm_writer kw = vm_writer_from_kernel(dst, 3);

	ASSERT_EQ(vm_reader_read_val(&kr, &v, 4), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_remain(&kr), 3);
	ASSERT_EQ(v, 0xdeadbeef);
	ASSERT_EQ(vm_writer_write_val(&kw, &v, 4), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_avail(&kw), 3);
	ASSERT_TRUE(all_bytes(dst, 3, 0));
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* The user half needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 8, 3), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 3),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &v, 4), OSTD_EINVAL);
	ASSERT_EQ(io_a.r.cursor, UBASE + 8);
	ASSERT_EQ(v, 0xdeadbeef);
	ASSERT_EQ(vm_writer_write_val(&io_b.w, &v, 4), OSTD_EINVAL);
	ASSERT_EQ(io_b.w.cursor, UBASE + 2 * P);
	ASSERT_TRUE(is_pat(layout_ptr(UBASE + 2 * P), UBASE + 2 * P, 8));
	/* Three bytes do fit. */
	ASSERT_EQ(vm_reader_read_val(&io_a.r, dst, 3), OSTD_OK);
	ASSERT_TRUE(is_pat(dst, UBASE + 8, 3));
	ASSERT_EQ(vm_reader_remain(&io_a.r), 0);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * Row 30: a fallible read crossing mapped -> unmapped returns
 * (OSTD_EFAULT, the bytes up to the boundary), and both cursors move by
 * exactly that.
 */
TEST_FORMAT(vm_space, row30_partial_read_to_unmapped)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	memset(kbuf, 0x5a, sizeof(kbuf));
	/* 100 bytes of page 0, then page 1 (unmapped). */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P - 100, 300),
		  OSTD_OK);
	struct vm_writer kw = vm_writer_from_kernel(kbuf, 300);

	ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 100);
	ASSERT_EQ(io_a.r.cursor, UBASE + P);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 200);
	ASSERT_EQ(vm_writer_avail(&kw), 200);
	ASSERT_TRUE(is_pat(kbuf, UBASE + P - 100, 100));
	ASSERT_TRUE(all_bytes(kbuf + 100, sizeof(kbuf) - 100, 0x5a));
	/* Again at the boundary: nothing at all. */
	ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(io_a.r.cursor, UBASE + P);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	fx_teardown();
}

/*
 * The one-shot copies: whole, partial up to the exact faulting byte, and
 * refused by the owner rules with nothing copied; the registry is as
 * before every time.
 */
TEST_FORMAT(vm_space, one_shot_copies_follow_the_owner_rules)
{
	uint64_t copied = 7;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	/* Page 0 whole, then into the hole at page 1. */
	ASSERT_EQ(vm_space_copy_from_user(fx.vs, kbuf, UBASE + 16, P - 16,
					  &copied),
		  OSTD_OK);
	ASSERT_EQ(copied, P - 16);
	ASSERT_TRUE(is_pat(kbuf, UBASE + 16, P - 16));
	ASSERT_EQ(vm_space_copy_from_user(fx.vs, kbuf, UBASE + P - 8, 64,
					  &copied),
		  OSTD_EFAULT);
	ASSERT_EQ(copied, 8);
	/* Writes: page 2 takes them, page 3 is read-only. */
	for (unsigned int i = 0; i < 64; i++) {
		kbuf[i] = pat(UBASE + 3 * P - 32 + i);
	}
	ASSERT_EQ(vm_space_copy_to_user(fx.vs, UBASE + 3 * P - 32, kbuf, 64,
					&copied),
		  OSTD_EFAULT);
	ASSERT_EQ(copied, 32);
	ASSERT_EQ(vm_space_test_owner(fx.vs).reader_count +
			  vm_space_test_owner(fx.vs).writer_count,
		  0);
	/* Refusals: kernel range, zero length, a conflicting writer. */
	ASSERT_EQ(vm_space_copy_from_user(fx.vs, kbuf, MAX_USER_VADDR - 8, 16,
					  &copied),
		  OSTD_ERANGE);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_space_copy_to_user(fx.vs, UBASE, kbuf, 0, &copied),
		  OSTD_EINVAL);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_WRITER, UBASE, 64), OSTD_OK);
	copied = 7;
	ASSERT_EQ(vm_space_copy_from_user(fx.vs, kbuf, UBASE + 32, 8, &copied),
		  IS_ENABLED(CONFIG_VM_OWNER_REGISTRY) ? OSTD_EBUSY : OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(vm_space_test_owner(fx.vs).reader_count +
			  vm_space_test_owner(fx.vs).writer_count,
		  0);
	fx_teardown();
}

/* Row 31: a writer onto a read-only page: (OSTD_EFAULT, 0), no crash. */
TEST_FORMAT(vm_space, row31_writer_onto_read_only_page)
{
	static const uint8_t src[64] = { 1 };
	uint64_t copied = 1;
	uint32_t old = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	uint64_t ro = UBASE + 3 * P;

	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_WRITER, ro, 64), OSTD_OK);
	struct vm_reader kr = vm_reader_from_kernel(src, sizeof(src));

	ASSERT_EQ(vm_reader_read(&kr, &io_a.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_reader_remain(&kr), sizeof(src));
	ASSERT_EQ(io_a.w.cursor, ro);
	ASSERT_EQ(vm_writer_fill_zeros(&io_a.w, 64, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_writer_write_val(&io_a.w, src, 8), OSTD_EFAULT);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_a.w, 0, 1, &old), OSTD_EFAULT);
	ASSERT_EQ(io_a.w.cursor, ro);
	ASSERT_TRUE(is_pat(layout_ptr(ro), ro, P));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	fx_teardown();
}

/*
 * Row 32, the space: every operation on a destroyed space is
 * OSTD_EBADSTATE (fault reports are OSTD_EFAULT, as for any fault nobody
 * resolves). Needs no activation.
 */
TEST_FORMAT(vm_space, row32_destroyed_space)
{
	struct vm_space_cursor *c = &hcur;

	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(map_new(fx.vs, UBASE, prop_rw, NULL), OSTD_OK);
	uint64_t id = vm_space_test_id(fx.vs);

	ASSERT_FALSE(vm_space_test_id_stale(fx.vs, id));
	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_OK);
	ASSERT_TRUE(vm_space_is_destroyed(fx.vs));
	/* Every token of the space died with it. */
	ASSERT_TRUE(vm_space_test_id_stale(fx.vs, id));
	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_cursor(fx.vs, UBASE, UBASE + P, c), OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + P, c),
		  OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_create_reader(fx.vs, UBASE, P, &io_a.r, &io_a.tok),
		  OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_create_writer(fx.vs, UBASE, P, &io_a.w, &io_a.tok),
		  OSTD_EBADSTATE);
	ASSERT_FALSE(vm_space_is_current(fx.vs));
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE, false), OSTD_EFAULT);
	fx_teardown();
}

/*
 * Row 32, the tokens: a token of a destroyed space, of another space, of
 * an earlier life of the same space object, or with a wrong generation is
 * refused with OSTD_EBADSTATE, and so is a reader or writer using one.
 */
TEST_FORMAT(vm_space, row32_stale_tokens)
{
	uint64_t copied = 1;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(layout(), OSTD_OK);
	ASSERT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, false), OSTD_OK);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	/* io_a created, io_b disposed, io_c created with a forged number. */
	ASSERT_EQ(io_create(fx.vs, &io_a, VM_IO_READER, UBASE, 16), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 16),
		  OSTD_OK);
	ASSERT_EQ(io_dispose(fx.vs, &io_b), OSTD_OK);
	ASSERT_EQ(io_create(fx.vs, &io_c, VM_IO_READER, UBASE + 8, 8), OSTD_OK);
	io_c.tok.id += 100;
	ASSERT_EQ(io_activate(fx.vs, &io_c), OSTD_EBADSTATE);
	io_c.tok.id -= 100;
	/* Another space's token, in this space. */
	ASSERT_EQ(io_activate(fx.vs2, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_remove(fx.vs2, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_io_state(fx.vs, &io_a.tok), VM_IO_CREATED);

	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_OK);
	ASSERT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_activate(fx.vs, &io_b), OSTD_EBADSTATE);
	ASSERT_EQ(io_dispose(fx.vs, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_dispose(fx.vs, &io_b), OSTD_EBADSTATE);
	ASSERT_EQ(io_use(&io_a, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(io_use(&io_b, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(copied, 0);
	/*
	 * Retiring a created token of a destroyed space is allowed: it
	 * holds nothing, and its owner must be able to give the slot back.
	 */
	ASSERT_EQ(io_remove(fx.vs, &io_c), OSTD_OK);

	/* A new life of the same object: the old tokens stay stale. */
	ASSERT_EQ(fx_space(&fx.vs, &fx.vs_ok, false), OSTD_OK);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	ASSERT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_dispose(fx.vs, &io_b), OSTD_EBADSTATE);
	ASSERT_EQ(io_remove(fx.vs, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_use(&io_a, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_test_active_tokens(fx.vs), 0);
	ASSERT_TRUE(vm_space_owner_inv(fx.vs));
	fx_teardown();
}

/*
 * Row 33 (user RIP >= 2^47 or a non-canonical entry point, forced through
 * IRET: CVE-2012-0217) belongs to user-mode entry, not to VmSpace:
 * user_mode.bad_pc_or_stack_never_reaches_the_cpu (test/kernel) checks it.
 */
