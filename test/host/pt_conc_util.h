/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The page-table concurrency tests' runtime (test/host/pt_concurrency*_test.c):
 * their formats, per-thread random numbers, worker threads with failure
 * reports and a watchdog, cursors the watchdog knows about, and a flat
 * 4 KiB-granular model of part of an address space. HOST-ONLY: POSIX
 * threads and the simulated CPUs (pt_concurrency_test.c says how).
 */

/* System headers first: ostd/test.h brings CMocka, which redefines malloc. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ostd/arch/tlb.h"

#include "ostd/compiler.h"
#include "ostd/frame.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/test.h"

/* Untracked 2 MiB leaves point above the simulated RAM (C1, C5). */
#define C1_UNTRACKED_PA (8ULL << 30)

/* The formats the tests run on: the main 4-level one, a 3-level one
 * (other guard levels) and the hostile one. */
extern const struct ostd_test_params conc_formats;

#define TEST_CONC(name)                               \
	TEST_EACH(pt_concurrency, name, conc_formats, \
		  const struct pt_config *, cfg)

uint64_t rng_next(uint64_t *s);

uint64_t rng_below(uint64_t *s, uint64_t n);

bool rng_pct(uint64_t *s, unsigned int pct);

uint64_t conc_seed(void);

#define CONC_MAX_THREADS 8

/* Generous: the slowest test takes a few seconds under TSan. */
#define WATCHDOG_SECONDS 60

struct conc_thread;
typedef void (*conc_body)(struct conc_thread *t);

struct conc_thread {
	pthread_t tid;
	unsigned int index;
	unsigned int cpu;
	const char *role;
	conc_body body;
	void *ctx;
	uint64_t rng;
	/* What it is doing, for the watchdog's dump. */
	_Atomic uint64_t ops;
	_Atomic(const char *) doing;
	_Atomic uint64_t doing_va;
	atomic_bool in_cursor;
	atomic_bool finished;
};

extern struct conc_thread threads[CONC_MAX_THREADS];
extern unsigned int nthreads;
extern pthread_barrier_t start_barrier;
extern uint64_t run_seed;
extern const char *run_name;

extern pthread_mutex_t fail_lock;
extern atomic_uint fail_count;
extern char fail_first[512];

#define FAIL_PRINT_MAX 8

void host_conc_fail(const struct conc_thread *t, const char *fmt, ...)
	PRINTF_LIKE(2, 3);

/* Records a failure (a worker cannot assert); the body asserts none. */
void host_conc_fail(const struct conc_thread *t, const char *fmt, ...);

bool failed(void);

void doing(struct conc_thread *t, const char *what, uint64_t va);

/* Schedule perturbation: yield now and then (TESTING.md: p = 5 %). */
void perturb(struct conc_thread *t);

void host_conc_begin(const char *name, const struct pt_config *cfg);

struct conc_thread *conc_add(const char *role, unsigned int cpu, conc_body body,
			     void *ctx);

/* The worker the calling thread is, NULL for the test body. */
extern _Thread_local const struct conc_thread *conc_self;

/* Starts every added thread together and joins them, under a watchdog. */
void host_conc_run(void);

bool open_mut(struct conc_thread *t, struct page_table *pt, uint64_t va,
	      uint64_t len, struct pt_cursor *c);

bool open_read(struct conc_thread *t, struct page_table *pt, uint64_t va,
	       uint64_t len, struct pt_cursor *c);

void close_cursor(struct conc_thread *t, struct pt_cursor *c);

struct pt_prop prop_of(bool w);

/* The flags a model keeps (a format may report more, e.g. x86's X). */
#define PROP_MASK (PROT_R | PROT_W | PROT_USER)

void set_w(struct pt_prop *prop, void *ctx);

struct tlb_op tlb_range(uint64_t va, uint64_t len);

#define SIZE_2M (2ULL << 20)

#define PAGES_2M (SIZE_2M / PAGE_SIZE)

struct model_page {
	paddr_t pa; /* 0: nothing mapped (frame 0 is never handed out). */
	uint8_t flags;
	bool tracked;
	bool huge; /* Part of a 2 MiB leaf that was never split. */
};

struct model {
	uint64_t base;
	uint64_t npages;
	struct model_page *page;
};

bool model_mapped(const struct model *m, uint64_t i);

/*
 * The core splits a 2 MiB leaf that a range boundary cuts; so does the
 * model. @p b is a page index (a boundary, may equal npages).
 */
void model_split_at(struct model *m, uint64_t b);

/*
 * Splits at both ends of [first, first + n) and returns how many leaves
 * the range then holds: what unmap and protect_next report.
 */
uint64_t model_leaves(struct model *m, uint64_t first, uint64_t n);

uint64_t model_count_mapped(const struct model *m);

/* Compares a table with a set of models: every leaf must be modelled. */
struct verify_ctx {
	struct model *models;
	unsigned int nmodels;
	uint64_t pages;
	unsigned int errors;
};

/* True if @p pt maps exactly what the models say. */
bool verify_table(struct page_table *pt, struct model *models,
		  unsigned int nmodels);

/* A fresh untyped frame; the caller maps it and drops its handle. */
bool alloc_frame(struct conc_thread *t, struct frame *f);
