// SPDX-License-Identifier: MPL-2.0
/*
 * What only the real (emulated) MMU can show, on every port that runs
 * user mode (CONFIG_ARCH_USER_MODE):
 *
 * - differential: pages mapped through the core with every property set,
 *   in user space and in the kernel half, accessed by real loads, stores
 *   and fetches from kernel and user mode; each outcome must match the
 *   prediction of this format's software MMU (arch/host/sim_mmu_*.c,
 *   written from the ISA manual) walking the same tables;
 * - user code touching kernel text, data, the linear map or a page-table
 *   node faults, every time;
 * - a raw kernel access to a user page (outside the fallible copies)
 *   traps: SMAP, SUM or PAN is on;
 * - a VmReader or VmWriter over random partially mapped layouts stops at
 *   exactly the first byte it may not touch;
 * - switching between two spaces that map one address to different
 *   frames always reads the right marker.
 */

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/internal/vm_space_testing.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"
#include "ktest_util.h"

#if CONFIG_ARCH_USER_MODE

static struct vm_space *space;
static struct vm_space *space2;

static const char *const access_names[] = { "read", "write", "exec" };

/* The software MMU's verdict on one access through the current root. */
static bool predict(uint64_t va, enum probe_access kind, bool user)
{
	static const enum sim_access sim_kind[] = { SIM_READ, SIM_WRITE,
						    SIM_EXEC };
	struct sim_mode mode = kt_sim_mode(user);
	struct sim_translation t;

	return kt_sim_mmu()->walk(kt_sim_mmu(), arch_vm_current_root(), va,
				  sim_kind[kind], &mode, &t) == SIM_OK;
}

/* The address a probe of @p kind touches in the test page at @p page. */
static uint64_t probe_addr(uint64_t page, enum probe_access kind, bool user)
{
	switch (kind) {
	case PROBE_READ:
		return page + KT_MARKER_OFF;
	case PROBE_WRITE:
		return page + KT_WRITE_OFF;
	case PROBE_EXEC:
		return page + (user ? KT_SYSCALL_OFF : KT_RET_OFF);
	}
	return page;
}

/* 1 if the access happened, 0 if it faulted, -1 on a broken probe. */
static int kernel_probe(enum probe_access kind, uint64_t addr)
{
	uint8_t byte;

	switch (kind) {
	case PROBE_READ:
		return arch_probe_read(addr, &byte) ? 1 : 0;
	case PROBE_WRITE:
		return arch_probe_write(addr, 0x5a) ? 1 : 0;
	case PROBE_EXEC:
		return arch_probe_exec(addr) ? 1 : 0;
	}
	return -1;
}

/*
 * Probes @p page (a test page or a kernel address) with every access
 * from @p user mode and compares with the prediction; returns the number
 * of mismatches (each printed). For kernel addresses @p exact is false:
 * the probe touches @p page itself.
 */
static unsigned int compare_page(uint64_t page, bool exact, bool user,
				 const char *what)
{
	unsigned int bad = 0;

	for (int k = PROBE_READ; k <= PROBE_EXEC; k++) {
		enum probe_access kind = (enum probe_access)k;
		uint64_t addr = exact ? probe_addr(page, kind, user) : page;
		bool want = predict(addr, kind, user);
		int got;

		if (user) {
			got = kt_map_probe_code(space, kind) == OSTD_OK
				      ? kt_user_probe(kind, addr, 0xa5, NULL)
				      : -1;
		} else {
			got = kernel_probe(kind, addr);
		}
		if (got != (want ? 1 : 0)) {
			ostd_printf("mmu differential: %s %s %s at %#llx: "
				    "hardware %s, software MMU %s\n",
				    user ? "user" : "kernel", access_names[k],
				    what, (unsigned long long)addr,
				    got < 0    ? "broke"
				    : got == 1 ? "allowed"
					       : "faulted",
				    want ? "allows" : "faults");
			bad++;
		}
	}
	return bad;
}

static const struct pt_prop user_props[] = {
	{ .flags = PROT_R, .cache = PT_CACHE_WRITEBACK },
	{ .flags = PROT_R | PROT_W, .cache = PT_CACHE_WRITEBACK },
	{ .flags = PROT_R | PROT_X, .cache = PT_CACHE_WRITEBACK },
};

static const struct pt_prop kernel_props[] = {
	{ .flags = PROT_R | PT_GLOBAL, .cache = PT_CACHE_WRITEBACK },
	{ .flags = PROT_R | PROT_W | PT_GLOBAL, .cache = PT_CACHE_WRITEBACK },
	{ .flags = PROT_R | PROT_X | PT_GLOBAL, .cache = PT_CACHE_WRITEBACK },
	{ .flags = PROT_R | PROT_W, .cache = PT_CACHE_WRITEBACK },
};

/* Scratch kernel pages: the port leaves this range unmapped (probe.h). */
static uint64_t kernel_scratch(void)
{
	return arch_unmapped_test_addr() + (2ULL << 20);
}

static ostd_err_t map_kernel_scratch(unsigned int n, paddr_t *pa)
{
	struct pt_cursor cur;
	uint64_t va = kernel_scratch();
	ostd_err_t err =
		pt_cursor_new_mut(vm_space_kernel_pt(), va, va + n * P, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	for (unsigned int i = 0; err == OSTD_OK && i < n; i++) {
		err = pt_cursor_map(&cur, pt_item_untracked(pa[i], 1),
				    kernel_props[i % ARRAY_SIZE(kernel_props)]);
	}
	pt_cursor_drop(&cur);
	return err;
}

/*
 * Unmaps the whole GiB the scratch pages are in, so that the nodes the
 * mapping built are freed too (the core frees only whole sub-trees).
 */
static void unmap_kernel_scratch(void)
{
	struct pt_cursor cur;
	uint64_t va = arch_unmapped_test_addr();

	if (pt_cursor_new_mut(vm_space_kernel_pt(), va, va + (1ULL << 30),
			      &cur) == OSTD_OK) {
		(void)pt_cursor_unmap(&cur, 1ULL << 30, NULL);
		pt_cursor_drop(&cur);
	}
}

TEST(hw_mmu, differential_user_and_kernel_pages)
{
	enum { NK = 4 };
	paddr_t kpa[NK];
	unsigned int bad = 0;
	unsigned int probes = 0;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	/* User pages of every user property set, and a hole. */
	for (unsigned int i = 0; i < ARRAY_SIZE(user_props); i++) {
		ASSERT_EQ(kt_map_user_page(space, KT_DATA_VA + i * P,
					   user_props[i], (uint8_t)i, NULL),
			  OSTD_OK);
	}
	for (unsigned int i = 0; i <= ARRAY_SIZE(user_props); i++) {
		for (int user = 0; user <= 1; user++) {
			bad += compare_page(KT_DATA_VA + i * P, true, user != 0,
					    "user page");
			probes += 3;
		}
	}
	/* Kernel pages of every kernel property set (frames from RAM). */
	for (unsigned int i = 0; i < NK; i++) {
		ASSERT_EQ(kt_test_frame((uint8_t)i, &kpa[i]), OSTD_OK);
	}
	ASSERT_EQ(map_kernel_scratch(NK, kpa), OSTD_OK);
	for (unsigned int i = 0; i <= NK; i++) {
		for (int user = 0; user <= 1; user++) {
			bad += compare_page(kernel_scratch() + i * P, true,
					    user != 0, "kernel page");
			probes += 3;
		}
	}
	unmap_kernel_scratch();
	for (unsigned int i = 0; i < NK; i++) {
		struct frame f = { kpa[i] };

		frame_drop(&f);
	}
	kt_space_destroy(space);
	ostd_printf("hw_mmu: %u probes, %u mismatches\n", probes, bad);
	ASSERT_EQ(bad, 0);
}

/* Kernel addresses user code must never reach. */
static uint64_t kernel_target(unsigned int which, const struct vm_space *vs)
{
	static uint8_t kernel_data = 1;

	switch (which) {
	case 0:
		return (uint64_t)(uintptr_t)&arch_probe_read; /* Text. */
	case 1:
		return (uint64_t)(uintptr_t)&kernel_data; /* Data. */
	case 2: /* The linear map (or its equivalent) of a RAM frame. */
		return (uint64_t)(uintptr_t)arch_paddr_to_ptr(
			       vm_space_test_pt(vs)->root) +
		       8;
	default: /* A page-table node: this space's root, as the kernel sees it. */
		return (uint64_t)(uintptr_t)arch_paddr_to_ptr(
			vm_space_kernel_pt()->root);
	}
}

TEST(hw_mmu, user_never_reaches_kernel_memory)
{
	static const char *const what[] = { "kernel text", "kernel data",
					    "the linear map",
					    "a page-table node" };
	unsigned int bad = 0;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	for (unsigned int round = 0; round < 25; round++) {
		for (unsigned int t = 0; t < ARRAY_SIZE(what); t++) {
			uint64_t addr = kernel_target(t, space);

			for (int k = PROBE_READ; k <= PROBE_EXEC; k++) {
				enum probe_access kind = (enum probe_access)k;

				if (predict(addr, kind, true)) {
					ostd_printf("the software MMU lets "
						    "user %s %s\n",
						    access_names[k], what[t]);
					bad++;
				}
				if (kt_map_probe_code(space, kind) != OSTD_OK ||
				    kt_user_probe(kind, addr, 0, NULL) != 0) {
					ostd_printf(
						"user %s of %s at %#llx did "
						"not fault\n",
						access_names[k], what[t],
						(unsigned long long)addr);
					bad++;
				}
			}
		}
	}
	kt_space_destroy(space);
	ASSERT_EQ(bad, 0);
}

TEST(hw_mmu, raw_kernel_access_to_user_memory_traps)
{
	uint8_t byte = 0;
	uint64_t va = KT_DATA_VA;
	struct vm_user_reader r;
	struct vm_io_owner tok;
	struct vm_writer w = vm_writer_from_kernel(&byte, 1);
	uint64_t done = 0;

	/* The boards pick CPUs that have SMAP / SUM / PAN. */
	ASSERT_TRUE(arch_user_access_protected());
	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_user_page(space, va, user_props[1], 0x3c, NULL),
		  OSTD_OK);
	/* Raw: read, write and fetch all trap. */
	ASSERT_FALSE(arch_probe_read(va + KT_MARKER_OFF, &byte));
	ASSERT_FALSE(arch_probe_write(va + KT_WRITE_OFF, 1));
	ASSERT_FALSE(arch_probe_exec(va + KT_RET_OFF));
	/* Through the fallible copy, the same byte is there. */
	ASSERT_EQ(
		vm_space_create_reader(space, va + KT_MARKER_OFF, 1, &r, &tok),
		OSTD_OK);
	ASSERT_EQ(vm_space_activate_reader(space, &tok), OSTD_OK);
	ASSERT_EQ(vm_reader_read(&r, &w, &done), OSTD_OK);
	ASSERT_EQ(done, 1);
	ASSERT_EQ(byte, 0x3c);
	ASSERT_EQ(vm_space_dispose_reader(space, &tok), OSTD_OK);
	ASSERT_EQ(vm_space_remove_reader(space, &tok), OSTD_OK);
	/* And the copy closed user access again on its way out. */
	ASSERT_FALSE(arch_probe_read(va + KT_MARKER_OFF, &byte));
	kt_space_destroy(space);
}

/* ---------------------------------------------------------------------
 * Partial copies over random layouts.
 * --------------------------------------------------------------------- */

enum { LAYOUT_PAGES = 12 };

/* 0: hole, 1: read-only, 2: read-write. */
static uint8_t layout[LAYOUT_PAGES];
static uint8_t kbuf[LAYOUT_PAGES * P];

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12));
}

static ostd_err_t make_layout(uint64_t *rng)
{
	for (unsigned int i = 0; i < LAYOUT_PAGES; i++) {
		layout[i] = (uint8_t)pt_test_rng_below(rng, 3);
		if (layout[i] == 0) {
			continue;
		}
		paddr_t pa;
		ostd_err_t err =
			kt_map_user_page(space, KT_DATA_VA + i * P,
					 user_props[layout[i] - 1], 0, &pa);

		if (err != OSTD_OK) {
			return err;
		}
		uint8_t *p = arch_paddr_to_ptr(pa);

		for (uint64_t b = 0; b < P; b++) {
			p[b] = pattern(i * P + b);
		}
	}
	return OSTD_OK;
}

/* Bytes from @p off on that an access may touch before the first stop. */
static uint64_t reachable(uint64_t off, uint64_t len, uint8_t min_kind)
{
	uint64_t n = 0;

	while (n < len && layout[(off + n) / P] >= min_kind) {
		n += P - (off + n) % P;
	}
	return n < len ? n : len;
}

TEST(hw_mmu, partial_copies_stop_at_the_exact_byte)
{
	uint64_t rng = 0x5eed;
	unsigned int bad = 0;

	for (unsigned int round = 0; round < 8 && bad == 0; round++) {
		ASSERT_EQ(kt_space_new(&space), OSTD_OK);
		ASSERT_EQ(make_layout(&rng), OSTD_OK);
		for (unsigned int i = 0; i < 40; i++) {
			uint64_t off =
				pt_test_rng_below(&rng, LAYOUT_PAGES * P - 1);
			uint64_t len =
				1 +
				pt_test_rng_below(&rng, LAYOUT_PAGES * P - off);
			bool write = pt_test_rng_pct(&rng, 50);
			uint64_t want = reachable(off, len, write ? 2 : 1);
			uint64_t done = 0;
			struct vm_io_owner tok;
			ostd_err_t err;

			if (write) {
				struct vm_user_writer w;
				struct vm_reader r =
					vm_reader_from_kernel(kbuf, len);

				/* The same bytes: later reads still check. */
				for (uint64_t b = 0; b < len; b++) {
					kbuf[b] = pattern(off + b);
				}
				err = vm_space_create_writer(
					space, KT_DATA_VA + off, len, &w, &tok);
				err = err ? err
					  : vm_space_activate_writer(space,
								     &tok);
				err = err ? err : vm_reader_read(&r, &w, &done);
				(void)vm_space_dispose_writer(space, &tok);
				(void)vm_space_remove_writer(space, &tok);
			} else {
				struct vm_user_reader r;
				struct vm_writer w =
					vm_writer_from_kernel(kbuf, len);

				err = vm_space_create_reader(
					space, KT_DATA_VA + off, len, &r, &tok);
				err = err ? err
					  : vm_space_activate_reader(space,
								     &tok);
				err = err ? err : vm_reader_read(&r, &w, &done);
				for (uint64_t b = 0; b < done; b++) {
					bad += kbuf[b] != pattern(off + b);
				}
				(void)vm_space_dispose_reader(space, &tok);
				(void)vm_space_remove_reader(space, &tok);
			}
			if (done != want ||
			    err != (want == len ? OSTD_OK : OSTD_EFAULT)) {
				ostd_printf("%s at +%#llx len %#llx: copied "
					    "%#llx (%s), expected %#llx\n",
					    write ? "write" : "read",
					    (unsigned long long)off,
					    (unsigned long long)len,
					    (unsigned long long)done,
					    ostd_err_name(err),
					    (unsigned long long)want);
				bad++;
			}
		}
		kt_space_destroy(space);
	}
	ASSERT_EQ(bad, 0);
}

TEST(hw_mmu, space_switch_reads_the_right_frame)
{
	uint64_t va = KT_DATA_VA;
	unsigned int bad = 0;

	ASSERT_EQ(vm_space_new(&space2, NULL, false), OSTD_OK);
	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_user_page(space, va, user_props[0], 0xa1, NULL),
		  OSTD_OK);
	ASSERT_EQ(kt_map_probe_code(space, PROBE_READ), OSTD_OK);
	ASSERT_EQ(kt_map_user_page(space2, va, user_props[0], 0xb2, NULL),
		  OSTD_OK);
	ASSERT_EQ(kt_map_probe_code(space2, PROBE_READ), OSTD_OK);
	for (unsigned int i = 0; i < 200; i++) {
		struct vm_space *vs = (i & 1) != 0 ? space2 : space;
		uint8_t want = (i & 1) != 0 ? 0xb2 : 0xa1;
		uint8_t got = 0;
		uint8_t copied = 0;
		struct vm_user_reader r;
		struct vm_io_owner tok;
		struct vm_writer w = vm_writer_from_kernel(&copied, 1);
		uint64_t done;

		ASSERT_EQ(vm_space_activate(vs), OSTD_OK);
		/* From user mode, and through the kernel's fallible copy. */
		bad += kt_user_probe(PROBE_READ, va + KT_MARKER_OFF, 0, &got) !=
			       1 ||
		       got != want;
		ASSERT_EQ(vm_space_create_reader(vs, va + KT_MARKER_OFF, 1, &r,
						 &tok),
			  OSTD_OK);
		ASSERT_EQ(vm_space_activate_reader(vs, &tok), OSTD_OK);
		bad += vm_reader_read(&r, &w, &done) != OSTD_OK ||
		       copied != want;
		ASSERT_EQ(vm_space_dispose_reader(vs, &tok), OSTD_OK);
		ASSERT_EQ(vm_space_remove_reader(vs, &tok), OSTD_OK);
	}
	kt_space_destroy(space2);
	kt_space_destroy(space);
	ASSERT_EQ(bad, 0);
}

#endif /* CONFIG_ARCH_USER_MODE */
