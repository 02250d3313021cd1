// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace, its run-time owners and VmReader/VmWriter (DESIGN.md §7, §8):
 * one test per `requires` clause of vostd's create_reader/create_writer,
 * the bad-input rows 21-32 of TESTING.md, the token life cycle, the copies
 * with their exact partial counts, frame accounting on destroy, and the
 * user page-fault handler.
 *
 * Spaces are built per user format on a private kernel table of the
 * format's kernel twin ("x86_64" and "x86_64-kernel"), which every test
 * destroys at its end. Kernel formats have no VmSpace of their own: those
 * runs pass at once.
 *
 * Activation. What needs a space installed on this CPU (every check after
 * "this CPU's table is this space's", and every user copy) runs where the
 * port can install one (CONFIG_ARCH_USER_SPACES: the host's software MMU,
 * and each kernel port once its arch issue gave it a kernel page table).
 * Elsewhere those tests, or their parts, return early with
 * `if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES))` (the reader/writer pairs are
 * marked NEEDS_ACTIVE). On a kernel image the spaces sit on the kernel's
 * own table (pt_test_kernel_parent()): only it maps the running kernel. What fails before that check (an inactive owner, a
 * space not current, a destroyed space), the user-mapping rules,
 * kernel-memory readers and writers and the frame accounting run
 * everywhere.
 *
 * Unchanged state. A refused call must leave the owner (active flag,
 * registry, active-token count), the space's token counter, generation
 * and destroyed flag, and the caller's outputs alone: the tests poison
 * the outputs beforehand and compare the rest with a snapshot.
 *
 * The reader/writer pairs share one body, a helper that returns 0 or the
 * line of the first failed expectation (and prints it), since assertions
 * may only be used in test bodies.
 *
 * Fixtures and buffers are static: a kernel image runs its tests on a
 * small boot stack.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"
#include "ostd/test.h"
#include "ostd/vm_space.h"

#include "../../core/mm/vm_space_internal.h"
#include "../lib/pt_test_util.h"

#if CONFIG_ARCH_HOST
#include "ostd/host/sim.h"
#endif

#define P PAGE_SIZE
/* User addresses inside every format's user half (Sv39's is 256 GiB). */
#define UBASE (1ULL << 30)
/* A device page range, outside every machine's RAM. */
#define IO_PA 0xfe000000ULL

static const struct pt_prop prop_rw = {
	.flags = PROT_R | PROT_W,
	.cache = PT_CACHE_WRITEBACK,
};

static const struct pt_prop prop_ro = {
	.flags = PROT_R,
	.cache = PT_CACHE_WRITEBACK,
};

/* ---------------------------------------------------------------------
 * The host's simulated CPU.
 * --------------------------------------------------------------------- */

#if CONFIG_ARCH_HOST
/*
 * A space destroyed while current leaves this CPU on the test's kernel
 * table, which the test destroys too: leave the simulated CPU with no
 * root, as it booted, so that no later test translates through freed
 * frames (or, worse, finds a new space "current" because its root reuses
 * the freed frame).
 */
static void cpu_forget_root(void)
{
	struct sim_cpu *cpu = sim_cpu_current();

	sim_cpu_set_root(cpu, NULL, pa_init(0), 0);
	sim_tlb_flush_all(cpu, true);
}

/* True if this CPU's TLB translates into the page at @p pa. */
static bool tlb_caches(paddr_t pa)
{
	return sim_tlb_caches_pa(sim_cpu_current(), pa, PAGE_SIZE);
}
#else
static void cpu_forget_root(void)
{
}

static bool tlb_caches(paddr_t pa)
{
	(void)pa;
	return false;
}
#endif

/* ---------------------------------------------------------------------
 * The fixture: a kernel table and up to two spaces on it.
 * --------------------------------------------------------------------- */

static struct {
	struct page_table kpt_store;
	struct page_table *kpt; /* kpt_store, or the kernel's own. */
	bool kpt_ok;
	bool kpt_owned;
	struct vm_space *vs; /* Handles. */
	bool vs_ok;
	struct vm_space *vs2;
	bool vs2_ok;
	/* Frames of layout(), by page (pa 0: none). */
	paddr_t pa[4];
} fx;

static struct vm_space_cursor hcur;

/* Spaces exist for user formats only (kernel runs pass at once). */
static bool user_format(const struct pt_config *cfg)
{
	return cfg->top_level_can_unmap;
}

static ostd_err_t fx_kernel(const struct pt_config *cfg)
{
	const struct pt_config *kcfg = pt_test_kernel_twin(cfg);

	memset(&fx, 0, sizeof(fx));
	if (kcfg == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = pt_test_kernel_parent(kcfg, &fx.kpt_store, &fx.kpt,
					       &fx.kpt_owned);

	fx.kpt_ok = err == OSTD_OK;
	return err;
}

static ostd_err_t fx_space(struct vm_space **vs, bool *ok, bool shared)
{
	ostd_err_t err = vm_space_new(vs, fx.kpt, shared);

	*ok = err == OSTD_OK;
	return err;
}

/* The kernel table and fx.vs. */
static ostd_err_t fx_setup(const struct pt_config *cfg, bool shared)
{
	ostd_err_t err = fx_kernel(cfg);

	return err != OSTD_OK ? err : fx_space(&fx.vs, &fx.vs_ok, shared);
}

/* The kernel table and fx.vs, installed on this CPU. */
static ostd_err_t fx_setup_active(const struct pt_config *cfg, bool shared)
{
	ostd_err_t err = fx_setup(cfg, shared);

	return err != OSTD_OK ? err : vm_space_activate(fx.vs);
}

static void space_teardown(struct vm_space *vs, bool *ok)
{
	if (!*ok) {
		return;
	}
	*ok = false;
	if (vm_space_is_destroyed(vs)) {
		return;
	}
	if (vm_space_destroy(vs) != OSTD_OK) {
		/*
		 * A failed test left a token active: empty the owner by
		 * force, so that the failure does not leak into later tests.
		 */
		vm_space_test_dispose_all(vs);
		(void)vm_space_destroy(vs);
	}
}

static void fx_teardown(void)
{
	space_teardown(fx.vs2, &fx.vs2_ok);
	space_teardown(fx.vs, &fx.vs_ok);
	if (fx.kpt_ok) {
		cpu_forget_root();
		pt_test_kernel_parent_release(fx.kpt, fx.kpt_owned);
		fx.kpt_ok = false;
	}
	pt_rcu_barrier();
}

/* ---------------------------------------------------------------------
 * Mapping and memory helpers.
 * --------------------------------------------------------------------- */

static ostd_err_t map_frame_at(struct vm_space *vs, uint64_t va, paddr_t pa,
			       struct pt_prop prop)
{
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + P, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_map_frame(&hcur, pa, prop);
	vm_space_cursor_drop(&hcur);
	return err;
}

/*
 * Maps a new zeroed frame at @p va; the mapping holds its only reference.
 * *pa (may be NULL) gets the frame.
 */
static ostd_err_t map_new(struct vm_space *vs, uint64_t va, struct pt_prop prop,
			  paddr_t *pa)
{
	struct frame f;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err != OSTD_OK) {
		return err;
	}
	err = map_frame_at(vs, va, f.pa, prop);
	if (pa != NULL) {
		*pa = f.pa;
	}
	frame_drop(&f);
	return err;
}

static ostd_err_t unmap_at(struct vm_space *vs, uint64_t va, uint64_t len)
{
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + len, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_cursor_unmap(&hcur, len, NULL);
	vm_space_cursor_drop(&hcur);
	return err;
}

static ostd_err_t query_at(struct vm_space *vs, uint64_t va, struct pt_query *q)
{
	ostd_err_t err = vm_space_cursor(vs, va, va + P, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_cursor_query(&hcur, q);
	vm_space_cursor_drop(&hcur);
	return err;
}

static bool nothing_mapped_at(struct vm_space *vs, uint64_t va)
{
	struct pt_query q;

	return query_at(vs, va, &q) == OSTD_OK && q.item.kind == PT_ITEM_NONE;
}

/* The byte every test expects at user address @p va (any page). */
static uint8_t pat(uint64_t va)
{
	return (uint8_t)(va * 13 + (va >> 12) * 101 + 7);
}

static uint8_t *frame_bytes(paddr_t pa)
{
	return arch_paddr_to_ptr(pa);
}

/* Fills the frame at @p pa as the page at user address @p page_va. */
static void fill_page(paddr_t pa, uint64_t page_va)
{
	uint8_t *p = frame_bytes(pa);

	for (uint64_t i = 0; i < P; i++) {
		p[i] = pat(page_va + i);
	}
}

/* True if @p buf holds the pattern of user range [va, va + n). */
static bool is_pat(const uint8_t *buf, uint64_t va, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (buf[i] != pat(va + i)) {
			return false;
		}
	}
	return true;
}

static bool all_bytes(const void *p, uint64_t n, uint8_t b)
{
	const uint8_t *q = p;

	for (uint64_t i = 0; i < n; i++) {
		if (q[i] != b) {
			return false;
		}
	}
	return true;
}

/*
 * The copy tests' layout of fx.vs from UBASE, every mapped page filled
 * with pat():
 *   page 0: read-write   page 1: unmapped
 *   page 2: read-write   page 3: read-only
 */
static ostd_err_t layout(void)
{
	static const int kind[4] = { 1, 0, 1, 2 }; /* 0 none, 1 RW, 2 RO */

	for (unsigned int i = 0; i < 4; i++) {
		uint64_t va = UBASE + i * P;

		fx.pa[i] = pa_init(0);
		if (kind[i] == 0) {
			continue;
		}
		ostd_err_t err = map_new(
			fx.vs, va, kind[i] == 1 ? prop_rw : prop_ro, &fx.pa[i]);

		if (err != OSTD_OK) {
			return err;
		}
		fill_page(fx.pa[i], va);
	}
	return OSTD_OK;
}

/* The kernel table and fx.vs with layout(), installed on this CPU. */
static ostd_err_t fx_setup_layout(const struct pt_config *cfg, bool shared)
{
	ostd_err_t err = fx_setup(cfg, shared);

	err = err != OSTD_OK ? err : layout();
	return err != OSTD_OK ? err : vm_space_activate(fx.vs);
}

/* The kernel pointer to user address @p va of layout(). */
static uint8_t *layout_ptr(uint64_t va)
{
	return frame_bytes(fx.pa[(va - UBASE) / P]) + (va & (P - 1));
}

/* ---------------------------------------------------------------------
 * Readers and writers by kind, and the owner state they must not touch.
 * --------------------------------------------------------------------- */

struct io {
	enum vm_io_kind kind;
	struct vm_user_reader r;
	struct vm_user_writer w;
	struct vm_io_owner tok;
};

static ostd_err_t io_create(struct vm_space *vs, struct io *io,
			    enum vm_io_kind kind, uint64_t va, uint64_t len)
{
	io->kind = kind;
	if (kind == VM_IO_READER) {
		return vm_space_create_reader(vs, va, len, &io->r, &io->tok);
	}
	return vm_space_create_writer(vs, va, len, &io->w, &io->tok);
}

static ostd_err_t io_activate(struct vm_space *vs, struct io *io)
{
	return io->kind == VM_IO_READER
		       ? vm_space_activate_reader(vs, &io->tok)
		       : vm_space_activate_writer(vs, &io->tok);
}

static ostd_err_t io_dispose(struct vm_space *vs, struct io *io)
{
	return io->kind == VM_IO_READER ? vm_space_dispose_reader(vs, &io->tok)
					: vm_space_dispose_writer(vs, &io->tok);
}

static ostd_err_t io_remove(struct vm_space *vs, struct io *io)
{
	return io->kind == VM_IO_READER ? vm_space_remove_reader(vs, &io->tok)
					: vm_space_remove_writer(vs, &io->tok);
}

/* Creates and activates. */
static ostd_err_t io_open(struct vm_space *vs, struct io *io,
			  enum vm_io_kind kind, uint64_t va, uint64_t len)
{
	ostd_err_t err = io_create(vs, io, kind, va, len);

	return err != OSTD_OK ? err : io_activate(vs, io);
}

/* Disposes and removes. */
static ostd_err_t io_close(struct vm_space *vs, struct io *io)
{
	ostd_err_t err = io_dispose(vs, io);

	return err != OSTD_OK ? err : io_remove(vs, io);
}

/* Copies one byte through the reader or writer, from or to the kernel. */
static ostd_err_t io_use(struct io *io, uint64_t *done)
{
	static uint8_t byte;

	if (io->kind == VM_IO_READER) {
		struct vm_writer k = vm_writer_from_kernel(&byte, 1);

		return vm_reader_read(&io->r, &k, done);
	}
	struct vm_reader k = vm_reader_from_kernel(&byte, 1);

	return vm_reader_read(&k, &io->w, done);
}

struct owner_snap {
	struct vm_space_owner owner;
	struct vm_io_slot tokens[VM_SPACE_MAX_TOKENS];
	uint64_t id;
	uint64_t next_token;
	bool destroyed;
};

/* The framework's side of a space (tests only read it). */
#define VS(h) vm_space_checked(h)

static void snap_take(struct vm_space *vs, struct owner_snap *s)
{
	const struct vm_space *slot = VS(vs);

	s->owner = slot->owner;
	memcpy(s->tokens, slot->tokens, sizeof(s->tokens));
	s->id = slot->id;
	s->next_token = slot->next_token;
	s->destroyed = slot->destroyed;
}

/* The space's owner state is as snap_take() saw it, and sound. */
static bool snap_same(struct vm_space *vs, const struct owner_snap *s)
{
	const struct vm_space *slot = VS(vs);
	const struct vm_space_owner *o = &slot->owner;
	const struct vm_space_owner *p = &s->owner;

	return o->active == p->active && o->shared_reader == p->shared_reader &&
	       o->active_tokens == p->active_tokens &&
	       o->reader_count == p->reader_count &&
	       o->writer_count == p->writer_count &&
	       memcmp(slot->tokens, s->tokens, sizeof(s->tokens)) == 0 &&
	       slot->id == s->id && slot->next_token == s->next_token &&
	       slot->destroyed == s->destroyed && vm_space_owner_inv(vs);
}

#define POISON 0xa5

/*
 * Creates a reader or writer with poisoned outputs. *unchanged: the owner
 * state and the outputs are as they were. A success is undone (the token
 * is removed) and reported.
 */
static ostd_err_t create_checked(struct vm_space *vs, enum vm_io_kind kind,
				 uint64_t va, uint64_t len, bool *unchanged)
{
	static struct io probe;
	static struct owner_snap before;

	snap_take(vs, &before);
	memset(&probe, POISON, sizeof(probe));
	probe.kind = kind;
	ostd_err_t err = kind == VM_IO_READER
				 ? vm_space_create_reader(vs, va, len, &probe.r,
							  &probe.tok)
				 : vm_space_create_writer(vs, va, len, &probe.w,
							  &probe.tok);

	*unchanged = snap_same(vs, &before) &&
		     all_bytes(&probe.r, sizeof(probe.r), POISON) &&
		     all_bytes(&probe.w, sizeof(probe.w), POISON) &&
		     all_bytes(&probe.tok, sizeof(probe.tok), POISON);
	if (err == OSTD_OK) {
		(void)io_remove(vs, &probe);
	}
	return err;
}

/* For the helpers: fail with the line, after printing it. */
#define EXPECT(cond)                                                     \
	do {                                                             \
		if (!(cond)) {                                           \
			ostd_printf("vm_space_test.c:%d: expected %s\n", \
				    __LINE__, #cond);                    \
			line = __LINE__;                                 \
			goto out;                                        \
		}                                                        \
	} while (0)

/* A create that must fail with @p want and change nothing. */
#define EXPECT_REFUSED(vs, kind, va, len, want)                             \
	do {                                                                \
		bool same_ = false;                                         \
		EXPECT(create_checked((vs), (kind), (va), (len), &same_) == \
		       (want));                                             \
		EXPECT(same_);                                              \
	} while (0)

/* A create that must succeed (the token is removed again). */
#define EXPECT_ALLOWED(vs, kind, va, len)                                   \
	do {                                                                \
		bool same_ = false;                                         \
		EXPECT(create_checked((vs), (kind), (va), (len), &same_) == \
		       OSTD_OK);                                            \
	} while (0)

typedef int (*requires_fn)(const struct pt_config *cfg, enum vm_io_kind kind,
			   bool shared);

/* Where a both_modes() body runs. */
enum where {
	EVERYWHERE,
	NEEDS_ACTIVE, /* It needs a space installed on this CPU. */
};

/* Runs @p fn with shared_reader off, then on; 0 or the failed line. */
static int both_modes(requires_fn fn, const struct pt_config *cfg,
		      enum vm_io_kind kind, enum where where)
{
	if (!user_format(cfg) ||
	    (where == NEEDS_ACTIVE && !IS_ENABLED(CONFIG_ARCH_USER_SPACES))) {
		return 0;
	}
	int line = fn(cfg, kind, false);

	return line != 0 ? line : fn(cfg, kind, true);
}

/* The reader and the writer test of one both_modes() body. */
#define TEST_READER_WRITER(reader_test, writer_test, fn, where)         \
	TEST_FORMAT(vm_space, reader_test)                              \
	{                                                               \
		ASSERT_EQ(both_modes(fn, cfg, VM_IO_READER, where), 0); \
	}                                                               \
	TEST_FORMAT(vm_space, writer_test)                              \
	{                                                               \
		ASSERT_EQ(both_modes(fn, cfg, VM_IO_WRITER, where), 0); \
	}

static struct io io_a;
static struct io io_b;
static struct io io_c;

/* ---------------------------------------------------------------------
 * One test per `requires` clause of create_reader / create_writer, in the
 * order the header checks them.
 * --------------------------------------------------------------------- */

/* requires: the space is not destroyed. */
static int requires_live_space(const struct pt_config *cfg,
			       enum vm_io_kind kind, bool shared)
{
	int line = 0;

	EXPECT(fx_setup(cfg, shared) == OSTD_OK);
	EXPECT(vm_space_destroy(fx.vs) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_EBADSTATE);
	/* Even arguments that break every later clause. */
	EXPECT_REFUSED(fx.vs, kind, 0, 0, OSTD_EBADSTATE);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_live_space, writer_requires_live_space,
		   requires_live_space, EVERYWHERE)

/* requires owner.active. */
static int requires_active(const struct pt_config *cfg, enum vm_io_kind kind,
			   bool shared)
{
	int line = 0;

	EXPECT(fx_setup(cfg, shared) == OSTD_OK);
	/*
	 * Deactivation is owner state (vostd VmSpaceOwner::active): no call
	 * clears it yet, so the test sets the owner's flag itself.
	 */
	vm_space_test_set_owner_active(fx.vs, false);
	EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_EINACTIVE);
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		goto out; /* The rest needs activation. */
	}
	/* Installed on this CPU, the space is refused for the flag alone. */
	EXPECT(vm_space_activate(fx.vs) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_EINACTIVE);
	vm_space_test_set_owner_active(fx.vs, true);
	EXPECT_ALLOWED(fx.vs, kind, UBASE, P);
out:
	vm_space_test_set_owner_active(fx.vs, true);
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_active, writer_requires_active,
		   requires_active, EVERYWHERE)

/* requires: this CPU's page table is this space's. */
static int requires_current_space(const struct pt_config *cfg,
				  enum vm_io_kind kind, bool shared)
{
	int line = 0;

	EXPECT(fx_setup(cfg, shared) == OSTD_OK);
	EXPECT(!vm_space_is_current(fx.vs));
	EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_ENOTCURRENT);
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		goto out; /* The rest needs activation. */
	}
	EXPECT(fx_space(&fx.vs2, &fx.vs2_ok, shared) == OSTD_OK);
	EXPECT(vm_space_activate(fx.vs2) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, UBASE, P, OSTD_ENOTCURRENT);
	EXPECT(vm_space_activate(fx.vs) == OSTD_OK);
	EXPECT_ALLOWED(fx.vs, kind, UBASE, P);
	EXPECT_REFUSED(fx.vs2, kind, UBASE, P, OSTD_ENOTCURRENT);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_current_space, writer_requires_current_space,
		   requires_current_space, EVERYWHERE)

/* requires vaddr != 0. */
static int requires_nonzero_vaddr(const struct pt_config *cfg,
				  enum vm_io_kind kind, bool shared)
{
	int line = 0;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, 0, 1, OSTD_EINVAL);
	EXPECT_REFUSED(fx.vs, kind, 0, P, OSTD_EINVAL);
	EXPECT_ALLOWED(fx.vs, kind, 1, 1);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_nonzero_vaddr, writer_requires_nonzero_vaddr,
		   requires_nonzero_vaddr, NEEDS_ACTIVE)

/* requires len > 0 (TESTING.md row 28, pinned: OSTD_EINVAL). */
static int requires_nonzero_len(const struct pt_config *cfg,
				enum vm_io_kind kind, bool shared)
{
	int line = 0;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, UBASE, 0, OSTD_EINVAL);
	/* The length is checked before the range. */
	EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR, 0, OSTD_EINVAL);
	EXPECT_ALLOWED(fx.vs, kind, UBASE, 1);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_nonzero_len, writer_requires_nonzero_len,
		   requires_nonzero_len, NEEDS_ACTIVE)

/* requires vaddr + len does not wrap (TESTING.md row 24). */
static int requires_no_overflow(const struct pt_config *cfg,
				enum vm_io_kind kind, bool shared)
{
	int line = 0;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, UINT64_MAX, 1, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, UINT64_MAX - P + 1, 2 * P, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, UBASE, UINT64_MAX, OSTD_ERANGE);
	/* va + len == 2^64 exactly: 0 after the wrap. */
	EXPECT_REFUSED(fx.vs, kind, UBASE, 0 - UBASE, OSTD_ERANGE);
	/* Wraps to just inside user space. */
	EXPECT_REFUSED(fx.vs, kind, UBASE, 0 - UBASE + P, OSTD_ERANGE);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_no_overflow, writer_requires_no_overflow,
		   requires_no_overflow, NEEDS_ACTIVE)

/* requires vaddr + len <= MAX_USER_VADDR (TESTING.md row 25). */
static int requires_below_max(const struct pt_config *cfg, enum vm_io_kind kind,
			      bool shared)
{
	int line = 0;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	/* va + len == MAX_USER_VADDR + 1. */
	EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - P, P + 1, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - 1, 2, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR, 1, OSTD_ERANGE);
	EXPECT_ALLOWED(fx.vs, kind, MAX_USER_VADDR - P, P);
	EXPECT_ALLOWED(fx.vs, kind, MAX_USER_VADDR - 1, 1);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_below_max_user_vaddr,
		   writer_requires_below_max_user_vaddr, requires_below_max,
		   NEEDS_ACTIVE)

/* requires the range to be user space (TESTING.md row 26). */
static int requires_user_address(const struct pt_config *cfg,
				 enum vm_io_kind kind, bool shared)
{
	int line = 0;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	/* The kernel half of this format. */
	EXPECT_REFUSED(fx.vs, kind, fx.kpt->va_start, P, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, fx.kpt->va_start + UBASE, 8, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, fx.kpt->va_last - 7, 8, OSTD_ERANGE);
	/* The non-canonical hole above user space. */
	EXPECT_REFUSED(fx.vs, kind, 1ULL << 47, 1, OSTD_ERANGE);
	EXPECT_REFUSED(fx.vs, kind, 1ULL << 62, P, OSTD_ERANGE);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_user_address, writer_requires_user_address,
		   requires_user_address, NEEDS_ACTIVE)

/*
 * requires can_create_reader / can_create_writer: no active writer
 * overlaps, whatever shared_reader says.
 */
static int requires_no_writer_overlap(const struct pt_config *cfg,
				      enum vm_io_kind kind, bool shared)
{
	int line = 0;

	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return 0; /* The overlap checks are compiled out by design. */
	}
	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT(io_open(fx.vs, &io_a, VM_IO_WRITER, UBASE + P, 2 * P) ==
	       OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, UBASE, P + 1, OSTD_EBUSY);
	EXPECT_REFUSED(fx.vs, kind, UBASE + 2 * P, 1, OSTD_EBUSY);
	EXPECT_REFUSED(fx.vs, kind, UBASE + 3 * P - 1, 1, OSTD_EBUSY);
	EXPECT_REFUSED(fx.vs, kind, UBASE, 4 * P, OSTD_EBUSY);
	EXPECT_REFUSED(fx.vs, kind, UBASE + P, 2 * P, OSTD_EBUSY);
	/* Touching is not overlapping. */
	EXPECT_ALLOWED(fx.vs, kind, UBASE, P);
	EXPECT_ALLOWED(fx.vs, kind, UBASE + 3 * P, P);
	/* A created (not active) writer holds nothing. */
	EXPECT(io_create(fx.vs, &io_b, VM_IO_WRITER, UBASE + 8 * P, P) ==
	       OSTD_OK);
	EXPECT_ALLOWED(fx.vs, kind, UBASE + 8 * P, P);
	EXPECT(io_remove(fx.vs, &io_b) == OSTD_OK);
	/* Once disposed, the writer's range is free again. */
	EXPECT(io_dispose(fx.vs, &io_a) == OSTD_OK);
	EXPECT_ALLOWED(fx.vs, kind, UBASE + P, 2 * P);
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_OK);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_no_writer_overlap,
		   writer_requires_no_writer_overlap,
		   requires_no_writer_overlap, NEEDS_ACTIVE)

/*
 * requires can_create_*: an active reader blocks a writer always, and a
 * reader unless shared_reader (reader ∩ reader is the one overlap that
 * may be allowed).
 */
static int requires_no_reader_overlap(const struct pt_config *cfg,
				      enum vm_io_kind kind, bool shared)
{
	int line = 0;

	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return 0; /* The overlap checks are compiled out by design. */
	}
	bool allowed = kind == VM_IO_READER && shared;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P, 2 * P) ==
	       OSTD_OK);
	if (allowed) {
		EXPECT_ALLOWED(fx.vs, kind, UBASE, P + 1);
		EXPECT_ALLOWED(fx.vs, kind, UBASE + P, 2 * P);
		/* Both can be active at once, and the invariant holds. */
		EXPECT(io_open(fx.vs, &io_b, kind, UBASE, 4 * P) == OSTD_OK);
		EXPECT(VS(fx.vs)->owner.reader_count == 2);
		EXPECT(vm_space_owner_inv(fx.vs));
		/* A writer still may not overlap either of them. */
		EXPECT_REFUSED(fx.vs, VM_IO_WRITER, UBASE, 1, OSTD_EBUSY);
		EXPECT(io_close(fx.vs, &io_b) == OSTD_OK);
	} else {
		EXPECT_REFUSED(fx.vs, kind, UBASE, P + 1, OSTD_EBUSY);
		EXPECT_REFUSED(fx.vs, kind, UBASE + 2 * P, 1, OSTD_EBUSY);
		EXPECT_REFUSED(fx.vs, kind, UBASE + 3 * P - 1, 1, OSTD_EBUSY);
		EXPECT_REFUSED(fx.vs, kind, UBASE + P, 2 * P, OSTD_EBUSY);
	}
	EXPECT_ALLOWED(fx.vs, kind, UBASE, P);
	EXPECT_ALLOWED(fx.vs, kind, UBASE + 3 * P, P);
	EXPECT(io_dispose(fx.vs, &io_a) == OSTD_OK);
	EXPECT_ALLOWED(fx.vs, kind, UBASE + P, 2 * P);
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_OK);
out:
	fx_teardown();
	return line;
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

static int requires_registry_room(const struct pt_config *cfg,
				  enum vm_io_kind kind, bool shared)
{
	int line = 0;
	unsigned int opened = 0;

	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return 0; /* No registry, no limit. */
	}
	if (kind == VM_IO_READER && !shared) {
		return 0; /* 32 readers need shared_reader to coexist. */
	}
	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	uint64_t step = kind == VM_IO_READER ? 0 : P;

	/* One extra token created while there was room. */
	EXPECT(io_create(fx.vs, &io_many[VM_SPACE_MAX_IO], kind,
			 UBASE + VM_SPACE_MAX_IO * step, P) == OSTD_OK);
	for (; opened < VM_SPACE_MAX_IO; opened++) {
		EXPECT(io_open(fx.vs, &io_many[opened], kind,
			       UBASE + opened * step, P) == OSTD_OK);
	}
	EXPECT_REFUSED(fx.vs, kind, UBASE + (VM_SPACE_MAX_IO + 1) * step, P,
		       OSTD_ENOMEM);
	EXPECT(io_activate(fx.vs, &io_many[VM_SPACE_MAX_IO]) == OSTD_ENOMEM);
	EXPECT(vm_space_io_state(fx.vs, &io_many[VM_SPACE_MAX_IO].tok) ==
	       VM_IO_CREATED);
	EXPECT(io_remove(fx.vs, &io_many[VM_SPACE_MAX_IO]) == OSTD_OK);
out:
	for (unsigned int i = 0; i < opened; i++) {
		(void)io_close(fx.vs, &io_many[i]);
	}
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_registry_room, writer_requires_registry_room,
		   requires_registry_room, NEEDS_ACTIVE)

/*
 * When one call breaks several clauses, the first in the header's order
 * decides the error.
 */
static int requires_in_order(const struct pt_config *cfg, enum vm_io_kind kind,
			     bool shared)
{
	int line = 0;

	EXPECT(fx_setup(cfg, shared) == OSTD_OK);
	EXPECT(fx_space(&fx.vs2, &fx.vs2_ok, shared) == OSTD_OK);
	/* Inactive and not current, with a zero length: the flag first. */
	vm_space_test_set_owner_active(fx.vs, false);
	EXPECT(vm_space_activate(fx.vs2) == OSTD_OK);
	EXPECT_REFUSED(fx.vs, kind, 0, 0, OSTD_EINACTIVE);
	vm_space_test_set_owner_active(fx.vs, true);
	/* Not current, zero length: not current. */
	EXPECT_REFUSED(fx.vs, kind, UBASE, 0, OSTD_ENOTCURRENT);
	EXPECT(vm_space_activate(fx.vs) == OSTD_OK);
	/* Zero address and a range past user space: the zero. */
	EXPECT_REFUSED(fx.vs, kind, 0, UINT64_MAX, OSTD_EINVAL);
	if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		/* Outside user space and conflicting: the range. */
		EXPECT(io_open(fx.vs, &io_a, VM_IO_WRITER, MAX_USER_VADDR - P,
			       P) == OSTD_OK);
		EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - P, 2 * P,
			       OSTD_ERANGE);
		EXPECT_REFUSED(fx.vs, kind, MAX_USER_VADDR - P, P, OSTD_EBUSY);
		EXPECT(io_close(fx.vs, &io_a) == OSTD_OK);
	}
	/* Destroyed beats everything. */
	EXPECT(vm_space_destroy(fx.vs) == OSTD_OK);
	vm_space_test_set_owner_active(fx.vs, false);
	EXPECT_REFUSED(fx.vs, kind, 0, 0, OSTD_EBADSTATE);
out:
	vm_space_test_set_owner_active(fx.vs, true);
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_requires_checked_in_order,
		   writer_requires_checked_in_order, requires_in_order,
		   NEEDS_ACTIVE)

/*
 * ensures of create: the registry is unchanged (the token is not active
 * yet), the token records the space, generation, kind and range, token
 * numbers grow, and the reader or writer covers exactly the range.
 */
static int create_ensures(const struct pt_config *cfg, enum vm_io_kind kind,
			  bool shared)
{
	int line = 0;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT(io_create(fx.vs, &io_a, kind, UBASE + 5, 3 * P) == OSTD_OK);
	EXPECT(io_create(fx.vs, &io_b, kind, UBASE + 5, 3 * P) == OSTD_OK);
	EXPECT(VS(fx.vs)->owner.reader_count == 0 &&
	       VS(fx.vs)->owner.writer_count == 0);
	EXPECT(VS(fx.vs)->owner.active_tokens == 0);
	const struct vm_io_owner *t = &io_a.tok;

	/* The handle names a slot that holds the kind, state and range. */
	EXPECT(t->space_id == VS(fx.vs)->id && t->slot < VM_SPACE_MAX_TOKENS);
	const struct vm_io_slot *slot = &VS(fx.vs)->tokens[t->slot];

	EXPECT(slot->id == t->id && slot->kind == kind &&
	       slot->state == VM_IO_CREATED);
	EXPECT(vm_space_io_state(fx.vs, t) == VM_IO_CREATED);
	EXPECT(slot->va == UBASE + 5 && slot->len == 3 * P);
	EXPECT(io_b.tok.id > t->id);
	if (kind == VM_IO_READER) {
		EXPECT(io_a.r.cursor == UBASE + 5);
		EXPECT(vm_reader_remain(&io_a.r) == 3 * P);
		EXPECT(io_a.r.space == fx.vs &&
		       vm_io_owner_eq(&io_a.r.owner, &io_a.tok));
	} else {
		EXPECT(io_a.w.cursor == UBASE + 5);
		EXPECT(vm_writer_avail(&io_a.w) == 3 * P);
		EXPECT(io_a.w.space == fx.vs &&
		       vm_io_owner_eq(&io_a.w.owner, &io_a.tok));
	}
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_OK);
	EXPECT(io_remove(fx.vs, &io_b) == OSTD_OK);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_create_ensures, writer_create_ensures, create_ensures,
		   NEEDS_ACTIVE)

/*
 * Activation repeats can_create: a token created while its range was
 * free is refused (OSTD_EBUSY) once a conflicting token is active, and
 * stays created.
 */
static int activate_rechecks(const struct pt_config *cfg, enum vm_io_kind kind,
			     bool shared)
{
	int line = 0;

	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return 0; /* Activation rechecks only the registry. */
	}
	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT(io_create(fx.vs, &io_a, kind, UBASE, 2 * P) == OSTD_OK);
	EXPECT(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + P, P) == OSTD_OK);
	static struct owner_snap before;

	snap_take(fx.vs, &before);
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_EBUSY);
	EXPECT(snap_same(fx.vs, &before));
	EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_CREATED);
	EXPECT(io_close(fx.vs, &io_b) == OSTD_OK);
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_OK);
	EXPECT(io_close(fx.vs, &io_a) == OSTD_OK);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_activate_rechecks_registry,
		   writer_activate_rechecks_registry, activate_rechecks,
		   NEEDS_ACTIVE)

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
	ASSERT_EQ(vm_space_map_frame(&hcur, VS(fx.vs)->pt.root, prop_rw),
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
	bool reachable = VS(fx.vs)->pt.va_last >= MAX_USER_VADDR - 1;

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

static uint8_t kbuf[3 * PAGE_SIZE];

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
	ASSERT_EQ(VS(fx.vs)->owner.reader_count + VS(fx.vs)->owner.writer_count,
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
	ASSERT_EQ(VS(fx.vs)->owner.reader_count + VS(fx.vs)->owner.writer_count,
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
	ASSERT_EQ(vm_space_destroy(fx.vs), OSTD_OK);
	ASSERT_TRUE(VS(fx.vs)->destroyed);
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
	 * Pinned: retiring a token of a destroyed space is allowed (it
	 * holds nothing); see the contract question in the report.
	 */
	ASSERT_EQ(io_remove(fx.vs, &io_c), OSTD_OK);

	/* A new life of the same object: the old tokens stay stale. */
	ASSERT_EQ(fx_space(&fx.vs, &fx.vs_ok, false), OSTD_OK);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	ASSERT_EQ(io_activate(fx.vs, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_dispose(fx.vs, &io_b), OSTD_EBADSTATE);
	ASSERT_EQ(io_remove(fx.vs, &io_a), OSTD_EBADSTATE);
	ASSERT_EQ(io_use(&io_a, &copied), OSTD_EBADSTATE);
	ASSERT_EQ(VS(fx.vs)->owner.active_tokens, 0);
	ASSERT_TRUE(vm_space_owner_inv(fx.vs));
	fx_teardown();
}

/*
 * Row 33 (user RIP >= 2^47 or a non-canonical entry point, forced through
 * IRET: CVE-2012-0217) belongs to x86_64 user-mode entry, which does not
 * exist yet: not applicable to VmSpace, it joins the user-mode tests.
 */

/* ---------------------------------------------------------------------
 * Token life cycle.
 * --------------------------------------------------------------------- */

/*
 * create -> activate -> use -> dispose -> activate -> dispose -> remove;
 * after remove, activate, dispose, remove and use are refused; a token is
 * only good for its own kind.
 */
static int token_lifecycle(const struct pt_config *cfg, enum vm_io_kind kind,
			   bool shared)
{
	int line = 0;
	uint64_t done = 0;
	unsigned int *count = NULL;

	EXPECT(fx_setup_layout(cfg, shared) == OSTD_OK);
	/* Active tokens are counted by kind, with or without the registry. */
	count = kind == VM_IO_READER ? &VS(fx.vs)->owner.reader_count
				     : &VS(fx.vs)->owner.writer_count;
	uint64_t va = UBASE + 2 * P;

	EXPECT(io_create(fx.vs, &io_a, kind, va, 64) == OSTD_OK);
	EXPECT(io_use(&io_a, &done) == OSTD_EBADSTATE && done == 0);
	EXPECT(io_dispose(fx.vs, &io_a) == OSTD_EBADSTATE);
	/* The wrong kind's calls refuse it. */
	io_a.kind = kind == VM_IO_READER ? VM_IO_WRITER : VM_IO_READER;
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_EBADSTATE);
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_EBADSTATE);
	io_a.kind = kind;

	for (int round = 0; round < 2; round++) {
		EXPECT(io_activate(fx.vs, &io_a) == OSTD_OK);
		EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_ACTIVE);
		EXPECT(VS(fx.vs)->owner.active_tokens == 1);
		EXPECT(*count == 1U);
		EXPECT(io_activate(fx.vs, &io_a) == OSTD_EBADSTATE);
		EXPECT(io_remove(fx.vs, &io_a) == OSTD_EBADSTATE);
		EXPECT(io_use(&io_a, &done) == OSTD_OK && done == 1);
		EXPECT(io_dispose(fx.vs, &io_a) == OSTD_OK);
		EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_DISPOSED);
		EXPECT(VS(fx.vs)->owner.active_tokens == 0 && *count == 0);
		EXPECT(io_dispose(fx.vs, &io_a) == OSTD_EBADSTATE);
		EXPECT(io_use(&io_a, &done) == OSTD_EBADSTATE && done == 0);
	}
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_OK);
	EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_REMOVED);
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_EBADSTATE);
	EXPECT(io_dispose(fx.vs, &io_a) == OSTD_EBADSTATE);
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_EBADSTATE);
	EXPECT(io_use(&io_a, &done) == OSTD_EBADSTATE && done == 0);
	/* Two bytes were used, one per round. */
	if (kind == VM_IO_READER) {
		EXPECT(io_a.r.cursor == va + 2);
	} else {
		EXPECT(io_a.w.cursor == va + 2);
	}
	EXPECT(vm_space_owner_inv(fx.vs));
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_token_lifecycle, writer_token_lifecycle,
		   token_lifecycle, NEEDS_ACTIVE)

/*
 * Probe (copied token): a token is a handle; the permission is the
 * registry's. A copy taken while the token was active is the same
 * permission: once the original is disposed the copy neither copies nor
 * disposes (the count does not go below zero), and once it is removed no
 * copy can activate it again. Holds with or without the registry.
 */
static int token_copy_refused(const struct pt_config *cfg, enum vm_io_kind kind,
			      bool shared)
{
	int line = 0;
	uint64_t done = 1;

	EXPECT(fx_setup_layout(cfg, shared) == OSTD_OK);
	EXPECT(io_open(fx.vs, &io_a, kind, UBASE, P) == OSTD_OK);
	io_b = io_a;
	EXPECT(io_use(&io_b, &done) == OSTD_OK && done == 1);
	EXPECT(io_dispose(fx.vs, &io_a) == OSTD_OK);
	static struct owner_snap before;

	snap_take(fx.vs, &before);
	EXPECT(vm_space_io_state(fx.vs, &io_b.tok) == VM_IO_DISPOSED);
	EXPECT(io_use(&io_b, &done) == OSTD_EBADSTATE && done == 0);
	EXPECT(io_dispose(fx.vs, &io_b) == OSTD_EBADSTATE);
	EXPECT(snap_same(fx.vs, &before));
	EXPECT(VS(fx.vs)->owner.active_tokens == 0);
	/* With another token active, the copy still cannot dispose it. */
	EXPECT(io_open(fx.vs, &io_c, kind, UBASE + 2 * P, P) == OSTD_OK);
	EXPECT(io_dispose(fx.vs, &io_b) == OSTD_EBADSTATE);
	EXPECT(VS(fx.vs)->owner.active_tokens == 1);
	EXPECT(io_close(fx.vs, &io_c) == OSTD_OK);
	/* Removed through the original: gone for the copy too (no revival). */
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_OK);
	snap_take(fx.vs, &before);
	EXPECT(vm_space_io_state(fx.vs, &io_b.tok) == VM_IO_REMOVED);
	EXPECT(io_activate(fx.vs, &io_b) == OSTD_EBADSTATE);
	EXPECT(io_remove(fx.vs, &io_b) == OSTD_EBADSTATE);
	EXPECT(io_use(&io_b, &done) == OSTD_EBADSTATE && done == 0);
	EXPECT(snap_same(fx.vs, &before));
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(reader_token_copy_refused_after_dispose,
		   writer_token_copy_refused_after_dispose, token_copy_refused,
		   NEEDS_ACTIVE)

/* Destroy with an active token: OSTD_EBUSY, and nothing changed. */
static int destroy_busy(const struct pt_config *cfg, enum vm_io_kind kind,
			bool shared)
{
	int line = 0;
	uint64_t done = 0;
	struct pt_query q;

	EXPECT(fx_setup_layout(cfg, shared) == OSTD_OK);
	EXPECT(io_open(fx.vs, &io_a, kind, UBASE + 2 * P, 64) == OSTD_OK);
	static struct owner_snap before;

	snap_take(fx.vs, &before);
	uint64_t in_use = frame_stats_in_use();

	EXPECT(vm_space_destroy(fx.vs) == OSTD_EBUSY);
	EXPECT(snap_same(fx.vs, &before));
	EXPECT(frame_stats_in_use() == in_use);
	EXPECT(vm_space_is_current(fx.vs));
	EXPECT(cpu_set_contains(&VS(fx.vs)->pt.active_cpus, arch_cpu_id()));
	EXPECT(query_at(fx.vs, UBASE + 2 * P, &q) == OSTD_OK);
	EXPECT(q.item.kind == PT_ITEM_FRAME &&
	       pa_addr(q.item.pa) == pa_addr(fx.pa[2]));
	EXPECT(frame_refcount(fx.pa[2]) == 1);
	EXPECT(io_use(&io_a, &done) == OSTD_OK && done == 1);
	EXPECT(io_close(fx.vs, &io_a) == OSTD_OK);
	EXPECT(vm_space_destroy(fx.vs) == OSTD_OK);
out:
	fx_teardown();
	return line;
}

TEST_READER_WRITER(destroy_with_active_reader_is_busy,
		   destroy_with_active_writer_is_busy, destroy_busy,
		   NEEDS_ACTIVE)

/* ---------------------------------------------------------------------
 * Copies.
 * --------------------------------------------------------------------- */

/* Kernel to kernel: infallible, min(remain, avail), everywhere. */
TEST(vm_space, copy_kernel_to_kernel)
{
	static uint8_t src[100];
	static uint8_t dst[60];
	uint64_t copied = 0;

	for (unsigned int i = 0; i < sizeof(src); i++) {
		src[i] = pat(i);
	}
	struct vm_reader r = vm_reader_from_kernel(src, sizeof(src));
	struct vm_writer w = vm_writer_from_kernel(dst, sizeof(dst));

	ASSERT_EQ(vm_reader_read(&r, &w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 60);
	ASSERT_EQ(vm_reader_remain(&r), 40);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	ASSERT_TRUE(is_pat(dst, 0, 60));
	/* Nothing left to write: a successful empty copy. */
	ASSERT_EQ(vm_reader_read(&r, &w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 0);
	ASSERT_EQ(vm_reader_remain(&r), 40);
}

/* User to kernel and kernel to user, across a page boundary. */
TEST_FORMAT(vm_space, copy_user_kernel_both_ways)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup(cfg, false), OSTD_OK);
	ASSERT_EQ(layout(), OSTD_OK);
	/* Page 1 mapped too: pages 0-2 read-write. */
	ASSERT_EQ(map_new(fx.vs, UBASE + P, prop_rw, &fx.pa[1]), OSTD_OK);
	fill_page(fx.pa[1], UBASE + P);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);

	/* User -> kernel: [UBASE + 100, + 2P - 200). */
	uint64_t len = 2 * P - 200;

	memset(kbuf, 0, sizeof(kbuf));
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 100, len),
		  OSTD_OK);
	struct vm_writer kw = vm_writer_from_kernel(kbuf, sizeof(kbuf));

	ASSERT_EQ(vm_reader_read(&io_a.r, &kw, &copied), OSTD_OK);
	ASSERT_EQ(copied, len);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 0);
	ASSERT_EQ(vm_writer_avail(&kw), sizeof(kbuf) - len);
	ASSERT_TRUE(is_pat(kbuf, UBASE + 100, len));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);

	/* Kernel -> user: [UBASE + 2P - 50, + 100), pages 1 and 2. */
	for (unsigned int i = 0; i < 100; i++) {
		kbuf[i] = (uint8_t)~pat(i);
	}
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P - 50, 100),
		  OSTD_OK);
	struct vm_reader kr = vm_reader_from_kernel(kbuf, 150);

	ASSERT_EQ(vm_reader_read(&kr, &io_b.w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 100);
	ASSERT_EQ(vm_reader_remain(&kr), 50);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 0);
	ASSERT_EQ(memcmp(frame_bytes(fx.pa[1]) + P - 50, kbuf, 50), 0);
	ASSERT_EQ(memcmp(frame_bytes(fx.pa[2]), kbuf + 50, 50), 0);
	ASSERT_TRUE(
		is_pat(frame_bytes(fx.pa[2]) + 50, UBASE + 2 * P + 50, P - 50));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* User to user within the current space, larger than the bounce buffer. */
TEST_FORMAT(vm_space, copy_user_to_user)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 10, 3000),
		  OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P + 20, 2000),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &io_b.w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 2000);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 1000);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 0);
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]) + 20, UBASE + 10, 2000));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]), UBASE + 2 * P, 20));
	ASSERT_TRUE(
		is_pat(frame_bytes(fx.pa[2]) + 2020, UBASE + 2 * P + 2020, 8));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * Partial copies stop at the first byte that faults, on either side,
 * with exact counts: kernel -> user across read-write -> read-only, user
 * -> user with the source running into an unmapped page (at a count that
 * is not a multiple of the bounce buffer), and with the destination
 * running into a read-only page.
 */
TEST_FORMAT(vm_space, copy_partial_exact_counts)
{
	uint64_t copied = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);

	/* Kernel -> user: 30 bytes of page 2, then page 3 (read-only). */
	memset(kbuf, 0xee, 100);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 3 * P - 30, 100),
		  OSTD_OK);
	struct vm_reader kr = vm_reader_from_kernel(kbuf, 100);

	ASSERT_EQ(vm_reader_read(&kr, &io_b.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 30);
	ASSERT_EQ(vm_reader_remain(&kr), 70);
	ASSERT_EQ(io_b.w.cursor, UBASE + 3 * P);
	ASSERT_TRUE(all_bytes(frame_bytes(fx.pa[2]) + P - 30, 30, 0xee));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, P));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);

	/* User -> user: the source has 1000 bytes before page 1. */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P - 1000, 2000),
		  OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P, 2000),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &io_b.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 1000);
	ASSERT_EQ(io_a.r.cursor, UBASE + P);
	ASSERT_EQ(io_b.w.cursor, UBASE + 2 * P + 1000);
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]), UBASE + P - 1000, 1000));
	/* Up to the 30 bytes the first copy wrote. */
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]) + 1000, UBASE + 2 * P + 1000,
			   P - 1030));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);

	/* User -> user: the destination has 300 bytes before page 3. */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 100, 1000),
		  OSTD_OK);
	ASSERT_EQ(
		io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 3 * P - 300, 1000),
		OSTD_OK);
	ASSERT_EQ(vm_reader_read(&io_a.r, &io_b.w, &copied), OSTD_EFAULT);
	ASSERT_EQ(copied, 300);
	ASSERT_EQ(io_a.r.cursor, UBASE + 400);
	ASSERT_EQ(io_b.w.cursor, UBASE + 3 * P);
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[2]) + P - 300, UBASE + 100, 300));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, P));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * read_val and write_val roll the cursor back on a fault. The bytes a
 * write_val stored before the fault stay stored (as in OSTD, where only
 * the cursor is rolled back): pinned.
 */
TEST_FORMAT(vm_space, read_val_write_val_rollback)
{
	uint64_t v = 0;
	uint32_t w = 0;
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff };

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	/* 4 bytes of page 0, then page 1 (unmapped). */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P - 8, 16),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &w, 4), OSTD_OK);
	ASSERT_TRUE(is_pat((const uint8_t *)&w, UBASE + P - 8, 4));
	ASSERT_EQ(io_a.r.cursor, UBASE + P - 4);
	ASSERT_EQ(vm_reader_read_val(&io_a.r, &v, 8), OSTD_EFAULT);
	ASSERT_EQ(io_a.r.cursor, UBASE + P - 4);
	ASSERT_EQ(vm_reader_remain(&io_a.r), 12);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);

	/* 4 bytes of page 2, then page 3 (read-only). */
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 3 * P - 8, 16),
		  OSTD_OK);
	w = 0x01020304;
	ASSERT_EQ(vm_writer_write_val(&io_b.w, &w, 4), OSTD_OK);
	ASSERT_EQ(memcmp(frame_bytes(fx.pa[2]) + P - 8, &w, 4), 0);
	ASSERT_EQ(vm_writer_write_val(&io_b.w, ones, 8), OSTD_EFAULT);
	ASSERT_EQ(io_b.w.cursor, UBASE + 3 * P - 4);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 12);
	ASSERT_TRUE(all_bytes(frame_bytes(fx.pa[2]) + P - 4, 4, 0xff));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[3]), UBASE + 3 * P, P));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* fill_zeros: min(len, avail) bytes, and exact partial counts. */
TEST_FORMAT(vm_space, fill_zeros_partial)
{
	static uint8_t buf[32];
	uint64_t done = 0;

	if (!user_format(cfg)) {
		return;
	}
	/* Kernel memory: everywhere. */
	memset(buf, 0x77, sizeof(buf));
	struct vm_writer kw = vm_writer_from_kernel(buf, 20);

	ASSERT_EQ(vm_writer_fill_zeros(&kw, 8, &done), OSTD_OK);
	ASSERT_EQ(done, 8);
	ASSERT_EQ(vm_writer_fill_zeros(&kw, 100, &done), OSTD_OK);
	ASSERT_EQ(done, 12);
	ASSERT_EQ(vm_writer_avail(&kw), 0);
	ASSERT_TRUE(all_bytes(buf, 20, 0));
	ASSERT_TRUE(all_bytes(buf + 20, 12, 0x77));
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* The user half needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	/* 64 bytes of page 0, then page 1 (unmapped). */
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + P - 96, 128),
		  OSTD_OK);
	ASSERT_EQ(vm_writer_fill_zeros(&io_b.w, 32, &done), OSTD_OK);
	ASSERT_EQ(done, 32);
	ASSERT_EQ(vm_writer_fill_zeros(&io_b.w, 1000, &done), OSTD_EFAULT);
	ASSERT_EQ(done, 64);
	ASSERT_EQ(io_b.w.cursor, UBASE + P);
	ASSERT_TRUE(all_bytes(frame_bytes(fx.pa[0]) + P - 96, 96, 0));
	ASSERT_TRUE(is_pat(frame_bytes(fx.pa[0]), UBASE, P - 96));
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/* skip, limit, remain and avail; kernel everywhere, user where spaces run. */
TEST_FORMAT(vm_space, skip_limit_remain_avail)
{
	static uint8_t buf[64];
	uint64_t copied = 0;

	if (!user_format(cfg)) {
		return;
	}
	struct vm_reader r = vm_reader_from_kernel(buf, 64);
	struct vm_writer w = vm_writer_from_kernel(buf, 64);

	ASSERT_EQ(vm_reader_remain(&r), 64);
	ASSERT_EQ(vm_reader_skip(&r, 65), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_remain(&r), 64);
	ASSERT_EQ(vm_reader_skip(&r, 10), OSTD_OK);
	ASSERT_EQ(vm_reader_remain(&r), 54);
	ASSERT_EQ(vm_reader_limit(&r, 100), OSTD_OK); /* Larger: no change. */
	ASSERT_EQ(vm_reader_remain(&r), 54);
	ASSERT_EQ(vm_reader_limit(&r, 20), OSTD_OK);
	ASSERT_EQ(vm_reader_remain(&r), 20);
	ASSERT_EQ(vm_reader_skip(&r, 21), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_skip(&r, 20), OSTD_OK);
	ASSERT_EQ(vm_reader_remain(&r), 0);
	ASSERT_EQ(vm_writer_skip(&w, UINT64_MAX), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&w, 64), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	ASSERT_EQ(vm_writer_limit(&w, 5), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	w = vm_writer_from_kernel(buf, 64);
	ASSERT_EQ(vm_writer_limit(&w, 0), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&w), 0);
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* The user half needs activation. */
	}
	/* A user reader skips an unmapped page without touching it. */
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P, 2 * P),
		  OSTD_OK);
	ASSERT_EQ(vm_reader_skip(&io_a.r, P + 8), OSTD_OK);
	ASSERT_EQ(vm_reader_limit(&io_a.r, 16), OSTD_OK);
	w = vm_writer_from_kernel(buf, 64);
	ASSERT_EQ(vm_reader_read(&io_a.r, &w, &copied), OSTD_OK);
	ASSERT_EQ(copied, 16);
	ASSERT_TRUE(is_pat(buf, UBASE + 2 * P + 8, 16));
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE, 64), OSTD_OK);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 65), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 60), OSTD_OK);
	ASSERT_EQ(vm_writer_avail(&io_b.w), 4);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	fx_teardown();
}

/*
 * 32-bit atomics: value semantics on a mapped page, OSTD_EFAULT on an
 * unmapped page (and cmpxchg on a read-only one), OSTD_EINVAL, not a
 * crash, when misaligned or short. Neither moves the cursor.
 */
TEST_FORMAT(vm_space, atomics_user)
{
	uint32_t v = 0;
	uint32_t old = 0;

	if (!user_format(cfg) || !IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return; /* Needs activation. */
	}
	ASSERT_EQ(fx_setup_layout(cfg, false), OSTD_OK);
	uint32_t *word = (uint32_t *)(void *)(frame_bytes(fx.pa[2]) + 8);

	*word = 5;
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + 2 * P + 8, 8),
		  OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 5, 9, &old), OSTD_OK);
	ASSERT_EQ(old, 5);
	ASSERT_EQ(*word, 9);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 5, 11, &old), OSTD_OK);
	ASSERT_EQ(old, 9);
	ASSERT_EQ(*word, 9);
	ASSERT_EQ(io_b.w.cursor, UBASE + 2 * P + 8);
	/* Misaligned, and short. */
	ASSERT_EQ(vm_writer_skip(&io_b.w, 2), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 9, 1, &old), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 2), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 9, 1, &old), OSTD_OK);
	ASSERT_EQ(vm_writer_skip(&io_b.w, 4), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 0, 1, &old), OSTD_EINVAL);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);

	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + 2 * P + 8, 8),
		  OSTD_OK);
	*word = 42;
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_OK);
	ASSERT_EQ(v, 42);
	ASSERT_EQ(io_a.r.cursor, UBASE + 2 * P + 8);
	ASSERT_EQ(vm_reader_skip(&io_a.r, 1), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_EINVAL);
	ASSERT_EQ(vm_reader_skip(&io_a.r, 3), OSTD_OK);
	ASSERT_EQ(vm_reader_limit(&io_a.r, 3), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_EINVAL);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);

	/* Unmapped page 1; read-only page 3 (loads work, cmpxchg faults). */
	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, UBASE + P, 8), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_EFAULT);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	ASSERT_EQ(io_open(fx.vs, &io_b, VM_IO_WRITER, UBASE + P, 8), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&io_b.w, 0, 1, &old), OSTD_EFAULT);
	ASSERT_EQ(io_close(fx.vs, &io_b), OSTD_OK);
	uint64_t ro = UBASE + 3 * P;

	ASSERT_EQ(io_open(fx.vs, &io_a, VM_IO_READER, ro, 4), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&io_a.r, &v), OSTD_OK);
	ASSERT_EQ(memcmp(&v, layout_ptr(ro), 4), 0);
	ASSERT_EQ(io_close(fx.vs, &io_a), OSTD_OK);
	fx_teardown();
}

/* The same atomics over kernel memory (infallible): everywhere. */
TEST(vm_space, atomics_kernel)
{
	static uint32_t words[2] = { 7, 0 };
	uint32_t v = 0;
	uint32_t old = 0;
	struct vm_reader r = vm_reader_from_kernel(words, sizeof(words));
	struct vm_writer w = vm_writer_from_kernel(words, sizeof(words));

	ASSERT_EQ(vm_reader_atomic_load(&r, &v), OSTD_OK);
	ASSERT_EQ(v, 7);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 7, 8, &old), OSTD_OK);
	ASSERT_EQ(old, 7);
	ASSERT_EQ(words[0], 8);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 7, 9, &old), OSTD_OK);
	ASSERT_EQ(old, 8);
	ASSERT_EQ(words[0], 8);
	ASSERT_EQ(vm_reader_skip(&r, 2), OSTD_OK);
	ASSERT_EQ(vm_reader_atomic_load(&r, &v), OSTD_EINVAL);
	ASSERT_EQ(vm_writer_skip(&w, 6), OSTD_OK);
	ASSERT_EQ(vm_writer_atomic_cmpxchg(&w, 0, 1, &old), OSTD_EINVAL);
}

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
	ASSERT_EQ(VS(fx.vs)->pt.cfg, cfg);
	ASSERT_EQ(vm_space_activate(fx.vs), OSTD_OK);
	ASSERT_TRUE(vm_space_is_current(fx.vs));
	ASSERT_TRUE(cpu_set_contains(&VS(fx.vs)->pt.active_cpus, cpu));
	ASSERT_EQ(pa_addr(arch_vm_current_root()), pa_addr(VS(fx.vs)->pt.root));
	ASSERT_EQ(vm_space_activate(fx.vs2), OSTD_OK);
	ASSERT_FALSE(vm_space_is_current(fx.vs));
	ASSERT_TRUE(vm_space_is_current(fx.vs2));
	ASSERT_FALSE(cpu_set_contains(&VS(fx.vs)->pt.active_cpus, cpu));
	ASSERT_TRUE(cpu_set_contains(&VS(fx.vs2)->pt.active_cpus, cpu));
	/* Activating again changes nothing. */
	ASSERT_EQ(vm_space_activate(fx.vs2), OSTD_OK);
	ASSERT_TRUE(cpu_set_contains(&VS(fx.vs2)->pt.active_cpus, cpu));
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
	ASSERT_EQ(atomic_load(&VS(fx.vs)->pt.active_cpus.bits), 0);
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

	ASSERT_EQ(vm_space_new(&fx.vs2, &VS(fx.vs)->pt, false), OSTD_EINVAL);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_EQ(VS(fx.vs)->pt.cfg, cfg);
	ASSERT_EQ(VS(fx.vs)->pt.kernel, fx.kpt);
	ASSERT_TRUE(VS(fx.vs)->owner.active);
	ASSERT_FALSE(VS(fx.vs)->owner.shared_reader);
	ASSERT_EQ(VS(fx.vs)->owner.active_tokens, 0);
	ASSERT_LT(VS(fx.vs)->pt.va_last, MAX_USER_VADDR);
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
	ASSERT_EQ(pt_cursor_map(vm_space_cursor_raw(&hcur),
				pt_item_untracked(VS(fx.vs)->pt.root, 1),
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
static int probe_activate_inactive(const struct pt_config *cfg,
				   enum vm_io_kind kind, bool shared)
{
	int line = 0;
	static struct owner_snap before;

	EXPECT(fx_setup_active(cfg, shared) == OSTD_OK);
	EXPECT(io_create(fx.vs, &io_a, kind, UBASE, P) == OSTD_OK);
	vm_space_test_set_owner_active(fx.vs, false);
	snap_take(fx.vs, &before);
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_EINACTIVE);
	EXPECT(snap_same(fx.vs, &before));
	EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_CREATED);
	vm_space_test_set_owner_active(fx.vs, true);
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_OK);
	EXPECT(io_close(fx.vs, &io_a) == OSTD_OK);
out:
	vm_space_test_set_owner_active(fx.vs, true);
	fx_teardown();
	return line;
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
static int probe_forged_token(const struct pt_config *cfg, enum vm_io_kind kind,
			      bool shared)
{
	int line = 0;
	uint64_t done = 1;

	EXPECT(fx_setup_layout(cfg, shared) == OSTD_OK);
	EXPECT(io_create(fx.vs, &io_a, kind, UBASE, P) == OSTD_OK);
	/* Created, not active: its reader or writer does nothing. */
	EXPECT(io_use(&io_a, &done) == OSTD_EBADSTATE && done == 0);
	io_b = io_a;
	io_b.tok.id = UINT64_MAX;
	EXPECT(io_activate(fx.vs, &io_b) == OSTD_EBADSTATE);
	io_b = io_a;
	io_b.tok.slot = UINT32_MAX;
	EXPECT(io_activate(fx.vs, &io_b) == OSTD_EBADSTATE);
	io_b = io_a;
	io_b.tok.space_id++;
	EXPECT(io_activate(fx.vs, &io_b) == OSTD_EBADSTATE);
	EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_CREATED);
	/* Removed, its slot reused: the old handle stays dead. */
	EXPECT(io_remove(fx.vs, &io_a) == OSTD_OK);
	EXPECT(io_open(fx.vs, &io_c, kind, UBASE, P) == OSTD_OK);
	EXPECT(io_c.tok.slot == io_a.tok.slot && io_c.tok.id != io_a.tok.id);
	EXPECT(vm_space_io_state(fx.vs, &io_a.tok) == VM_IO_REMOVED);
	EXPECT(io_activate(fx.vs, &io_a) == OSTD_EBADSTATE);
	EXPECT(io_use(&io_a, &done) == OSTD_EBADSTATE && done == 0);
	EXPECT(io_use(&io_c, &done) == OSTD_OK && done == 1);
	EXPECT(io_close(fx.vs, &io_c) == OSTD_OK);
	/* A forged space handle names no space. */
	struct vm_space *forged = (struct vm_space *)((uintptr_t)fx.vs ^ 1);

	EXPECT(vm_space_activate(forged) == OSTD_EBADSTATE);
	EXPECT(vm_space_is_destroyed(forged));
	EXPECT(io_create(forged, &io_a, kind, UBASE, P) == OSTD_EINVAL);
	EXPECT(vm_space_owner_inv(fx.vs));
out:
	fx_teardown();
	return line;
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
