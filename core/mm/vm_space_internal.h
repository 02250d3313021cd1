/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The framework's side of a VmSpace (DESIGN.md §7): the space itself, its
 * owner and its token table. Kernel authors see `struct vm_space` as an
 * opaque type and tokens as handles (ostd/vm_space.h); only core/mm and
 * the framework's own tests include this.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/internal/asid.h"
#include "ostd/page_table.h"
#include "ostd/sync.h"
#include "ostd/vm_space.h"

/* Token slots per space: every created, active or disposed token. */
#define VM_SPACE_MAX_TOKENS (2 * VM_SPACE_MAX_IO + 16)

/* Spaces the framework's storage holds at once. */
#define VM_SPACE_POOL_SIZE 64

/* One token, as the framework keeps it. */
struct vm_io_slot {
	uint64_t id; /* 0: free. Token numbers are never reused. */
	enum vm_io_kind kind;
	enum vm_io_state state; /* Never VM_IO_REMOVED: that frees it. */
	uint64_t va;
	uint64_t len;
};

/*
 * The run-time VmSpaceOwner. The registry is the token table's active
 * slots; with CONFIG_VM_OWNER_REGISTRY off the overlap checks over it are
 * compiled out, the per-token state checks are not.
 */
struct vm_space_owner {
	bool active;
	bool shared_reader;
	unsigned int active_tokens;
	unsigned int reader_count; /* Active readers. */
	unsigned int writer_count; /* Active writers. */
};

/* Words of the token table's in-use bitmap. */
#define VM_SPACE_TOKEN_WORDS ((VM_SPACE_MAX_TOKENS + 63) / 64)

_Static_assert(VM_SPACE_MAX_TOKENS <= UINT8_MAX,
	       "the active lists hold slot numbers in a uint8_t");

/*
 * Indexes over the token table, so that create and activate cost what the
 * active tokens cost, not what the table's size costs: a bitmap of slots
 * in use (create takes the lowest clear bit, as a first-fit scan would),
 * and per kind a dense list of the active slots (the overlap checks scan
 * only the kind they check). Kept by the token calls under the space's
 * lock and re-checked by the owner invariant.
 */
struct vm_io_index {
	uint64_t used[VM_SPACE_TOKEN_WORDS];
	/* active[kind][0 .. count): slots; count is reader/writer_count. */
	uint8_t active[2][VM_SPACE_MAX_IO];
	/* For an active slot, its place in its kind's list. */
	uint8_t pos[VM_SPACE_MAX_TOKENS];
};

/*
 * Slots are this aligned, so a handle (struct vm_space * as callers hold
 * it) is the slot's address plus a tag in the low bits: the slot's
 * generation, bumped by every vm_space_new() on it. A handle of a
 * destroyed space whose slot was reused is refused, not taken for the new
 * space (until the tag wraps, after VM_SPACE_SLOT_ALIGN reuses).
 */
#define VM_SPACE_SLOT_ALIGN 4096

struct vm_space {
	_Alignas(VM_SPACE_SLOT_ALIGN) struct page_table pt;
	struct spinlock lock;
	uint64_t id; /* Unique for the life of the system. */
	bool in_use; /* The slot holds a space (live or destroyed). */
	bool destroyed;
	bool claimed;         /* Taken by vm_space_new(), not yet ready. */
	_Atomic uint32_t tag; /* The handles' tag: < VM_SPACE_SLOT_ALIGN. */
	uint64_t freed_seq;   /* When the slot was last given back. */
	struct vm_space_owner owner;
	/* Tasks whose table this is (task.pt); lock held to change. */
	unsigned int task_refs;
	uint64_t next_token;
	struct vm_io_slot tokens[VM_SPACE_MAX_TOKENS];
	struct vm_io_index index;
	vm_fault_handler fault_handler;
	void *fault_ctx;
	/* Its address-space identifier (core/mm/asid.c). */
	struct asid_ctx asid;
};

/**
 * The space whose own table @p pt is, or NULL (a kernel table, a table
 * made by page_table_new_user() for tests, or no table). O(1): decided by
 * where @p pt is, not by a field anyone can write.
 */
struct vm_space *vm_space_of_table(const struct page_table *pt);

/**
 * The slot the handle @p vs names, or NULL if it names none (not a
 * handle, or a stale one: its slot was reused). A destroyed space's slot
 * is returned (its `destroyed` says so) until reused. O(1). Framework
 * code and tests reach a space's fields only through this.
 */
struct vm_space *vm_space_checked(const struct vm_space *vs);

/** vm_space_is_current() of a slot (not a handle). */
bool vm_space_slot_is_current(const struct vm_space *slot);

/** The handle callers hold for the slot @p slot. */
struct vm_space *vm_space_handle(struct vm_space *slot);

/**
 * The live slot (created, active or disposed) @p t names in @p vs, if it
 * is of @p kind; NULL for a stale, foreign or forged handle. Lock held.
 */
struct vm_io_slot *vm_space_slot_locked(struct vm_space *vs,
					const struct vm_io_owner *t,
					enum vm_io_kind kind);

/*
 * The token life cycle by kind (vm_space_create_reader() and the other
 * token calls of ostd/vm_space.h are these for one kind): create, with
 * the checks of vostd's reader_requires / writer_requires; activate;
 * dispose; remove. Each takes the space's lock.
 */
ostd_err_t vm_space_io_create(struct vm_space *vs, enum vm_io_kind kind,
			      uint64_t va, uint64_t len,
			      struct vm_io_owner *token);
ostd_err_t vm_space_io_activate(struct vm_space *vs,
				const struct vm_io_owner *t,
				enum vm_io_kind kind);
ostd_err_t vm_space_io_dispose(struct vm_space *vs, const struct vm_io_owner *t,
			       enum vm_io_kind kind);
ostd_err_t vm_space_io_remove(struct vm_space *vs, const struct vm_io_owner *t,
			      enum vm_io_kind kind);

struct task;

/**
 * Called by the scheduler on the CPU where @p t runs again after a
 * switch: loads t's table if this CPU holds another one (t may have
 * migrated). rq_lock held, interrupts masked.
 */
void vm_space_task_resumed(struct task *t);

/** Called by task_exit(): @p t no longer holds its space. */
void vm_space_task_exit(struct task *t);

/* ---------------------------------------------------------------------
 * Test-only: what a test needs to set up states a kernel author cannot
 * reach through the API, instead of writing fields by hand.
 * --------------------------------------------------------------------- */

/** Sets the owner's active flag (vostd's VmSpaceOwner::active). */
void vm_space_test_set_owner_active(struct vm_space *vs, bool active);

/**
 * Disposes every active token by force (a failed test's cleanup, so that
 * vm_space_destroy() can run).
 */
void vm_space_test_dispose_all(struct vm_space *vs);

/** Test-only: do two handles name the same token (member by member). */
static inline bool vm_io_owner_eq(const struct vm_io_owner *a,
				  const struct vm_io_owner *b)
{
	return a->space_id == b->space_id && a->id == b->id &&
	       a->slot == b->slot;
}

_Static_assert(sizeof(struct pt_cursor) <= VM_SPACE_CURSOR_BYTES &&
		       _Alignof(struct pt_cursor) <= 16,
	       "grow VM_SPACE_CURSOR_BYTES in ostd/vm_space.h");

/* The page-table cursor inside a VmSpace cursor (framework and tests). */
static inline struct pt_cursor *vm_space_cursor_raw(struct vm_space_cursor *c)
{
	return (struct pt_cursor *)(void *)c->opaque;
}
