// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace cursors with user-mapping rules (DESIGN.md §7): page-table
 * cursors over a space's own table, and the checks that keep the
 * framework's frames and privileged bits out of user mappings.
 */

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/frame.h"
#include "ostd/math.h"
#include "ostd/vm_space.h"

#include "pt_internal.h"
#include "vm_space_internal.h"

ostd_err_t vm_space_cursor(struct vm_space *vs, uint64_t start, uint64_t end,
			   struct vm_space_cursor *out)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	return pt_cursor_new(&vs->pt, start, end, vm_space_cursor_raw(out));
}

ostd_err_t vm_space_cursor_mut(struct vm_space *vs, uint64_t start,
			       uint64_t end, struct vm_space_cursor *out)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	/* The rules come with the table (pt_is_vm_space_table()). */
	return pt_cursor_new_mut_internal(&vs->pt, start, end,
					  vm_space_cursor_raw(out));
}

uint64_t vm_space_cursor_va(struct vm_space_cursor *c)
{
	return pt_cursor_va(vm_space_cursor_raw(c));
}

struct tlb_flusher *vm_space_cursor_flusher(struct vm_space_cursor *c)
{
	return pt_cursor_flusher(vm_space_cursor_raw(c));
}

void vm_space_cursor_drop(struct vm_space_cursor *c)
{
	pt_cursor_drop(vm_space_cursor_raw(c));
}

ostd_err_t vm_space_cursor_query(struct vm_space_cursor *c, struct pt_query *q)
{
	return pt_cursor_query(vm_space_cursor_raw(c), q);
}

ostd_err_t vm_space_cursor_find_next(struct vm_space_cursor *c, uint64_t len,
				     uint64_t *found)
{
	return pt_cursor_find_next(vm_space_cursor_raw(c), len, found);
}

ostd_err_t vm_space_cursor_jump(struct vm_space_cursor *c, uint64_t va)
{
	return pt_cursor_jump(vm_space_cursor_raw(c), va);
}

ostd_err_t vm_space_cursor_unmap(struct vm_space_cursor *c, uint64_t len,
				 uint64_t *count)
{
	return pt_cursor_unmap(vm_space_cursor_raw(c), len, count);
}

ostd_err_t vm_space_cursor_protect_next(struct vm_space_cursor *c, uint64_t len,
					pt_protect_op op, void *ctx,
					uint64_t *range_start,
					uint64_t *range_len)
{
	return pt_cursor_protect_next(vm_space_cursor_raw(c), len, op, ctx,
				      range_start, range_len);
}

ostd_err_t vm_space_cursor_protect_mask(struct vm_space_cursor *c, uint64_t len,
					uint32_t set, uint32_t clear,
					uint64_t *count)
{
	/* The table's user-mapping rules refuse the privileged bits. */
	return pt_cursor_protect_mask(vm_space_cursor_raw(c), len, set, clear,
				      count);
}

/*
 * S6: the privileged bits are the framework's, never the caller's. The
 * accessed bit is set up front, as Linux's default protections do: an
 * AArch64 core without FEAT_HAFDBS (Cortex-A72) never sets AF itself, so a
 * user leaf without it would take an access-flag fault on every access,
 * and nothing handles those.
 */
static ostd_err_t user_prop(struct pt_prop *prop)
{
	CHECKIF ((prop->flags &
		  (PROT_USER | PT_GLOBAL | PT_AVAIL1 | PT_AVAIL2)) != 0) {
		return OSTD_EINVAL;
	}
	prop->flags |= PROT_USER | PT_ACCESSED;
	return OSTD_OK;
}

ostd_err_t vm_space_map_frame(struct vm_space_cursor *c, paddr_t frame,
			      struct pt_prop prop)
{
	CHECKIF (c == NULL) {
		return OSTD_EINVAL;
	}
	/* S1: only untyped frames (user data) ever reach user space, and
	 * only through a user table. pt_cursor_map() checks it again. */
	CHECKIF (!frame_is_untyped(frame) ||
		 !pt_is_vm_space_table(vm_space_cursor_raw(c)->pt)) {
		return OSTD_EPERM;
	}
	ostd_err_t err = user_prop(&prop);

	if (err != OSTD_OK) {
		return err;
	}
	/* The kernel may have just written code into it (an ELF loader). */
	if ((prop.flags & PROT_X) != 0) {
		arch_sync_icache(frame, PAGE_SIZE);
	}
	return pt_cursor_map(vm_space_cursor_raw(c), pt_item_frame(frame),
			     prop);
}

ostd_err_t vm_space_map_segment(struct vm_space_cursor *c,
				const struct segment *seg, struct pt_prop prop)
{
	CHECKIF (c == NULL || seg == NULL || seg->nr_frames == 0) {
		return OSTD_EINVAL;
	}
	/* S1 as in vm_space_map_frame(); the batch checks every frame's type
	 * again under the table's user rules. */
	CHECKIF (!pt_is_vm_space_table(vm_space_cursor_raw(c)->pt)) {
		return OSTD_EPERM;
	}
	ostd_err_t err = user_prop(&prop);

	if (err != OSTD_OK) {
		return err;
	}
	/* nr_frames * PAGE_SIZE cannot wrap: the segment is real memory. */
	if ((prop.flags & PROT_X) != 0) {
		arch_sync_icache(seg->pa, seg->nr_frames * PAGE_SIZE);
	}
	return pt_cursor_map_pages(vm_space_cursor_raw(c),
				   pt_item_frame(seg->pa), seg->nr_frames,
				   prop);
}

ostd_err_t vm_space_map_io(struct vm_space_cursor *c, const struct io_mem *io,
			   uint64_t offset, pt_level_t level,
			   struct pt_prop prop)
{
	CHECKIF (c == NULL || io == NULL || level < 1 ||
		 level > PT_MAX_LEVELS) {
		return OSTD_EINVAL;
	}
	uint64_t size = pt_page_size(level);

	CHECKIF (!is_aligned(offset, size)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (!range_within(offset, size, 0, io->len)) {
		return OSTD_EINVAL;
	}
	paddr_t pa = pa_init(pa_addr(io->pa) + offset);

	/* S1: device memory only; RAM reaches users as untyped frames. */
	CHECKIF (frame_range_is_managed(pa, size) ||
		 !pt_is_vm_space_table(vm_space_cursor_raw(c)->pt)) {
		return OSTD_EPERM;
	}
	ostd_err_t err = user_prop(&prop);

	if (err != OSTD_OK) {
		return err;
	}
	prop.cache = PT_CACHE_UNCACHED;
	/* A format that cannot say "uncached" leaves it to the platform. */
	if (!pt_cfg_prop_ok(vm_space_cursor_raw(c)->pt->cfg, prop)) {
		prop.cache = PT_CACHE_WRITEBACK;
	}
	return pt_cursor_map(vm_space_cursor_raw(c),
			     pt_item_untracked(pa, level), prop);
}
