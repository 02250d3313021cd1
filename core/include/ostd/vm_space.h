/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * VmSpace: a user address space, and the run-time owners that stand in for
 * vostd's proof objects (DESIGN.md §7, §8).
 *
 * vostd's VmSpace carries, as ghost state, a VmSpaceOwner (active flag,
 * shared_reader, the registered readers and writers, the memory view) and
 * per reader or writer a VmIoOwner; its `requires` clauses are proved
 * statically. OSTD-C keeps the same objects at run time and turns every
 * `requires` clause into a check with its own error code, and every
 * `ensures` clause into an assertion:
 *
 *   create_reader / create_writer   the checks; returns the reader or
 *                                   writer and a VmIoOwner token
 *   activate_reader / _writer       registers the token: the range's
 *                                   permission moves to it
 *   dispose_reader / _writer        gives the permission back
 *   remove_reader / _writer         retires the token for good
 *
 * Tokens carry the space's id and generation and their own number; a token
 * that was disposed or removed, or that belongs to a destroyed space, is
 * refused with OSTD_EBADSTATE wherever it is presented.
 *
 * Locking: every vm_space_* function takes the space's lock itself; none
 * may be called with it held. Readers and writers are used by one thread
 * at a time.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/frame.h"
#include "ostd/page_table.h"
#include "ostd/sync.h"

/* How many readers and writers one space can have registered at once. */
#define VM_SPACE_MAX_IO 32

enum vm_io_kind {
	VM_IO_READER,
	VM_IO_WRITER,
};

enum vm_io_state {
	VM_IO_CREATED,  /* Checked, not yet holding the permission. */
	VM_IO_ACTIVE,   /* Registered: it holds the range's permission. */
	VM_IO_DISPOSED, /* Gave the permission back; may be activated again. */
	VM_IO_REMOVED,  /* Retired for good. */
};

/* The run-time VmIoOwner: the right to access one user range. */
struct vm_io_owner {
	uint64_t space_id;
	uint64_t space_gen;
	uint64_t id;
	enum vm_io_kind kind;
	enum vm_io_state state;
	uint64_t va;
	uint64_t len;
};

/* A registered range in the space owner's registry. */
struct vm_io_range {
	uint64_t id;
	uint64_t va;
	uint64_t len;
};

/* The run-time VmSpaceOwner. */
struct vm_space_owner {
	bool active;
	bool shared_reader;
	/* Active tokens, counted even without the registry. */
	unsigned int active_tokens;
	/* The registry (CONFIG_VM_OWNER_REGISTRY): which ranges are lent
	 * out, to whom. */
	struct vm_io_range readers[VM_SPACE_MAX_IO];
	unsigned int reader_count;
	struct vm_io_range writers[VM_SPACE_MAX_IO];
	unsigned int writer_count;
};

struct vm_space;

/*
 * The user page-fault handler a kernel author injects (demand paging). It
 * returns OSTD_OK if it resolved the fault (the access is retried).
 */
typedef ostd_err_t (*vm_fault_handler)(struct vm_space *vs, uint64_t va,
				       bool write, void *ctx);

struct vm_space {
	struct page_table pt;
	struct spinlock lock;
	uint64_t id;
	/* Bumped when the space is destroyed: old tokens go stale. */
	uint64_t gen;
	bool destroyed;
	struct vm_space_owner owner;
	uint64_t next_token;
	vm_fault_handler fault_handler;
	void *fault_ctx;
};

/* ---------------------------------------------------------------------
 * Life cycle.
 * --------------------------------------------------------------------- */

/**
 * Sets up the kernel page table every space shares. Called once at boot
 * (and by tests) with the port's kernel config.
 *
 * @retval OSTD_ENOMEM Out of memory.
 */
WARN_UNUSED ostd_err_t vm_space_init_kernel(const struct pt_config *kernel);

/** The shared kernel page table (after vm_space_init_kernel()). */
struct page_table *vm_space_kernel_pt(void);

/**
 * Creates an empty user space that shares the root entries of @p kernel
 * (NULL: the boot kernel table of vm_space_init_kernel()). Its owner
 * starts active, with @p shared_reader as given. The user format is the
 * kernel format's user twin.
 *
 * @retval OSTD_EINVAL @p vs is NULL, there is no kernel table, or no user
 *         format matches it.
 * @retval OSTD_ENOMEM Out of memory.
 */
WARN_UNUSED ostd_err_t vm_space_new(struct vm_space *vs,
				    struct page_table *kernel,
				    bool shared_reader);

/**
 * Unmaps every page, flushes every CPU that has the space active and
 * frees the table; every frame is accounted for. If this CPU has the space
 * active, it switches to the kernel table first.
 *
 * @retval OSTD_EBUSY A reader or writer is still active (registered), or
 *         another CPU has the space active; nothing changed.
 * @retval OSTD_EBADSTATE The space was already destroyed.
 */
WARN_UNUSED ostd_err_t vm_space_destroy(struct vm_space *vs);

/**
 * Installs the space's table on this CPU and records the CPU in the
 * space's set (TLB shootdowns go to that set). The CPU's previous space,
 * if any, loses it.
 *
 * @retval OSTD_EBADSTATE The space is destroyed.
 */
WARN_UNUSED ostd_err_t vm_space_activate(struct vm_space *vs);

/** The space vm_space_activate() last installed on this CPU, or NULL. */
struct vm_space *vm_space_current(void);

/** True if this CPU's current root is @p vs's table. */
bool vm_space_is_current(const struct vm_space *vs);

/** Installs the user page-fault handler (NULL: none, faults stay faults). */
void vm_space_set_fault_handler(struct vm_space *vs, vm_fault_handler fn,
				void *ctx);

/**
 * Reports a user page fault to the space's handler.
 *
 * @retval OSTD_OK The handler resolved it.
 * @retval OSTD_EFAULT No handler, or it could not.
 */
WARN_UNUSED ostd_err_t vm_space_handle_fault(struct vm_space *vs, uint64_t va,
					     bool write);

/* ---------------------------------------------------------------------
 * Cursors: the core's, limited to user space, with user-mapping rules.
 * --------------------------------------------------------------------- */

/**
 * A read cursor over [@p start, @p end) of user space.
 *
 * @retval OSTD_EBADSTATE The space is destroyed.
 * Otherwise as pt_cursor_new() (user space ends at MAX_USER_VADDR).
 */
WARN_UNUSED ostd_err_t vm_space_cursor(struct vm_space *vs, uint64_t start,
				       uint64_t end, struct pt_cursor *out);

/**
 * A mutable cursor over user space. Map through vm_space_map_frame() or
 * vm_space_map_io(). The cursor itself enforces the user-mapping rules:
 * pt_cursor_map() on it refuses (OSTD_EPERM) anything but an untyped frame
 * or device memory with PROT_USER and without PT_GLOBAL or PT_AVAIL2, and
 * pt_cursor_protect_next() refuses to change those bits.
 */
WARN_UNUSED ostd_err_t vm_space_cursor_mut(struct vm_space *vs, uint64_t start,
					   uint64_t end, struct pt_cursor *out);

/**
 * Maps the untyped frame @p frame (user data) at the cursor with the
 * user-mapping rules (S1, S6): the framework sets PROT_USER itself;
 * PT_GLOBAL and the software bits cannot be requested.
 *
 * @retval OSTD_EPERM @p frame is typed (a page-table node, a kernel
 *         object) or free: only untyped frames reach user space; or the
 *         cursor is not on a user table.
 * @retval OSTD_EINVAL @p prop has PROT_USER, PT_GLOBAL, PT_AVAIL1 or
 *         PT_AVAIL2 (TESTING.md row 22: refused, not silently kept).
 * Otherwise as pt_cursor_map().
 */
WARN_UNUSED ostd_err_t vm_space_map_frame(struct pt_cursor *cur, paddr_t frame,
					  struct pt_prop prop);

/* A range of device memory a driver may hand to user space. */
struct io_mem {
	paddr_t pa;
	uint64_t len;
};

/**
 * Maps the page at @p offset of @p io (a leaf of @p level) at the cursor,
 * untracked and uncached, with the rules of vm_space_map_frame().
 *
 * @retval OSTD_EINVAL [@p offset, + page size) is not inside @p io
 *         (checked without overflow), or @p prop is as above.
 * @retval OSTD_EPERM The page is managed RAM, not device memory (RAM goes
 *         to users only as untyped frames), or the cursor is not on a
 *         user table.
 * @retval OSTD_EUNALIGNED @p offset is not aligned to the page size.
 * Otherwise as pt_cursor_map().
 */
WARN_UNUSED ostd_err_t vm_space_map_io(struct pt_cursor *cur,
				       const struct io_mem *io, uint64_t offset,
				       pt_level_t level, struct pt_prop prop);

/* ---------------------------------------------------------------------
 * Readers and writers (DESIGN.md §8).
 * --------------------------------------------------------------------- */

struct vm_reader {
	uint64_t cursor;
	uint64_t end;
	bool fallible; /* User memory: copies may fault. */
	struct vm_space *space;
	struct vm_io_owner *owner;
};

struct vm_writer {
	uint64_t cursor;
	uint64_t end;
	bool fallible;
	struct vm_space *space;
	struct vm_io_owner *owner;
};

/** An infallible reader over kernel memory [ptr, ptr + len). */
struct vm_reader vm_reader_from_kernel(const void *ptr, uint64_t len);

/**
 * Infallible readers and writers over the whole of frame @p f (OSTD's
 * Frame::reader()/writer()), e.g. to fill a user page before mapping it.
 * The caller's reference must outlive them.
 */
struct vm_reader frame_reader(struct frame f);
struct vm_writer frame_writer(struct frame f);

/** An infallible writer over kernel memory [ptr, ptr + len). */
struct vm_writer vm_writer_from_kernel(void *ptr, uint64_t len);

/**
 * Creates a fallible reader over user [@p va, @p va + @p len) and its
 * token, with vostd's `reader_requires`, one error each, checked in order:
 *
 * @retval OSTD_EBADSTATE The space is destroyed.
 * @retval OSTD_EACCES The owner is not active.
 * @retval OSTD_EACCES This CPU's current table is not this space's.
 * @retval OSTD_EINVAL @p va is 0 or @p len is 0.
 * @retval OSTD_EACCES [@p va, @p va + @p len) is not inside user space,
 *         [0, MAX_USER_VADDR) (checked without overflow).
 * @retval OSTD_EBUSY can_create_reader fails: the range overlaps an active
 *         writer, or (shared_reader off) an active reader.
 * @retval OSTD_ENOMEM The registry is full.
 * Nothing changes on error. On success the registry is unchanged (the
 * token is not yet active) and the token is VM_IO_CREATED.
 */
WARN_UNUSED ostd_err_t vm_space_create_reader(struct vm_space *vs, uint64_t va,
					      uint64_t len,
					      struct vm_reader *reader,
					      struct vm_io_owner *token);

/**
 * Like vm_space_create_reader() for a writer. can_create_writer: the range
 * overlaps no active reader and no active writer (OSTD_EBUSY).
 */
WARN_UNUSED ostd_err_t vm_space_create_writer(struct vm_space *vs, uint64_t va,
					      uint64_t len,
					      struct vm_writer *writer,
					      struct vm_io_owner *token);

/**
 * Registers @p token (created or disposed): the reader borrows its range.
 * The can_create check is repeated, since the registry may have changed.
 *
 * @retval OSTD_EBADSTATE Stale token: removed, already active, another
 *         space's, or the space was destroyed.
 * @retval OSTD_EBUSY The range conflicts with what is registered now.
 * @retval OSTD_ENOMEM The registry is full.
 */
WARN_UNUSED ostd_err_t vm_space_activate_reader(struct vm_space *vs,
						struct vm_io_owner *token);
WARN_UNUSED ostd_err_t vm_space_activate_writer(struct vm_space *vs,
						struct vm_io_owner *token);

/**
 * Unregisters an active token; its range is lent out no more.
 *
 * @retval OSTD_EBADSTATE The token is not active in this space.
 */
WARN_UNUSED ostd_err_t vm_space_dispose_reader(struct vm_space *vs,
					       struct vm_io_owner *token);
WARN_UNUSED ostd_err_t vm_space_dispose_writer(struct vm_space *vs,
					       struct vm_io_owner *token);

/**
 * Retires a created or disposed token for good. A token of a space that
 * was destroyed since may still be removed: that is how its holder cleans
 * up; nothing else accepts it.
 *
 * @retval OSTD_EBADSTATE The token is active (dispose it first), already
 *         removed, or another space's.
 */
WARN_UNUSED ostd_err_t vm_space_remove_reader(struct vm_space *vs,
					      struct vm_io_owner *token);
WARN_UNUSED ostd_err_t vm_space_remove_writer(struct vm_space *vs,
					      struct vm_io_owner *token);

/**
 * Checks the owner invariant (TESTING.md I6): no reader overlaps a writer,
 * no two writers overlap, no two readers overlap unless shared_reader,
 * every range inside user space. Debug builds run it after every owner
 * operation.
 */
bool vm_space_owner_inv(const struct vm_space *vs);

/* Bytes left to read or write. */
static inline uint64_t vm_reader_remain(const struct vm_reader *r)
{
	return r->end - r->cursor;
}

static inline uint64_t vm_writer_avail(const struct vm_writer *w)
{
	return w->end - w->cursor;
}

/**
 * Copies min(remain, avail) bytes from @p r to @p w. A fallible side
 * copies through the arch's fault-catching routine.
 *
 * @param[out] copied The bytes copied; both cursors advanced by exactly
 *             that, also on error.
 * @retval OSTD_EFAULT A page fault stopped the copy.
 * @retval OSTD_EBADSTATE A fallible side's token is not active.
 */
WARN_UNUSED ostd_err_t vm_reader_read(struct vm_reader *r, struct vm_writer *w,
				      uint64_t *copied);

/**
 * The one-shot copies a system call usually wants (Linux's copy_from_user
 * and copy_to_user): a reader or writer over [@p va, + @p len) with its
 * token, created, activated, used and retired in one call, so every owner
 * rule of vm_space_create_reader() / _writer() applies and the registry is
 * as before afterwards.
 *
 * @param[out] copied The bytes copied; all @p len on success, the count
 *             before the faulting byte on OSTD_EFAULT, 0 on a refusal.
 * @retval OSTD_EFAULT A page fault stopped the copy.
 * Otherwise the errors of vm_space_create_reader() / _writer() and
 * vm_space_activate_reader() / _writer(), with nothing copied.
 */
WARN_UNUSED ostd_err_t vm_space_copy_from_user(struct vm_space *vs, void *dst,
					       uint64_t va, uint64_t len,
					       uint64_t *copied);
WARN_UNUSED ostd_err_t vm_space_copy_to_user(struct vm_space *vs, uint64_t va,
					     const void *src, uint64_t len,
					     uint64_t *copied);

/**
 * Reads @p size bytes into @p val; on a fault nothing moves (rollback).
 *
 * @retval OSTD_EINVAL Fewer than @p size bytes remain.
 * @retval OSTD_EFAULT A fault; the reader did not move.
 */
WARN_UNUSED ostd_err_t vm_reader_read_val(struct vm_reader *r, void *val,
					  uint64_t size);

/** Writes @p size bytes from @p val, like vm_reader_read_val(). */
WARN_UNUSED ostd_err_t vm_writer_write_val(struct vm_writer *w, const void *val,
					   uint64_t size);

/** Writes min(@p len, avail) zero bytes; *done as for vm_reader_read(). */
WARN_UNUSED ostd_err_t vm_writer_fill_zeros(struct vm_writer *w, uint64_t len,
					    uint64_t *done);

/** Moves the reader on by @p n bytes. @retval OSTD_EINVAL n > remain. */
WARN_UNUSED ostd_err_t vm_reader_skip(struct vm_reader *r, uint64_t n);
WARN_UNUSED ostd_err_t vm_writer_skip(struct vm_writer *w, uint64_t n);

/** Shrinks what is left to at most @p n bytes. */
void vm_reader_limit(struct vm_reader *r, uint64_t n);
void vm_writer_limit(struct vm_writer *w, uint64_t n);

/**
 * Loads the aligned 32-bit value at the reader's cursor (no move).
 *
 * @retval OSTD_EINVAL Fewer than 4 bytes remain, or the cursor is not
 *         4-byte aligned.
 * @retval OSTD_EFAULT The page is not mapped readable.
 */
WARN_UNUSED ostd_err_t vm_reader_atomic_load(struct vm_reader *r,
					     uint32_t *val);

/**
 * Compare-and-exchange of the aligned 32-bit value at the writer's cursor
 * (no move): stores @p new_val if it holds @p expected.
 *
 * @param[out] old The value found.
 * @retval OSTD_EINVAL As for vm_reader_atomic_load().
 * @retval OSTD_EFAULT The page is not mapped writable.
 */
WARN_UNUSED ostd_err_t vm_writer_atomic_cmpxchg(struct vm_writer *w,
						uint32_t expected,
						uint32_t new_val,
						uint32_t *old);

/* ---------------------------------------------------------------------
 * The arch hooks behind it (each port implements them).
 * --------------------------------------------------------------------- */

/** Installs @p pt as this CPU's user root (CR3 / satp / TTBR0). */
void arch_vm_activate(struct page_table *pt);

/** The root this CPU translates user addresses with. */
paddr_t arch_vm_current_root(void);

/**
 * The fallible user-memory primitives: each returns the bytes done before
 * the first fault (== len if none). The kernel reaches user memory only
 * through these (S3).
 */
uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len);
uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len);
uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len);

/** 32-bit atomics on user memory; false on a fault. */
bool arch_atomic_load_user(uint64_t va, uint32_t *val);
bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
		       uint32_t *old);
