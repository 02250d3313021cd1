/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Building page tables by hand, with a format's codec only, in a private
 * window of the simulated memory: how the hardware-agreement tests set up
 * what the software MMU then walks. No core code is involved.
 */

#include "ostd/host/sim.h"
#include "ostd/pt_config.h"

struct pt_builder {
	const struct pt_config *cfg;
	uint64_t next; /* The next free table page. */
	uint64_t end;
	paddr_t root;
};

/* The scratch window of each agreement test, 1 MiB each. */
#define PT_BUILDER_WINDOW(n) (SIM_SCRATCH_BASE + ((uint64_t)(n) << 20))

/**
 * Starts an empty table for @p cfg with pages from [@p base, @p base + 512
 * KiB); the other half of the window is for the test's data frames.
 */
void pt_builder_init(struct pt_builder *b, const struct pt_config *cfg,
		     uint64_t base);

/** A data frame of the window: [@p base + 512 KiB + n * 4 KiB]. */
uint64_t pt_builder_data(const struct pt_builder *b, unsigned int n);

/** Maps @p va to @p pa with a leaf at @p level, creating tables. */
void pt_builder_map(struct pt_builder *b, uint64_t va, uint64_t pa,
		    pt_level_t level, struct pt_prop prop);

/**
 * Stores the raw entry @p pte at @p level on the way to @p va, creating
 * the tables above it as pt_builder_map() does: for encodings the codec
 * never makes. Returns the entry.
 */
pte_t *pt_builder_put(struct pt_builder *b, uint64_t va, pt_level_t level,
		      pte_t pte);

/**
 * Builds on with @p cfg from now on, in the same table: the user and the
 * kernel config of one format, whose halves share a root. @p cfg must have
 * the builder's number of levels.
 */
void pt_builder_use(struct pt_builder *b, const struct pt_config *cfg);

/** The entry at @p level on the way to @p va (tables must exist). */
pte_t *pt_builder_slot(const struct pt_builder *b, uint64_t va,
		       pt_level_t level);
