// SPDX-License-Identifier: MPL-2.0
/*
 * The benchmark harness: options, formats, timing and JSON output, and
 * ostd_main(), which the host's ostd_boot() calls once the frame allocator
 * and the kernel table exist (the same start as the test runner).
 *
 * Timing rules (BENCHMARKS.md): pinned to CPU 0, a warm-up run, then 7
 * (quick) or 11 (full) repetitions of batches of at least ~10 us, timed
 * with clock_gettime(CLOCK_MONOTONIC); the median and the minimum per op
 * are reported. Variants of one case run interleaved, their order
 * rotating per repetition, so that a slow phase of a shared machine hits
 * all of them alike.
 */

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ostd/boot.h"
#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/internal/page_table.h"

#include "bench.h"
#include "toys.h"

struct bench_opts bench_opts = { .mode = BENCH_FULL };

static unsigned int failures;
static unsigned int cases_run;
static unsigned int cases_failed;

/* ---------------------------------------------------------------------
 * Options. glibc passes argc and argv to ELF constructors, which is how
 * this program sees its command line although main() is the host's.
 * --------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: ostd-bench [--smoke|--quick|--callgrind] [--only "
		"H2,H3] [--fmt x86_64|sv48|aarch64] [--reps N]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, char **envp)
{
	(void)envp;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--smoke") == 0) {
			bench_opts.mode = BENCH_SMOKE;
		} else if (strcmp(a, "--quick") == 0) {
			bench_opts.mode = BENCH_QUICK;
		} else if (strcmp(a, "--callgrind") == 0) {
			bench_opts.mode = BENCH_CALLGRIND;
		} else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
			bench_opts.only = argv[++i];
		} else if (strcmp(a, "--fmt") == 0 && i + 1 < argc) {
			bench_opts.fmt = argv[++i];
		} else if (strcmp(a, "--reps") == 0 && i + 1 < argc) {
			char *end;
			unsigned long r = strtoul(argv[++i], &end, 10);

			if (*end != '\0' || r == 0 || r > 1000) {
				usage();
			}
			bench_opts.reps = (unsigned int)r;
		} else {
			usage();
		}
	}
}

__attribute__((section(".init_array"), used)) static void (
		*const parse_args_ctor)(int, char **, char **) = parse_args;

bool bench_selected(const char *id)
{
	if (bench_opts.only == NULL) {
		return true;
	}
	size_t n = strlen(id);

	for (const char *p = bench_opts.only; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma == NULL ? strlen(p) : (size_t)(comma - p);

		if (len == n && strncmp(p, id, n) == 0) {
			return true;
		}
		p += len + (comma != NULL);
	}
	return false;
}

uint64_t bench_size(uint64_t smoke, uint64_t quick, uint64_t full)
{
	switch (bench_opts.mode) {
	case BENCH_SMOKE:
		return smoke;
	case BENCH_QUICK:
	case BENCH_CALLGRIND:
		return quick;
	case BENCH_FULL:
		break;
	}
	return full;
}

static unsigned int reps(void)
{
	if (bench_opts.reps != 0) {
		return bench_opts.reps;
	}
	return (unsigned int)bench_size(1, 7, 11);
}

/* ---------------------------------------------------------------------
 * Formats and tables.
 * --------------------------------------------------------------------- */

extern const struct pt_config x86_64_user_config;
extern const struct pt_config x86_64_kernel_config;
extern const struct pt_config riscv_sv48_user_config;
extern const struct pt_config riscv_sv48_kernel_config;
extern const struct pt_config aarch64_user_config;
extern const struct pt_config aarch64_kernel_config;

static struct bench_fmt fmts[BENCH_MAX_FMTS];
static unsigned int fmt_count;

static void fmt_add(const char *name, const struct pt_config *user,
		    const struct pt_config *kernel)
{
	if (bench_opts.fmt != NULL && strcmp(bench_opts.fmt, name) != 0) {
		return;
	}
	struct bench_fmt *f = &fmts[fmt_count++];

	f->name = name;
	f->user = user;
	f->kernel = kernel;
	if (page_table_new_kernel(kernel, &f->kpt) != OSTD_OK) {
		fprintf(stderr, "bench: no kernel table for %s\n", name);
		exit(1);
	}
}

static void fmts_init(void)
{
	fmt_add("x86_64", &x86_64_user_config, &x86_64_kernel_config);
#ifndef OSTD_PT_FIXED_CONFIG
	/* A build with the codec bound to x86_64 runs only x86_64. */
	fmt_add("sv48", &riscv_sv48_user_config, &riscv_sv48_kernel_config);
	fmt_add("aarch64", &aarch64_user_config, &aarch64_kernel_config);
#endif
	if (fmt_count == 0) {
		fprintf(stderr, "bench: unknown format %s\n", bench_opts.fmt);
		exit(2);
	}
}

unsigned int bench_fmt_count(void)
{
	return fmt_count;
}

struct bench_fmt *bench_fmt(unsigned int i)
{
	return &fmts[i];
}

void bench_table_new(struct bench_fmt *f, struct page_table *pt)
{
	if (page_table_new_user(f->user, &f->kpt, pt) != OSTD_OK) {
		fprintf(stderr, "bench: no user table\n");
		exit(1);
	}
	cpu_set_add(&pt->active_cpus, 0);
}

void bench_table_destroy(struct page_table *pt)
{
	atomic_store(&pt->active_cpus.bits, 0);
	page_table_destroy(pt);
	pt_rcu_barrier();
}

static void must(ostd_err_t err, const char *what)
{
	if (err != OSTD_OK) {
		fprintf(stderr, "bench: %s: %s\n", what, ostd_err_name(err));
		exit(1);
	}
}

void bench_map_untracked(struct page_table *pt, uint64_t va, uint64_t n)
{
	struct pt_cursor cur;

	must(pt_cursor_new_mut(pt, va, va + n * PAGE_SIZE, &cur), "cursor");
	for (uint64_t i = 0; i < n; i++) {
		must(pt_cursor_map(
			     &cur,
			     pt_item_untracked(pa_init(BENCH_UNTRACKED_PA +
						       i * PAGE_SIZE),
					       1),
			     bench_prop_rw()),
		     "map");
	}
	pt_cursor_drop(&cur);
}

void bench_map_frames(struct page_table *pt, uint64_t va, uint64_t n)
{
	struct pt_cursor cur;

	must(pt_cursor_new_mut(pt, va, va + n * PAGE_SIZE, &cur), "cursor");
	for (uint64_t i = 0; i < n; i++) {
		struct frame f;

		must(frame_alloc(&frame_type_untyped, &f), "frame");
		must(pt_cursor_map(&cur, pt_item_frame(f.pa), bench_prop_rw()),
		     "map");
		frame_drop(&f); /* The PTE keeps it. */
	}
	pt_cursor_drop(&cur);
}

void bench_unmap(struct page_table *pt, uint64_t va, uint64_t len)
{
	struct pt_cursor cur;
	uint64_t count;

	must(pt_cursor_new_mut(pt, va, va + len, &cur), "cursor");
	must(pt_cursor_unmap(&cur, len, &count), "unmap");
	pt_cursor_drop(&cur);
}

/* ---------------------------------------------------------------------
 * Timing and output.
 * --------------------------------------------------------------------- */

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t bench_flush_count(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < SIM_MAX_CPUS; i++) {
		n += sim_cpu(i)->flushes;
	}
	return n;
}

void bench_pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

void bench_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "bench: FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void bench_must_ok(ostd_err_t err)
{
	if (err != OSTD_OK) {
		bench_fail("core call failed: %s", ostd_err_name(err));
		exit(1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MAX_REPS 1000
#define MAX_VARIANTS 12

static void emit_row(const struct bench_case *c, const struct bench_variant *v,
		     double *samples, unsigned int n)
{
	qsort(samples, n, sizeof(double), cmp_double);
	double med = n % 2 == 1 ? samples[n / 2]
				: (samples[n / 2 - 1] + samples[n / 2]) / 2;

	printf("{\"id\": \"%s\", \"case\": \"%s\", \"n\": %llu, "
	       "\"variant\": \"%s\", \"unit\": \"%s\", \"ns_med\": %.4f, "
	       "\"ns_min\": %.4f, \"reps\": %u",
	       c->id, c->name, (unsigned long long)c->n, v->name, c->unit, med,
	       samples[0], n);
	if (v->m.has_flushes) {
		printf(", \"flushes\": %.4f, \"dispatches\": %.4f",
		       v->m.flushes, v->m.dispatches);
	}
	if (v->m.has_pt) {
		printf(", \"pt_bytes\": %.4f, \"meta_bytes\": %.4f",
		       v->m.pt_bytes, v->m.meta_bytes);
	}
	printf("}\n");
	fflush(stdout);
}

void bench_run(const struct bench_case *c, struct bench_variant *v,
	       unsigned int count)
{
	static double samples[MAX_VARIANTS][MAX_REPS];
	unsigned int r = reps();
	unsigned int failures_before = failures;

	if (count > MAX_VARIANTS || r > MAX_REPS) {
		fprintf(stderr, "bench: too many variants or reps\n");
		exit(2);
	}
	fprintf(stderr, "bench: %s %s n=%llu\n", c->id, c->name,
		(unsigned long long)c->n);
	for (unsigned int rep = bench_opts.mode == BENCH_SMOKE ? 1 : 0;
	     rep <= r; rep++) {
		for (unsigned int k = 0; k < count; k++) {
			/* Rotate the order so no variant always goes first. */
			struct bench_variant *x = &v[(k + rep) % count];
			uint64_t frames = frame_stats_in_use();

			if (x->setup != NULL) {
				x->setup(x->ctx);
			}
			uint64_t t0 = bench_now_ns();

			x->run(x->ctx);
			uint64_t t1 = bench_now_ns();

			if (x->teardown != NULL) {
				x->teardown(x->ctx);
			}
			pt_rcu_barrier();
			if (frame_stats_in_use() != frames) {
				bench_fail("%s %s %s: frames in use %llu -> "
					   "%llu",
					   c->id, c->name, x->name,
					   (unsigned long long)frames,
					   (unsigned long long)
						   frame_stats_in_use());
			}
			/* Rep 0 is the warm-up. */
			if (rep > 0) {
				uint64_t ops = x->ops != 0 ? x->ops : c->ops;

				samples[(k + rep) % count][rep - 1] =
					(double)(t1 - t0) / (double)ops;
			}
		}
	}
	for (unsigned int k = 0; k < count; k++) {
		emit_row(c, &v[k], samples[k], r);
	}
	cases_run++;
	cases_failed += failures != failures_before;
}

void bench_emit_value(const char *id, const char *name, const char *variant,
		      uint64_t n, const char *unit, double value)
{
	printf("{\"id\": \"%s\", \"case\": \"%s\", \"n\": %llu, "
	       "\"variant\": \"%s\", \"unit\": \"%s\", \"value\": %.4f}\n",
	       id, name, (unsigned long long)n, variant, unit, value);
	fflush(stdout);
}

/* ---------------------------------------------------------------------
 * The entry point.
 * --------------------------------------------------------------------- */

/*
 * Faults in the simulated physical memory (the host reserves it lazily)
 * and asks for huge pages, so that neither first-touch faults nor host
 * TLB misses land inside a timed run. The toys' pool gets the same.
 */
static void prefault_arena(void)
{
	uint8_t *base = sim_phys_ptr(pa_init(0), sim_phys_size());
	size_t size = (size_t)sim_phys_size();

	(void)madvise(base, size, MADV_HUGEPAGE);
	for (size_t off = 0; off < size; off += 4096) {
		/* Keep the contents: the frame metadata lives here. */
		volatile uint8_t *p = base + off;

		*p = *p;
	}
}

int ostd_main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_pin(0);
	sim_cpu_set_current(0);
	fmts_init();
	if (bench_opts.mode == BENCH_CALLGRIND) {
		/* Counting instructions: no timing, so no pre-faulting. */
		toy_pool_init(1024);
		bench_callgrind();
		return 0;
	}
	prefault_arena();
	toy_pool_init(bench_size(4096, 65536, 65536));
	bench_core_map();
	bench_core_walk();
	bench_core_frames();
	bench_vm_io();
	bench_smp();
	bench_owner();
	/* The closing line has the test runners' shape, for ./ostd test. */
	printf("bench: %u passed, %u failed\n", cases_run - cases_failed,
	       cases_failed + (failures != 0 && cases_failed == 0));
	return failures == 0 ? 0 : 1;
}
