// SPDX-License-Identifier: MPL-2.0
/*
 * The run-time GDT and TSS, one pair per CPU (Intel SDM vol 3A, 3.4.5
 * "Segment Descriptors", 7.7 "Task Management in 64-bit Mode"). boot.S's
 * GDT has no user segments and no TSS; this one adds both. The TSS only
 * supplies stacks: RSP0 for traps from ring 3 (set by user.S on every
 * entry to user mode), and one Interrupt Stack Table stack each (6.14.5 "Interrupt
 * Stack Table") for the vectors that must never run on the stack they
 * interrupted:
 *
 *   - #DF: a kernel stack overflow still reports instead of
 *     triple-faulting;
 *   - NMI, #DB and #MC: they are not masked by RFLAGS.IF, so they can
 *     arrive on the SYSCALL entry's first instructions, which run in ring
 *     0 on the user's stack (user.S; SYSCALL switches no stack, 5.8.8). A
 *     gate without IST pushes onto whatever RSP is when the CPL does not
 *     change (6.14.2), here a stack user code chose and other user threads
 *     may write.
 *
 * One stack per vector, so the four never share one: an #MC inside an NMI
 * handler, say, does not overwrite the NMI's frame. The CPU loads the IST
 * pointer afresh on every delivery, so a vector nested inside itself would
 * reuse its stack (6.14.5); NMI does not nest (6.7.1 "Handling Multiple
 * NMIs": blocked until the next IRET) as long as its handler takes no
 * exception, and trap.c's NMI handler only counts.
 */

#include <stdint.h>

#include "ostd/arch/x86_64.h"
#include "ostd/arch/x86_64_layout.h"

#include "ostd/assert.h"
#include "ostd/compiler.h"
#include "ostd/page_table.h"

/* Figure 7-11 "64-Bit TSS Format". */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} PACKED;

STATIC_ASSERT(sizeof(struct tss) == 104, "The 64-bit TSS is 104 bytes.");

/* Enough for trap.c's fatal path (a register dump and a backtrace). */
#define IST_STACK_SIZE 8192
STATIC_ASSERT(X86_IST_AREA_SIZE == X86_IST_COUNT * IST_STACK_SIZE,
	      "x86_64_layout.h's IST area holds one stack per IST slot.");

/*
 * Flat 64-bit descriptors (3.4.5, Figure 3-8; L = 1 for code, 5.2.1):
 * present, S = 1, accessed preset, DPL 0 or 3. The TSS descriptor (7.2.3,
 * Figure 7-4) is 16 bytes and filled in at run time; the GDT stays
 * writable because LTR sets its busy bit.
 */
static const uint64_t gdt_template[7] = {
	0,
	0x00af9b000000ffffULL, /* 0x08 kernel code: type 0xb, DPL 0, L. */
	0x00cf93000000ffffULL, /* 0x10 kernel data: type 0x3, DPL 0. */
	0x00cff3000000ffffULL, /* 0x18 user data: DPL 3. */
	0x00affb000000ffffULL, /* 0x20 user code: DPL 3, L. */
	0,                     /* 0x28 TSS, low half. */
	0,                     /* 0x30 TSS, high half. */
};

/*
 * One GDT and one TSS per CPU: LTR marks the TSS descriptor busy, and a
 * second CPU's LTR of a busy descriptor faults (7.2.3, LTR in vol 2A);
 * and each CPU needs its own RSP0 and IST stacks.
 */
struct cpu_tables {
	uint64_t gdt[7];
	struct tss tss;
} ALIGNED(16);

static struct cpu_tables cpu_tables[OSTD_MAX_CPUS];

/* The boot CPU's IST stacks; the others' come from arch_cpu_start(). */
static uint8_t boot_ist_area[X86_IST_AREA_SIZE] ALIGNED(16);

uint64_t *x86_64_tss_rsp0(unsigned int cpu)
{
	CHECK(cpu < OSTD_MAX_CPUS);
	return &cpu_tables[cpu].tss.rsp[0];
}

void x86_64_gdt_init(unsigned int cpu, uint8_t *ist_area)
{
	CHECK(cpu < OSTD_MAX_CPUS);
	struct cpu_tables *t = &cpu_tables[cpu];
	uint8_t *ist = ist_area != NULL ? ist_area : boot_ist_area;
	uint64_t base = (uint64_t)(uintptr_t)&t->tss;
	uint64_t limit = sizeof(t->tss) - 1;

	CHECK(cpu == 0 || ist_area != NULL);
	for (unsigned int i = 0; i < ARRAY_SIZE(gdt_template); i++) {
		t->gdt[i] = gdt_template[i];
	}
	/* Past the limit: no I/O permission bitmap, all ports fault. */
	t->tss = (struct tss){ .iomap_base = sizeof(struct tss) };
	/* Figure 7-11: IST1 is at ist[0]. The stacks grow down. */
	for (unsigned int i = 0; i < X86_IST_COUNT; i++) {
		t->tss.ist[i] =
			(uint64_t)(uintptr_t)(ist + (i + 1) * IST_STACK_SIZE);
	}
	/* Type 0x9: available 64-bit TSS; present; DPL 0. */
	t->gdt[TSS_SEL / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			      (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
			      (((base >> 24) & 0xff) << 56);
	t->gdt[TSS_SEL / 8 + 1] = base >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED gdtr = { sizeof(t->gdt) - 1, (uint64_t)(uintptr_t)t->gdt };

	/*
	 * Reload CS with a far return (there is no far jump to an immediate
	 * in 64-bit mode), then the data segments, then the task register.
	 * FS and GS are left alone: a selector load would zero the GS base
	 * that holds the per-CPU area (smp.c).
	 */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(KERNEL_CS), "r"(KERNEL_DS),
			   "r"(TSS_SEL)
			 : "rax", "memory");
}
