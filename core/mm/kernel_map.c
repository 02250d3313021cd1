// SPDX-License-Identifier: MPL-2.0
/*
 * The kernel half (ostd/kernel_map.h): the kernel page table the ports
 * describe, and the one registry of device windows. The ports decide
 * where things go and with which rights (struct arch_kernel_layout,
 * struct kernel_image_section); this file walks the ranges through the
 * cursors.
 */

#include "ostd/kernel_map.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/internal/page_table.h"
#include "ostd/math.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"
#include "ostd/sync.h"

/*
 * Maps physical [@p pa, + @p len) at @p va (all page aligned) as untracked
 * items of the largest page size both sides' alignment allows, at most
 * @p max_level. On failure it takes back what it mapped, so the table is
 * as it was.
 */
static ostd_err_t map_range(struct page_table *kpt, uint64_t va, paddr_t pa,
			    uint64_t len, struct pt_prop prop,
			    pt_level_t max_level)
{
	struct pt_cursor cur;
	ostd_err_t err = pt_cursor_new_mut(kpt, va, va + len, &cur);
	uint64_t off = 0;

	if (err != OSTD_OK) {
		return err;
	}
	while (off < len && err == OSTD_OK) {
		paddr_t at = pa_init(pa_addr(pa) + off);
		pt_level_t level = MIN(
			max_level, pt_config_largest_pages(kpt->cfg, va + off,
							   at, len - off));

		err = pt_cursor_map(&cur, pt_item_untracked(at, level), prop);
		if (err == OSTD_OK) {
			off += pt_page_size(level);
		}
	}
	pt_cursor_drop(&cur);
	if (err != OSTD_OK && off > 0) {
		/* Whole leaves this call mapped: the unmap splits nothing. */
		CHECK(pt_cursor_new_mut(kpt, va, va + off, &cur) == OSTD_OK);
		CHECK(pt_cursor_unmap(&cur, off, NULL) == OSTD_OK);
		pt_cursor_drop(&cur);
	}
	return err;
}

/* map_range() for the build, where a failure stops the kernel. */
static void kernel_map_range(struct page_table *kpt, uint64_t va, paddr_t pa,
			     uint64_t len, struct pt_prop prop,
			     pt_level_t max_level, const char *what)
{
	ostd_err_t err = map_range(kpt, va, pa, len, prop, max_level);

	if (err != OSTD_OK) {
		panic("kernel page table: cannot map %s [%#llx, +%#llx): %s",
		      what, (unsigned long long)va, (unsigned long long)len,
		      ostd_err_name(err));
	}
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

static void map_ram(struct page_table *kpt, pt_level_t max_level)
{
	struct ram_ranges ram;

	collect_ram(ostd_boot_info(), &ram);
	for (unsigned int i = 0; i < ram.count; i++) {
		kernel_map_range(
			kpt, arch_kernel_layout.linear_base + ram.start[i],
			pa_init(ram.start[i]), ram.end[i] - ram.start[i],
			arch_kernel_layout.ram_prop, max_level,
			"the linear map");
	}
}

static void map_image(struct page_table *kpt,
		      const struct kernel_image_section *sections,
		      unsigned int count)
{
	const uint32_t wx = PROT_W | PROT_X;
	uint64_t delta = arch_image_delta();

	for (unsigned int i = 0; i < count; i++) {
		const struct kernel_image_section *s = &sections[i];
		uint64_t va = (uintptr_t)s->start;
		uint64_t len = (uintptr_t)s->end - va;

		if ((s->flags & wx) == wx) {
			panic("W+X check: %s asks to be writable and "
			      "executable",
			      s->what);
		}
		if (len == 0) {
			continue;
		}
		kernel_map_range(
			kpt, va, pa_init(va - delta), len,
			(struct pt_prop){ .flags = s->flags | PT_GLOBAL,
					  .cache = PT_CACHE_WRITEBACK },
			1, s->what);
	}
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

static void check_table_no_wx(struct page_table *kpt)
{
	pt_for_each_leaf(kpt, check_no_wx, NULL);
	ostd_printf("W+X check: passed\n");
}

/* True if [@p pa, + @p len) lies inside one memory region of the boot info. */
static bool range_in_ram(uint64_t pa, uint64_t len)
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

/*
 * The device windows: page-aligned physical [start, end), disjoint.
 * Before kernel_map_build() kpt is NULL and a window is only recorded;
 * the build maps the recorded ones and sets kpt, after which a new one is
 * mapped as it is recorded.
 */
static struct {
	struct spinlock lock;
	uint64_t start[KERNEL_MAP_DEVICE_MAX];
	uint64_t end[KERNEL_MAP_DEVICE_MAX];
	unsigned int count;
	struct page_table *kpt;
} devices = { .lock = SPINLOCK_INIT };

/* Maps window [@p start, @p end) into @p kpt, unless the RAM map has it. */
static ostd_err_t map_window(struct page_table *kpt, uint64_t start,
			     uint64_t end)
{
	if (range_in_ram(start, end - start)) {
		return OSTD_OK;
	}
	return map_range(kpt, arch_kernel_layout.linear_base + start,
			 pa_init(start), end - start,
			 arch_kernel_layout.device_prop, 1);
}

/* Records [@p start, @p end), or finds it inside a window. Lock held. */
static ostd_err_t add_window(uint64_t start, uint64_t end)
{
	for (unsigned int i = 0; i < devices.count; i++) {
		if (start >= devices.start[i] && end <= devices.end[i]) {
			return OSTD_OK;
		}
		if (start < devices.end[i] && devices.start[i] < end) {
			return OSTD_EEXIST;
		}
	}
	if (devices.count == KERNEL_MAP_DEVICE_MAX) {
		return OSTD_ENOMEM;
	}
	if (devices.kpt == NULL) {
		if (!arch_boot_maps_device(start, end - start)) {
			return OSTD_ERANGE;
		}
	} else {
		ostd_err_t err = map_window(devices.kpt, start, end);

		if (err != OSTD_OK) {
			return err;
		}
		arch_kernel_map_sync();
	}
	devices.start[devices.count] = start;
	devices.end[devices.count] = end;
	devices.count++;
	return OSTD_OK;
}

ostd_err_t kernel_map_device(paddr_t pa, uint64_t len, void **out)
{
	uint64_t start = align_down(pa_addr(pa), PAGE_SIZE);
	uint64_t end;

	if (out == NULL || len == 0) {
		return OSTD_EINVAL;
	}
	/* linear_size is page aligned: rounding up stays inside it. */
	if (!range_within(pa_addr(pa), len, 0,
			  arch_kernel_layout.linear_size) ||
	    align_up_checked(pa_addr(pa) + len, PAGE_SIZE, &end) != OSTD_OK) {
		return OSTD_ERANGE;
	}
	spin_lock(&devices.lock);
	ostd_err_t err = add_window(start, end);

	spin_unlock(&devices.lock);
	if (err == OSTD_OK) {
		*out = (void *)(uintptr_t)(arch_kernel_layout.linear_base +
					   pa_addr(pa));
	}
	return err;
}

void *kernel_map_device_or_panic(paddr_t pa, uint64_t len, const char *what)
{
	static bool failed;
	void *ptr;
	ostd_err_t err = kernel_map_device(pa, len, &ptr);

	if (err == OSTD_OK) {
		return ptr;
	}
	/* The panic's console failed too: nothing left to print on. */
	if (failed) {
		plat_power_off(OSTD_EXIT_PANIC);
	}
	failed = true;
	panic("cannot map %s at %#llx (+%#llx): %s", what,
	      (unsigned long long)pa_addr(pa), (unsigned long long)len,
	      ostd_err_name(err));
}

unsigned int kernel_map_device_count(void)
{
	spin_lock(&devices.lock);
	unsigned int count = devices.count;

	spin_unlock(&devices.lock);
	return count;
}

/* The windows recorded before the table existed; later ones map at once. */
static void map_recorded_windows(struct page_table *kpt)
{
	spin_lock(&devices.lock);
	for (unsigned int i = 0; i < devices.count; i++) {
		ostd_err_t err =
			map_window(kpt, devices.start[i], devices.end[i]);

		if (err != OSTD_OK) {
			panic("kernel page table: cannot map the device window "
			      "[%#llx, %#llx): %s",
			      (unsigned long long)devices.start[i],
			      (unsigned long long)devices.end[i],
			      ostd_err_name(err));
		}
	}
	devices.kpt = kpt;
	spin_unlock(&devices.lock);
}

void kernel_map_build(struct page_table *kpt, pt_level_t ram_max_level,
		      const struct kernel_image_section *sections,
		      unsigned int section_count)
{
	if (kpt == NULL || (sections == NULL && section_count != 0)) {
		panic("kernel page table: nothing to build");
	}
	map_ram(kpt, ram_max_level);
	map_recorded_windows(kpt);
	map_image(kpt, sections, section_count);
	/* The cursors refuse W+X in kernel tables; check what they built. */
	check_table_no_wx(kpt);
}
