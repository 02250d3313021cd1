// SPDX-License-Identifier: MPL-2.0
/*
 * SMP on x86_64 (ostd/arch/smp.h): the per-CPU area through the GS base,
 * the CPUs from the ACPI MADT or the Intel MP table, INIT-SIPI-SIPI with
 * the real-mode trampoline (trampoline.S), and the TLB shootdown by IPI.
 *
 * Where the CPU list comes from, per board (QEMU 7.2):
 *   - q35: SeaBIOS publishes the RSDP in the BIOS area and QEMU's PVH
 *     option ROM passes it as hvm_start_info.rsdp_paddr; the MADT has one
 *     Processor Local APIC entry per possible CPU (hw/i386/acpi-common.c),
 *     with the enabled bit for those present at boot.
 *   - microvm: with acpi=on (the default) QEMU builds an RSDP, RSDT/XSDT
 *     and MADT (hw/i386/acpi-microvm.c), which qboot copies into the BIOS
 *     area; with acpi=off qboot writes an MP table instead. So the MADT
 *     first and the MP table ("_MP_") where no RSDP or MADT is found.
 * Both are read in x86_64_entry(), while boot.S's tables map the first 4
 * GiB at PHYS_OFFSET (the ACPI tables and the BIOS area lie below 4 GiB
 * on both machines; the kernel table maps only the memory map's regions).
 */

#include "ostd/arch/smp.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"
#include "ostd/arch/x86_64.h"
#include "ostd/arch/x86_64_layout.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/drivers/lapic.h"
#include "ostd/frame.h"
#include "ostd/panic.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/timer.h"
#include "ostd/vm_space.h"

/* 2.2.1 / vol 4 Table 2-2: the GS base and SWAPGS's other half. */
#define MSR_GS_BASE 0xc0000101U
#define MSR_KERNEL_GS_BASE 0xc0000102U
#define MSR_EFER 0xc0000080U
/* CPUID.01H:ECX[21] x2APIC; leaf 0BH EDX = the x2APIC id (vol 2A). */
#define CPUID_1_ECX_X2APIC (1U << 21)
/* CR4.PCIDE (2.5) may be set only in IA-32e mode: never from the
 * trampoline's protected mode (#GP, vol 2A MOV CR). */
#define CR4_PCIDE (1ULL << 17)

/* 4.5, Table 4-15..4-17: P | RW, and PS for a 2 MiB leaf in a PDE. */
#define PTE_P_RW 0x3ULL
#define PTE_PS 0x80ULL

STATIC_ASSERT(CPU_LOCAL_SELF_OFFSET == X86_CL_SELF,
	      "trap.S and arch_cpu_local() read the area's address at "
	      "%gs:64.");
STATIC_ASSERT(X86_CL_TSS_RSP0 + 8 <= CPU_LOCAL_SELF_OFFSET,
	      "The entry code's words fit in struct cpu_local's arch[].");
STATIC_ASSERT(X86_TRAMPOLINE_PA % PAGE_SIZE == 0 &&
		      X86_TRAMPOLINE_PA + X86_TRAMPOLINE_PAGES * PAGE_SIZE <=
			      0x100000,
	      "A STARTUP vector names a 4 KiB page below 1 MiB (vol 3A, "
	      "9.4.4.1).");

/* ---------------------------------------------------------------------
 * The per-CPU area.
 * --------------------------------------------------------------------- */

void arch_cpu_local_install(struct cpu_local *cl)
{
	/* user.S sets this CPU's TSS.RSP0 through it on every user entry. */
	cl->arch[X86_CL_TSS_RSP0 / 8] =
		(uint64_t)(uintptr_t)x86_64_tss_rsp0(cl->id);
	/*
	 * Ring 0 runs with the area in the GS base; IA32_KERNEL_GS_BASE
	 * holds the user's base while in ring 0 and is swapped in by SWAPGS
	 * on the way to ring 3 (5.8.8). Ring 3 starts with base 0.
	 */
	x86_64_wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)cl);
	x86_64_wrmsr(MSR_KERNEL_GS_BASE, 0);
}

struct cpu_local *arch_cpu_local(void)
{
	struct cpu_local *cl;

	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(cl) : "i"(X86_CL_SELF));
	return cl;
}

/* ---------------------------------------------------------------------
 * Finding the CPUs: ACPI MADT, else the MP table.
 * --------------------------------------------------------------------- */

static uint32_t cpu_ids[OSTD_MAX_CPUS];
static unsigned int cpu_id_count;
/* Entries past OSTD_MAX_CPUS, reported by arch_smp_enumerate(). */
static unsigned int cpus_dropped;
static const char *cpu_source = "none";

static const uint8_t *phys(uint64_t pa)
{
	return arch_paddr_to_ptr(pa_init(pa));
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static bool checksum_ok(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	for (uint64_t i = 0; i < len; i++) {
		sum = (uint8_t)(sum + p[i]);
	}
	return sum == 0;
}

static void add_cpu(uint32_t id)
{
	for (unsigned int i = 0; i < cpu_id_count; i++) {
		if (cpu_ids[i] == id) {
			return;
		}
	}
	if (cpu_id_count == OSTD_MAX_CPUS) {
		cpus_dropped++;
		return;
	}
	cpu_ids[cpu_id_count++] = id;
}

/*
 * Finds a 16-byte aligned structure with @p sig (of @p sig_len bytes)
 * whose first @p sum_len bytes sum to 0, in [@p start, @p end).
 */
static uint64_t scan(uint64_t start, uint64_t end, const char *sig,
		     uint64_t sig_len, uint64_t sum_len)
{
	for (uint64_t pa = start; pa + sum_len <= end; pa += 16) {
		const uint8_t *p = phys(pa);

		if (memcmp(p, sig, sig_len) == 0 && checksum_ok(p, sum_len)) {
			return pa;
		}
	}
	return 0;
}

/* The EBDA's base: the real-mode segment at 40:0E (BIOS data area). */
static uint64_t ebda_base(void)
{
	const uint8_t *bda = phys(0x40e);
	uint64_t seg = (uint64_t)bda[0] | ((uint64_t)bda[1] << 8);

	return seg << 4;
}

/*
 * ACPI 6.5 §5.2.5.1 "Finding the RSDP on IA-PC Systems": the first KiB
 * of the EBDA, then the BIOS area 0xE0000-0xFFFFF, on 16-byte boundaries;
 * the first 20 bytes sum to 0 (§5.2.5.3).
 */
static uint64_t find_rsdp(void)
{
	uint64_t ebda = ebda_base();
	uint64_t pa = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000) {
		pa = scan(ebda, ebda + 1024, "RSD PTR ", 8, 20);
	}
	return pa != 0 ? pa : scan(0xe0000, 0x100000, "RSD PTR ", 8, 20);
}

/* ACPI 6.5 §5.2.6: the header every table starts with (36 bytes). */
#define SDT_HEADER_LEN 36

static const uint8_t *sdt_at(uint64_t pa, const char *sig)
{
	const uint8_t *t = phys(pa);
	uint32_t len = rd32(t + 4);

	if (pa == 0 || memcmp(t, sig, 4) != 0 || len < SDT_HEADER_LEN ||
	    len > 0x100000 || !checksum_ok(t, len)) {
		return NULL;
	}
	return t;
}

/* The MADT ("APIC") from the RSDP's XSDT (revision >= 2) or RSDT. */
static const uint8_t *find_madt(uint64_t rsdp_pa)
{
	const uint8_t *rsdp = phys(rsdp_pa);
	/* §5.2.5.3: Revision at 15, RsdtAddress at 16, XsdtAddress at 24. */
	bool xsdt = rsdp[15] >= 2 && rd64(rsdp + 24) != 0;
	const uint8_t *root = xsdt ? sdt_at(rd64(rsdp + 24), "XSDT")
				   : sdt_at(rd32(rsdp + 16), "RSDT");

	if (root == NULL) {
		return NULL;
	}
	unsigned int entry = xsdt ? 8 : 4;
	uint32_t len = rd32(root + 4);

	for (uint32_t off = SDT_HEADER_LEN; off + entry <= len; off += entry) {
		uint64_t pa = xsdt ? rd64(root + off) : rd32(root + off);
		const uint8_t *t = phys(pa);

		if (pa != 0 && memcmp(t, "APIC", 4) == 0) {
			return sdt_at(pa, "APIC");
		}
	}
	return NULL;
}

/*
 * ACPI 6.5 §5.2.12 MADT: the header, the local APIC address and flags
 * (44 bytes), then entries of {type, length}. Type 0 Processor Local
 * APIC (§5.2.12.2: id at 3, flags at 4) and type 9 Processor Local
 * x2APIC (§5.2.12.12: id at 4, flags at 8). Flags (Table 5.23): bit 0
 * Enabled; bit 1 Online Capable, a CPU that is off now but may be
 * started, which we start as well.
 */
#define MADT_ENTRIES 44
#define MADT_LAPIC 0
#define MADT_X2APIC 9
#define MADT_ENABLED 0x1U
#define MADT_ONLINE_CAPABLE 0x2U

static bool parse_madt(const uint8_t *madt)
{
	uint32_t len = rd32(madt + 4);
	unsigned int before = cpu_id_count;

	for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
		const uint8_t *e = madt + off;

		if (e[1] < 2 || off + e[1] > len) {
			break;
		}
		if (e[0] == MADT_LAPIC && e[1] >= 8 &&
		    (rd32(e + 4) & (MADT_ENABLED | MADT_ONLINE_CAPABLE)) != 0) {
			add_cpu(e[3]);
		}
		if (e[0] == MADT_X2APIC && e[1] >= 16 &&
		    (rd32(e + 8) & (MADT_ENABLED | MADT_ONLINE_CAPABLE)) != 0) {
			add_cpu(rd32(e + 4));
		}
		off += e[1];
	}
	return cpu_id_count > before;
}

/*
 * Intel MP spec 1.4 §4.1: the floating pointer "_MP_" (16 bytes, sum 0)
 * in the first KiB of the EBDA, the last KiB of base memory, or the BIOS
 * ROM 0xF0000-0xFFFFF. Its PHYSICAL ADDRESS POINTER (at 4) leads to the
 * configuration table "PCMP" (§4.2: base length at 4, entry count at 34,
 * entries from 44); processor entries (§4.3.1, type 0, 20 bytes) carry
 * the APIC id at 1 and CPU FLAGS at 3, bit 0 EN. The other base entries
 * are 8 bytes.
 */
static bool parse_mp_table(void)
{
	uint64_t ebda = ebda_base();
	uint64_t fp = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000) {
		fp = scan(ebda, ebda + 1024, "_MP_", 4, 16);
	}
	if (fp == 0) {
		fp = scan(0x9fc00, 0xa0000, "_MP_", 4, 16);
	}
	if (fp == 0) {
		fp = scan(0xf0000, 0x100000, "_MP_", 4, 16);
	}
	if (fp == 0 || rd32(phys(fp) + 4) == 0) {
		return false;
	}
	const uint8_t *cfg = phys(rd32(phys(fp) + 4));
	uint32_t len = (uint32_t)cfg[4] | ((uint32_t)cfg[5] << 8);
	unsigned int before = cpu_id_count;

	if (memcmp(cfg, "PCMP", 4) != 0 || len < 44 || !checksum_ok(cfg, len)) {
		return false;
	}
	for (uint32_t off = 44; off < len;) {
		const uint8_t *e = cfg + off;

		if (e[0] == 0) {
			if (off + 20 > len) {
				break;
			}
			if ((e[3] & 1) != 0) {
				add_cpu(e[1]);
			}
			off += 20;
		} else {
			off += 8;
		}
	}
	return cpu_id_count > before;
}

void x86_64_smp_scan(uint64_t rsdp_pa)
{
	uint64_t rsdp = rsdp_pa != 0 ? rsdp_pa : find_rsdp();
	const uint8_t *madt = rsdp != 0 ? find_madt(rsdp) : NULL;

	if (madt != NULL && parse_madt(madt)) {
		cpu_source = rsdp_pa != 0 ? "ACPI MADT (RSDP from PVH)"
					  : "ACPI MADT";
		return;
	}
	if (parse_mp_table()) {
		cpu_source = "MP table";
	}
}

/* The running CPU's APIC id, as the MADT and the MP table spell it. */
static uint32_t boot_apic_id(void)
{
	/*
	 * CPUID.0BH:EDX is the whole x2APIC id (vol 2A, CPUID); without
	 * leaf 0BH, CPUID.01H:EBX[31:24] is the initial APIC id.
	 */
	if ((x86_64_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) != 0 &&
	    x86_64_cpuid_max(0) >= 0xb) {
		return x86_64_cpuid(0xb, 0).edx;
	}
	return x86_64_cpuid(1, 0).ebx >> 24;
}

unsigned int arch_smp_enumerate(uint64_t *hw_ids, unsigned int max,
				unsigned int *boot)
{
	uint32_t self = boot_apic_id();
	unsigned int n = 0;
	bool found_self = false;

	CHECK(max >= 1);
	for (unsigned int i = 0; i < cpu_id_count && n < max; i++) {
		found_self |= cpu_ids[i] == self;
		hw_ids[n++] = cpu_ids[i];
	}
	if (!found_self) {
		/* No table, or one that omits us: run on this CPU alone. */
		hw_ids[0] = self;
		n = 1;
	}
	*boot = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (hw_ids[i] == self) {
			*boot = i;
		}
	}
	ostd_printf("smp: %u CPU(s) from the %s, boot APIC id %u\n",
		    cpu_id_count, cpu_source, self);
	if (cpus_dropped != 0 || cpu_id_count > max) {
		ostd_printf("smp: %u CPU(s) beyond the limit of %u ignored\n",
			    cpus_dropped + (cpu_id_count > max
						    ? cpu_id_count - max
						    : 0),
			    max);
	}
	return n;
}

/* ---------------------------------------------------------------------
 * Starting a CPU.
 * --------------------------------------------------------------------- */

/* trampoline.S: its code and, at its end, the parameter block. */
extern const uint8_t x86_64_trampoline_start[];
extern const uint8_t x86_64_trampoline_params[];
extern const uint8_t x86_64_trampoline_end[];

struct tramp_params {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t stack_top;
	uint64_t cl;
	uint64_t entry;
};

/* The CPUs' IST stacks (gdt.c), handed from arch_cpu_start(). */
static uint8_t *ist_areas[OSTD_MAX_CPUS];

/*
 * Set while a started CPU may still read the trampoline page: from the
 * first STARTUP until it reaches C. A CPU the core gave up on (timed out)
 * may still come up later, and must not find another CPU's stack and
 * area in the page, so no further CPU is started meanwhile.
 */
static atomic_bool trampoline_busy;

NORETURN void x86_64_ap_entry(struct cpu_local *cl);

/* The trampoline's first C: the CPU's own tables, then the core. */
void x86_64_ap_entry(struct cpu_local *cl)
{
	/* The parameters are in registers now: the page is free again. */
	atomic_store(&trampoline_busy, false);
	x86_64_trap_init_secondary(cl->id, ist_areas[cl->id]);
	smp_secondary_entry(cl);
}

/*
 * Waits at least @p ticks - 1 whole ticks of the boot CPU's clock (so
 * 2 gives >= 10 ms at 100 Hz), or a bounded spin if the clock does not
 * run (interrupts masked): the start-up delays need only be long enough.
 */
static void delay_ticks(uint64_t ticks)
{
	uint64_t t0 = timer_ticks();

	for (uint64_t spins = 0;
	     timer_ticks() - t0 < ticks && spins < (1ULL << 26); spins++) {
		arch_cpu_relax();
	}
}

/*
 * The start-up table: a PML4 that shares the kernel table's upper half
 * (the image and the linear map, where x86_64_ap_entry and the stack
 * are) and maps [0, 2 MiB) at 0 for the trampoline's own fetches once
 * paging is on. Rebuilt for every CPU: the kernel may have added root
 * entries meanwhile.
 */
static uint64_t build_startup_table(void)
{
	uint64_t pml4_pa = X86_TRAMPOLINE_PA + PAGE_SIZE;
	uint64_t pdpt_pa = pml4_pa + PAGE_SIZE;
	uint64_t pd_pa = pdpt_pa + PAGE_SIZE;
	uint64_t *pml4 = arch_paddr_to_ptr(pa_init(pml4_pa));
	uint64_t *pdpt = arch_paddr_to_ptr(pa_init(pdpt_pa));
	uint64_t *pd = arch_paddr_to_ptr(pa_init(pd_pa));
	const uint64_t *kroot = arch_paddr_to_ptr(vm_space_kernel_pt()->root);

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	for (unsigned int i = 256; i < 512; i++) {
		pml4[i] = kroot[i];
	}
	pml4[0] = pdpt_pa | PTE_P_RW;
	pdpt[0] = pd_pa | PTE_P_RW;
	pd[0] = 0 | PTE_P_RW | PTE_PS;
	return pml4_pa;
}

ostd_err_t arch_cpu_start(struct cpu_local *cl, uintptr_t stack_top)
{
	uint64_t id = cl->hw_id;

	/* xAPIC destinations are 8 bits (11.6.1); 0xff is broadcast. */
	if ((x86_64_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) == 0 && id >= 0xff) {
		return OSTD_ENODEV;
	}
	if (atomic_load(&trampoline_busy)) {
		return OSTD_ENODEV;
	}
	struct segment ist;

	if (segment_alloc(X86_IST_AREA_SIZE / PAGE_SIZE, &frame_type_kernel, 0,
			  &ist) != OSTD_OK) {
		return OSTD_ENOMEM;
	}
	ist_areas[cl->id] = arch_paddr_to_ptr(ist.pa);

	uint8_t *page = arch_paddr_to_ptr(pa_init(X86_TRAMPOLINE_PA));
	uint64_t code_len =
		(uint64_t)(x86_64_trampoline_end - x86_64_trampoline_start);
	struct tramp_params params = {
		/* The boot CPU's controls (see trampoline.S). */
		.cr0 = x86_64_read_cr0(),
		.cr3 = build_startup_table(),
		.cr4 = x86_64_read_cr4() & ~CR4_PCIDE,
		.efer = x86_64_rdmsr(MSR_EFER),
		.stack_top = stack_top,
		.cl = (uint64_t)(uintptr_t)cl,
		.entry = (uint64_t)(uintptr_t)x86_64_ap_entry,
	};

	CHECK(code_len <= PAGE_SIZE &&
	      x86_64_trampoline_end - x86_64_trampoline_params ==
		      sizeof(params));
	memcpy(page, x86_64_trampoline_start, code_len);
	memcpy(page + (x86_64_trampoline_params - x86_64_trampoline_start),
	       &params, sizeof(params));
	/*
	 * The copies are ordinary write-back stores; the ICR writes below
	 * are UC (xAPIC) or follow an MFENCE (x2APIC, lapic.c), so the
	 * stores are visible before the CPU fetches (vol 3A, 9.2.2).
	 *
	 * 9.4.4.1: INIT, 10 ms, STARTUP, 200 us, STARTUP; a CPU that
	 * started on the first STARTUP ignores the second (9.4.2: it is
	 * recognized only in wait-for-SIPI).
	 */
	atomic_store(&trampoline_busy, true);
	lapic_send_init((uint32_t)id);
	delay_ticks(2);
	lapic_send_startup((uint32_t)id, X86_TRAMPOLINE_PA >> PAGE_SHIFT);
	delay_ticks(1);
	lapic_send_startup((uint32_t)id, X86_TRAMPOLINE_PA >> PAGE_SHIFT);
	return OSTD_OK;
}

/* ---------------------------------------------------------------------
 * Remote TLB flushes.
 * --------------------------------------------------------------------- */

/*
 * x86 has no broadcast invalidation: IPI the targets, each runs
 * arch_tlb_flush_local() (INVLPG, CR3 reload or a CR4.PGE toggle) and
 * acknowledges. With CR4.PCIDE clear, every CR3 write drops all
 * non-global entries (4.10.4.1), so a target that has switched tables
 * since the flusher read its set holds no stale entry of @p pt; the CR3
 * reload it does for TLB_OP_ALL is then merely redundant. With PCIDs on,
 * such a target marks @p pt's PCID stale for itself (tlb.c) and drops it
 * before it loads @p pt again; CPUs that ran @p pt earlier were marked by
 * the flusher (core/mm/asid.c) and get no IPI.
 */
void arch_tlb_flush_remote(uint64_t cpus, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count)
{
	smp_tlb_flush_by_ipi(cpus, pt, ops, count);
}

/*
 * RCU's expedited grace period (core/mm/pt_node.c): an IPI whose handler
 * executes a full fence on each target, answered before this returns.
 */
void arch_cpu_barrier_remote(uint64_t targets)
{
	smp_barrier_by_ipi(targets);
}
