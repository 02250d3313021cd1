// SPDX-License-Identifier: MPL-2.0
/*
 * The riscv64 kernel moves from boot.S's tables onto the core's kernel
 * page table (DESIGN.md §2): the linear map of RAM and of the registered
 * device ranges at PHYS_OFFSET, and the image at its link address with
 * per-section rights, checked for W+X, then satp. References are to the
 * RISC-V Privileged Spec v1.12.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"

#include "ostd/boot.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/printf.h"
#include "ostd/vm_space.h"

extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/* Device ranges the boards use (riscv_mmio_map()): a UART, an exit device. */
#define MMIO_MAX 8

static struct {
	uint64_t pa;
	uint64_t len;
} mmio[MMIO_MAX];
static unsigned int mmio_count;

/* The kernel table once it is installed, for late riscv_mmio_map() calls. */
static struct page_table *kernel_pt;

static uint64_t align_down_page(uint64_t x)
{
	return x & ~(PAGE_SIZE - 1);
}

static uint64_t align_up_page(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/*
 * Maps physical [pa, pa + len) at @p va (all page aligned) as untracked
 * items of the largest page size both sides' alignment allows, capped at
 * @p max_level.
 */
static void map_range(struct page_table *kpt, uint64_t va, uint64_t pa,
		      uint64_t len, struct pt_prop prop, pt_level_t max_level,
		      const char *what)
{
	struct pt_cursor cur;
	ostd_err_t err = pt_cursor_new_mut(kpt, va, va + len, &cur);

	if (err != OSTD_OK) {
		panic("kernel page table: no cursor for %s [%#llx, +%#llx): %s",
		      what, (unsigned long long)va, (unsigned long long)len,
		      ostd_err_name(err));
	}
	for (uint64_t off = 0; off < len;) {
		pt_level_t level = pt_config_largest_pages(
			kpt->cfg, va + off, pa_init(pa + off), len - off);

		if (level > max_level) {
			level = max_level;
		}
		err = pt_cursor_map(&cur,
				    pt_item_untracked(pa_init(pa + off), level),
				    prop);
		if (err != OSTD_OK) {
			panic("kernel page table: cannot map %s at %#llx: %s",
			      what, (unsigned long long)(va + off),
			      ostd_err_name(err));
		}
		off += pt_page_size(level);
	}
	pt_cursor_drop(&cur);
}

/*
 * The linear map's rights: read and write, never execute, global (4.3.1:
 * G marks a mapping that exists in every address space, which the kernel
 * half is, since every user root shares its entries).
 */
static const struct pt_prop linear_prop = {
	.flags = PROT_R | PROT_W | PT_GLOBAL,
	.cache = PT_CACHE_WRITEBACK,
};

static void map_mmio(struct page_table *kpt, unsigned int i)
{
	/*
	 * 3.6 "Physical Memory Attributes": cacheability and ordering of a
	 * device range come from the platform's PMAs, not the PTE (no
	 * Svpbmt), so the same RW leaf is right for registers.
	 */
	map_range(kpt, PHYS_OFFSET + mmio[i].pa, mmio[i].pa, mmio[i].len,
		  linear_prop, 1, "a device range");
}

/* Whether [pa, pa + len) lies inside a RAM region, mapped already. */
static bool in_ram(uint64_t pa, uint64_t len)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	for (unsigned int i = 0; info != NULL && i < info->mem_count; i++) {
		uint64_t base = pa_addr(info->mem[i].base);

		if (pa >= base && pa + len <= base + info->mem[i].size) {
			return true;
		}
	}
	return false;
}

void *riscv_mmio_map(uint64_t pa, uint64_t size)
{
	uint64_t start = align_down_page(pa);
	uint64_t len = align_up_page(pa + (size == 0 ? 1 : size)) - start;
	bool known = false;

	for (unsigned int i = 0; i < mmio_count; i++) {
		if (start >= mmio[i].pa &&
		    start + len <= mmio[i].pa + mmio[i].len) {
			known = true;
		}
	}
	if (!known && mmio_count < MMIO_MAX) {
		mmio[mmio_count].pa = start;
		mmio[mmio_count].len = len;
		mmio_count++;
		if (kernel_pt != NULL && !in_ram(start, len)) {
			map_mmio(kernel_pt, mmio_count - 1);
		}
	}
	return arch_paddr_to_ptr(pa_init(pa));
}

/* Merged, page-aligned physical ranges of every RAM region. */
struct ram_ranges {
	uint64_t start[OSTD_MAX_MEM_REGIONS];
	uint64_t end[OSTD_MAX_MEM_REGIONS];
	unsigned int count;
};

static void collect_ram(const struct ostd_boot_info *info,
			struct ram_ranges *out)
{
	out->count = 0;
	for (unsigned int i = 0; i < info->mem_count; i++) {
		const struct ostd_mem_region *r = &info->mem[i];
		uint64_t start = align_down_page(pa_addr(r->base));
		uint64_t end = align_up_page(pa_addr(r->base) + r->size);

		/* Insertion sort by start. */
		unsigned int j = out->count++;

		while (j > 0 && out->start[j - 1] > start) {
			out->start[j] = out->start[j - 1];
			out->end[j] = out->end[j - 1];
			j--;
		}
		out->start[j] = start;
		out->end[j] = end;
	}
	/* Merge overlapping and touching ranges. */
	unsigned int n = 0;

	for (unsigned int i = 0; i < out->count; i++) {
		if (n > 0 && out->start[i] <= out->end[n - 1]) {
			if (out->end[i] > out->end[n - 1]) {
				out->end[n - 1] = out->end[i];
			}
			continue;
		}
		out->start[n] = out->start[i];
		out->end[n] = out->end[i];
		n++;
	}
	out->count = n;
}

static void map_image_part(struct page_table *kpt, const char *start,
			   const char *end, uint32_t flags, const char *what)
{
	uint64_t va = (uintptr_t)start;
	uint64_t len = (uintptr_t)end - va;

	if (len == 0) {
		return;
	}
	map_range(kpt, va, va - riscv_image_delta, len,
		  (struct pt_prop){ .flags = flags | PT_GLOBAL,
				    .cache = PT_CACHE_WRITEBACK },
		  1, what);
}

static void check_no_wx(const struct pt_query *leaf, void *ctx)
{
	const uint32_t wx = PROT_W | PROT_X;

	(void)ctx;
	if ((leaf->prop.flags & wx) == wx) {
		panic("W+X check: the leaf at %#llx (+%#llx) is writable and "
		      "executable",
		      (unsigned long long)leaf->va,
		      (unsigned long long)leaf->size);
	}
}

/* satp for @p pt with ASID 0 (4.1.11). */
uint64_t riscv_satp_for(const struct page_table *pt)
{
	uint64_t mode = pt->cfg->nr_levels == 3 ? RISCV_SATP_MODE_SV39
						: RISCV_SATP_MODE_SV48;

	return mode << RISCV_SATP_MODE_SHIFT |
	       (pa_addr(pt->root) >> PAGE_SHIFT & RISCV_SATP_PPN_MASK);
}

void riscv_satp_switch(uint64_t satp)
{
	/*
	 * 4.1.11 satp and 4.2.1 SFENCE.VMA: the first fence orders earlier
	 * page-table stores before the walks of the new root; the write
	 * itself flushes nothing, and every space uses ASID 0, so the second
	 * fence (all addresses, all ASIDs) drops the old root's translations
	 * before anything runs on the new one (TESTING.md S7).
	 */
	__asm__ volatile("sfence.vma zero, zero\n\t"
			 "csrw satp, %0\n\t"
			 "sfence.vma zero, zero"
			 :
			 : "r"(satp)
			 : "memory");
}

void arch_kernel_pt_activate(struct page_table *kpt)
{
	if (kpt == NULL) {
		panic("no kernel page table to activate");
	}
	/* (a) The linear map: every RAM region, RW, not executable, global. */
	struct ram_ranges ram;

	collect_ram(ostd_boot_info(), &ram);
	for (unsigned int i = 0; i < ram.count; i++) {
		map_range(kpt, PHYS_OFFSET + ram.start[i], ram.start[i],
			  ram.end[i] - ram.start[i], linear_prop,
			  kpt->cfg->highest_translation_level,
			  "the linear map");
	}
	/* (b) The device registers the board registered, outside RAM. */
	for (unsigned int i = 0; i < mmio_count; i++) {
		if (!in_ram(mmio[i].pa, mmio[i].len)) {
			map_mmio(kpt, i);
		}
	}

	/* (c) The image, per section: text RX, rodata R, data + bss RW. */
	map_image_part(kpt, __text_start, __text_end, PROT_R | PROT_X,
		       "the kernel text");
	map_image_part(kpt, __rodata_start, __rodata_end, PROT_R,
		       "the kernel rodata");
	map_image_part(kpt, __data_start, __data_end, PROT_R | PROT_W,
		       "the kernel data");

	/* The core refuses W+X in kernel tables; check what it built. */
	pt_for_each_leaf(kpt, check_no_wx, NULL);
	ostd_printf("W+X check: passed\n");

	/* From here on boot.S's tables are unused. */
	riscv_satp_switch(riscv_satp_for(kpt));
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());
	kernel_pt = kpt;
}
