/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The page-table model test's operations (test/unit/pt_model_test.c):
 * what one operation is, so that a failure can be replayed and shrunk,
 * the address windows where the boundaries are, and the generation of a
 * random operation list. Plain C for both test images.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/page_table.h"
#include "ostd/pt_config.h"

#include "pt_model.h"

struct run;

#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)
#define SZ_8M (8ULL << 20)

#ifdef UNIT_TESTING
/* Model runs the shrinker may spend on one failure. */
#define SHRINK_RUNS 400U
#define TRACKED_BUDGET 4096U
#else
/*
 * Fewer in the kernel images: QEMU TCG emulates the guest several times
 * slower than the host runs the same code, every test image boots in each
 * `ostd test`, and the host already runs every format at full count.
 */
#define SHRINK_RUNS 40U
#define TRACKED_BUDGET 256U
#endif

enum op_kind {
	OP_CURSOR, /* Drop the cursor, make a new one over [a, b). */
	OP_TABLE,  /* Destroy the table, make a new one, no cursor. */
	OP_MAP,
	OP_UNMAP,   /* len a */
	OP_PROTECT, /* len a */
	OP_QUERY,
	OP_FIND,         /* len a */
	OP_PROTECT_MASK, /* len a, masks set and clear */
	OP_MAP_PAGES,    /* a 4 KiB pages from pa b (tracked: frames) */
	OP_JUMP,         /* va a */
};

enum prot_kind {
	PROT_TOGGLE_W,
	PROT_SET_X,
	PROT_CLEAR_X,
	PROT_KINDS,
};

struct op {
	uint8_t kind;
	/* OP_MAP. */
	uint8_t level;
	bool tracked;
	bool align_jump;
	/* OP_CURSOR. */
	bool mut;
	/* OP_PROTECT: a preference; the op is chosen when it runs. */
	uint8_t pref;
	/* OP_PROTECT_MASK. */
	uint32_t set;
	uint32_t clear;
	struct pt_prop prop;
	uint64_t a;
	uint64_t b; /* OP_CURSOR: end. OP_MAP: untracked pa. */
};

void print_op(unsigned int i, const struct op *o);

void prot_apply(struct pt_prop *prop, void *ctx);

#define MAX_WINDOWS 5

struct window {
	uint64_t start;
	uint64_t size;
	unsigned int weight;
};

/*
 * [0, 8 MiB), 1 GiB +- 4 MiB, 512 GiB +- 4 MiB (a level-4 boundary), the
 * top 2 GiB of the half and a 1 GiB-aligned 2 GiB window for 1 GiB pages,
 * all relative to the start of the table's half and only where they fit.
 */
unsigned int windows_for(const struct page_table *pt, struct window *w);

/* A random page count in [2^k, 2^(k+1)) with k geometric, k <= 18. */
uint64_t geometric_pages(uint64_t *s);

/* The distance from @p va to the next multiple of @p size (or size). */
uint64_t to_boundary(uint64_t va, uint64_t size);

/* A length for unmap, protect_next or find_next at the cursor. */
uint64_t gen_len(uint64_t *s);

struct pt_prop gen_prop(const struct run *r, uint64_t *s);

void gen_map(const struct run *r, uint64_t *s, struct op *o);

/*
 * A batch (pt_cursor_map_pages()): mostly one that crosses a level-1
 * node's end, some that run past the cursor's end or into a mapping.
 */
void gen_map_pages(const struct run *r, uint64_t *s, struct op *o);

/* A random mapping of the model inside [lo, hi), or NULL. */
const struct pt_model_map *pick_mapping(uint64_t *s, uint64_t lo, uint64_t hi);

void gen_jump(uint64_t *s, struct op *o);

/* A protect_mask: mostly legal masks, a few bad ones (the model's errors). */
void gen_protect_mask(uint64_t *s, struct op *o);

void gen_cursor(const struct run *r, uint64_t *s, struct op *o);

void gen_op(const struct run *r, uint64_t *s, struct op *o);

extern const char *const op_names[OP_JUMP + 1];

struct run {
	const struct pt_config *cfg;
	bool user;
	struct page_table pt;
	bool has_pt;
	struct pt_cursor cur;
	bool has_cursor;
	uint64_t frames_base;
	struct window win[MAX_WINDOWS];
	unsigned int nwin;
	unsigned int since_full;
	bool quiet;
	/* Set by the first failure. */
	bool failed;
	bool infra;
	unsigned int fail_op;
};

/* The model of the running table (pt_model_test.c). */
extern struct pt_model model;
