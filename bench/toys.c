// SPDX-License-Identifier: MPL-2.0
/* The in-process baselines; toys.h describes them. */

#include "toys.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TOY_PAGE 4096ULL
#define TOY_ENTRIES 512U
#define TOY_LEVELS 4U

/* The pool: pre-faulted, huge-page backed where the host allows. */
static uint8_t *pool;
static uint64_t pool_pages;
static uint64_t pool_next; /* Never handed out yet. */
static toy_pte *pool_free; /* Freed pages, linked through word 0. */
static uint64_t pool_in_use;

void toy_pool_init(uint64_t pages)
{
	size_t bytes = (size_t)(pages * TOY_PAGE);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("toy pool");
		exit(1);
	}
	/* The arena of the core gets the same treatment (harness.c). */
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	pool = p;
	pool_pages = pages;
}

uint64_t toy_pool_in_use(void)
{
	return pool_in_use;
}

/* kalloc() + memset(): a zeroed table page. */
static toy_pte *page_alloc(void)
{
	toy_pte *page = pool_free;

	if (page != NULL) {
		pool_free = (toy_pte *)(uintptr_t)page[0];
	} else {
		if (pool_next == pool_pages) {
			fprintf(stderr, "toy pool exhausted\n");
			exit(1);
		}
		page = (toy_pte *)(void *)(pool + pool_next++ * TOY_PAGE);
	}
	memset(page, 0, TOY_PAGE);
	pool_in_use++;
	return page;
}

static void page_free(toy_pte *page)
{
	page[0] = (toy_pte)(uintptr_t)pool_free;
	pool_free = page;
	pool_in_use--;
}

/* The index of @p va at @p level (1 = leaf table). */
static unsigned int px(unsigned int level, uint64_t va)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & (TOY_ENTRIES - 1);
}

static toy_pte *pte_table(toy_pte pte)
{
	return (toy_pte *)(uintptr_t)(pte & TOY_ADDR);
}

void toy_pt_new(struct toy_pt *t)
{
	t->root = page_alloc();
}

void toy_pt_free(struct toy_pt *t)
{
	/* Three nested loops instead of xv6's recursive freewalk. */
	for (unsigned int i = 0; i < TOY_ENTRIES; i++) {
		if ((t->root[i] & TOY_P) == 0) {
			continue;
		}
		toy_pte *l3 = pte_table(t->root[i]);

		for (unsigned int j = 0; j < TOY_ENTRIES; j++) {
			if ((l3[j] & (TOY_P | TOY_PS)) != TOY_P) {
				continue;
			}
			toy_pte *l2 = pte_table(l3[j]);

			for (unsigned int k = 0; k < TOY_ENTRIES; k++) {
				/* A 2 MiB leaf (PS) has no table below. */
				if ((l2[k] & (TOY_P | TOY_PS)) == TOY_P) {
					page_free(pte_table(l2[k]));
				}
			}
			page_free(l2);
		}
		page_free(l3);
	}
	page_free(t->root);
	t->root = NULL;
}

toy_pte *toy_walk_to(struct toy_pt *t, uint64_t va, unsigned int stop,
		     bool alloc)
{
	toy_pte *table = t->root;

	for (unsigned int level = TOY_LEVELS; level > stop; level--) {
		toy_pte *pte = &table[px(level, va)];

		if ((*pte & TOY_P) != 0) {
			table = pte_table(*pte);
		} else {
			if (!alloc) {
				return NULL;
			}
			table = page_alloc();
			*pte = (uint64_t)(uintptr_t)table | TOY_P | TOY_RW |
			       TOY_US;
		}
	}
	return &table[px(stop, va)];
}

toy_pte *toy_walk(struct toy_pt *t, uint64_t va, bool alloc)
{
	return toy_walk_to(t, va, 1, alloc);
}

bool toy_mappages(struct toy_pt *t, uint64_t va, uint64_t size, uint64_t pa,
		  toy_pte perm)
{
	uint64_t a = va & ~(TOY_PAGE - 1);
	uint64_t last = (va + size - 1) & ~(TOY_PAGE - 1);

	for (;;) {
		toy_pte *pte = toy_walk(t, a, true);

		if ((*pte & TOY_P) != 0) {
			return false; /* xv6: panic("mappages: remap") */
		}
		*pte = pa | perm | TOY_P;
		if (a == last) {
			return true;
		}
		a += TOY_PAGE;
		pa += TOY_PAGE;
	}
}

static _Atomic uint32_t toy_rcu_nest;
static _Atomic uint64_t toy_rcu_gen;
static _Atomic uint64_t toy_rcu_seen;
static _Atomic int toy_lock;

bool toy_mappages_locked(struct toy_pt *t, uint64_t va, uint64_t size,
			 uint64_t pa, toy_pte perm)
{
	atomic_fetch_add(&toy_rcu_nest, 1);
	atomic_store_explicit(&toy_rcu_seen, atomic_load(&toy_rcu_gen),
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	while (atomic_exchange_explicit(&toy_lock, 1, memory_order_acquire)) {
	}
	atomic_fetch_sub(&toy_rcu_nest, 1);
	bool ok = toy_mappages(t, va, size, pa, perm);

	atomic_store_explicit(&toy_lock, 0, memory_order_release);
	return ok;
}

bool toy_uvmunmap(struct toy_pt *t, uint64_t va, uint64_t npages)
{
	for (uint64_t a = va; a < va + npages * TOY_PAGE; a += TOY_PAGE) {
		toy_pte *pte = toy_walk(t, a, false);

		if (pte == NULL || (*pte & TOY_P) == 0) {
			return false;
		}
		*pte = 0;
	}
	return true;
}

/* The leaf table for @p va, walked once per 2 MiB. */
static toy_pte *leaf_table(struct toy_pt *t, uint64_t va, bool alloc)
{
	toy_pte *pte = toy_walk(t, va, alloc);

	return pte == NULL ? NULL : pte - px(1, va);
}

bool toy_cursor_map(struct toy_pt *t, uint64_t va, uint64_t npages, uint64_t pa,
		    toy_pte perm)
{
	while (npages > 0) {
		toy_pte *leaf = leaf_table(t, va, true);
		unsigned int i = px(1, va);
		unsigned int n = TOY_ENTRIES - i;

		if (n > npages) {
			n = (unsigned int)npages;
		}
		for (unsigned int k = 0; k < n; k++) {
			if ((leaf[i + k] & TOY_P) != 0) {
				return false;
			}
			leaf[i + k] = pa | perm | TOY_P;
			pa += TOY_PAGE;
		}
		va += (uint64_t)n * TOY_PAGE;
		npages -= n;
	}
	return true;
}

void toy_cursor_protect(struct toy_pt *t, uint64_t va, uint64_t npages,
			toy_pte clear)
{
	while (npages > 0) {
		toy_pte *leaf = leaf_table(t, va, false);
		unsigned int i = px(1, va);
		unsigned int n = TOY_ENTRIES - i;

		if (n > npages) {
			n = (unsigned int)npages;
		}
		for (unsigned int k = 0; leaf != NULL && k < n; k++) {
			leaf[i + k] &= ~clear;
		}
		va += (uint64_t)n * TOY_PAGE;
		npages -= n;
	}
}

uint64_t toy_cursor_unmap(struct toy_pt *t, uint64_t va, uint64_t npages)
{
	uint64_t removed = 0;

	while (npages > 0) {
		toy_pte *leaf = leaf_table(t, va, false);
		unsigned int i = px(1, va);
		unsigned int n = TOY_ENTRIES - i;

		if (n > npages) {
			n = (unsigned int)npages;
		}
		for (unsigned int k = 0; leaf != NULL && k < n; k++) {
			removed += (leaf[i + k] & TOY_P) != 0;
			leaf[i + k] = 0;
		}
		va += (uint64_t)n * TOY_PAGE;
		npages -= n;
	}
	return removed;
}

uint64_t toy_cursor_query(struct toy_pt *t, uint64_t va, uint64_t npages)
{
	uint64_t sum = 0;

	while (npages > 0) {
		toy_pte *leaf = leaf_table(t, va, false);
		unsigned int i = px(1, va);
		unsigned int n = TOY_ENTRIES - i;

		if (n > npages) {
			n = (unsigned int)npages;
		}
		for (unsigned int k = 0; leaf != NULL && k < n; k++) {
			sum += leaf[i + k] & TOY_ADDR;
		}
		va += (uint64_t)n * TOY_PAGE;
		npages -= n;
	}
	return sum;
}

void toy_flat_map(toy_pte *a, uint64_t npages, uint64_t pa, toy_pte perm)
{
	for (uint64_t i = 0; i < npages; i++) {
		a[i] = pa | perm | TOY_P;
		pa += TOY_PAGE;
	}
}

uint64_t toy_flat_query(const toy_pte *a, uint64_t npages)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < npages; i++) {
		sum += a[i] & TOY_ADDR;
	}
	return sum;
}
