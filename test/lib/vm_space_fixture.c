// SPDX-License-Identifier: MPL-2.0
/*
 * The VmSpace tests' fixture and helpers (vm_space_fixture.h). They return
 * errors or booleans, or report through EXPECT_*; only test bodies assert.
 */

#include "vm_space_fixture.h"

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/vm_space_testing.h"
#include "ostd/string.h"

#if CONFIG_ARCH_HOST
#include "ostd/host/sim.h"
#endif

#include "../../core/mm/vm_space_internal.h"

#if CONFIG_ARCH_HOST
/* True if this CPU's TLB translates into the page at @p pa. */
bool tlb_caches(paddr_t pa)
{
	return sim_tlb_caches_pa(sim_cpu_current(), pa, PAGE_SIZE);
}
#else
bool tlb_caches(paddr_t pa)
{
	(void)pa;
	return false;
}
#endif

/* ---------------------------------------------------------------------
 * The fixture: a kernel table and up to two spaces on it.
 * --------------------------------------------------------------------- */

struct vm_space_fixture fx;

struct vm_space_cursor hcur;

/* Spaces exist for user formats only (kernel runs pass at once). */
bool user_format(const struct pt_config *cfg)
{
	return cfg->top_level_can_unmap;
}

ostd_err_t fx_kernel(const struct pt_config *cfg)
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

ostd_err_t fx_space(struct vm_space **vs, bool *ok, bool shared)
{
	ostd_err_t err = vm_space_new(vs, fx.kpt, shared);

	*ok = err == OSTD_OK;
	return err;
}

/* The kernel table and fx.vs. */
ostd_err_t fx_setup(const struct pt_config *cfg, bool shared)
{
	ostd_err_t err = fx_kernel(cfg);

	return err != OSTD_OK ? err : fx_space(&fx.vs, &fx.vs_ok, shared);
}

/* The kernel table and fx.vs, installed on this CPU. */
ostd_err_t fx_setup_active(const struct pt_config *cfg, bool shared)
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

void fx_teardown(void)
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

ostd_err_t map_frame_at(struct vm_space *vs, uint64_t va, paddr_t pa,
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
ostd_err_t map_new(struct vm_space *vs, uint64_t va, struct pt_prop prop,
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

ostd_err_t unmap_at(struct vm_space *vs, uint64_t va, uint64_t len)
{
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + len, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_cursor_unmap(&hcur, len, NULL);
	vm_space_cursor_drop(&hcur);
	return err;
}

ostd_err_t query_at(struct vm_space *vs, uint64_t va, struct pt_query *q)
{
	ostd_err_t err = vm_space_cursor(vs, va, va + P, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_cursor_query(&hcur, q);
	vm_space_cursor_drop(&hcur);
	return err;
}

bool nothing_mapped_at(struct vm_space *vs, uint64_t va)
{
	struct pt_query q;

	return query_at(vs, va, &q) == OSTD_OK && q.item.kind == PT_ITEM_NONE;
}

/* The byte every test expects at user address @p va (any page). */
uint8_t pat(uint64_t va)
{
	return (uint8_t)(va * 13 + (va >> 12) * 101 + 7);
}

uint8_t *frame_bytes(paddr_t pa)
{
	return arch_paddr_to_ptr(pa);
}

/* Fills the frame at @p pa as the page at user address @p page_va. */
void fill_page(paddr_t pa, uint64_t page_va)
{
	uint8_t *p = frame_bytes(pa);

	for (uint64_t i = 0; i < P; i++) {
		p[i] = pat(page_va + i);
	}
}

/* True if @p buf holds the pattern of user range [va, va + n). */
bool is_pat(const uint8_t *buf, uint64_t va, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (buf[i] != pat(va + i)) {
			return false;
		}
	}
	return true;
}

bool all_bytes(const void *p, uint64_t n, uint8_t b)
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
ostd_err_t layout(void)
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
ostd_err_t fx_setup_layout(const struct pt_config *cfg, bool shared)
{
	ostd_err_t err = fx_setup(cfg, shared);

	err = err != OSTD_OK ? err : layout();
	return err != OSTD_OK ? err : vm_space_activate(fx.vs);
}

/* The kernel pointer to user address @p va of layout(). */
uint8_t *layout_ptr(uint64_t va)
{
	return frame_bytes(fx.pa[(va - UBASE) / P]) + (va & (P - 1));
}

/* ---------------------------------------------------------------------
 * Readers and writers by kind, and the owner state they must not touch.
 * --------------------------------------------------------------------- */

struct io io_a;
struct io io_b;
struct io io_c;
uint8_t kbuf[3 * PAGE_SIZE];

ostd_err_t io_create(struct vm_space *vs, struct io *io, enum vm_io_kind kind,
		     uint64_t va, uint64_t len)
{
	io->kind = kind;
	if (kind == VM_IO_READER) {
		return vm_space_create_reader(vs, va, len, &io->r, &io->tok);
	}
	return vm_space_create_writer(vs, va, len, &io->w, &io->tok);
}

ostd_err_t io_activate(struct vm_space *vs, struct io *io)
{
	return io->kind == VM_IO_READER
		       ? vm_space_activate_reader(vs, &io->tok)
		       : vm_space_activate_writer(vs, &io->tok);
}

ostd_err_t io_dispose(struct vm_space *vs, struct io *io)
{
	return io->kind == VM_IO_READER ? vm_space_dispose_reader(vs, &io->tok)
					: vm_space_dispose_writer(vs, &io->tok);
}

ostd_err_t io_remove(struct vm_space *vs, struct io *io)
{
	return io->kind == VM_IO_READER ? vm_space_remove_reader(vs, &io->tok)
					: vm_space_remove_writer(vs, &io->tok);
}

/* Creates and activates. */
ostd_err_t io_open(struct vm_space *vs, struct io *io, enum vm_io_kind kind,
		   uint64_t va, uint64_t len)
{
	ostd_err_t err = io_create(vs, io, kind, va, len);

	return err != OSTD_OK ? err : io_activate(vs, io);
}

/* Disposes and removes. */
ostd_err_t io_close(struct vm_space *vs, struct io *io)
{
	ostd_err_t err = io_dispose(vs, io);

	return err != OSTD_OK ? err : io_remove(vs, io);
}

/* Copies one byte through the reader or writer, from or to the kernel. */
ostd_err_t io_use(struct io *io, uint64_t *done)
{
	static uint8_t byte;

	if (io->kind == VM_IO_READER) {
		struct vm_writer k = vm_writer_from_kernel(&byte, 1);

		return vm_reader_read(&io->r, &k, done);
	}
	struct vm_reader k = vm_reader_from_kernel(&byte, 1);

	return vm_reader_read(&k, &io->w, done);
}

unsigned int kind_count(struct vm_space *vs, enum vm_io_kind kind)
{
	struct vm_space_test_owner o = vm_space_test_owner(vs);

	return kind == VM_IO_READER ? o.reader_count : o.writer_count;
}

ostd_err_t create_checked(struct vm_space *vs, enum vm_io_kind kind,
			  uint64_t va, uint64_t len, bool *unchanged)
{
	static struct io probe;

	vm_space_test_snap_take(vs, 0);
	memset(&probe, POISON, sizeof(probe));
	probe.kind = kind;
	ostd_err_t err = kind == VM_IO_READER
				 ? vm_space_create_reader(vs, va, len, &probe.r,
							  &probe.tok)
				 : vm_space_create_writer(vs, va, len, &probe.w,
							  &probe.tok);

	*unchanged = vm_space_test_snap_same(vs, 0) &&
		     all_bytes(&probe.r, sizeof(probe.r), POISON) &&
		     all_bytes(&probe.w, sizeof(probe.w), POISON) &&
		     all_bytes(&probe.tok, sizeof(probe.tok), POISON);
	if (err == OSTD_OK) {
		(void)io_remove(vs, &probe);
	}
	return err;
}

bool expect_refused(const char *file, int line, struct vm_space *vs,
		    enum vm_io_kind kind, uint64_t va, uint64_t len,
		    ostd_err_t want)
{
	bool same = false;
	ostd_err_t err = create_checked(vs, kind, va, len, &same);

	return ostd_test_expect_cmp(file, line, OSTD_TEST_EQ, "create", "want",
				    (uint64_t)err, (uint64_t)want) &&
	       ostd_test_expect_true(file, line, same,
				     "the refused create changed nothing");
}

bool expect_allowed(const char *file, int line, struct vm_space *vs,
		    enum vm_io_kind kind, uint64_t va, uint64_t len)
{
	bool same = false;

	return ostd_test_expect_cmp(
		file, line, OSTD_TEST_EQ, "create", "OSTD_OK",
		(uint64_t)create_checked(vs, kind, va, len, &same),
		(uint64_t)OSTD_OK);
}

void both_modes(requires_fn fn, const struct pt_config *cfg,
		enum vm_io_kind kind, enum where where)
{
	if (!user_format(cfg) ||
	    (where == NEEDS_ACTIVE && !IS_ENABLED(CONFIG_ARCH_USER_SPACES))) {
		return;
	}
	fn(cfg, kind, false);
	fn(cfg, kind, true);
}
