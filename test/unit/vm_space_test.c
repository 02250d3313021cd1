// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace (DESIGN.md §7): spaces on the CPU and frame accounting on
 * destroy, the user page-fault handler, the life-cycle arguments, and the
 * probes against a careless kernel author.
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
 * Spaces on the CPU, and frame accounting.
 * --------------------------------------------------------------------- */

/*
 * Activation installs the root and moves this CPU from the previous
 * space's set to the new one's; destroying the current space puts the
 * kernel table back.
 */
TEST_FORMAT(vm_space, activate_moves_cpu_between_sets)
{
	unsigned int cpu = arch_cpu_id();

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, true), OSTD_OK);
	ASSERT_EQ(vm_space_test_pt(fx.vs)->cfg, cfg);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	ASSERT_TRUE(vm_space_is_current(fx.vs));
	ASSERT_TRUE(
		cpu_set_contains(&vm_space_test_pt(fx.vs)->active_cpus, cpu));
	ASSERT_EQ(pa_addr(arch_vm_current_root()),
		  pa_addr(vm_space_test_pt(fx.vs)->root));
	ASSERT_EQ(vm_space_activate(fx.vs2), OSTD_OK);
	ASSERT_FALSE(vm_space_is_current(fx.vs));
	ASSERT_TRUE(vm_space_is_current(fx.vs2));
	ASSERT_FALSE(
		cpu_set_contains(&vm_space_test_pt(fx.vs)->active_cpus, cpu));
	ASSERT_TRUE(
		cpu_set_contains(&vm_space_test_pt(fx.vs2)->active_cpus, cpu));
	/* Activating again changes nothing. */
	ASSERT_EQ(vm_space_activate(fx.vs2), OSTD_OK);
	ASSERT_TRUE(
		cpu_set_contains(&vm_space_test_pt(fx.vs2)->active_cpus, cpu));
	ASSERT_EQ(vm_space_destroy(fx.vs2), OSTD_OK);
	ASSERT_EQ(pa_addr(arch_vm_current_root()), pa_addr(fx.kpt->root));
	ASSERT_FALSE(vm_space_is_current(fx.vs));
	fx_teardown();
}

/*
 * Destroying a space with live mappings returns every frame: tracked
 * frames whose handles were dropped, the nodes, and the root. A frame
 * also mapped in another space keeps that mapping's reference. Afterwards
 * no CPU set and (host) no TLB entry of this CPU holds anything of it.
 */
#define ACCT_PAGES 24

TEST_FORMAT(vm_space, destroy_returns_every_frame)
{
	static paddr_t pas[ACCT_PAGES];
	static uint64_t vas[ACCT_PAGES];
	struct frame shared;
	uint64_t copied = 0;

	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_kernel(cfg), OSTD_OK);
	ASSERT_EQ(fx_space(&fx.vs2, &fx.vs2_ok, false), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &shared), OSTD_OK);
	ASSERT_EQ(map_frame_at(fx.vs2, UBASE, shared.pa, prop_rw), OSTD_OK);
	uint64_t baseline = frame_stats_in_use();

	ASSERT_EQ(fx_space(&fx.vs, &fx.vs_ok, false), OSTD_OK);
	/* Spread over several leaf tables and upper-level entries. */
	for (unsigned int i = 0; i < ACCT_PAGES; i++) {
		vas[i] = UBASE * (1 + i % 3) + (i / 3) * (2ULL << 20) + i * P;
		ASSERT_EQ(map_new(fx.vs, vas[i], i % 2 ? prop_ro : prop_rw,
				  &pas[i]),
			  OSTD_OK);
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	/* The shared frame, twice here: three references in all. */
	ASSERT_EQ(map_frame_at(fx.vs, 5 * UBASE, shared.pa, prop_rw), OSTD_OK);
	ASSERT_EQ(map_frame_at(fx.vs, 5 * UBASE + P, shared.pa, prop_ro),
		  OSTD_OK);
	ASSERT_EQ(frame_refcount(shared.pa), 4);
	ASSERT_GT(frame_stats_in_use(), baseline + ACCT_PAGES);
	if (IS_ENABLED(CONFIG_ARCH_HOST)) {
		/* Fill this CPU's TLB with the space's translations. */
		ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
		for (unsigned int i = 0; i < ACCT_PAGES; i++) {
			ASSERT_EQ(
				io_open(fx.vs, &io_a, VM_IO_READER, vas[i], 8),
				OSTD_OK);
			struct vm_writer kw = vm_writer_from_kernel(kbuf, 8);

			ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied),
				  OSTD_OK);
			ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
		}
		ASSERT_TRUE(tlb_caches(pas[ACCT_PAGES - 1]));
	}
	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_OK);
	ASSERT_EQ(frame_stats_in_use(), baseline);
	ASSERT_EQ(frame_refcount(shared.pa), 2);
	ASSERT_EQ(atomic_load(&vm_space_test_pt(fx.vs)->active_cpus.bits), 0);
	ASSERT_FALSE(vm_space_is_current(fx.vs));
	for (unsigned int i = 0; i < ACCT_PAGES; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), FRAME_REF_UNUSED);
		ASSERT_FALSE(tlb_caches(pas[i]));
	}
	ASSERT_FALSE(tlb_caches(shared.pa));
	if (IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		ASSERT_EQ(pa_addr(arch_vm_current_root()),
			  pa_addr(fx.kpt->root));
	}
	ASSERT_EQ(vm_space_destroy(fx.vs2), OSTD_OK);
	ASSERT_EQ(frame_refcount(shared.pa), 1);
	frame_drop(&shared);
	fx_teardown();
}

/* ---------------------------------------------------------------------
 * The user page-fault handler.
 * --------------------------------------------------------------------- */

struct fault_log {
	unsigned int calls;
	struct vm_space *vs;
	uint64_t va;
	bool write;
	void *ctx;
	/* What the handler does: map a page (demand paging), or return. */
	bool map;
	ostd_err_t result;
};

static ostd_err_t on_fault(struct vm_space *vs, uint64_t va, bool write,
			   void *ctx)
{
	struct fault_log *log = ctx;
	paddr_t pa = pa_init(0);

	log->calls++;
	log->vs = vs;
	log->va = va;
	log->write = write;
	log->ctx = ctx;
	if (!log->map) {
		return log->result;
	}
	uint64_t page = va & ~(P - 1);
	ostd_err_t err = map_new(vs, page, prop_rw, &pa);

	if (err == OSTD_OK) {
		fill_page(pa, page);
	}
	return err;
}

/*
 * The handler runs with the space, address, access and context given,
 * and its verdict is reported (anything but OSTD_OK as OSTD_EFAULT); no
 * handler, or a destroyed space, is a plain fault. On the host a read
 * that faulted succeeds once the handler has mapped the page.
 */
TEST_FORMAT(vm_space, fault_handler_demand_paging)
{
	static struct fault_log log;
	uint64_t copied = 1;

	if (!user_format(cfg)) {
		return;
	}
	memset(&log, 0, sizeof(log));
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE, false), OSTD_EFAULT);
	vm_space_set_fault_handler(fx.vs, on_fault, &log);
	log.result = OSTD_OK;
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE + 5, true), OSTD_OK);
	ASSERT_EQ(log.calls, 1);
	ASSERT_TRUE(log.vs == fx.vs && log.ctx == &log);
	ASSERT_EQ(log.va, UBASE + 5);
	ASSERT_TRUE(log.write);
	log.result = OSTD_ENOMEM;
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE + 9, false), OSTD_EFAULT);
	ASSERT_EQ(log.calls, 2);
	ASSERT_EQ(log.va, UBASE + 9);
	ASSERT_FALSE(log.write);
	log.result = OSTD_EFAULT;
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE, true), OSTD_EFAULT);
	ASSERT_EQ(log.calls, 3);
	vm_space_set_fault_handler(fx.vs, NULL, NULL);
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE, true), OSTD_EFAULT);
	ASSERT_EQ(log.calls, 3);

	if (IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		/* Demand paging needs activation. */
		vm_space_set_fault_handler(fx.vs, on_fault, &log);
		log.map = true;
		ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
		ASSERT_EQ(
			io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P + 16, 32),
			OSTD_OK);
		struct vm_writer kw = vm_writer_from_kernel(kbuf, 32);

		ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_EFAULT);
		ASSERT_EQ(copied, 0);
		ASSERT_EQ(vm_space_handle_fault(fx.vs, io_a.r.cursor, false),
			  OSTD_OK);
		ASSERT_EQ(log.calls, 4);
		ASSERT_EQ(log.va, UBASE + P + 16);
		ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_OK);
		ASSERT_EQ(copied, 32);
		ASSERT_TRUE(is_pat(kbuf, UBASE + P + 16, 32));
		ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	}
	unsigned int calls = log.calls;

	vm_space_set_fault_handler(fx.vs, on_fault, &log);
	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_OK);
	ASSERT_EQ(vm_space_handle_fault(fx.vs, UBASE, false), OSTD_EFAULT);
	ASSERT_EQ(log.calls, calls);
	fx_teardown();
}

/* ---------------------------------------------------------------------
 * Life-cycle arguments.
 * --------------------------------------------------------------------- */

/*
 * vm_space_new refuses a NULL space and a table that is not a kernel
 * table (sharing a user table's root entries would share, and later free
 * twice, its sub-trees); a space shares the kernel table it was given and
 * ends below MAX_USER_VADDR.
 */
TEST_FORMAT(vm_space, new_refuses_bad_arguments)
{
	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_kernel(cfg), OSTD_OK);
	ASSERT_EQ(vm_space_new(NULL, fx.kpt, false), OSTD_EINVAL);
	ASSERT_EQ(fx_space(&fx.vs, &fx.vs_ok, false), OSTD_OK);
	uint64_t in_use = frame_stats_in_use();

	ASSERT_EQ(vm_space_new(&fx.vs2, vm_space_test_pt(fx.vs), false),
		  OSTD_EINVAL);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_EQ(vm_space_test_pt(fx.vs)->cfg, cfg);
	ASSERT_EQ(vm_space_test_pt(fx.vs)->kernel, fx.kpt);
	ASSERT_TRUE(vm_space_test_owner(fx.vs).active);
	ASSERT_FALSE(vm_space_test_owner(fx.vs).shared_reader);
	ASSERT_EQ(vm_space_test_active_tokens(fx.vs), 0);
	ASSERT_LT(vm_space_test_pt(fx.vs)->va_last, MAX_USER_VADDR);
	fx_teardown();
}

static void clear_user(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags &= ~PROT_USER;
}

static void add_global(struct pt_prop *prop, void *ctx)
{
	(void)ctx;
	prop->flags |= PT_GLOBAL;
}

/*
 * The user-mapping rules hold on the cursor itself: calling the core's
 * pt_cursor_map()/protect_next() directly on a VmSpace cursor cannot get
 * around vm_space_map_frame() (S1, S6).
 */
TEST_FORMAT(vm_space, cursor_enforces_user_rules)
{
	if (!user_format(cfg)) {
		return;
	}
	struct frame kobj;
	struct frame user;
	struct pt_prop user_r = { .flags = PROT_R | PROT_USER | PT_ACCESSED,
				  .cache = PT_CACHE_WRITEBACK };
	struct pt_prop global = user_r;
	struct pt_prop no_user = user_r;

	global.flags |= PT_GLOBAL;
	no_user.flags &= ~PROT_USER;
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &kobj), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &user), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + 4 * P, &hcur),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_frame(kobj.pa), user_r),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_frame(user.pa), no_user),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_frame(user.pa), global),
		  OSTD_EPERM);
	/* RAM as an untracked item: a way to reach a page-table node. */
	ASSERT_EQ(pt_cursor_map(
			  vm_space_cursor_raw(&hcur),
			  pt_item_untracked(vm_space_test_pt(fx.vs)->root, 1),
			  user_r),
		  OSTD_EPERM);
	ASSERT_EQ(vm_space_cursor_va(&hcur), UBASE);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_frame(user.pa), user_r),
		  OSTD_OK);
	/* protect_next may not take PROT_USER away or add PT_GLOBAL. */
	ASSERT_EQ(vm_space_cursor_jump(&hcur, UBASE), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_protect_next(&hcur, P, clear_user, NULL, NULL,
					       NULL),
		  OSTD_EPERM);
	ASSERT_EQ(vm_space_cursor_protect_next(&hcur, P, add_global, NULL, NULL,
					       NULL),
		  OSTD_EPERM);
	vm_space_cursor_drop(&hcur);
	struct pt_query q;

	ASSERT_EQ(query_at(fx.vs, UBASE, &q), OSTD_OK);
	ASSERT_EQ(q.prop.flags, user_r.flags);
	fx_teardown();
	frame_drop(&kobj);
	frame_drop(&user);
	pt_rcu_barrier();
}

/* ---------------------------------------------------------------------
 * Probes against a careless kernel author (issue 15). Each is either
 * refused at run time with an error, nothing copied or mapped, or cannot
 * be written against the kernel-author headers at all; the comment on
 * each says which.
 * --------------------------------------------------------------------- */

/*
 * Probe: a reader's end moved past its token, its cursor moved before it,
 * or past its end (vostd reader.inv(), owner.inv_with_reader()). Refused
 * at run time: every use re-checks [cursor, end) against the range the
 * registry grants the token; nothing is copied, nothing moves.
 */
TEST_FORMAT(vm_space, probe_tampered_reader_range)
{
	static uint8_t buf[3 * 4096];
	uint64_t copied = 1;
	uint32_t v = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	/* Page 2 is a writer's, exclusively. */
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, P),
		  OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE, 16), OSTD_OK);
	memset(buf, POISON, sizeof(buf));
	struct vm_writer k = vm_writer_from_kernel(buf, sizeof(buf));

	io_a.r.end = UBASE + 3 * P; /* Over the writer's page. */
	ASSERT_EQ(vm_reader_read(&io_a.r, &k, &copied), OSTD_ERANGE);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_reader_skip(&io_a.r, 1), OSTD_ERANGE);
	ASSERT_EQ(vm_reader_limit(&io_a.r, 8), OSTD_ERANGE);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &v, 4), OSTD_ERANGE);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_ERANGE);
	ASSERT_EQ(io_a.r.cursor, UBASE);
	io_a.r.end = UBASE + 16;
	io_a.r.cursor = UBASE - 8; /* Before the token's range. */
	ASSERT_EQ(vm_reader_read(&io_a.r, &k, &copied), OSTD_ERANGE);
	ASSERT_EQ(copied, 0);
	io_a.r.cursor = UBASE + 17; /* Past its end: cursor > end. */
	ASSERT_EQ(vm_reader_read(&io_a.r, &k, &copied), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_skip(&io_a.r, 0), OSTD_EINVAL);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(k.cursor, (uint64_t)(uintptr_t)buf);
	ASSERT_TRUE(all_bytes(buf, sizeof(buf), POISON));
	/* Put back, it works again. */
	io_a.r.cursor = UBASE;
	ASSERT_EQ(vm_reader_read(&io_a.r, &k, &copied), OSTD_OK);
	ASSERT_EQ(copied, 16);
	ASSERT_TRUE(is_pat(buf, UBASE, 16));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * Probe: a user reader's or writer's cursor pointed at kernel memory (the
 * kernel half, or a kernel object's address). Refused at run time: the
 * range is outside the token's (and, for the kernel half, outside user
 * space); nothing is read or written.
 */
TEST_FORMAT(vm_space, probe_cursor_at_kernel_memory)
{
	static uint8_t secret[64];
	static uint8_t buf[64];
	uint64_t copied = 1;
	uint32_t old = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE, 64), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 64),
		  OSTD_OK);
	memset(secret, 0x5e, sizeof(secret));
	memset(buf, POISON, sizeof(buf));
	const uint64_t targets[] = {
		fx.kpt->va_start,
		fx.kpt->va_last - 127,
		(uint64_t)(uintptr_t)secret,
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct vm_writer k = vm_writer_from_kernel(buf, sizeof(buf));
		struct vm_reader kr = vm_reader_from_kernel(buf, sizeof(buf));

		io_a.r.cursor = targets[i];
		io_a.r.end = targets[i] + 64;
		ASSERT_EQ(vm_reader_read(&io_a.r, &k, &copied), OSTD_ERANGE);
		ASSERT_EQ(copied, 0);
		io_b.w.cursor = targets[i];
		io_b.w.end = targets[i] + 64;
		ASSERT_EQ(vm_reader_read(&kr, &io_b.w, &copied), OSTD_ERANGE);
		ASSERT_EQ(copied, 0);
		ASSERT_EQ(vm_writer_fill_zeros(&io_b.w, 64, &copied),
			  OSTD_ERANGE);
		ASSERT_EQ(copied, 0);
		ASSERT_EQ(vm_writer_write_val(&io_b.w, buf, 8), OSTD_ERANGE);
		ASSERT_EQ(
			vm_writer_atomic_cmpxchg(&io_b.w, 0x5e5e5e5e, 0, &old),
			OSTD_ERANGE);
		ASSERT_EQ(io_a.r.cursor, targets[i]);
		ASSERT_EQ(io_b.w.cursor, targets[i]);
	}
	ASSERT_TRUE(all_bytes(buf, sizeof(buf), POISON));
	ASSERT_TRUE(all_bytes(secret, sizeof(secret), 0x5e));
	io_a.r.cursor = UBASE;
	io_a.r.end = UBASE + 64;
	io_b.w.cursor = UBASE + 2 * P;
	io_b.w.end = UBASE + 2 * P + 64;
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * Probe: activation while the owner is inactive (the seed's requires
 * owner.active). Refused at run time with OSTD_EINACTIVE; the token stays
 * created and the registry unchanged.
 */
static void probe_activate_inactive(const struct pt_config *cfg,
				    enum vm_io_kind kind, bool shared)
{
	if (!EXPECT_EQ(fx_setup_active(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_create(fx.vs, &io_a, kind, UBASE, P), OSTD_OK)) {
		goto out;
	}
	vm_space_test_set_owner_active(fx.vs, false);
	vm_space_test_snap_take(fx.vs, 1);
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_EINACTIVE)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_test_snap_same(fx.vs, 1))) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok), VM_IO_CREATED)) {
		goto out;
	}
	vm_space_test_set_owner_active(fx.vs, true);
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_close(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
out:
	vm_space_test_set_owner_active(fx.vs, true);
	fx_teardown();
}

TEST_READER_WRITER(reader_probe_activate_inactive_owner,
		   writer_probe_activate_inactive_owner,
		   probe_activate_inactive, NEEDS_ACTIVE)

/*
 * Probe: forged tokens. A token's state is not in the caller's handle, so
 * "set it to ACTIVE by hand" cannot be written against the kernel-author
 * headers (struct vm_io_owner has no state). What can be edited (number,
 * slot, space id) only makes the handle name nothing: refused at run time
 * (OSTD_EBADSTATE), nothing copied. A reader made around a created (not
 * active) token's handle does not work either, and a removed token's slot
 * reused by a new token does not revive the old handle.
 */
static void probe_forged_token(const struct pt_config *cfg,
			       enum vm_io_kind kind, bool shared)
{
	uint64_t done = 1;

	if (!EXPECT_EQ(fx_setup_layout(cfg, shared), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_create(fx.vs, &io_a, kind, UBASE, P), OSTD_OK)) {
		goto out;
	}
	/* Created, not active: its reader or writer does nothing. */
	if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_EBADSTATE) ||
	    !EXPECT_EQ(done, 0)) {
		goto out;
	}
	io_b = io_a;
	io_b.tok.id = UINT64_MAX;
	if (!EXPECT_EQ(io_activate(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	io_b = io_a;
	io_b.tok.slot = UINT32_MAX;
	if (!EXPECT_EQ(io_activate(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	io_b = io_a;
	io_b.tok.space_id++;
	if (!EXPECT_EQ(io_activate(fx.vs, &io_b), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok), VM_IO_CREATED)) {
		goto out;
	}
	/* Removed, its slot reused: the old handle stays dead. */
	if (!EXPECT_EQ(io_remove(fx.vs, &io_a), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_open(fx.vs, &io_c, kind, UBASE, P), OSTD_OK)) {
		goto out;
	}
	if (!EXPECT_EQ(io_c.tok.slot, io_a.tok.slot) ||
	    !EXPECT_NE(io_c.tok.id, io_a.tok.id)) {
		goto out;
	}
	if (!EXPECT_EQ(vm_space_io_state(fx.vs, &io_a.tok), VM_IO_REMOVED)) {
		goto out;
	}
	if (!EXPECT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_a, &done), OSTD_EBADSTATE) ||
	    !EXPECT_EQ(done, 0)) {
		goto out;
	}
	if (!EXPECT_EQ(io_use(&io_c, &done), OSTD_OK) || !EXPECT_EQ(done, 1)) {
		goto out;
	}
	if (!EXPECT_EQ(io_close(fx.vs, &io_c), OSTD_OK)) {
		goto out;
	}
	/* A forged space handle names no space. */
	struct vm_space *forged = (struct vm_space *)((uintptr_t)fx.vs ^ 1);

	if (!EXPECT_EQ(vm_space_activate(forged), OSTD_EBADSTATE)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_is_destroyed(forged))) {
		goto out;
	}
	if (!EXPECT_EQ(io_create(forged, &io_a, kind, UBASE, P), OSTD_EINVAL)) {
		goto out;
	}
	if (!EXPECT_TRUE(vm_space_owner_inv(fx.vs))) {
		goto out;
	}
out:
	fx_teardown();
}

TEST_READER_WRITER(reader_probe_forged_token, writer_probe_forged_token,
		   probe_forged_token, NEEDS_ACTIVE)

/*
 * Probe: a reader used as a writer. Passing a struct vm_user_reader where
 * a writer goes does not compile (different types, checked by _Generic);
 * turning a user reader into a kernel one (the old `fallible` flag) has
 * no field to do it with. A writer assembled from a reader's fields
 * compiles, and is refused at run time (OSTD_EBADSTATE): the registry
 * says the token is a reader's. Nothing is written.
 */
TEST_FORMAT(vm_space, probe_reader_used_as_writer)
{
	static uint8_t src[64];
	uint64_t copied = 1;
	uint32_t old = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE, 64), OSTD_OK);
	struct vm_user_writer w = {
		.cursor = io_a.r.cursor,
		.end = io_a.r.end,
		.space = io_a.r.space,
		.owner = io_a.r.owner,
	};
	struct vm_reader k = vm_reader_from_kernel(src, sizeof(src));

	memset(src, 0, sizeof(src));
	ASSERT_EQ(vm_reader_read(&k, &w, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_writer_write_val(&w, src, 8), OSTD_EBADSTATE);
	ASSERT_EQ(vm_writer_fill_zeros(&w, 64, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 0, 1, &old), OSTD_EBADSTATE);
	ASSERT_EQ(w.cursor, UBASE);
	ASSERT_TRUE(is_pat(layout_ptr(UBASE), UBASE, 64));
	/* And a writer's token read through a reader: the same. */
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 64),
		  OSTD_OK);
	struct vm_user_reader r = {
		.cursor = io_b.w.cursor,
		.end = io_b.w.end,
		.space = io_b.w.space,
		.owner = io_b.w.owner,
	};
	struct vm_writer kw = vm_writer_from_kernel(src, sizeof(src));

	ASSERT_EQ(vm_reader_read(&r, &kw, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(copied, 0);
	ASSERT_TRUE(all_bytes(src, sizeof(src), 0));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * Probe: a page-table node (the space's own root) or a kernel (typed)
 * frame mapped into user space through every public path. Refused at run
 * time (OSTD_EPERM), nothing mapped:
 * - vm_space_map_frame() and vm_space_map_io() (RAM is never device
 *   memory);
 * - pt_cursor_map() on the page-table cursor inside a VmSpace cursor:
 *   the rules belong to the space's table, not to a cursor flag (the old
 *   `user_rules` field is gone, so clearing it cannot be written);
 * - pt_cursor_new_mut() over the space's table (its address reached
 *   through that cursor): refused, so no cursor without the rules exists.
 * The space struct itself is opaque: `&vs->pt`, a byte copy of the space
 * or an edit of its owner's lists cannot be written against the
 * kernel-author headers; nor can retyping a frame (frame_meta_of() and
 * struct frame_meta are the framework's; see frame_test.c).
 */
TEST_FORMAT(vm_space, probe_pt_node_or_kernel_frame_to_user)
{
	static struct pt_cursor raw;
	struct frame kobj;
	struct pt_prop user_r = { .flags = PROT_R | PROT_USER | PT_ACCESSED,
				  .cache = PT_CACHE_WRITEBACK };

	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &kobj), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + 4 * P, &hcur),
		  OSTD_OK);
	struct page_table *pt = vm_space_cursor_raw(&hcur)->pt;
	paddr_t root = pt->root;
	const struct io_mem ram = { .pa = root, .len = P };

	ASSERT_EQ(vm_space_map_frame(&hcur, root, prop_ro), OSTD_EPERM);
	ASSERT_EQ(vm_space_map_frame(&hcur, kobj.pa, prop_ro), OSTD_EPERM);
	ASSERT_EQ(vm_space_map_io(&hcur, &ram, 0, 1, prop_ro), OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur), pt_item_frame(root),
				user_r),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_untracked(root, 1), user_r),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_frame(kobj.pa), user_r),
		  OSTD_EPERM);
	ASSERT_EQ(vm_space_cursor_va(&hcur), UBASE);
	vm_space_cursor_drop(&hcur);
	ASSERT_EQ(pt_cursor_new_mut(pt, UBASE, UBASE + P, &raw), OSTD_EPERM);
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_TRUE(nothing_mapped_at(fx.vs, UBASE + i * P));
	}
	fx_teardown();
	frame_drop(&kobj);
	pt_rcu_barrier();
}

/*
 * vm_space_map_segment(): a segment's frames map in order as one batch
 * with the user rules; a refused batch (a kernel frame in the segment,
 * a privileged bit, an occupied page) maps nothing and leaves the cursor
 * where it was.
 */
TEST_FORMAT(vm_space, map_segment_all_or_nothing)
{
	struct segment seg;
	struct segment kseg;
	struct pt_query q;
	struct pt_prop bad = prop_rw;

	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(segment_alloc(4, &frame_type_untyped, 0, &seg), OSTD_OK);
	ASSERT_EQ(segment_alloc(2, &frame_type_kernel, 0, &kseg), OSTD_OK);
	ASSERT_EQ(vm_space_cursor_mut(fx.vs, UBASE, UBASE + 8 * P, &hcur),
		  OSTD_OK);
	bad.flags |= PROT_USER;
	EXPECT_EQ(vm_space_map_segment(&hcur, &seg, bad), OSTD_EINVAL);
	EXPECT_EQ(vm_space_map_segment(&hcur, &kseg, prop_rw), OSTD_EPERM);
	EXPECT_EQ(vm_space_map_segment(&hcur, NULL, prop_rw), OSTD_EINVAL);
	EXPECT_EQ(vm_space_cursor_va(&hcur), UBASE);
	EXPECT_EQ(vm_space_map_segment(&hcur, &seg, prop_rw), OSTD_OK);
	EXPECT_EQ(vm_space_cursor_va(&hcur), UBASE + 4 * P);
	/* Pages 4..7 over a page already mapped at 6: nothing of it. */
	EXPECT_EQ(vm_space_cursor_jump(&hcur, UBASE + 6 * P), OSTD_OK);
	EXPECT_EQ(vm_space_map_frame(&hcur, seg.pa, prop_ro), OSTD_OK);
	EXPECT_EQ(vm_space_cursor_jump(&hcur, UBASE + 4 * P), OSTD_OK);
	EXPECT_EQ(vm_space_map_segment(&hcur, &seg, prop_rw), OSTD_EEXIST);
	EXPECT_EQ(vm_space_cursor_va(&hcur), UBASE + 4 * P);
	vm_space_cursor_drop(&hcur);
	EXPECT_TRUE(nothing_mapped_at(fx.vs, UBASE + 4 * P));
	EXPECT_TRUE(nothing_mapped_at(fx.vs, UBASE + 5 * P));
	for (unsigned int i = 0; i < 4; i++) {
		if (EXPECT_EQ(query_at(fx.vs, UBASE + i * P, &q), OSTD_OK)) {
			EXPECT_EQ(q.item.kind, PT_ITEM_FRAME);
			EXPECT_EQ(pa_addr(q.item.pa), pa_addr(seg.pa) + i * P);
			EXPECT_TRUE((q.prop.flags & PROT_USER) != 0);
		}
	}
	/* The mappings hold their own references. */
	segment_drop(&seg);
	segment_drop(&kseg);
	fx_teardown();
	pt_rcu_barrier();
}

/*
 * vm_space_fault_is_spurious(): true only for a page mapped with the
 * faulting access's permission (the TLB was stale; user_mode_execute()
 * retries once), false for a missing permission, an unmapped page, a
 * kernel address, a bad access kind and a dead space.
 */
TEST_FORMAT(vm_space, fault_on_mapped_page_is_spurious)
{
	if (!user_format(cfg)) {
		return;
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(map_new(fx.vs, UBASE, prop_rw, NULL), OSTD_OK);
	ASSERT_EQ(map_new(fx.vs, UBASE + P, prop_ro, NULL), OSTD_OK);
	EXPECT_TRUE(vm_space_fault_is_spurious(fx.vs, UBASE + 8, PROT_W));
	EXPECT_TRUE(vm_space_fault_is_spurious(fx.vs, UBASE, PROT_R));
	EXPECT_TRUE(vm_space_fault_is_spurious(fx.vs, UBASE + P, PROT_R));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE + P, PROT_W));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE, PROT_X));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE + 2 * P, PROT_R));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, MAX_USER_VADDR, PROT_R));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UINT64_MAX, PROT_R));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE, 0));
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE, PROT_R | PROT_W));
	EXPECT_FALSE(vm_space_fault_is_spurious(NULL, UBASE, PROT_R));
	ASSERT_EQ(unmap_at(fx.vs, UBASE, 2 * P), OSTD_OK);
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE, PROT_R));
	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_OK);
	EXPECT_FALSE(vm_space_fault_is_spurious(fx.vs, UBASE, PROT_R));
	fx_teardown();
}
