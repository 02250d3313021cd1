// SPDX-License-Identifier: MPL-2.0
/*
 * The aarch64 kernel moves from boot.S's tables onto the core's kernel page
 * table (DESIGN.md §2): the linear map of RAM at PHYS_OFFSET, the device
 * windows drivers asked for, and the image at KERNEL_VMA_OFFSET with
 * per-section rights, checked for W+X; then TTBR1_EL1 and TTBR0_EL1, and
 * PSTATE.PAN. Layout and the T0SZ = T1SZ = 17 choice: aarch64_layout.h.
 *
 * "Arm ARM" is DDI 0487 (G.b section numbers, with their names).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"
#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/boot.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/printf.h"

extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/* mmu.S; runs at its physical address, through boot.S's identity map. */
void aarch64_replace_ttbr1(uint64_t ttbr1, uint64_t empty_ttbr1);

uint8_t aarch64_has_pan;
uint64_t aarch64_uaccess_closed;
uint64_t aarch64_uaccess_open;

/* The device windows aarch64_ioremap() handed out. */
#define IO_MAX 8
static struct {
	uint64_t pa;
	uint64_t len;
} io_windows[IO_MAX];
static unsigned int io_count;
static struct page_table *active_kpt;

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
 * Device memory: Device-nGnRnE (PT_CACHE_UNCACHED, MAIR index 3), never
 * executable (the codec sets UXN and PXN without PROT_X). Every kernel
 * mapping carries PT_ACCESSED: without hardware Access flag management an
 * access through a descriptor with AF = 0 faults (D5.4.12 "The Access
 * flag"). PT_GLOBAL: nG = 0, the TLB entries survive a TTBR0 switch.
 */
static void map_device(struct page_table *kpt, uint64_t pa, uint64_t len)
{
	map_range(kpt, PHYS_OFFSET + pa, pa, len,
		  (struct pt_prop){ .flags = PROT_R | PROT_W | PT_GLOBAL |
					     PT_ACCESSED,
				    .cache = PT_CACHE_UNCACHED },
		  1, "a device window");
}

void *aarch64_ioremap(uint64_t pa, uint64_t len)
{
	uint64_t start = align_down_page(pa);
	uint64_t end = align_up_page(pa + len);

	for (unsigned int i = 0; i < io_count; i++) {
		if (start >= io_windows[i].pa &&
		    end <= io_windows[i].pa + io_windows[i].len) {
			return (void *)(uintptr_t)(PHYS_OFFSET + pa);
		}
	}
	if (io_count == IO_MAX) {
		panic("aarch64_ioremap: more than %d device windows", IO_MAX);
	}
	/*
	 * boot.S maps the devices below the image's 1 GiB block and from
	 * AARCH64_BOOT_DEVICE_FLOOR on.
	 */
	if (active_kpt == NULL &&
	    end > (aarch64_kimage_pa_base & ~0x3fffffffULL) &&
	    start < AARCH64_BOOT_DEVICE_FLOOR) {
		panic("aarch64_ioremap: %#llx is above boot.S's device map",
		      (unsigned long long)pa);
	}
	io_windows[io_count].pa = start;
	io_windows[io_count].len = end - start;
	io_count++;
	if (active_kpt != NULL) {
		map_device(active_kpt, start, end - start);
		/*
		 * A new entry replaced an invalid one: no TLB entry can hold
		 * it, but the walker must see the write before the driver's
		 * first access (D5.10.1 "General TLB maintenance
		 * requirements": DSB, then ISB for this PE's own accesses).
		 */
		__asm__ volatile("dsb ishst\n\tisb" : : : "memory");
	}
	return (void *)(uintptr_t)(PHYS_OFFSET + pa);
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
	map_range(kpt, va, pa_addr(arch_ptr_to_paddr(start)), len,
		  (struct pt_prop){ .flags = flags | PT_GLOBAL | PT_ACCESSED,
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

void arch_kernel_pt_activate(struct page_table *kpt)
{
	if (kpt == NULL) {
		panic("no kernel page table to activate");
	}
	/* (a) The linear map: every RAM region, RW, never executable. */
	struct ram_ranges ram;

	collect_ram(ostd_boot_info(), &ram);
	for (unsigned int i = 0; i < ram.count; i++) {
		map_range(kpt, PHYS_OFFSET + ram.start[i], ram.start[i],
			  ram.end[i] - ram.start[i],
			  (struct pt_prop){ .flags = PROT_R | PROT_W |
						     PT_GLOBAL | PT_ACCESSED,
					    .cache = PT_CACHE_WRITEBACK },
			  3, "the linear map");
	}
	/* (b) The device windows handed out so far (the console). */
	for (unsigned int i = 0; i < io_count; i++) {
		map_device(kpt, io_windows[i].pa, io_windows[i].len);
	}
	/*
	 * (c) The image, per section: text RX, rodata R, data + bss RW.
	 * The codec puts UXN on every kernel leaf and PXN on every one but
	 * text (pt_format.c).
	 */
	map_image_part(kpt, __text_start, __text_end, PROT_R | PROT_X,
		       "the kernel text");
	map_image_part(kpt, __rodata_start, __rodata_end, PROT_R,
		       "the kernel rodata");
	map_image_part(kpt, __data_start, __data_end, PROT_R | PROT_W,
		       "the kernel data");

	/* The core refuses W+X in kernel tables; check what it built. */
	pt_for_each_leaf(kpt, check_no_wx, NULL);
	ostd_printf("W+X check: passed\n");

	uint64_t root = pa_addr(kpt->root);
	void (*replace)(uint64_t, uint64_t) =
		(void (*)(uint64_t, uint64_t))(uintptr_t)pa_addr(
			arch_ptr_to_paddr((const void *)aarch64_replace_ttbr1));

	/*
	 * The walker must see every descriptor the cursors wrote before the
	 * TTBR write makes them reachable (D5.10.1: a DSB orders the table
	 * writes before later translation table walks).
	 */
	__asm__ volatile("dsb ish" : : : "memory");
	/*
	 * TTBR1_EL1 changes under our feet: the kernel half is remapped
	 * with other block sizes at the same addresses. Doing that in one
	 * write could leave TLB entries of both tables for one address (a
	 * TLB conflict, D5.10.3 "TLB conflict aborts"). mmu.S runs from the
	 * identity map (TTBR0_EL1 is still boot.S's root) and goes through
	 * an empty table first: the lower half of our own root, entries
	 * 0..255, which the kernel config never fills.
	 */
	replace(root + AARCH64_ROOT_KERNEL_HALF, root);
	/*
	 * TTBR0_EL1: the same root, whose lower half is empty until a
	 * VmSpace is activated (vm.c). The identity map is gone with it;
	 * flush what the TLB kept of it (D5.10.2: TLBI, DSB, ISB). From here
	 * on boot.S's tables are unused.
	 */
	aarch64_write_sysreg(ttbr0_el1, root);
	__asm__ volatile("isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
			 :
			 :
			 : "memory");
	cpu_set_add(&kpt->active_cpus, arch_cpu_id());
	active_kpt = kpt;

	/*
	 * Privileged Access Never (D5.4.7 "Privileged access never", FEAT_PAN
	 * from Armv8.1): with PSTATE.PAN = 1 an EL1 data access to a page
	 * EL0 may access faults. boot.S cleared SCTLR_EL1.SPAN, so every
	 * exception to EL1 sets it again. The user copies use LDTR/STTR,
	 * which PAN does not restrict; only the 32-bit atomics clear it,
	 * around one exclusive pair (usercopy.S).
	 */
	uint64_t mmfr1 = aarch64_read_sysreg(id_aa64mmfr1_el1);

	if (((mmfr1 >> AARCH64_ID_MMFR1_PAN_SHIFT) & 0xf) != 0) {
		aarch64_has_pan = 1;
		/* MSR PAN, #1 (C5.2.13 "PAN"), spelled out: clang-14 wants
		 * +pan for the mnemonic. */
		__asm__ volatile(".inst 0xd500419f" : : : "memory");
	} else {
		/*
		 * No FEAT_PAN (Cortex-A53): Linux's software PAN
		 * (CONFIG_ARM64_SW_TTBR0_PAN). In the kernel TTBR0_EL1 is our
		 * root, whose lower half stays empty, with ASID 0; user
		 * leaves are non-global and tagged with ASID 1 (vm.c), so no
		 * TLB entry of them matches either (D5.9.1 "Global and
		 * process-specific translation table entries"): a raw access
		 * takes a translation fault. trap.S, user.S and usercopy.S
		 * switch to the space's value and back.
		 */
		aarch64_uaccess_closed = root;
		aarch64_uaccess_open = root;
	}
}
