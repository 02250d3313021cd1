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
 * `ensures` clause into an assertion.
 *
 * The caller holds handles, the framework holds the state. A `struct
 * vm_space` is opaque: the framework allocates it (vm_space_new()) in its
 * own storage, with the page table, the space owner and the token table
 * (the registry) inside it, so none of them is writable through this
 * header. A `struct vm_io_owner` token is a handle (the space's id, a slot
 * in the space's token table and the token's number, never reused): the
 * permission's state, kind and range live in the slot, and every use
 * consults the slot. Copying a handle copies no permission; disposing or
 * removing it does so for every copy; a removed token's number is never
 * handed out again, so no handle can be revived or forged into an active
 * one.
 *
 * The life cycle, and how it maps to vostd's names. vostd's dispose_*
 * and remove_* name the step one earlier than OSTD-C's:
 *
 *   OSTD-C                          vostd
 *   create_reader / _writer         VmSpace::reader / writer (the
 *                                   requires clauses; a VmIoOwner with no
 *                                   mem_view)
 *   activate_reader / _writer       VmSpaceOwner::activate_reader /
 *                                   _writer (the token takes the range's
 *                                   permission; it joins the registry)
 *   dispose_reader / _writer        VmSpaceOwner::remove_reader /
 *                                   _writer (leaves the registry: the
 *                                   permission goes back to the owner)
 *   remove_reader / _writer         VmSpaceOwner::dispose_reader /
 *                                   _writer (the token is dropped for
 *                                   good)
 *
 * Deviation from vostd on activation: vostd's activate_* require the
 * owner's mem_view to cover the range (every page mapped). OSTD-C does
 * not track a memory view: activating over unmapped pages is allowed, and
 * a copy that reaches one stops there and reports OSTD_EFAULT with the
 * exact count copied (DESIGN.md §8).
 *
 * Locking. These take the space's lock themselves, so none may be called
 * with it held: vm_space_destroy, vm_space_set_fault_handler,
 * vm_space_handle_fault (to read the handler; the handler runs without
 * it), vm_space_create_*, vm_space_activate_* / _dispose_* / _remove_*,
 * vm_space_io_state, vm_space_owner_inv, and every user reader or writer
 * operation (for its checks; the copy runs without it). These do not take
 * it: vm_space_new (the space is not shared yet), vm_space_activate,
 * vm_space_current and vm_space_is_current (this CPU's state only),
 * vm_space_cursor / _cursor_mut and everything on a vm_space_cursor (the
 * page-table node locks of the range serialise them, as in OSTD), and
 * vm_space_copy_from_user / _to_user (they take it through the calls they
 * make). A reader or writer is used by one thread at a time.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/frame.h"
#include "ostd/page_table.h"
#include "ostd/sync.h"

/* How many readers and writers one space can have active at once. */
#define VM_SPACE_MAX_IO 32

enum vm_io_kind {
	VM_IO_READER,
	VM_IO_WRITER,
};

enum vm_io_state {
	VM_IO_CREATED,  /* Checked, not yet holding the permission. */
	VM_IO_ACTIVE,   /* Registered: it holds the range's permission. */
	VM_IO_DISPOSED, /* Gave the permission back; may be activated again. */
	VM_IO_REMOVED,  /* Retired for good (or never this space's). */
};

/*
 * The run-time VmIoOwner, as the caller holds it: a handle. The state,
 * kind and range it names live in the space's token table; editing these
 * fields can only make the handle name nothing (or name a token the caller
 * could already name).
 */
struct vm_io_owner {
	uint64_t space_id; /* The space's id (ids are never reused). */
	uint64_t id;       /* The token's number in its space (never 0). */
	uint32_t slot;     /* Its slot in the space's token table. */
};

/* Opaque: the framework's (core/mm/vm_space_internal.h). */
struct vm_space;

/*
 * The user page-fault handler a kernel author injects (demand paging). It
 * returns OSTD_OK if it resolved the fault (the access is retried).
 */
typedef ostd_err_t (*vm_fault_handler)(struct vm_space *vs, uint64_t va,
				       bool write, void *ctx);

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
 * kernel format's user twin. The space lives in the framework's storage
 * until vm_space_destroy(); *@p out is a handle to it.
 *
 * @retval OSTD_EINVAL @p out is NULL, there is no kernel table, or no user
 *         format matches it.
 * @retval OSTD_ENOMEM Out of memory, or every space slot is in use.
 */
WARN_UNUSED ostd_err_t vm_space_new(struct vm_space **out,
				    struct page_table *kernel,
				    bool shared_reader);

/**
 * Unmaps every page, flushes every CPU that has the space active and
 * frees the table; every frame is accounted for. If this CPU has the space
 * active, it switches to the kernel table first. Its tokens are refused
 * from then on, except by remove. The handle stays valid for refusals (OSTD_EBADSTATE) until the
 * framework reuses its slot for a new space, which it does last.
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
 * @retval OSTD_EBADSTATE The space is destroyed (or @p vs is no space).
 */
WARN_UNUSED ostd_err_t vm_space_activate(struct vm_space *vs);

/**
 * True if the page at @p va is mapped in @p vs for a user access of kind
 * @p access (PROT_R, PROT_W or PROT_X): a fault there was spurious, this
 * CPU used an older translation. RISC-V may cache an invalid entry and
 * orders its walker after page-table stores only at SFENCE.VMA
 * (Privileged spec §4.2.1), which the core does not issue when it fills
 * an empty slot; with ASIDs a CPU also comes back to a space without a
 * full flush. When true, this CPU's TLB entry for the page is dropped and
 * the caller retries the access once (user_mode_execute() does); a second
 * fault at the same address is a real one. False for anything else,
 * a bad handle or @p access included.
 *
 * Context: preemption allowed; takes a read cursor over the page.
 */
bool vm_space_fault_is_spurious(struct vm_space *vs, uint64_t va,
				uint32_t access);

/** The space vm_space_activate() last installed on this CPU, or NULL. */
struct vm_space *vm_space_current(void);

/** True if this CPU's current root is @p vs's table. */
bool vm_space_is_current(const struct vm_space *vs);

/** True if @p vs is destroyed (or is no space at all). */
bool vm_space_is_destroyed(const struct vm_space *vs);

/** Installs the user page-fault handler (NULL: none, faults stay faults). */
void vm_space_set_fault_handler(struct vm_space *vs, vm_fault_handler fn,
				void *ctx);

/**
 * Reports a user page fault to the space's handler.
 *
 * @retval OSTD_OK The handler resolved it.
 * @retval OSTD_EFAULT No handler, the space is destroyed, or the handler
 *         could not.
 */
WARN_UNUSED ostd_err_t vm_space_handle_fault(struct vm_space *vs, uint64_t va,
					     bool write);

/* ---------------------------------------------------------------------
 * Cursors: OSTD's vm_space::Cursor / CursorMut over the page table's.
 *
 * The user-mapping rules (S1, S6: only untyped frames or device memory,
 * always PROT_USER, never PT_GLOBAL or the software bits) belong to the
 * space's table, not to a flag in a cursor: every map or protect on a
 * VmSpace's table, through whatever cursor, is held to them, and
 * pt_cursor_new_mut() refuses a VmSpace's table (OSTD_EPERM). The
 * wrapped page-table cursor is the framework's; use the functions below.
 * --------------------------------------------------------------------- */

/*
 * Storage for the wrapped page-table cursor, opaque: its fields (the
 * remembered leaf, the fast path's checked properties) gate what a map
 * may skip, so a kernel author must not be able to write them. Only
 * core/mm/vm_space_cursor.c sees the cursor inside (a static assertion in
 * vm_space_internal.h keeps the size right).
 */
#define VM_SPACE_CURSOR_BYTES 3712

struct vm_space_cursor {
	_Alignas(16) unsigned char opaque[VM_SPACE_CURSOR_BYTES];
};

/**
 * A read cursor over [@p start, @p end) of user space.
 *
 * @retval OSTD_EBADSTATE The space is destroyed.
 * Otherwise as pt_cursor_new() (user space ends at MAX_USER_VADDR).
 */
WARN_UNUSED ostd_err_t vm_space_cursor(struct vm_space *vs, uint64_t start,
				       uint64_t end,
				       struct vm_space_cursor *out);

/**
 * A mutable cursor over user space. Map through vm_space_map_frame() or
 * vm_space_map_io().
 *
 * @retval OSTD_EBADSTATE The space is destroyed.
 * Otherwise as pt_cursor_new_mut().
 */
WARN_UNUSED ostd_err_t vm_space_cursor_mut(struct vm_space *vs, uint64_t start,
					   uint64_t end,
					   struct vm_space_cursor *out);

/** Ends the cursor, as pt_cursor_drop(). */
void vm_space_cursor_drop(struct vm_space_cursor *c);

/** The cursor's address. */
uint64_t vm_space_cursor_va(struct vm_space_cursor *c);

/** As pt_cursor_query(). */
WARN_UNUSED ostd_err_t vm_space_cursor_query(struct vm_space_cursor *c,
					     struct pt_query *q);

/** As pt_cursor_find_next(). */
WARN_UNUSED ostd_err_t vm_space_cursor_find_next(struct vm_space_cursor *c,
						 uint64_t len, uint64_t *found);

/** As pt_cursor_jump(). */
WARN_UNUSED ostd_err_t vm_space_cursor_jump(struct vm_space_cursor *c,
					    uint64_t va);

/** As pt_cursor_unmap() (a read cursor: OSTD_EPERM). */
WARN_UNUSED ostd_err_t vm_space_cursor_unmap(struct vm_space_cursor *c,
					     uint64_t len, uint64_t *count);

/**
 * As pt_cursor_protect_next(); a change of PROT_USER, PT_GLOBAL or the
 * software bits is refused (OSTD_EPERM).
 */
WARN_UNUSED ostd_err_t vm_space_cursor_protect_next(struct vm_space_cursor *c,
						    uint64_t len,
						    pt_protect_op op, void *ctx,
						    uint64_t *range_start,
						    uint64_t *range_len);

/**
 * As pt_cursor_protect_mask(); a mask with PROT_USER, PT_GLOBAL or a
 * software bit is refused (OSTD_EPERM).
 */
WARN_UNUSED ostd_err_t vm_space_cursor_protect_mask(struct vm_space_cursor *c,
						    uint64_t len, uint32_t set,
						    uint32_t clear,
						    uint64_t *count);

/** The flusher of a mutable cursor. */
struct tlb_flusher *vm_space_cursor_flusher(struct vm_space_cursor *c);

/**
 * Maps the untyped frame @p frame (user data) at the cursor with the
 * user-mapping rules (S1, S6): the framework sets PROT_USER itself;
 * PT_GLOBAL and the software bits cannot be requested.
 *
 * @retval OSTD_EPERM @p frame is typed (a page-table node, a kernel
 *         object) or free: only untyped frames reach user space; or the
 *         cursor is a read cursor.
 * @retval OSTD_EINVAL @p c is NULL, or @p prop has PROT_USER, PT_GLOBAL,
 *         PT_AVAIL1 or PT_AVAIL2 (TESTING.md row 22: refused, not
 *         silently kept).
 * Otherwise as pt_cursor_map().
 */
WARN_UNUSED ostd_err_t vm_space_map_frame(struct vm_space_cursor *c,
					  paddr_t frame, struct pt_prop prop);

/**
 * Maps every frame of @p seg (untyped frames, user data) at the cursor,
 * in order, with the rules of vm_space_map_frame(); each mapping takes its
 * own reference, @p seg keeps its own. One batch (pt_cursor_map_pages()):
 * all or nothing, and the cursor moves past the last page.
 *
 * @retval OSTD_EINVAL @p c or @p seg is NULL, @p seg is empty, or @p prop
 *         has PROT_USER, PT_GLOBAL, PT_AVAIL1 or PT_AVAIL2.
 * @retval OSTD_EPERM A frame of @p seg is typed or free, or the cursor is
 *         not a VmSpace's mutable cursor.
 * Otherwise as pt_cursor_map_pages().
 */
WARN_UNUSED ostd_err_t vm_space_map_segment(struct vm_space_cursor *c,
					    const struct segment *seg,
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
 *         to users only as untyped frames).
 * @retval OSTD_EUNALIGNED @p offset is not aligned to the page size.
 * Otherwise as pt_cursor_map().
 */
WARN_UNUSED ostd_err_t vm_space_map_io(struct vm_space_cursor *c,
				       const struct io_mem *io, uint64_t offset,
				       pt_level_t level, struct pt_prop prop);

/* ---------------------------------------------------------------------
 * Readers and writers (DESIGN.md §8).
 *
 * Two families, as OSTD's VmReader<Infallible> and VmReader<Fallible>:
 * `struct vm_reader` / `struct vm_writer` over kernel memory, and
 * `struct vm_user_reader` / `struct vm_user_writer` over user memory,
 * made only by vm_space_create_reader() / _writer(). They are different
 * types, so no field turns a user one into a kernel one. The operations
 * below are generic over both (C11 _Generic), and every operation on a
 * user one first checks, in O(1), under the space's lock: cursor <= end;
 * [cursor, end) inside the range its token's slot grants and inside user
 * space [0, MAX_USER_VADDR); the token active, of this kind (a reader's
 * token does not make a writer), this space and this number; the space
 * current on this CPU. A failed check returns its error, copies and moves
 * nothing, and in a CONFIG_ASSERT build prints a "vm_io: refused" line.
 * --------------------------------------------------------------------- */

struct vm_reader {
	uint64_t cursor;
	uint64_t end;
};

struct vm_writer {
	uint64_t cursor;
	uint64_t end;
};

struct vm_user_reader {
	uint64_t cursor;
	uint64_t end;
	struct vm_space *space;
	struct vm_io_owner owner;
};

struct vm_user_writer {
	uint64_t cursor;
	uint64_t end;
	struct vm_space *space;
	struct vm_io_owner owner;
};

/** An infallible reader over kernel memory [ptr, ptr + len). */
struct vm_reader vm_reader_from_kernel(const void *ptr, uint64_t len);

/** An infallible writer over kernel memory [ptr, ptr + len). */
struct vm_writer vm_writer_from_kernel(void *ptr, uint64_t len);

/**
 * An infallible writer over the whole of frame @p f (OSTD's
 * Frame::writer()), e.g. to fill a user page before mapping it. The
 * caller's reference must outlive it.
 */
struct vm_writer frame_writer(struct frame f);

/**
 * Creates a fallible reader over user [@p va, @p va + @p len) and its
 * token, with vostd's `reader_requires`, one error each, checked in order:
 *
 * @retval OSTD_EINVAL @p vs, @p reader or @p token is NULL.
 * @retval OSTD_EBADSTATE The space is destroyed.
 * @retval OSTD_EINACTIVE requires owner.active: the owner is not active.
 * @retval OSTD_ENOTCURRENT requires that this CPU's current table is this
 *         space's.
 * @retval OSTD_EINVAL requires vaddr != 0 && len > 0.
 * @retval OSTD_ERANGE requires vaddr + len <= MAX_USER_VADDR: the range
 *         is not inside user space (checked without overflow).
 * @retval OSTD_EBUSY requires can_create_reader: the range overlaps an
 *         active writer, or (shared_reader off) an active reader.
 * @retval OSTD_ENOMEM VM_SPACE_MAX_IO readers are active already, or the
 *         space's token table is full.
 * Nothing changes on error. On success the registry is unchanged (the
 * token is not yet active) and the token is VM_IO_CREATED.
 */
WARN_UNUSED ostd_err_t vm_space_create_reader(struct vm_space *vs, uint64_t va,
					      uint64_t len,
					      struct vm_user_reader *reader,
					      struct vm_io_owner *token);

/**
 * Like vm_space_create_reader() for a writer. can_create_writer: the range
 * overlaps no active reader and no active writer (OSTD_EBUSY).
 */
WARN_UNUSED ostd_err_t vm_space_create_writer(struct vm_space *vs, uint64_t va,
					      uint64_t len,
					      struct vm_user_writer *writer,
					      struct vm_io_owner *token);

/**
 * Registers @p token (created or disposed): the reader borrows its range,
 * the writer takes it. The owner's checks are repeated, since they may
 * have changed since creation.
 *
 * @retval OSTD_EINVAL @p vs or @p token is NULL.
 * @retval OSTD_EBADSTATE Stale token: removed, already active, of the
 *         other kind, another space's, or the space was destroyed.
 * @retval OSTD_EINACTIVE The owner is not active.
 * @retval OSTD_EBUSY The range conflicts with what is registered now.
 * @retval OSTD_ENOMEM VM_SPACE_MAX_IO tokens of the kind are active.
 */
WARN_UNUSED ostd_err_t
vm_space_activate_reader(struct vm_space *vs, const struct vm_io_owner *token);
WARN_UNUSED ostd_err_t
vm_space_activate_writer(struct vm_space *vs, const struct vm_io_owner *token);

/**
 * Unregisters an active token; its range is lent out no more, by this
 * handle or any copy of it.
 *
 * @retval OSTD_EINVAL @p vs or @p token is NULL.
 * @retval OSTD_EBADSTATE The token is not active in this space.
 */
WARN_UNUSED ostd_err_t vm_space_dispose_reader(struct vm_space *vs,
					       const struct vm_io_owner *token);
WARN_UNUSED ostd_err_t vm_space_dispose_writer(struct vm_space *vs,
					       const struct vm_io_owner *token);

/**
 * Retires a created or disposed token for good: its slot is freed and its
 * number never comes back. A token of a space that was destroyed since
 * may still be removed: that is how its holder cleans up; nothing else
 * accepts it.
 *
 * @retval OSTD_EINVAL @p vs or @p token is NULL.
 * @retval OSTD_EBADSTATE The token is active (dispose it first), already
 *         removed, of the other kind, or another space's.
 */
WARN_UNUSED ostd_err_t vm_space_remove_reader(struct vm_space *vs,
					      const struct vm_io_owner *token);
WARN_UNUSED ostd_err_t vm_space_remove_writer(struct vm_space *vs,
					      const struct vm_io_owner *token);

/**
 * The state of the permission @p token names, as the registry has it:
 * VM_IO_REMOVED for a removed, stale or foreign handle.
 */
enum vm_io_state vm_space_io_state(struct vm_space *vs,
				   const struct vm_io_owner *token);

/**
 * Checks the owner invariant (TESTING.md I6): no reader overlaps a writer,
 * no two writers overlap, no two readers overlap unless shared_reader,
 * every range inside user space. Debug builds run it after every owner
 * operation.
 */
bool vm_space_owner_inv(struct vm_space *vs);

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

/*
 * The operations. Each name below is generic over the kernel and the user
 * type; the vm_k* (kernel) and vm_u* (user) functions behind them are what
 * it calls.
 *
 * vm_reader_remain(r) / vm_writer_avail(w): bytes left (end - cursor; a
 * user one's checks run when it is used, not here).
 *
 * vm_reader_read(r, w, copied): copies min(remain, avail) bytes from any
 * reader to any writer. A user side copies through the arch's
 * fault-catching routine. *copied (may be NULL) gets the bytes copied;
 * both cursors advance by exactly that, also on error.
 *   @retval OSTD_EFAULT A page fault stopped the copy.
 *   Otherwise the checks' errors (above), nothing copied:
 *   OSTD_EINVAL (NULL, cursor > end), OSTD_ERANGE ([cursor, end) outside
 *   the token's range or user space), OSTD_EBADSTATE (token not active,
 *   not of this kind or space, space destroyed), OSTD_ENOTCURRENT.
 *
 * vm_reader_read_val(r, val, size) / vm_writer_write_val(w, val, size):
 * @p size bytes; on a fault nothing moves (rollback).
 *   @retval OSTD_EINVAL Fewer than @p size bytes remain.
 *   @retval OSTD_EFAULT A fault; nothing moved.
 *
 * vm_writer_fill_zeros(w, len, done): min(len, avail) zero bytes; *done
 * as *copied above.
 *
 * vm_reader_skip(r, n) / vm_writer_skip(w, n): moves on by @p n bytes
 * (OSTD_EINVAL if n > remain).
 *
 * vm_reader_limit(r, n) / vm_writer_limit(w, n): shrinks what is left to
 * at most @p n bytes (OSTD_EINVAL if cursor > end; a user one is checked
 * first).
 *
 * vm_reader_atomic_load(r, val): the aligned 32-bit value at the cursor
 * (no move). vm_writer_atomic_cmpxchg(w, expected, new_val, old): stores
 * @p new_val if the aligned 32-bit value at the cursor is @p expected;
 * *old gets the value found (no move).
 *   @retval OSTD_EINVAL Fewer than 4 bytes remain, or the cursor is not
 *           4-byte aligned.
 *   @retval OSTD_EFAULT The page is not mapped readable (writable).
 */

static inline uint64_t vm_kreader_remain(const struct vm_reader *r)
{
	return r->end - r->cursor;
}

static inline uint64_t vm_ureader_remain(const struct vm_user_reader *r)
{
	return r->end - r->cursor;
}

static inline uint64_t vm_kwriter_avail(const struct vm_writer *w)
{
	return w->end - w->cursor;
}

static inline uint64_t vm_uwriter_avail(const struct vm_user_writer *w)
{
	return w->end - w->cursor;
}

WARN_UNUSED ostd_err_t vm_kreader_read(struct vm_reader *r, struct vm_writer *w,
				       uint64_t *copied);
WARN_UNUSED ostd_err_t vm_kreader_read_user(struct vm_reader *r,
					    struct vm_user_writer *w,
					    uint64_t *copied);
WARN_UNUSED ostd_err_t vm_ureader_read(struct vm_user_reader *r,
				       struct vm_writer *w, uint64_t *copied);
WARN_UNUSED ostd_err_t vm_ureader_read_user(struct vm_user_reader *r,
					    struct vm_user_writer *w,
					    uint64_t *copied);
WARN_UNUSED ostd_err_t vm_kreader_read_val(struct vm_reader *r, void *val,
					   uint64_t size);
WARN_UNUSED ostd_err_t vm_ureader_read_val(struct vm_user_reader *r, void *val,
					   uint64_t size);
WARN_UNUSED ostd_err_t vm_kwriter_write_val(struct vm_writer *w,
					    const void *val, uint64_t size);
WARN_UNUSED ostd_err_t vm_uwriter_write_val(struct vm_user_writer *w,
					    const void *val, uint64_t size);
WARN_UNUSED ostd_err_t vm_kwriter_fill_zeros(struct vm_writer *w, uint64_t len,
					     uint64_t *done);
WARN_UNUSED ostd_err_t vm_uwriter_fill_zeros(struct vm_user_writer *w,
					     uint64_t len, uint64_t *done);
WARN_UNUSED ostd_err_t vm_kreader_skip(struct vm_reader *r, uint64_t n);
WARN_UNUSED ostd_err_t vm_ureader_skip(struct vm_user_reader *r, uint64_t n);
WARN_UNUSED ostd_err_t vm_kwriter_skip(struct vm_writer *w, uint64_t n);
WARN_UNUSED ostd_err_t vm_uwriter_skip(struct vm_user_writer *w, uint64_t n);
WARN_UNUSED ostd_err_t vm_kreader_limit(struct vm_reader *r, uint64_t n);
WARN_UNUSED ostd_err_t vm_ureader_limit(struct vm_user_reader *r, uint64_t n);
WARN_UNUSED ostd_err_t vm_kwriter_limit(struct vm_writer *w, uint64_t n);
WARN_UNUSED ostd_err_t vm_uwriter_limit(struct vm_user_writer *w, uint64_t n);
WARN_UNUSED ostd_err_t vm_kreader_atomic_load(struct vm_reader *r,
					      uint32_t *val);
WARN_UNUSED ostd_err_t vm_ureader_atomic_load(struct vm_user_reader *r,
					      uint32_t *val);
WARN_UNUSED ostd_err_t vm_kwriter_atomic_cmpxchg(struct vm_writer *w,
						 uint32_t expected,
						 uint32_t new_val,
						 uint32_t *old);
WARN_UNUSED ostd_err_t vm_uwriter_atomic_cmpxchg(struct vm_user_writer *w,
						 uint32_t expected,
						 uint32_t new_val,
						 uint32_t *old);

/* clang-format off */
#define vm_reader_remain(r)                                                   \
	_Generic((r),                                                         \
		struct vm_reader *: vm_kreader_remain,                        \
		const struct vm_reader *: vm_kreader_remain,                  \
		struct vm_user_reader *: vm_ureader_remain,                   \
		const struct vm_user_reader *: vm_ureader_remain)(r)
#define vm_writer_avail(w)                                                    \
	_Generic((w),                                                         \
		struct vm_writer *: vm_kwriter_avail,                         \
		const struct vm_writer *: vm_kwriter_avail,                   \
		struct vm_user_writer *: vm_uwriter_avail,                    \
		const struct vm_user_writer *: vm_uwriter_avail)(w)
#define vm_reader_read(r, w, copied)                                          \
	_Generic((r),                                                         \
		struct vm_reader *: _Generic((w),                             \
			struct vm_writer *: vm_kreader_read,                  \
			struct vm_user_writer *: vm_kreader_read_user),       \
		struct vm_user_reader *: _Generic((w),                        \
			struct vm_writer *: vm_ureader_read,                  \
			struct vm_user_writer *: vm_ureader_read_user))(      \
		r, w, copied)
#define vm_reader_read_val(r, val, size)                                      \
	_Generic((r),                                                         \
		struct vm_reader *: vm_kreader_read_val,                      \
		struct vm_user_reader *: vm_ureader_read_val)(r, val, size)
#define vm_writer_write_val(w, val, size)                                     \
	_Generic((w),                                                         \
		struct vm_writer *: vm_kwriter_write_val,                     \
		struct vm_user_writer *: vm_uwriter_write_val)(w, val, size)
#define vm_writer_fill_zeros(w, len, done)                                    \
	_Generic((w),                                                         \
		struct vm_writer *: vm_kwriter_fill_zeros,                    \
		struct vm_user_writer *: vm_uwriter_fill_zeros)(w, len, done)
#define vm_reader_skip(r, n)                                                  \
	_Generic((r),                                                         \
		struct vm_reader *: vm_kreader_skip,                          \
		struct vm_user_reader *: vm_ureader_skip)(r, n)
#define vm_writer_skip(w, n)                                                  \
	_Generic((w),                                                         \
		struct vm_writer *: vm_kwriter_skip,                          \
		struct vm_user_writer *: vm_uwriter_skip)(w, n)
#define vm_reader_limit(r, n)                                                 \
	_Generic((r),                                                         \
		struct vm_reader *: vm_kreader_limit,                         \
		struct vm_user_reader *: vm_ureader_limit)(r, n)
#define vm_writer_limit(w, n)                                                 \
	_Generic((w),                                                         \
		struct vm_writer *: vm_kwriter_limit,                         \
		struct vm_user_writer *: vm_uwriter_limit)(w, n)
#define vm_reader_atomic_load(r, val)                                         \
	_Generic((r),                                                         \
		struct vm_reader *: vm_kreader_atomic_load,                   \
		struct vm_user_reader *: vm_ureader_atomic_load)(r, val)
#define vm_writer_atomic_cmpxchg(w, expected, new_val, old)                   \
	_Generic((w),                                                         \
		struct vm_writer *: vm_kwriter_atomic_cmpxchg,                \
		struct vm_user_writer *: vm_uwriter_atomic_cmpxchg)(          \
		w, expected, new_val, old)
/* clang-format on */
