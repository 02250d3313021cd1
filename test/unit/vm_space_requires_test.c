// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace readers and writers (DESIGN.md §7, §8): one test per `requires`
 * clause of vostd's create_reader/create_writer, what a create ensures,
 * and the registry check activation repeats.
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
 * One test per `requires` clause of create_reader / create_writer, in the
 * order the header checks them.
 * --------------------------------------------------------------------- */

/* requires: the space is not destroyed. */
static void requires_live_space(const struct pt_config *cfg,
				enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_destroy(fx.vs), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_EBADSTATE)) {
		goto out;
	}
	/* Even arguments that break every later clause. */
	if (!EXPECT_REFUSED(fx.vs, kind, 0, 0, OSTD_EBADSTATE)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_live_space, writer_requires_live_space,
		   requires_live_space, EVERYWHERE)

/* requires owner.active. */
static void requires_active(const struct pt_config *cfg, enum vm_io_kind kind,
			    bool shared)
{
	if (!EXPECT_EQ(fx_setup(cfg, shared), OSTD_OK)) {
		goto out;
	}
	/*
	 * Deactivation is owner state (vostd VmSpaceOwner::active): no public
	 * call clears it, so the test sets the owner's flag itself.
	 */
	vm_space_test_set_owner_active(fx.vs, false);
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_EINACTIVE)) {
		goto out;
	}
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		goto out; /* The rest needs activation. */
	}
	/* Installed on this CPU, the space is refused for the flag alone. */
	if (!EXPECT_EQ(vm_space_activate(fx.vs), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_EINACTIVE)) {
		goto out;
	}
	vm_space_test_set_owner_active(fx.vs, true);
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE, P)) {
		goto out;
	}
out:
	vm_space_test_set_owner_active(fx.vs, true);
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_active, writer_requires_active,
		   requires_active, EVERYWHERE)

/* requires: this CPU's page table is this space's. */
static void requires_current_space(const struct pt_config *cfg,
				   enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_FALSE(vm_space_is_current(fx.vs))) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_ENOTCURRENT)) {
		goto out;
	}
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		goto out; /* The rest needs activation. */
	}
	if (!EXPECT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_activate(fx.vs2), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_ENOTCURRENT)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_activate(fx.vs), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE, P)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs2, kind, UBASE, P, OSTD_ENOTCURRENT)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_current_space, writer_requires_current_space,
		   requires_current_space, EVERYWHERE)

/* requires vaddr != 0. */
static void requires_nonzero_vaddr(const struct pt_config *cfg,
				   enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, 0, 1, OSTD_EINVAL)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, 0, P, OSTD_EINVAL)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, 1, 1)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_nonzero_vaddr, writer_requires_nonzero_vaddr,
		   requires_nonzero_vaddr, NEEDS_ACTIVE)

/* requires len > 0 (TESTING.md row 28, pinned: OSTD_EINVAL). */
static void requires_nonzero_len(const struct pt_config *cfg,
				 enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, 0, OSTD_EINVAL)) {
		goto out;
	}
	/* The length is checked before the range. */
	if (!EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR, 0, OSTD_EINVAL)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE, 1)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_nonzero_len, writer_requires_nonzero_len,
		   requires_nonzero_len, NEEDS_ACTIVE)

/* requires vaddr + len does not wrap (TESTING.md row 24). */
static void requires_no_overflow(const struct pt_config *cfg,
				 enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UINT64_MAX, 1, OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UINT64_MAX - P + 1, 2 * P,
			    OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, UINT64_MAX, OSTD_ERANGE)) {
		goto out;
	}
	/* va + len == 2^64 exactly: 0 after the wrap. */
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, 0 - UBASE, OSTD_ERANGE)) {
		goto out;
	}
	/* Wraps to just inside user space. */
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, 0 - UBASE + P, OSTD_ERANGE)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_no_overflow, writer_requires_no_overflow,
		   requires_no_overflow, NEEDS_ACTIVE)

/* requires vaddr + len <= MAX_USER_VADDR (TESTING.md row 25). */
static void requires_below_max(const struct pt_config *cfg,
			       enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	/* va + len == MAX_USER_VADDR + 1. */
	if (!EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - P, P + 1,
			    OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - 1, 2, OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR, 1, OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, MAX_USER_VADDR - P, P)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, MAX_USER_VADDR - 1, 1)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_below_max_user_vaddr,
		   writer_requires_below_max_user_vaddr, requires_below_max,
		   NEEDS_ACTIVE)

/* requires the range to be user space (TESTING.md row 26). */
static void requires_user_address(const struct pt_config *cfg,
				  enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	/* The kernel half of this format. */
	if (!EXPECT_REFUSED(fx.vs, kind, fx.kpt->va_start, P, OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, fx.kpt->va_start + UBASE, 8,
			    OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, fx.kpt->va_last - 7, 8, OSTD_ERANGE)) {
		goto out;
	}
	/* The non-canonical hole above user space. */
	if (!EXPECT_REFUSED(fx.vs, kind, 1ULL << 47, 1, OSTD_ERANGE)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, 1ULL << 62, P, OSTD_ERANGE)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_user_address, writer_requires_user_address,
		   requires_user_address, NEEDS_ACTIVE)

/*
 * requires can_create_reader / can_create_writer: no active writer
 * overlaps, whatever shared_reader says.
 */
static void requires_no_writer_overlap(const struct pt_config *cfg,
				       enum vm_io_kind kind, bool shared)
{
	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return; /* The overlap checks are compiled out by design. */
	}
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_a, VM_IO_WRITER, UBASE + P, 2 * P),
		       OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P + 1, OSTD_EBUSY)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE + 2 * P, 1, OSTD_EBUSY)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE + 3 * P - 1, 1, OSTD_EBUSY)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, 4 * P, OSTD_EBUSY)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE + P, 2 * P, OSTD_EBUSY)) {
		goto out;
	}
	/* Touching is not overlapping. */
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE, P)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE + 3 * P, P)) {
		goto out;
	}
	/* A created (not active) writer holds nothing. */
	if (!EXPECT_EQ(io_create(fx.vs, &io_b, VM_IO_WRITER, UBASE + 8 * P, P),
		       OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE + 8 * P, P)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_b), OSTD_OK)) {
		goto out;
	}
	/* Once disposed, the writer's range is free again. */
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE + P, 2 * P)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_no_writer_overlap,
		   writer_requires_no_writer_overlap,
		   requires_no_writer_overlap, NEEDS_ACTIVE)

/*
 * requires can_create_*: an active reader blocks a writer always, and a
 * reader unless shared_reader (reader ∩ reader is the one overlap that
 * may be allowed).
 */
static void requires_no_reader_overlap(const struct pt_config *cfg,
				       enum vm_io_kind kind, bool shared)
{
	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return; /* The overlap checks are compiled out by design. */
	}
	bool allowed = kind == VM_IO_READER && shared;

	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P, 2 * P),
		       OSTD_OK)) {
		goto out;
	}
	if (allowed) {
		if (!EXPECT_ALLOWED(fx.vs, kind, UBASE, P + 1)) {
			goto out;
		}
		if (!EXPECT_ALLOWED(fx.vs, kind, UBASE + P, 2 * P)) {
			goto out;
		}
		/* Both can be active at once, and the invariant holds. */
		if (!EXPECT_EQ(io_open(fx.vs, &io_b, kind, UBASE, 4 * P),
			       OSTD_OK)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_space_test_owner(fx.vs).reader_count, 2)) {
			goto out;
		}
		if (!EXPECT_TRUE(vm_space_owner_inv(fx.vs))) {
			goto out;
		}
		/* A writer still may not overlap either of them. */
		if (!EXPECT_REFUSED(fx.vs, VM_IO_WRITER, UBASE, 1,
				    OSTD_EBUSY)) {
			goto out;
		}
		if (!EXPECT_EQ(io_close(fx.vs, &io_b), OSTD_OK)) {
			goto out;
		}
	} else {
		if (!EXPECT_REFUSED(fx.vs, kind, UBASE, P + 1, OSTD_EBUSY)) {
			goto out;
		}
		if (!EXPECT_REFUSED(fx.vs, kind, UBASE + 2 * P, 1,
				    OSTD_EBUSY)) {
			goto out;
		}
		if (!EXPECT_REFUSED(fx.vs, kind, UBASE + 3 * P - 1, 1,
				    OSTD_EBUSY)) {
			goto out;
		}
		if (!EXPECT_REFUSED(fx.vs, kind, UBASE + P, 2 * P,
				    OSTD_EBUSY)) {
			goto out;
		}
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE, P)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE + 3 * P, P)) {
		goto out;
	}
	if (!EXPECT_EQ(io_dispose(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_ALLOWED(fx.vs, kind, UBASE + P, 2 * P)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_no_reader_overlap_unless_shared,
		   writer_requires_no_reader_overlap,
		   requires_no_reader_overlap, NEEDS_ACTIVE)

/*
 * The registry has room (OSTD_ENOMEM): VM_SPACE_MAX_IO ranges of a kind
 * at most. Readers share one range (shared_reader), writers take one page
 * each. Activation finds the registry full too.
 */
static struct io io_many[VM_SPACE_MAX_IO + 1];

static void requires_registry_room(const struct pt_config *cfg,
				   enum vm_io_kind kind, bool shared)
{
	unsigned int opened = 0;

	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return; /* No registry, no limit. */
	}
	if (kind == VM_IO_READER && !shared) {
		return; /* 32 readers need shared_reader to coexist. */
	}
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	uint64_t step = kind == VM_IO_READER ? 0 : P;

	/* One extra token created while there was room. */
	if (!EXPECT_EQ(io_create(fx.vs, &io_many[VM_SPACE_MAX_IO], kind,
				 UBASE + VM_SPACE_MAX_IO * step, P),
		       OSTD_OK)) {
		goto out;
	}
	for (; opened < VM_SPACE_MAX_IO; opened++) {
		if (!EXPECT_EQ(io_open(fx.vs, &io_many[opened], kind,
				       UBASE + opened * step, P),
			       OSTD_OK)) {
			goto out;
		}
	}
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE + (VM_SPACE_MAX_IO + 1) * step,
			    P, OSTD_ENOMEM)) {
		goto out;
	}
	if (!EXPECT_EQ(io_activate(fx.vs, &io_many[VM_SPACE_MAX_IO]),
		       OSTD_ENOMEM)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_many[VM_SPACE_MAX_IO].tok),
		       VM_IO_CREATED)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_many[VM_SPACE_MAX_IO]), OSTD_OK)) {
		goto out;
	}
out:
	for (unsigned int i = 0; i < opened; i++) {
		(void)io_close(fx.vs, &io_many[i]);
	}
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_registry_room, writer_requires_registry_room,
		   requires_registry_room, NEEDS_ACTIVE)

/*
 * When one call breaks several clauses, the first in the header's order
 * decides the error.
 */
static void requires_in_order(const struct pt_config *cfg, enum vm_io_kind kind,
			      bool shared)
{
	if (!EXPECT_EQ(fx_setup(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, shared), OSTD_OK)) {
		goto out;
	}
	/* Inactive and not current, with a zero length: the flag first. */
	vm_space_test_set_owner_active(fx.vs, false);
	if (!EXPECT_EQ(vm_space_activate(fx.vs2), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_REFUSED(fx.vs, kind, 0, 0, OSTD_EINACTIVE)) {
		goto out;
	}
	vm_space_test_set_owner_active(fx.vs, true);
	/* Not current, zero length: not current. */
	if (!EXPECT_REFUSED(fx.vs, kind, UBASE, 0, OSTD_ENOTCURRENT)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_activate(fx.vs), OSTD_OK)) {
		goto out;
	}
	/* Zero address and a range past user space: the zero. */
	if (!EXPECT_REFUSED(fx.vs, kind, 0, UINT64_MAX, OSTD_EINVAL)) {
		goto out;
	}
	if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		/* Outside user space and conflicting: the range. */
		if (!EXPECT_EQ(io_open(fx.vs, &io_a, VM_IO_WRITER,
				       MAX_USER_VADDR - P, P),
			       OSTD_OK)) {
			goto out;
		}
		if (!EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - P, 2 * P,
				    OSTD_ERANGE)) {
			goto out;
		}
		if (!EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - P, P,
				    OSTD_EBUSY)) {
			goto out;
		}
		if (!EXPECT_EQ(io_close(fx.vs, &io_a), OSTD_OK)) {
			goto out;
		}
	}
	/* Destroyed beats everything. */
	if (!EXPECT_EQ(vm_space_destroy(fx.vs), OSTD_OK)) {
		goto out;
	}
	vm_space_test_set_owner_active(fx.vs, false);
	if (!EXPECT_REFUSED(fx.vs, kind, 0, 0, OSTD_EBADSTATE)) {
		goto out;
	}
out:
	vm_space_test_set_owner_active(fx.vs, true);
	fx_teardown();
}

TEST_READER_WRITER(reader_requires_checked_in_order,
		   writer_requires_checked_in_order, requires_in_order,
		   NEEDS_ACTIVE)

/*
 * ensures of create: the registry is unchanged (a created token is not
 * active), the token records the space, kind and range, token
 * numbers grow, and the reader or writer covers exactly the range.
 */
static void create_ensures(const struct pt_config *cfg, enum vm_io_kind kind,
			   bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_create(fx.vs, &io_a, kind, UBASE + 5, 3 * P),
		       OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_create(fx.vs, &io_b, kind, UBASE + 5, 3 * P),
		       OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_test_owner(fx.vs).reader_count, 0) ||
	    !EXPECT_EQ(vm_space_test_owner(fx.vs).writer_count, 0)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_test_active_tokens(fx.vs), 0)) {
		goto out;
	}
	const struct vm_io_owner *t = &io_a.tok;

	/* The handle names a slot that holds the kind, state and range. */
	if (!EXPECT_EQ(t->space_id, vm_space_test_id(fx.vs)) ||
	    !EXPECT_LT(t->slot, VM_SPACE_MAX_TOKENS)) {
		goto out;
	}
	static struct vm_space_test_token slot_store;
	struct vm_space_test_token *slot = &slot_store;

	if (!EXPECT_TRUE(vm_space_test_token(fx.vs, t->slot, slot))) {
		goto out;
	}
	if (!EXPECT_EQ(slot->id, t->id) || !EXPECT_EQ(slot->kind, kind) ||
	    !EXPECT_EQ(slot->state, VM_IO_CREATED)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, t), VM_IO_CREATED)) {
		goto out;
	}
	if (!EXPECT_EQ(slot->va, UBASE + 5) || !EXPECT_EQ(slot->len, 3 * P)) {
		goto out;
	}
	if (!EXPECT_GT(io_b.tok.id, t->id)) {
		goto out;
	}
	if (kind == VM_IO_READER) {
		if (!EXPECT_EQ(io_a.r.cursor, UBASE + 5)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_reader_remain(&io_a.r), 3 * P)) {
			goto out;
		}
		if (!EXPECT_EQ(io_a.r.space, fx.vs) ||
		    !EXPECT_TRUE(vm_io_owner_eq(&io_a.r.owner, &io_a.tok))) {
			goto out;
		}
	} else {
		if (!EXPECT_EQ(io_a.w.cursor, UBASE + 5)) {
			goto out;
		}
		if (!EXPECT_EQ(vm_writer_avail(&io_a.w), 3 * P)) {
			goto out;
		}
		if (!EXPECT_EQ(io_a.w.space, fx.vs) ||
		    !EXPECT_TRUE(vm_io_owner_eq(&io_a.w.owner, &io_a.tok))) {
			goto out;
		}
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_remove(fx.vs, &io_b), OSTD_OK)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_create_ensures, writer_create_ensures, create_ensures,
		   NEEDS_ACTIVE)

/*
 * Activation repeats can_create: a token created while its range was
 * free is refused (OSTD_EBUSY) once a conflicting token is active, and
 * stays created.
 */
static void activate_rechecks(const struct pt_config *cfg, enum vm_io_kind kind,
			      bool shared)
{
	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return; /* Activation rechecks only the registry. */
	}
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_create(fx.vs, &io_a, kind, UBASE, 2 * P), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + P, P),
		       OSTD_OK)) {
		goto out;
	}
	vm_space_test_snap_take(fx.vs, 1);
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_EBUSY)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_test_snap_same(fx.vs, 1))) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok), VM_IO_CREATED)) {
		goto out;
	}
	if (!EXPECT_EQ(io_close(fx.vs, &io_b), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_close(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_activate_rechecks_registry,
		   writer_activate_rechecks_registry, activate_rechecks,
		   NEEDS_ACTIVE)

/*
 * The registry's indexes (the in-use bitmap and the per-kind active lists
 * that the overlap checks scan) follow every life-cycle step: a full
 * house of tokens of @p kind, disposed and removed out of order, each
 * step checked by the owner invariant (which compares the indexes with
 * the table) and by what the overlap check then allows.
 */
static void indexes_follow_churn(const struct pt_config *cfg,
				 enum vm_io_kind kind, bool shared)
{
	static struct io many[VM_SPACE_MAX_IO];
	struct io probe;

	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return; /* The overlap answers below need the registry. */
	}
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	for (unsigned int i = 0; i < VM_SPACE_MAX_IO; i++) {
		if (!EXPECT_EQ(io_open(fx.vs, &many[i], kind, UBASE + i * P, P),
			       OSTD_OK)) {
			goto out;
		}
	}
	/* 7 is prime to VM_SPACE_MAX_IO: every token, in a shuffled order. */
	for (unsigned int k = 0; k < VM_SPACE_MAX_IO; k++) {
		unsigned int i = (k * 7 + 3) % VM_SPACE_MAX_IO;
		unsigned int j = (i + 1) % VM_SPACE_MAX_IO;

		if (!EXPECT_EQ(io_close(fx.vs, &many[i]), OSTD_OK) ||
		    !EXPECT_TRUE(vm_space_owner_inv(fx.vs))) {
			goto out;
		}
		/* The freed range is open to a writer again... */
		if (!EXPECT_EQ(io_open(fx.vs, &probe, VM_IO_WRITER,
				       UBASE + i * P, P),
			       OSTD_OK) ||
		    !EXPECT_EQ(io_close(fx.vs, &probe), OSTD_OK)) {
			goto out;
		}
		/* ...and a neighbour that is still active still is. */
		if (vm_space_io_state(fx.vs, &many[j].tok) == VM_IO_ACTIVE &&
		    !EXPECT_REFUSED(fx.vs, VM_IO_WRITER, UBASE + j * P, P,
				    OSTD_EBUSY)) {
			goto out;
		}
	}
	if (!EXPECT_EQ(vm_space_test_active_tokens(fx.vs), 0U)) {
		goto out;
	}
	/* Every slot is free again: a new token takes the lowest. */
	if (!EXPECT_EQ(io_create(fx.vs, &probe, kind, UBASE, P), OSTD_OK) ||
	    !EXPECT_EQ(probe.tok.slot, 0U) ||
	    !EXPECT_EQ(io_remove(fx.vs, &probe), OSTD_OK)) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_indexes_follow_churn, writer_indexes_follow_churn,
		   indexes_follow_churn, NEEDS_ACTIVE)
