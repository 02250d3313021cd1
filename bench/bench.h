/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The benchmark program (../shared/BENCHMARKS.md): the core built for the
 * host without sanitizers, measured against baselines compiled into the
 * same binary and run in the same process, interleaved, so that the ratios
 * hold on a noisy machine even when the absolute times do not.
 *
 * Every result is one JSON line on stdout; tools/bench.py turns them into
 * tables, ratios, results.json and plots. Progress goes to stderr.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/page_table.h"

/* ---------------------------------------------------------------------
 * Options (from the command line).
 * --------------------------------------------------------------------- */

enum bench_mode {
	BENCH_SMOKE,     /* Tiny sizes, one rep: the harness checks itself. */
	BENCH_QUICK,     /* Small sweeps, 7 reps. */
	BENCH_FULL,      /* Full sweeps, 11 reps. */
	BENCH_CALLGRIND, /* One run of each cg_* function, for callgrind. */
};

struct bench_opts {
	enum bench_mode mode;
	const char *only; /* Comma-separated benchmark ids, or NULL. */
	const char *fmt;  /* One format's name, or NULL for all three. */
	unsigned int reps;
};

extern struct bench_opts bench_opts;

/** True if benchmark @p id is selected by --only. */
bool bench_selected(const char *id);

/** @p smoke, @p quick or @p full, by mode (callgrind counts as quick). */
uint64_t bench_size(uint64_t smoke, uint64_t quick, uint64_t full);

/* ---------------------------------------------------------------------
 * Formats: the three real codecs, each with a kernel table that the user
 * tables of the benchmarks share.
 * --------------------------------------------------------------------- */

#define BENCH_MAX_FMTS 3

struct bench_fmt {
	const char *name;
	const struct pt_config *user;
	const struct pt_config *kernel;
	struct page_table kpt;
};

unsigned int bench_fmt_count(void);
struct bench_fmt *bench_fmt(unsigned int i);

/**
 * A fresh user table of @p f, active on CPU 0 (so flushes are issued as
 * for a running process). bench_table_destroy() undoes it.
 */
void bench_table_new(struct bench_fmt *f, struct page_table *pt);
void bench_table_destroy(struct page_table *pt);

/* The properties every benchmark maps with: user read-write data. */
static inline struct pt_prop bench_prop_rw(void)
{
	return (struct pt_prop){ .flags = PROT_R | PROT_W | PROT_USER,
				 .cache = PT_CACHE_WRITEBACK };
}

/* A physical address outside the arena for untracked mappings. */
#define BENCH_UNTRACKED_PA (1ULL << 36)

/** Maps @p n untracked 4 KiB pages at @p va with one cursor. */
void bench_map_untracked(struct page_table *pt, uint64_t va, uint64_t n);

/** Maps @p n fresh untyped frames at @p va with one cursor. */
void bench_map_frames(struct page_table *pt, uint64_t va, uint64_t n);

/** Unmaps [@p va, @p va + @p len) with one cursor. */
void bench_unmap(struct page_table *pt, uint64_t va, uint64_t len);

/* ---------------------------------------------------------------------
 * Measuring.
 * --------------------------------------------------------------------- */

uint64_t bench_now_ns(void);

/* Deterministic metrics a variant reports for one run. */
struct bench_metrics {
	double flushes;    /* TLB flush operations per op. */
	double dispatches; /* Flush rounds (IPI rounds) per op. */
	double pt_bytes;   /* Page-table bytes per mapped page. */
	double meta_bytes; /* Their metadata slots, per mapped page. */
	bool has_flushes;
	bool has_pt;
};

struct bench_variant {
	const char *name;
	void *ctx;
	void (*setup)(void *ctx);    /* Untimed, before each run. */
	void (*run)(void *ctx);      /* Timed. */
	void (*teardown)(void *ctx); /* Untimed, after each run. */
	struct bench_metrics m;      /* Set by setup, run or teardown. */
	/* Ops per run if not the case's (e.g. bytes copied). */
	uint64_t ops;
};

struct bench_case {
	const char *id;   /* "H2" */
	const char *name; /* "map-seq" */
	uint64_t n;       /* The swept parameter. */
	uint64_t ops;     /* Operations per run. */
	const char *unit; /* What one op is: "page", "cursor", "byte". */
};

/**
 * Runs every variant of @p c: a warm-up run each, then the repetitions,
 * interleaved (variant order rotates per rep), and emits one JSON line per
 * variant with the median and minimum ns per op. It also checks that the
 * frames in use are the same before setup and after teardown.
 */
void bench_run(const struct bench_case *c, struct bench_variant *v,
	       unsigned int count);

/** Emits a JSON line with one named value (not a timing). */
void bench_emit_value(const char *id, const char *name, const char *variant,
		      uint64_t n, const char *unit, double value);

/** Records a failed harness check (smoke mode counts them). */
void bench_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);

/** Records @p err as a failed check and exits, unless it is OSTD_OK. */
void bench_must_ok(ostd_err_t err);

#define BENCH_CHECK(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			bench_fail("%s:%d: %s", __FILE__, __LINE__, #cond); \
		}                                                           \
	} while (0)

/** Stops the compiler from optimising @p p's target away. */
static inline void bench_clobber(void *p)
{
	__asm__ volatile("" : : "g"(p) : "memory");
}

/** The sim CPU 0 flush counter plus every remote one. */
uint64_t bench_flush_count(void);

/* Pins the calling thread to host CPU @p cpu (best effort). */
void bench_pin(unsigned int cpu);

/* ---------------------------------------------------------------------
 * The benchmarks. Each reads bench_opts and emits its rows.
 * --------------------------------------------------------------------- */

void bench_core_map(void);    /* H1, H2, H3, H4 */
void bench_core_walk(void);   /* H5, H6, H7, H8 */
void bench_core_frames(void); /* H9, H10, H11, H13 */
void bench_vm_io(void);       /* H12 */
void bench_smp(void);         /* H14 */
void bench_owner(void);       /* H15 */
void bench_callgrind(void);   /* The cg_* functions. */
