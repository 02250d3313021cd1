// SPDX-License-Identifier: MPL-2.0
/*
 * VmReader and VmWriter (DESIGN.md §8). A reader or writer is a cursor and
 * an end over kernel memory (struct vm_reader, infallible) or user memory
 * (struct vm_user_reader, fallible). The kernel touches user memory only
 * here, and only through the arch's fault-catching primitives
 * (arch_copy_from_user and friends), after re-checking at every use what
 * vostd proves once (reader.inv(), owner.inv_with_reader()): the caller
 * holds the reader and may have edited it, so nothing in it is trusted but
 * the handle, which is checked against the space's token table (S3).
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/usercopy.h"

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/math.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/vm_space.h"

#include "vm_space_internal.h"

struct vm_reader vm_reader_from_kernel(const void *ptr, uint64_t len)
{
	return (struct vm_reader){ .cursor = (uint64_t)(uintptr_t)ptr,
				   .end = (uint64_t)(uintptr_t)ptr + len };
}

struct vm_writer vm_writer_from_kernel(void *ptr, uint64_t len)
{
	return (struct vm_writer){ .cursor = (uint64_t)(uintptr_t)ptr,
				   .end = (uint64_t)(uintptr_t)ptr + len };
}

/*
 * A frame is reached through the kernel's mapping of physical memory; the
 * caller's handle keeps it allocated while the writer is used.
 */
struct vm_writer frame_writer(struct frame f)
{
	CHECK(pa_addr(f.pa) != 0);
	return vm_writer_from_kernel(arch_paddr_to_ptr(f.pa), PAGE_SIZE);
}

/*
 * One side of a copy, whichever type it came from: a kernel side has no
 * space; a user side's space and token are checked at every use.
 */
struct side {
	uint64_t *cursor;
	uint64_t end;
	struct vm_space *space; /* NULL: kernel memory. */
	const struct vm_io_owner *owner;
	enum vm_io_kind kind;
};

static struct side kr_side(struct vm_reader *r)
{
	return (struct side){ .cursor = &r->cursor, .end = r->end };
}

static struct side kw_side(struct vm_writer *w)
{
	return (struct side){ .cursor = &w->cursor, .end = w->end };
}

static struct side ur_side(struct vm_user_reader *r)
{
	return (struct side){ .cursor = &r->cursor,
			      .end = r->end,
			      .space = r->space,
			      .owner = &r->owner,
			      .kind = VM_IO_READER };
}

static struct side uw_side(struct vm_user_writer *w)
{
	return (struct side){ .cursor = &w->cursor,
			      .end = w->end,
			      .space = w->space,
			      .owner = &w->owner,
			      .kind = VM_IO_WRITER };
}

static bool is_user(const struct side *s)
{
	return s->space != NULL;
}

static uint64_t remain(const struct side *s)
{
	return s->end - *s->cursor;
}

/* A debug build says loudly what it refused, and why. */
static ostd_err_t refused(const char *op, const struct side *s, ostd_err_t err)
{
	if (IS_ENABLED(CONFIG_ASSERT)) {
		ostd_printf(
			"vm_io: refused %s: %s (%s, cursor %#lx, end %#lx)\n",
			op, ostd_err_name(err), is_user(s) ? "user" : "kernel",
			(unsigned long)*s->cursor, (unsigned long)s->end);
	}
	return err;
}

/*
 * The checks at every use, O(1): cursor <= end; for a user side, the token
 * names a live slot of this space and kind, it is active, [cursor, end)
 * lies inside the slot's range and inside user space, and the space is the
 * one this CPU translates with.
 */
static ostd_err_t side_ok(const char *op, const struct side *s)
{
	if (!is_user(s)) {
		return *s->cursor <= s->end ? OSTD_OK
					    : refused(op, s, OSTD_EINVAL);
	}
	struct vm_space *vs = vm_space_checked(s->space);

	if (vs == NULL) {
		return refused(op, s, OSTD_EBADSTATE);
	}
	ostd_err_t err = OSTD_OK;
	uint64_t cur = *s->cursor;

	spin_lock(&vs->lock);
	const struct vm_io_slot *t =
		vm_space_slot_locked(vs, s->owner, s->kind);

	if (t == NULL || vs->destroyed || t->state != VM_IO_ACTIVE) {
		err = OSTD_EBADSTATE;
	} else if (cur > s->end) {
		err = OSTD_EINVAL; /* reader.inv(): cursor <= end */
	} else if (!range_within(cur, s->end - cur, t->va, t->va + t->len) ||
		   !range_within(cur, s->end - cur, 0, MAX_USER_VADDR)) {
		/* (The slot's range is inside user space: no sum wraps.) */
		/* owner.inv_with_reader(): inside the token's range. */
		err = OSTD_ERANGE;
	} else if (!vm_space_slot_is_current(vs)) {
		/* The copy goes through this CPU's table. */
		err = OSTD_ENOTCURRENT;
	}
	spin_unlock(&vs->lock);
	return err == OSTD_OK ? OSTD_OK : refused(op, s, err);
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

/* Copies min(remain, avail) from @p r to @p w, checking both first. */
static ostd_err_t do_read(const char *op, struct side r, struct side w,
			  uint64_t *copied)
{
	if (copied != NULL) {
		*copied = 0;
	}
	ostd_err_t err = side_ok(op, &r);

	if (err == OSTD_OK) {
		err = side_ok(op, &w);
	}
	if (err != OSTD_OK) {
		return err;
	}
	uint64_t len = MIN(remain(&r), remain(&w));
	uint64_t done =
		copy(*w.cursor, is_user(&w), *r.cursor, is_user(&r), len);

	*r.cursor += done;
	*w.cursor += done;
	if (copied != NULL) {
		*copied = done;
	}
	return done == len ? OSTD_OK : OSTD_EFAULT;
}

ostd_err_t vm_kreader_read(struct vm_reader *r, struct vm_writer *w,
			   uint64_t *copied)
{
	CHECKIF (r == NULL || w == NULL) {
		return OSTD_EINVAL;
	}
	return do_read(__func__, kr_side(r), kw_side(w), copied);
}

ostd_err_t vm_kreader_read_user(struct vm_reader *r, struct vm_user_writer *w,
				uint64_t *copied)
{
	CHECKIF (r == NULL || w == NULL) {
		return OSTD_EINVAL;
	}
	return do_read(__func__, kr_side(r), uw_side(w), copied);
}

ostd_err_t vm_ureader_read(struct vm_user_reader *r, struct vm_writer *w,
			   uint64_t *copied)
{
	CHECKIF (r == NULL || w == NULL) {
		return OSTD_EINVAL;
	}
	return do_read(__func__, ur_side(r), kw_side(w), copied);
}

ostd_err_t vm_ureader_read_user(struct vm_user_reader *r,
				struct vm_user_writer *w, uint64_t *copied)
{
	CHECKIF (r == NULL || w == NULL) {
		return OSTD_EINVAL;
	}
	return do_read(__func__, ur_side(r), uw_side(w), copied);
}

/* Reads @p size bytes at the reader; it moves only on success. */
static ostd_err_t io_read_val(const char *op, struct side r, void *val,
			      uint64_t size)
{
	CHECKIF (val == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = side_ok(op, &r);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (remain(&r) < size) {
		return OSTD_EINVAL;
	}
	/* Rollback on a fault: the reader only moves on success. */
	if (copy((uint64_t)(uintptr_t)val, false, *r.cursor, is_user(&r),
		 size) != size) {
		return OSTD_EFAULT;
	}
	*r.cursor += size;
	return OSTD_OK;
}

ostd_err_t vm_kreader_read_val(struct vm_reader *r, void *val, uint64_t size)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_read_val(__func__, kr_side(r), val, size);
}

ostd_err_t vm_ureader_read_val(struct vm_user_reader *r, void *val,
			       uint64_t size)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_read_val(__func__, ur_side(r), val, size);
}

static ostd_err_t io_write_val(const char *op, struct side w, const void *val,
			       uint64_t size)
{
	CHECKIF (val == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = side_ok(op, &w);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (remain(&w) < size) {
		return OSTD_EINVAL;
	}
	if (copy(*w.cursor, is_user(&w), (uint64_t)(uintptr_t)val, false,
		 size) != size) {
		return OSTD_EFAULT;
	}
	*w.cursor += size;
	return OSTD_OK;
}

ostd_err_t vm_kwriter_write_val(struct vm_writer *w, const void *val,
				uint64_t size)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_write_val(__func__, kw_side(w), val, size);
}

ostd_err_t vm_uwriter_write_val(struct vm_user_writer *w, const void *val,
				uint64_t size)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_write_val(__func__, uw_side(w), val, size);
}

static ostd_err_t io_fill_zeros(const char *op, struct side w, uint64_t len,
				uint64_t *done)
{
	if (done != NULL) {
		*done = 0;
	}
	ostd_err_t err = side_ok(op, &w);

	if (err != OSTD_OK) {
		return err;
	}
	uint64_t n = MIN(len, remain(&w));
	uint64_t filled = n;

	if (is_user(&w)) {
		filled = arch_fill_user(*w.cursor, 0, n);
	} else {
		memset((void *)(uintptr_t)*w.cursor, 0, (size_t)n);
	}
	*w.cursor += filled;
	if (done != NULL) {
		*done = filled;
	}
	return filled == n ? OSTD_OK : OSTD_EFAULT;
}

ostd_err_t vm_kwriter_fill_zeros(struct vm_writer *w, uint64_t len,
				 uint64_t *done)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_fill_zeros(__func__, kw_side(w), len, done);
}

ostd_err_t vm_uwriter_fill_zeros(struct vm_user_writer *w, uint64_t len,
				 uint64_t *done)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_fill_zeros(__func__, uw_side(w), len, done);
}

static ostd_err_t io_skip(const char *op, struct side s, uint64_t n)
{
	ostd_err_t err = side_ok(op, &s);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (n > remain(&s)) {
		return OSTD_EINVAL;
	}
	*s.cursor += n;
	return OSTD_OK;
}

ostd_err_t vm_kreader_skip(struct vm_reader *r, uint64_t n)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_skip(__func__, kr_side(r), n);
}

ostd_err_t vm_ureader_skip(struct vm_user_reader *r, uint64_t n)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_skip(__func__, ur_side(r), n);
}

ostd_err_t vm_kwriter_skip(struct vm_writer *w, uint64_t n)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_skip(__func__, kw_side(w), n);
}

ostd_err_t vm_uwriter_skip(struct vm_user_writer *w, uint64_t n)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_skip(__func__, uw_side(w), n);
}

/* Shrinks what is left to at most @p n; *end gets the new end. */
static ostd_err_t io_limit(const char *op, struct side s, uint64_t n,
			   uint64_t *end)
{
	ostd_err_t err = side_ok(op, &s);

	if (err != OSTD_OK) {
		return err;
	}
	if (n < remain(&s)) {
		*end = *s.cursor + n;
	}
	return OSTD_OK;
}

ostd_err_t vm_kreader_limit(struct vm_reader *r, uint64_t n)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_limit(__func__, kr_side(r), n, &r->end);
}

ostd_err_t vm_ureader_limit(struct vm_user_reader *r, uint64_t n)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_limit(__func__, ur_side(r), n, &r->end);
}

ostd_err_t vm_kwriter_limit(struct vm_writer *w, uint64_t n)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_limit(__func__, kw_side(w), n, &w->end);
}

ostd_err_t vm_uwriter_limit(struct vm_user_writer *w, uint64_t n)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_limit(__func__, uw_side(w), n, &w->end);
}

static ostd_err_t io_atomic_load(const char *op, struct side r, uint32_t *val)
{
	CHECKIF (val == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = side_ok(op, &r);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (remain(&r) < 4 || !is_aligned(*r.cursor, 4)) {
		return OSTD_EINVAL;
	}
	if (!is_user(&r)) {
		*val = __atomic_load_n((uint32_t *)(uintptr_t)*r.cursor,
				       __ATOMIC_SEQ_CST);
		return OSTD_OK;
	}
	return arch_atomic_load_user(*r.cursor, val) ? OSTD_OK : OSTD_EFAULT;
}

ostd_err_t vm_kreader_atomic_load(struct vm_reader *r, uint32_t *val)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_atomic_load(__func__, kr_side(r), val);
}

ostd_err_t vm_ureader_atomic_load(struct vm_user_reader *r, uint32_t *val)
{
	CHECKIF (r == NULL) {
		return OSTD_EINVAL;
	}
	return io_atomic_load(__func__, ur_side(r), val);
}

static ostd_err_t io_cmpxchg(const char *op, struct side w, uint32_t expected,
			     uint32_t new_val, uint32_t *old)
{
	CHECKIF (old == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = side_ok(op, &w);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (remain(&w) < 4 || !is_aligned(*w.cursor, 4)) {
		return OSTD_EINVAL;
	}
	if (!is_user(&w)) {
		uint32_t e = expected;

		__atomic_compare_exchange_n((uint32_t *)(uintptr_t)*w.cursor,
					    &e, new_val, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = e;
		return OSTD_OK;
	}
	return arch_cmpxchg_user(*w.cursor, expected, new_val, old)
		       ? OSTD_OK
		       : OSTD_EFAULT;
}

ostd_err_t vm_kwriter_atomic_cmpxchg(struct vm_writer *w, uint32_t expected,
				     uint32_t new_val, uint32_t *old)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_cmpxchg(__func__, kw_side(w), expected, new_val, old);
}

ostd_err_t vm_uwriter_atomic_cmpxchg(struct vm_user_writer *w,
				     uint32_t expected, uint32_t new_val,
				     uint32_t *old)
{
	CHECKIF (w == NULL) {
		return OSTD_EINVAL;
	}
	return io_cmpxchg(__func__, uw_side(w), expected, new_val, old);
}

/*
 * vm_space_copy_from_user() (@p kind VM_IO_READER) and
 * vm_space_copy_to_user() (VM_IO_WRITER): a token of @p kind over user
 * [va, va + len) for this one copy from or to kernel memory at @p kbuf.
 */
static ostd_err_t copy_once(const char *op, struct vm_space *vs,
			    enum vm_io_kind kind, uint64_t va, uint64_t kbuf,
			    uint64_t len, uint64_t *copied)
{
	struct vm_io_owner tok;
	uint64_t ucur = va;
	uint64_t kcur = kbuf;
	/* (va + len is only read once the token has checked it.) */
	struct side user = { .cursor = &ucur,
			     .end = va + len,
			     .space = vs,
			     .owner = &tok,
			     .kind = kind };
	struct side kernel = { .cursor = &kcur, .end = kcur + len };

	CHECKIF (copied == NULL) {
		return OSTD_EINVAL;
	}
	*copied = 0;
	ostd_err_t err = vm_space_io_create(vs, kind, va, len, &tok);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_io_activate(vs, &tok, kind);
	if (err == OSTD_OK) {
		err = kind == VM_IO_READER ? do_read(op, user, kernel, copied)
					   : do_read(op, kernel, user, copied);
		/* Active, in this space: disposing cannot fail. */
		CHECK(vm_space_io_dispose(vs, &tok, kind) == OSTD_OK);
	}
	CHECK(vm_space_io_remove(vs, &tok, kind) == OSTD_OK);
	return err;
}

ostd_err_t vm_space_copy_from_user(struct vm_space *vs, void *dst, uint64_t va,
				   uint64_t len, uint64_t *copied)
{
	return copy_once(__func__, vs, VM_IO_READER, va,
			 (uint64_t)(uintptr_t)dst, len, copied);
}

ostd_err_t vm_space_copy_to_user(struct vm_space *vs, uint64_t va,
				 const void *src, uint64_t len,
				 uint64_t *copied)
{
	return copy_once(__func__, vs, VM_IO_WRITER, va,
			 (uint64_t)(uintptr_t)src, len, copied);
}
