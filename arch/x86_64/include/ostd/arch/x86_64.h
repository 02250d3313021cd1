/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * x86_64 private helpers: port I/O and control registers. Only arch/x86_64
 * and x86 drivers include this.
 */

#include <stdint.h>

static inline void x86_64_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t x86_64_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void x86_64_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void x86_64_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t x86_64_read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t x86_64_read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void x86_64_write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t x86_64_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void x86_64_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t x86_64_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void x86_64_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* WRMSR (SDM vol 2B): EDX:EAX into the MSR that ECX names. */
static inline void x86_64_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

struct x86_64_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

/* CPUID (SDM vol 2A) for leaf @p leaf, sub-leaf @p subleaf. */
static inline struct x86_64_cpuid x86_64_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct x86_64_cpuid r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* The largest leaf number CPUID supports in @p leaf's range. */
static inline uint32_t x86_64_cpuid_max(uint32_t leaf)
{
	return x86_64_cpuid(leaf & 0x80000000U, 0).eax;
}

/* RDMSR (SDM vol 2B): the MSR that ECX names, from EDX:EAX. */
static inline uint64_t x86_64_rdmsr(uint32_t msr)
{
	uint32_t lo;
	uint32_t hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* True once x86_64_trap_init() found SMAP (CPUID.7.0:EBX[20]). */
extern uint8_t x86_64_has_smap;

/* True once x86_64_trap_init() set CR4.UMIP (CPUID.7.0:ECX[2]). */
extern uint8_t x86_64_has_umip;

/* NMIs taken so far, and how many of them interrupted ring 3 (trap.c). */
extern volatile uint64_t x86_64_nmi_count;
extern volatile uint64_t x86_64_nmi_user_count;

/*
 * Loads CPU @p cpu's own GDT and TSS (gdt.c), whose IST stacks are the
 * X86_IST_AREA_SIZE bytes at @p ist_area (NULL for CPU 0: static ones).
 */
void x86_64_gdt_init(unsigned int cpu, uint8_t *ist_area);

/* The RSP0 field of CPU @p cpu's TSS, which user.S sets on user entry. */
uint64_t *x86_64_tss_rsp0(unsigned int cpu);

void x86_64_syscall_init(void);

/* A secondary CPU's GDT, TSS, IDT, SYSCALL MSRs and CR4.UMIP (trap.c). */
void x86_64_trap_init_secondary(unsigned int cpu, uint8_t *ist_area);

/*
 * The ACPI RSDP's physical address from the boot protocol, or 0 (entry.c
 * records it; smp.c looks for the MADT or the MP table from it).
 */
void x86_64_smp_scan(uint64_t rsdp_pa);

/* e_machine of our executables: EM_X86_64 (gABI 4.1 "ELF Header", e_machine). */
#define ARCH_ELF_MACHINE 62

/*
 * Drops every TLB and paging-structure-cache entry of every PCID, global
 * ones included: a CR4 write that changes CR4.PGE (SDM vol 3A, 4.10.4.1),
 * toggled and restored (tlb.c).
 */
void x86_64_flush_all_pcids(void);
