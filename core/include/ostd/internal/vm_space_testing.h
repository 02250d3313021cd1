/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * What the tests may see of a space's owner state (DESIGN.md §7), so that
 * none of them reads or writes the framework's fields by hand. Test builds
 * only; every function takes a handle from vm_space_new() (destroyed or
 * not) and reads under the space's lock.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/page_table.h"
#include "ostd/vm_space.h"

/* The owner's counters and flags (vostd VmSpaceOwner). */
struct vm_space_test_owner {
	bool active;
	bool shared_reader;
	unsigned int active_tokens;
	unsigned int reader_count; /* Active readers. */
	unsigned int writer_count; /* Active writers. */
};

/* One slot of the token table (id 0: free). */
struct vm_space_test_token {
	uint64_t id;
	enum vm_io_kind kind;
	enum vm_io_state state;
	uint64_t va;
	uint64_t len;
};

/** The owner of @p vs. */
struct vm_space_test_owner vm_space_test_owner(struct vm_space *vs);

/** The owner's count of active tokens (readers and writers). */
unsigned int vm_space_test_active_tokens(struct vm_space *vs);

/** The space's id, which its tokens carry as space_id. */
uint64_t vm_space_test_id(struct vm_space *vs);

/**
 * True if a token naming space @p space_id is stale for @p vs: the space
 * is destroyed (its tokens died with it) or has another id.
 */
bool vm_space_test_id_stale(struct vm_space *vs, uint64_t space_id);

/** The space's page table (its root, format, CPUs and range). */
struct page_table *vm_space_test_pt(const struct vm_space *vs);

/**
 * Slot @p slot of the token table into *@p out; false (nothing written)
 * if @p slot is out of the table.
 */
bool vm_space_test_token(struct vm_space *vs, unsigned int slot,
			 struct vm_space_test_token *out);

/**
 * The table slot token @p t of @p kind names into *@p out; false (nothing
 * written) if it names none (a stale, forged or removed token).
 */
bool vm_space_test_token_of(struct vm_space *vs, const struct vm_io_owner *t,
			    enum vm_io_kind kind,
			    struct vm_space_test_token *out);

/* How many snapshots vm_space_test_snap_take() keeps. */
#define VM_SPACE_TEST_SNAPS 2

/**
 * Saves into snapshot @p i (< VM_SPACE_TEST_SNAPS) what a refused call
 * must leave alone: the owner, the token table, the id, the token counter
 * and the destroyed flag.
 */
void vm_space_test_snap_take(struct vm_space *vs, unsigned int i);

/**
 * True if @p vs holds what snapshot @p i saved and its owner invariant
 * holds.
 */
bool vm_space_test_snap_same(struct vm_space *vs, unsigned int i);
