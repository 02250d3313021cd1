/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Small helpers the page-table and VmSpace tests share: the twin formats
 * ("x" and "x-kernel"), a fresh table of either half, and a deterministic
 * PRNG. Plain C for both test images (no libc).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/page_table.h"
#include "ostd/pt_config.h"

/* One base page: the unit the tests count in. */
#define P PAGE_SIZE

/* Write-back data, read-write and read-only. */
extern const struct pt_prop prop_rw;
extern const struct pt_prop prop_ro;

/** The kernel twin of user config @p user ("x" -> "x-kernel"), or NULL. */
const struct pt_config *pt_test_kernel_twin(const struct pt_config *user);

/** The user twin of kernel config @p kernel ("x-kernel" -> "x"), or NULL. */
const struct pt_config *pt_test_user_twin(const struct pt_config *kernel);

/**
 * A fresh table of @p cfg's half: page_table_new_user(cfg, NULL, pt) for a
 * user format, page_table_new_kernel(cfg, pt) for a kernel one.
 */
ostd_err_t pt_test_new_table(const struct pt_config *cfg,
			     struct page_table *pt);

/** splitmix64: the next value of the stream with state @p s. */
uint64_t pt_test_rng_next(uint64_t *s);

/** Uniform in [0, n), n > 0 (the bias is irrelevant here). */
uint64_t pt_test_rng_below(uint64_t *s, uint64_t n);

/** True with probability @p pct percent. */
bool pt_test_rng_pct(uint64_t *s, unsigned int pct);

/**
 * The kernel table a test's user spaces of kernel format @p kcfg go on.
 * On the host (any format) it is a fresh table in @p storage, *@p owned
 * true. On a kernel image it is the kernel's own table, the only one that
 * maps the running kernel (a space on a bare table could not be
 * installed), *@p owned false; @p kcfg must be its format.
 */
ostd_err_t pt_test_kernel_parent(const struct pt_config *kcfg,
				 struct page_table *storage,
				 struct page_table **out, bool *owned);

/** Gives back what pt_test_kernel_parent() returned. */
void pt_test_kernel_parent_release(struct page_table *pt, bool owned);

/**
 * Leaves this simulated CPU with no root, as it booted (a no-op on a
 * kernel image). A space destroyed while current leaves the CPU on the
 * test's kernel table, which the test destroys too: no later test may
 * translate through freed frames (or, worse, find a new space "current"
 * because its root reuses the freed frame).
 */
void cpu_forget_root(void);
