// SPDX-License-Identifier: MPL-2.0
/*
 * The port-independent steps of building the kernel page table
 * (ostd/kernel_map.h). The ports decide where things go and with which
 * rights; this file walks the ranges through the cursors.
 */

#include "ostd/kernel_map.h"

#include "ostd/boot.h"
#include "ostd/internal/page_table.h"
#include "ostd/math.h"
#include "ostd/panic.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"

void kernel_map_range(struct page_table *kpt, uint64_t va, paddr_t pa,
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
		paddr_t at = pa_init(pa_addr(pa) + off);
		pt_level_t level = MIN(
			max_level, pt_config_largest_pages(kpt->cfg, va + off,
							   at, len - off));

		err = pt_cursor_map(&cur, pt_item_untracked(at, level), prop);
		if (err != OSTD_OK) {
			panic("kernel page table: cannot map %s at %#llx: %s",
			      what, (unsigned long long)(va + off),
			      ostd_err_name(err));
		}
		off += pt_page_size(level);
	}
	pt_cursor_drop(&cur);
}

/* Merged, page-aligned physical ranges of every memory region. */
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
		uint64_t start = align_down(pa_addr(r->base), PAGE_SIZE);
		uint64_t end =
			align_down(pa_addr(r->base) + r->size + (PAGE_SIZE - 1),
				   PAGE_SIZE);
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
			out->end[n - 1] = MAX(out->end[n - 1], out->end[i]);
			continue;
		}
		out->start[n] = out->start[i];
		out->end[n] = out->end[i];
		n++;
	}
	out->count = n;
}

void kernel_map_ram(struct page_table *kpt, uint64_t linear_base,
		    struct pt_prop prop, pt_level_t max_level)
{
	struct ram_ranges ram;

	collect_ram(ostd_boot_info(), &ram);
	for (unsigned int i = 0; i < ram.count; i++) {
		kernel_map_range(kpt, linear_base + ram.start[i],
				 pa_init(ram.start[i]),
				 ram.end[i] - ram.start[i], prop, max_level,
				 "the linear map");
	}
}

void kernel_map_image_section(struct page_table *kpt, const void *start,
			      const void *end, uint64_t va_to_pa,
			      uint32_t flags, const char *what)
{
	uint64_t va = (uintptr_t)start;
	uint64_t len = (uintptr_t)end - va;

	if (len == 0) {
		return;
	}
	kernel_map_range(kpt, va, pa_init(va - va_to_pa), len,
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

void kernel_check_no_wx(struct page_table *kpt)
{
	/* The cursors refuse W+X in kernel tables; check what they built. */
	pt_for_each_leaf(kpt, check_no_wx, NULL);
	ostd_printf("W+X check: passed\n");
}

bool kernel_range_in_ram(uint64_t pa, uint64_t len)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	for (unsigned int i = 0; info != NULL && i < info->mem_count; i++) {
		uint64_t base = pa_addr(info->mem[i].base);

		if (pa >= base && pa - base <= info->mem[i].size &&
		    len <= info->mem[i].size - (pa - base)) {
			return true;
		}
	}
	return false;
}
