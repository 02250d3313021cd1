// SPDX-License-Identifier: MPL-2.0
/*
 * The in-guest copy benchmark (BENCHMARKS.md H12, in QEMU): a user
 * VmReader (user to kernel) and VmWriter (kernel to user) against the
 * guest's own memcpy (kernel to kernel), and on x86_64 against a bare
 * REP MOVSB, from 64 B to 1 MiB, between page-aligned buffers.
 *
 * The copies are timed with the CPU's free-running counter (TSC, CNTVCT,
 * the time CSR); the units differ per arch and TCG is not hardware, so
 * only the ratio to memcpy on the same image means anything. Nothing is a
 * threshold. The test passes when every copy moved every byte right.
 * `./ostd bench --guest` collects the "guest-copy:" lines of every kernel
 * configuration and prints VmReader/VmWriter throughput over memcpy's.
 */

#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/test.h"
#include "ostd/vm_space.h"

#include "ktest_util.h"

#define CB_MAX (1ULL << 20)
/*
 * QEMU's software TLB is direct-mapped by page number (a power-of-two
 * size), so buffers a power-of-two number of pages apart evict each
 * other on every access and TCG times its page walks instead of the copy.
 * The user range and the two kernel buffers sit a prime number of pages
 * apart (hardware TLBs are associative and do not care).
 */
#define CB_VA (KT_DATA_VA + 101 * PAGE_SIZE)
#define CB_SKEW (37 * PAGE_SIZE)
/* Bytes each timed trial moves (at least one copy); best of CB_TRIALS. */
#define CB_TRIAL_BYTES (256ULL << 10)
#define CB_TRIALS 3

static const uint64_t cb_sizes[] = { 64,    128,   256,    1024,  4096,
				     16384, 65536, 262144, CB_MAX };

enum cb_kind { CB_MEMCPY, CB_REP_MOVSB, CB_READ, CB_WRITE };

static const char *const cb_names[] = { "memcpy", "rep-movsb", "read",
					"write" };

static uint8_t cb_buf[2 * CB_MAX + CB_SKEW] ALIGNED(4096);
static uint8_t *const cb_src = cb_buf;
static uint8_t *const cb_dst = cb_buf + CB_MAX + CB_SKEW;

static struct vm_space *cb_vs;
static struct vm_user_reader cb_r;
static struct vm_user_writer cb_w;
static struct vm_io_owner cb_rtok;
static struct vm_io_owner cb_wtok;

/* The free-running counter; its rate does not matter for a ratio. */
static inline uint64_t cb_now(void)
{
	uint64_t v;
#if defined(__x86_64__)
	uint32_t lo;
	uint32_t hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	v = ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
#elif defined(__riscv)
	__asm__ volatile("rdtime %0" : "=r"(v)::"memory");
#else
#error "copy_bench: no counter for this architecture"
#endif
	return v;
}

static bool cb_has(enum cb_kind kind)
{
#if defined(__x86_64__)
	(void)kind;
	return true;
#else
	return kind != CB_REP_MOVSB;
#endif
}

/* One copy of @p n bytes; false if it did not move them all. */
static bool cb_copy(enum cb_kind kind, uint64_t n)
{
	uint64_t done = 0;

	switch (kind) {
	case CB_MEMCPY:
		memcpy(cb_dst, cb_src, (size_t)n);
		return true;
	case CB_REP_MOVSB: {
#if defined(__x86_64__)
		void *d = cb_dst;
		const void *s = cb_src;
		uint64_t c = n;

		__asm__ volatile("rep movsb"
				 : "+D"(d), "+S"(s), "+c"(c)::"memory");
#endif
		return true;
	}
	case CB_READ: {
		struct vm_writer kw = vm_writer_from_kernel(cb_dst, n);

		/* The caller may move its reader: the copy re-checks it. */
		cb_r.cursor = CB_VA;
		cb_r.end = CB_VA + n;
		return vm_reader_read(&cb_r, &kw, &done) == OSTD_OK &&
		       done == n;
	}
	case CB_WRITE: {
		struct vm_reader kr = vm_reader_from_kernel(cb_src, n);

		cb_w.cursor = CB_VA;
		cb_w.end = CB_VA + n;
		return vm_reader_read(&kr, &cb_w, &done) == OSTD_OK &&
		       done == n;
	}
	}
	return false;
}

/* The fewest counter units @p reps copies of @p n bytes took in a trial. */
static bool cb_time(enum cb_kind kind, uint64_t n, uint64_t reps,
		    uint64_t *best)
{
	*best = UINT64_MAX;
	for (unsigned int t = 0; t < CB_TRIALS; t++) {
		uint64_t start = cb_now();

		for (uint64_t i = 0; i < reps; i++) {
			if (!cb_copy(kind, n)) {
				return false;
			}
		}
		uint64_t took = cb_now() - start;

		if (took < *best) {
			*best = took;
		}
	}
	return true;
}

/*
 * A reader and a writer of one range may not be active at once (the
 * owner's rule): each user kind runs with its own token activated.
 */
static bool cb_active(enum cb_kind kind, bool on)
{
	if (kind == CB_READ) {
		return (on ? vm_space_activate_reader(cb_vs, &cb_rtok)
			   : vm_space_dispose_reader(cb_vs, &cb_rtok)) ==
		       OSTD_OK;
	}
	if (kind == CB_WRITE) {
		return (on ? vm_space_activate_writer(cb_vs, &cb_wtok)
			   : vm_space_dispose_writer(cb_vs, &cb_wtok)) ==
		       OSTD_OK;
	}
	return true;
}

/* One untimed user copy, its token active only around it. */
static bool cb_once(enum cb_kind kind, uint64_t n)
{
	bool ok = cb_active(kind, true);

	ok = ok && cb_copy(kind, n);
	return cb_active(kind, false) && ok;
}

/* Fresh bytes in the source, so a copy that moved nothing is caught. */
static void cb_fill(uint64_t n, uint8_t seed)
{
	for (uint64_t i = 0; i < n; i++) {
		cb_src[i] = (uint8_t)(i * 7 + seed + (i >> 12));
	}
	memset(cb_dst, 0, (size_t)n);
}

/* One size: every kind, each checked for the bytes it moved. */
static void cb_size(uint64_t n, uint8_t seed)
{
	uint64_t reps = CB_TRIAL_BYTES / n > 0 ? CB_TRIAL_BYTES / n : 1;

	for (unsigned int k = 0; k < ARRAY_SIZE(cb_names); k++) {
		enum cb_kind kind = (enum cb_kind)k;
		uint64_t best = 0;

		if (!cb_has(kind)) {
			continue;
		}
		cb_fill(n, (uint8_t)(seed + k));
		if (kind == CB_READ) {
			/* The user pages get the source bytes first. */
			ASSERT_TRUE(cb_once(CB_WRITE, n));
		}
		ASSERT_TRUE(cb_active(kind, true));
		bool timed = cb_time(kind, n, reps, &best);

		ASSERT_TRUE(cb_active(kind, false));
		ASSERT_TRUE(timed);
		if (kind == CB_WRITE) {
			/* What landed in user memory, read back. */
			ASSERT_TRUE(cb_once(CB_READ, n));
		}
		ASSERT_EQ(memcmp(cb_dst, cb_src, (size_t)n), 0);
		ostd_printf("guest-copy: %s bytes=%llu reps=%llu "
			    "counts=%llu\n",
			    cb_names[k], (unsigned long long)n,
			    (unsigned long long)reps, (unsigned long long)best);
	}
}

TEST(copy_bench, guest_copies)
{
	struct pt_prop rw = { .flags = PROT_R | PROT_W,
			      .cache = PT_CACHE_WRITEBACK };

	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES)) {
		return;
	}
	ASSERT_EQ(kt_space_new(&cb_vs), OSTD_OK);
	for (uint64_t off = 0; off < CB_MAX; off += PAGE_SIZE) {
		ASSERT_EQ(kt_map_user_page(cb_vs, CB_VA + off, rw, 0, NULL),
			  OSTD_OK);
	}
	ASSERT_EQ(vm_space_create_reader(cb_vs, CB_VA, CB_MAX, &cb_r, &cb_rtok),
		  OSTD_OK);
	ASSERT_EQ(vm_space_create_writer(cb_vs, CB_VA, CB_MAX, &cb_w, &cb_wtok),
		  OSTD_OK);
	for (unsigned int i = 0; i < ARRAY_SIZE(cb_sizes); i++) {
		cb_size(cb_sizes[i], (uint8_t)(i * 13));
	}
	ASSERT_EQ(vm_space_remove_reader(cb_vs, &cb_rtok), OSTD_OK);
	ASSERT_EQ(vm_space_remove_writer(cb_vs, &cb_wtok), OSTD_OK);
	ASSERT_EQ(kt_unmap_user(cb_vs, CB_VA, CB_MAX), OSTD_OK);
	kt_space_destroy(cb_vs);
}
