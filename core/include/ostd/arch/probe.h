/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Probes for the tests only real hardware can run (test/unit/hw_test.c):
 * single accesses with exception-table entries, so that a fault is
 * observed instead of fatal. Unlike the fallible copies they do NOT open
 * user access (SMAP, SUM, PAN stay closed): a probe of a user address is
 * exactly the raw kernel dereference those features must stop.
 */

enum probe_access {
	PROBE_READ,
	PROBE_WRITE,
	PROBE_EXEC,
};

/** Loads the byte at @p va into *@p out. False if it faulted. */
bool arch_probe_read(uintptr_t va, uint8_t *out);

/** Stores @p val at @p va. False if it faulted. */
bool arch_probe_write(uintptr_t va, uint8_t val);

/**
 * Calls @p va, which must hold arch_ret_insn (a bare return). False if
 * the fetch faulted.
 */
bool arch_probe_exec(uintptr_t va);

/* Machine code: a bare function return, and a bare system call. */
struct arch_code {
	const uint8_t *bytes;
	unsigned int len;
};

extern const struct arch_code arch_ret_insn;
extern const struct arch_code arch_syscall_insn;

/**
 * User code that makes access @p kind to the address in argument register
 * 0 (for PROBE_EXEC: jumps there) and then makes a system call. Position
 * independent.
 */
struct arch_code arch_user_probe_code(enum probe_access kind);

/** True if this CPU stops raw kernel access to user pages (SMAP etc.). */
bool arch_user_access_protected(void);
