// SPDX-License-Identifier: MPL-2.0
/*
 * VmReader and VmWriter (DESIGN.md §8). A reader or writer is a cursor and
 * an end over kernel memory (infallible) or user memory (fallible). The
 * kernel touches user memory only here, and only through the arch's
 * fault-catching primitives (arch_copy_from_user and friends), after
 * checking that the token is active and the space is the one this CPU
 * translates with (S3).
 */

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/math.h"
#include "ostd/string.h"
#include "ostd/vm_space.h"

struct vm_reader vm_reader_from_kernel(const void *ptr, uint64_t len)
{
	return (struct vm_reader){ .cursor = (uint64_t)(uintptr_t)ptr,
				   .end = (uint64_t)(uintptr_t)ptr + len,
				   .fallible = false };
}

struct vm_writer vm_writer_from_kernel(void *ptr, uint64_t len)
{
	return (struct vm_writer){ .cursor = (uint64_t)(uintptr_t)ptr,
				   .end = (uint64_t)(uintptr_t)ptr + len,
				   .fallible = false };
}

/*
 * A frame is reached through the kernel's mapping of physical memory; the
 * caller's handle keeps it allocated while the reader or writer is used.
 */
struct vm_reader frame_reader(struct frame f)
{
	CHECK(pa_addr(f.pa) != 0);
	return vm_reader_from_kernel(arch_paddr_to_ptr(f.pa), PAGE_SIZE);
}

struct vm_writer frame_writer(struct frame f)
{
	CHECK(pa_addr(f.pa) != 0);
	return vm_writer_from_kernel(arch_paddr_to_ptr(f.pa), PAGE_SIZE);
}

/* May the fallible side use its range right now? */
static ostd_err_t user_ok(struct vm_space *vs, const struct vm_io_owner *t)
{
	if (vs == NULL || t == NULL || vs->destroyed || t->space_id != vs->id ||
	    t->space_gen != vs->gen || t->state != VM_IO_ACTIVE) {
		return OSTD_EBADSTATE;
	}
	/* The copy goes through this CPU's table: it must be this space. */
	if (!vm_space_is_current(vs)) {
		return OSTD_EACCES;
	}
	return OSTD_OK;
}

static ostd_err_t reader_ok(const struct vm_reader *r)
{
	return r->fallible ? user_ok(r->space, r->owner) : OSTD_OK;
}

static ostd_err_t writer_ok(const struct vm_writer *w)
{
	return w->fallible ? user_ok(w->space, w->owner) : OSTD_OK;
}

/* Copies @p len bytes; returns the bytes done before a fault. */
static uint64_t copy(uint64_t dst, bool dst_user, uint64_t src, bool src_user,
		     uint64_t len)
{
	if (!src_user && !dst_user) {
		memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src,
			(size_t)len);
		return len;
	}
	if (!dst_user) {
		return arch_copy_from_user((void *)(uintptr_t)dst, src, len);
	}
	if (!src_user) {
		return arch_copy_to_user(dst, (const void *)(uintptr_t)src,
					 len);
	}
	/* User to user goes through a kernel bounce buffer. */
	uint8_t buf[256];
	uint64_t done = 0;

	while (done < len) {
		uint64_t chunk = MIN(len - done, sizeof(buf));
		uint64_t in = arch_copy_from_user(buf, src + done, chunk);
		uint64_t out = arch_copy_to_user(dst + done, buf, in);

		done += out;
		if (out < chunk) {
			break;
		}
	}
	return done;
}

ostd_err_t vm_reader_read(struct vm_reader *r, struct vm_writer *w,
			  uint64_t *copied)
{
	CHECKIF (r == NULL || w == NULL) {
		return OSTD_EINVAL;
	}
	if (copied != NULL) {
		*copied = 0;
	}
	ostd_err_t err = reader_ok(r);

	if (err == OSTD_OK) {
		err = writer_ok(w);
	}
	if (err != OSTD_OK) {
		return err;
	}
	uint64_t len = MIN(vm_reader_remain(r), vm_writer_avail(w));
	uint64_t done =
		copy(w->cursor, w->fallible, r->cursor, r->fallible, len);

	r->cursor += done;
	w->cursor += done;
	if (copied != NULL) {
		*copied = done;
	}
	return done == len ? OSTD_OK : OSTD_EFAULT;
}

ostd_err_t vm_reader_read_val(struct vm_reader *r, void *val, uint64_t size)
{
	CHECKIF (r == NULL || val == NULL) {
		return OSTD_EINVAL;
	}
	CHECKIF (vm_reader_remain(r) < size) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = reader_ok(r);

	if (err != OSTD_OK) {
		return err;
	}
	/* Rollback on a fault: the reader only moves on success. */
	if (copy((uint64_t)(uintptr_t)val, false, r->cursor, r->fallible,
		 size) != size) {
		return OSTD_EFAULT;
	}
	r->cursor += size;
	return OSTD_OK;
}

ostd_err_t vm_writer_write_val(struct vm_writer *w, const void *val,
			       uint64_t size)
{
	CHECKIF (w == NULL || val == NULL) {
		return OSTD_EINVAL;
	}
	CHECKIF (vm_writer_avail(w) < size) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = writer_ok(w);

	if (err != OSTD_OK) {
		return err;
	}
	if (copy(w->cursor, w->fallible, (uint64_t)(uintptr_t)val, false,
		 size) != size) {
		return OSTD_EFAULT;
	}
	w->cursor += size;
	return OSTD_OK;
}

ostd_err_t vm_writer_fill_zeros(struct vm_writer *w, uint64_t len,
				uint64_t *done)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	if (done != NULL) {
		*done = 0;
	}
	ostd_err_t err = writer_ok(w);

	if (err != OSTD_OK) {
		return err;
	}
	uint64_t n = MIN(len, vm_writer_avail(w));
	uint64_t filled = n;

	if (w->fallible) {
		filled = arch_fill_user(w->cursor, 0, n);
	} else {
		memset((void *)(uintptr_t)w->cursor, 0, (size_t)n);
	}
	w->cursor += filled;
	if (done != NULL) {
		*done = filled;
	}
	return filled == n ? OSTD_OK : OSTD_EFAULT;
}

ostd_err_t vm_reader_skip(struct vm_reader *r, uint64_t n)
{
	CHECKIF (r == NULL || n > vm_reader_remain(r)) {
		return OSTD_EINVAL;
	}
	r->cursor += n;
	return OSTD_OK;
}

ostd_err_t vm_writer_skip(struct vm_writer *w, uint64_t n)
{
	CHECKIF (w == NULL || n > vm_writer_avail(w)) {
		return OSTD_EINVAL;
	}
	w->cursor += n;
	return OSTD_OK;
}

void vm_reader_limit(struct vm_reader *r, uint64_t n)
{
	if (n < vm_reader_remain(r)) {
		r->end = r->cursor + n;
	}
}

void vm_writer_limit(struct vm_writer *w, uint64_t n)
{
	if (n < vm_writer_avail(w)) {
		w->end = w->cursor + n;
	}
}

ostd_err_t vm_reader_atomic_load(struct vm_reader *r, uint32_t *val)
{
	CHECKIF (r == NULL || val == NULL || vm_reader_remain(r) < 4 ||
		 !is_aligned(r->cursor, 4)) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = reader_ok(r);

	if (err != OSTD_OK) {
		return err;
	}
	if (!r->fallible) {
		*val = __atomic_load_n((uint32_t *)(uintptr_t)r->cursor,
				       __ATOMIC_SEQ_CST);
		return OSTD_OK;
	}
	return arch_atomic_load_user(r->cursor, val) ? OSTD_OK : OSTD_EFAULT;
}

ostd_err_t vm_writer_atomic_cmpxchg(struct vm_writer *w, uint32_t expected,
				    uint32_t new_val, uint32_t *old)
{
	CHECKIF (w == NULL || old == NULL || vm_writer_avail(w) < 4 ||
		 !is_aligned(w->cursor, 4)) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = writer_ok(w);

	if (err != OSTD_OK) {
		return err;
	}
	if (!w->fallible) {
		uint32_t e = expected;

		__atomic_compare_exchange_n((uint32_t *)(uintptr_t)w->cursor,
					    &e, new_val, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = e;
		return OSTD_OK;
	}
	return arch_cmpxchg_user(w->cursor, expected, new_val, old)
		       ? OSTD_OK
		       : OSTD_EFAULT;
}

ostd_err_t vm_space_copy_from_user(struct vm_space *vs, void *dst, uint64_t va,
				   uint64_t len, uint64_t *copied)
{
	struct vm_reader r;
	struct vm_io_owner tok;
	struct vm_writer w = vm_writer_from_kernel(dst, len);
	ostd_err_t err = vm_space_create_reader(vs, va, len, &r, &tok);

	*copied = 0;
	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_activate_reader(vs, &tok);
	if (err == OSTD_OK) {
		err = vm_reader_read(&r, &w, copied);
		/* Active, in this space: disposing cannot fail. */
		CHECK(vm_space_dispose_reader(vs, &tok) == OSTD_OK);
	}
	CHECK(vm_space_remove_reader(vs, &tok) == OSTD_OK);
	return err;
}

ostd_err_t vm_space_copy_to_user(struct vm_space *vs, uint64_t va,
				 const void *src, uint64_t len,
				 uint64_t *copied)
{
	struct vm_writer w;
	struct vm_io_owner tok;
	struct vm_reader r = vm_reader_from_kernel(src, len);
	ostd_err_t err = vm_space_create_writer(vs, va, len, &w, &tok);

	*copied = 0;
	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_activate_writer(vs, &tok);
	if (err == OSTD_OK) {
		err = vm_reader_read(&r, &w, copied);
		CHECK(vm_space_dispose_writer(vs, &tok) == OSTD_OK);
	}
	CHECK(vm_space_remove_writer(vs, &tok) == OSTD_OK);
	return err;
}
