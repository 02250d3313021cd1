/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The TLB side of the page-table tests, on the host's simulated CPUs
 * (arch/host/include/ostd/host/sim.h). DESIGN.md §6 promises that a frame
 * is released only after every CPU that may cache a translation of it has
 * flushed; these helpers let a test put a table on simulated CPUs, fill
 * their TLBs by touching pages, and check that no TLB holds a translation
 * into a freed frame (TESTING.md I7, the half of it that needs no table).
 *
 * In a kernel image the TLB cannot be read: attaching and touching do
 * nothing and the check always passes.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/page_table.h"

/* The simulated CPUs the tests attach tables to: 0 is the caller's. */
#define PT_TEST_TLB_CPUS 2U

/**
 * Makes @p pt the table of simulated CPUs 0 .. PT_TEST_TLB_CPUS - 1, with
 * empty TLBs, in a kernel mode that can read every present page (x86
 * EFER.NXE, RISC-V sstatus.SUM, no SMAP or PAN), and adds them to its
 * active set, so that its flushers flush them. False if the host has no
 * software MMU for the format (nothing changed); always false in a kernel
 * image.
 */
bool pt_test_tlb_attach(struct page_table *pt);

/** Undoes pt_test_tlb_attach(): the CPUs leave @p pt with empty TLBs. */
void pt_test_tlb_detach(struct page_table *pt);

/**
 * Reads @p va through every attached CPU, which caches the translation if
 * the access is allowed. Returns true if CPU 0's read translated.
 */
bool pt_test_tlb_touch(uint64_t va);

/**
 * True if simulated CPU @p cpu translates @p va (through its TLB, walking
 * on a miss), and then *@p pa is where to.
 */
bool pt_test_tlb_translates(unsigned int cpu, uint64_t va, paddr_t *pa);

/** True if any simulated CPU's TLB translates into the frame at @p pa. */
bool pt_test_tlb_caches(paddr_t pa);

/**
 * The number of valid TLB entries, over every simulated CPU, that
 * translate into a free managed frame (the first or last 4 KiB of the
 * entry). Must be 0 at all times: the flusher keeps a frame until every
 * CPU has flushed it. Prints each one.
 */
unsigned int pt_test_tlb_freed_frames(void);
