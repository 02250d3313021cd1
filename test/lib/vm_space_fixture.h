/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The VmSpace tests' fixture (test/unit/vm_space*_test.c): a kernel table
 * and up to two spaces on it, mapping and memory helpers, readers and
 * writers by kind, and the reader/writer test pairs.
 *
 * Spaces are built per user format on a private kernel table of the
 * format's kernel twin ("x86_64" and "x86_64-kernel"), which every test
 * destroys at its end. Kernel formats have no VmSpace of their own: those
 * runs pass at once.
 *
 * Activation. What needs a space installed on this CPU (every check after
 * "this CPU's table is this space's", and every user copy) runs where the
 * port can install one (CONFIG_ARCH_USER_SPACES: the host's software MMU,
 * and each kernel port with a kernel page table). Elsewhere those tests,
 * or their parts, return early with
 * `if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES))` (the reader/writer pairs are
 * marked NEEDS_ACTIVE). On a kernel image the spaces sit on the kernel's
 * own table (pt_test_kernel_parent()): only it maps the running kernel.
 * What fails before that check (an inactive owner, a space not current, a
 * destroyed space), the user-mapping rules, kernel-memory readers and
 * writers and the frame accounting run everywhere.
 *
 * Unchanged state. A refused call must leave the owner (active flag,
 * registry, active-token count), the space's token counter and destroyed
 * flag, and the caller's outputs alone: the tests poison the outputs
 * beforehand and compare the rest with a snapshot
 * (ostd/internal/vm_space_testing.h).
 *
 * The reader/writer pairs share one body, a helper that reports through
 * EXPECT_* and stops at its first failed expectation (`goto out`, to tear
 * the fixture down), since assertions may only be used in test bodies.
 *
 * Fixtures and buffers are static: a kernel image runs its tests on a
 * small boot stack.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/test.h"
#include "ostd/vm_space.h"

#include "pt_test_util.h"

/* User addresses inside every format's user half (Sv39's is 256 GiB). */
#define UBASE (1ULL << 30)
/* A device page range, outside every machine's RAM. */
#define IO_PA 0xfe000000ULL
/* What create_checked() fills the outputs with. */
#define POISON 0xa5

struct vm_space_fixture {
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
};

extern struct vm_space_fixture fx;
/* The helpers' cursor. */
extern struct vm_space_cursor hcur;
/* A kernel buffer for the copies. */
extern uint8_t kbuf[3 * PAGE_SIZE];

/* True if this CPU's TLB translates into the page at @p pa (host only). */
bool tlb_caches(paddr_t pa);

/* Spaces exist for user formats only (kernel runs pass at once). */
bool user_format(const struct pt_config *cfg);
/* The kernel table and fx.vs. */
ostd_err_t fx_setup(const struct pt_config *cfg, bool shared);
/* The kernel table and fx.vs, installed on this CPU. */
ostd_err_t fx_setup_active(const struct pt_config *cfg, bool shared);
/* The kernel table and fx.vs with layout(), installed on this CPU. */
ostd_err_t fx_setup_layout(const struct pt_config *cfg, bool shared);
/* The kernel table alone (fx.kpt). */
ostd_err_t fx_kernel(const struct pt_config *cfg);
ostd_err_t fx_space(struct vm_space **vs, bool *ok, bool shared);
void fx_teardown(void);

ostd_err_t map_frame_at(struct vm_space *vs, uint64_t va, paddr_t pa,
			struct pt_prop prop);
/*
 * Maps a new zeroed frame at @p va; the mapping holds its only reference.
 * *pa (may be NULL) gets the frame.
 */
ostd_err_t map_new(struct vm_space *vs, uint64_t va, struct pt_prop prop,
		   paddr_t *pa);
ostd_err_t unmap_at(struct vm_space *vs, uint64_t va, uint64_t len);
ostd_err_t query_at(struct vm_space *vs, uint64_t va, struct pt_query *q);
bool nothing_mapped_at(struct vm_space *vs, uint64_t va);

/* The byte every test expects at user address @p va (any page). */
uint8_t pat(uint64_t va);
uint8_t *frame_bytes(paddr_t pa);
/* Fills the frame at @p pa as the page at user address @p page_va. */
void fill_page(paddr_t pa, uint64_t page_va);
/* True if @p buf holds the pattern of user range [va, va + n). */
bool is_pat(const uint8_t *buf, uint64_t va, uint64_t n);
bool all_bytes(const void *p, uint64_t n, uint8_t b);
/*
 * The copy tests' layout of fx.vs from UBASE, every mapped page filled
 * with pat():
 *   page 0: read-write   page 1: unmapped
 *   page 2: read-write   page 3: read-only
 */
ostd_err_t layout(void);
/* The kernel pointer to user address @p va of layout(). */
uint8_t *layout_ptr(uint64_t va);

/* A reader or a writer, by kind, with its token. */
struct io {
	enum vm_io_kind kind;
	struct vm_user_reader r;
	struct vm_user_writer w;
	struct vm_io_owner tok;
};

extern struct io io_a;
extern struct io io_b;
extern struct io io_c;

ostd_err_t io_create(struct vm_space *vs, struct io *io, enum vm_io_kind kind,
		     uint64_t va, uint64_t len);
ostd_err_t io_activate(struct vm_space *vs, struct io *io);
ostd_err_t io_dispose(struct vm_space *vs, struct io *io);
ostd_err_t io_remove(struct vm_space *vs, struct io *io);
/* Creates and activates. */
ostd_err_t io_open(struct vm_space *vs, struct io *io, enum vm_io_kind kind,
		   uint64_t va, uint64_t len);
/* Disposes and removes. */
ostd_err_t io_close(struct vm_space *vs, struct io *io);
/* Copies one byte through the reader or writer, from or to the kernel. */
ostd_err_t io_use(struct io *io, uint64_t *done);
/* The owner's count of active tokens of @p kind. */
unsigned int kind_count(struct vm_space *vs, enum vm_io_kind kind);

/*
 * Creates a reader or writer with poisoned outputs. *unchanged: the owner
 * state and the outputs are as they were. A success is undone (the token
 * is removed) and reported.
 */
ostd_err_t create_checked(struct vm_space *vs, enum vm_io_kind kind,
			  uint64_t va, uint64_t len, bool *unchanged);

/* A create that must fail with @p want and change nothing. */
bool expect_refused(const char *file, int line, struct vm_space *vs,
		    enum vm_io_kind kind, uint64_t va, uint64_t len,
		    ostd_err_t want);
/* A create that must succeed (the token is removed again). */
bool expect_allowed(const char *file, int line, struct vm_space *vs,
		    enum vm_io_kind kind, uint64_t va, uint64_t len);

#define EXPECT_REFUSED(vs, kind, va, len, want) \
	expect_refused(__FILE__, __LINE__, (vs), (kind), (va), (len), (want))
#define EXPECT_ALLOWED(vs, kind, va, len) \
	expect_allowed(__FILE__, __LINE__, (vs), (kind), (va), (len))

typedef void (*requires_fn)(const struct pt_config *cfg, enum vm_io_kind kind,
			    bool shared);

/* Where a both_modes() body runs. */
enum where {
	EVERYWHERE,
	NEEDS_ACTIVE, /* It needs a space installed on this CPU. */
};

/* Runs @p fn with shared_reader off, then on. */
void both_modes(requires_fn fn, const struct pt_config *cfg,
		enum vm_io_kind kind, enum where where);

/* The reader and the writer test of one both_modes() body. */
#define TEST_READER_WRITER(reader_test, writer_test, fn, where) \
	TEST_FORMAT(vm_space, reader_test)                      \
	{                                                       \
		both_modes(fn, cfg, VM_IO_READER, where);       \
	}                                                       \
	TEST_FORMAT(vm_space, writer_test)                      \
	{                                                       \
		both_modes(fn, cfg, VM_IO_WRITER, where);       \
	}
