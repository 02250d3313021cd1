/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The raw user-memory primitives (DESIGN.md §8). They are the one way the
 * kernel touches user memory, and they are exactly what the owner tokens
 * gate: only core/mm/vm_io.c calls them, after re-checking the reader or
 * writer against its token. This header is the arch contract, never part
 * of the kernel-author API (the header-set check in ./ostd test keeps it
 * out).
 *
 * Common to every hook here:
 * - Context: a task or the boot task, preemption as the caller has it,
 *   interrupts in any state; no spinlock is required, but the caller may
 *   hold the space's lock (the hooks never sleep).
 * - Preconditions: [va, va + len) lies in user space (the core checked
 *   it, overflow-safe) and the current root is the space's (the core
 *   checked vm_space_is_current()). Anything else is undefined.
 * - Faults: an access that faults is recovered through the exception
 *   table (ostd/extable.h) and the hook returns the bytes done before the
 *   first faulting byte; it never panics on a user fault.
 * - Access gates: user access is opened only inside the hook (x86 STAC /
 *   CLAC, SDM Vol. 3A §4.6 "Access Rights" (SMAP); RISC-V sstatus.SUM,
 *   Privileged spec §4.1.1.2; AArch64 LDTR/STTR unprivileged accesses
 *   under PAN, Arm ARM D8.4 / "Unprivileged load/store") and closed on
 *   every exit path, the fault path included.
 * - Barriers: none owed by the caller; the copies are ordinary accesses.
 *   The atomics are sequentially consistent (a full barrier on each side).
 */

#include <stdbool.h>
#include <stdint.h>

/** Copies @p len bytes from user @p src; returns the bytes done. */
uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len);

/** Copies @p len bytes to user @p dst; returns the bytes done. */
uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len);

/** Stores @p byte into @p len user bytes at @p dst; the bytes done. */
uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len);

/**
 * Loads the 32-bit user word at @p va (4-byte aligned: the core checks)
 * into *@p val; false on a fault, *@p val then untouched.
 */
bool arch_atomic_load_user(uint64_t va, uint32_t *val);

/**
 * Compare-and-exchange on the 32-bit user word at @p va (4-byte aligned):
 * stores @p new_val if it held @p expected; *@p old gets what it held.
 * False on a fault, with nothing stored.
 */
bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
		       uint32_t *old);
