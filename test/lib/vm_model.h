/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The VmSpace model test's model (test/unit/vm_model_test.c): spaces,
 * their pages and tokens, a shadow of every pool frame's bytes, how the
 * run is set up and torn down, and the checks after every operation.
 * Divergences are reported through EXPECT_* and ADD_FAILURE().
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/vm_space.h"

#include "pt_test_util.h"

#define UBASE (1ULL << 30)
#define MODEL_SEEDS 4U
#define MODEL_OPS 5000U
#define MODEL_SPACES 3
#define MODEL_PAGES 8
#define MODEL_TOKENS 6
/* The shadows take room only where the test runs. */
#define MODEL_FRAMES (IS_ENABLED(CONFIG_ARCH_USER_SPACES) ? 12 : 1)
#define KBUF_SIZE (4 * P)
/* Every this many operations, every shadow is compared with its frame. */
#define FULL_CHECK_OPS 32U

struct mframe {
	struct frame f;
	uint8_t bytes[P]; /* The shadow. */
};

struct mpage {
	int frame; /* Pool index, or -1. */
	bool writable;
};

struct mtoken {
	bool used;
	enum vm_io_kind kind;
	enum vm_io_state state;
	uint64_t life; /* Of the space it was created in. */
	uint64_t va;
	uint64_t len;
	uint64_t cursor; /* The model's reader/writer position. */
	uint64_t end;
	/* The real ones. */
	struct vm_user_reader r;
	struct vm_user_writer w;
	struct vm_io_owner tok;
};

struct mspace {
	bool exists;    /* The object holds a space, maybe destroyed. */
	bool destroyed; /* Its current life ended. */
	uint64_t life;
	bool shared;
	bool active;         /* The owner's flag. */
	struct vm_space *vs; /* The handle. */
	struct mpage pages[MODEL_PAGES];
	struct mtoken toks[MODEL_TOKENS];
};

struct vm_model {
	const struct pt_config *cfg;
	struct page_table kpt_store;
	struct page_table *kpt; /* kpt_store, or the kernel's own. */
	bool kpt_ok;
	bool kpt_owned;
	struct mframe frames[MODEL_FRAMES];
	struct mspace spaces[MODEL_SPACES];
	int cur; /* The space current on this CPU, or -1. */
	uint64_t next_life;
	bool registry;
	/* Where the run is, for a failure's report. */
	unsigned int op;
	uint64_t seed;
};

/* Statistics for the closing line. */
struct vm_model_tally {
	uint64_t ops;
	uint64_t copies;
	uint64_t bytes;
	uint64_t partial;
	uint64_t errs[OSTD_ERR_COUNT]; /* Expected outcomes, by error. */
	uint64_t full_checks;
};

/* The shadow byte behind user @p va of space @p s, if @p write may. */
uint8_t *m_byte(struct mspace *s, uint64_t va, bool write);

/* Bytes from @p va on that the access reaches before a fault, <= @p n. */
uint64_t m_run(struct mspace *s, uint64_t va, uint64_t n, bool write);

/* Copies between the shadow and a kernel buffer, page by page. */
void m_copy(struct mspace *s, uint64_t va, uint8_t *buf, uint64_t n,
	    bool to_user);

/* The token is the current life's and active: its copies may run. */
bool tok_usable(const struct mspace *s, const struct mtoken *t);

/* What a fallible side's check returns (vm_io.c's order). */
ostd_err_t side_err(const struct mspace *s, const struct mtoken *t);

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen);

/* can_create_reader / can_create_writer over the model's active tokens. */
bool m_can_create(const struct mspace *s, enum vm_io_kind kind, uint64_t va,
		  uint64_t len);

bool model_begin(const struct pt_config *cfg, uint64_t seed);

/* Disposes every active token and destroys every live space. */
void model_end(void);

/* The active token is in the registry (the space's token table). */
bool in_registry(struct vm_space *vs, const struct mtoken *t);

bool check_space(int i);

bool check_all(bool full);

extern struct vm_model m;
extern struct vm_model_tally tally;

/* Counts @p want among the expected outcomes, and returns it. */
ostd_err_t tally_err(ostd_err_t want);
