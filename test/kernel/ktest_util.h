/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Helpers for the tests only a real (emulated) CPU can run: user spaces on
 * the kernel's own table, pages filled with code or markers, and a user
 * probe (one access from ring 3 / U-mode / EL0, then a system call).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/probe.h"

#include "ostd/host/sim.h"
#include "ostd/page_table.h"
#include "ostd/user.h"
#include "ostd/vm_space.h"

/* Where the probe code is mapped in every test space. */
#define KT_CODE_VA 0x200000ULL
/* Where test data pages go. */
#define KT_DATA_VA 0x40000000ULL
/* A stack for the probe (it never uses it, but sp must be a user address). */
#define KT_STACK_TOP 0x7ff000000000ULL

/* Offsets inside a test page. */
#define KT_RET_OFF 0      /* arch_ret_insn, for kernel exec probes. */
#define KT_SYSCALL_OFF 64 /* arch_syscall_insn, for user exec probes. */
#define KT_MARKER_OFF 128 /* A marker byte, for reads. */
#define KT_WRITE_OFF 256  /* Where write probes store. */

/** A space on the kernel's table, installed on this CPU. */
ostd_err_t kt_space_new(struct vm_space **vs);

/** Destroys @p vs (switching back to the kernel table). */
void kt_space_destroy(struct vm_space *vs);

/**
 * Maps a fresh untyped frame at user @p va with @p prop, filled as a test
 * page (code at KT_RET_OFF and KT_SYSCALL_OFF, @p marker at KT_MARKER_OFF).
 * *@p pa (if not NULL) gets the frame.
 */
ostd_err_t kt_map_user_page(struct vm_space *vs, uint64_t va,
			    struct pt_prop prop, uint8_t marker, paddr_t *pa);

/**
 * Maps the untyped frame @p pa at user @p va with @p prop; the mapping
 * takes its own reference, the caller keeps its.
 */
ostd_err_t kt_map_frame(struct vm_space *vs, uint64_t va, paddr_t pa,
			struct pt_prop prop);

/** Maps the user probe code for @p kind at KT_CODE_VA, read + exec. */
ostd_err_t kt_map_probe_code(struct vm_space *vs, enum probe_access kind);

/** Maps @p code at KT_CODE_VA, read + exec, replacing what was there. */
ostd_err_t kt_map_code(struct vm_space *vs, struct arch_code code);

/** Unmaps [va, va + len) of user space. */
ostd_err_t kt_unmap_user(struct vm_space *vs, uint64_t va, uint64_t len);

/**
 * Runs the probe code (mapped by kt_map_probe_code() for the same kind)
 * on @p addr. Returns 1 if the access happened (the probe reached its
 * system call; *@p byte gets the byte a read loaded), 0 if it took a page
 * fault at @p addr, and -1 (after printing why) for anything else.
 */
int kt_user_probe(enum probe_access kind, uint64_t addr, uint8_t val,
		  uint8_t *byte);

/** Fills a fresh frame as a test page, without mapping it. */
ostd_err_t kt_test_frame(uint8_t marker, paddr_t *pa);

/**
 * Loads the aligned 32-bit value at user @p va of @p vs (current on this
 * CPU) through a user VmReader and its token (created, activated, used
 * and retired here), so a value another CPU's user code is writing is
 * read whole and under the owner's rules.
 */
ostd_err_t kt_user_load32(struct vm_space *vs, uint64_t va, uint32_t *val);

/**
 * Yields (or, with nothing else to run here, spins) until @p done(@p arg)
 * holds or @p ms milliseconds of timer ticks passed. Returns the last
 * @p done.
 */
bool kt_wait_until(bool (*done)(void *arg), void *arg, uint64_t ms);

/*
 * User programs that never make a system call: they run until the kernel
 * takes the CPU back (time slice, CPU-time limit) or they fault.
 * Position independent, mapped with kt_map_code().
 */

/** Adds 1 to the 32-bit word at argument register 0, forever. */
struct arch_code kt_counter_code(void);

/*
 * Forever: v = the 32-bit word at argument register 0 (the watched
 * page); seen |= v; then stores seen, v and the iteration count, in that
 * order, at argument register 1 (the result page), at these offsets.
 */
#define KT_WATCH_ITER_OFF 0
#define KT_WATCH_LAST_OFF 4
#define KT_WATCH_SEEN_OFF 8
struct arch_code kt_watch_code(void);

/** The software MMU of this kernel's format (arch/host/sim_mmu_*.c). */
const struct sim_mmu_hw *kt_sim_mmu(void);

/** The mode the kernel runs user or kernel accesses in, for the sim. */
struct sim_mode kt_sim_mode(bool user);
