// SPDX-License-Identifier: MPL-2.0
/*
 * The IDT and the exception handler. For now every exception is fatal: it
 * prints the vector, the faulting address and the registers, then panics.
 * User-mode routing and the exception table come with the x86_64 kernel
 * issue.
 */

#include <stdint.h>

#include "ostd/arch/x86_64.h"

#include "ostd/assert.h"
#include "ostd/console.h"
#include "ostd/panic.h"
#include "ostd/printf.h"

struct x86_64_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;
	/* Pushed by the CPU (SDM vol 3A, Figure 6-9, 64-bit mode). */
	uint64_t rip, cs, rflags, rsp, ss;
};

STATIC_ASSERT(sizeof(struct x86_64_trap_frame) == 22 * sizeof(uint64_t),
	      "The trap frame must match the push order in trap.S.");

/* An IDT gate descriptor: SDM vol 3A, Figure 6-8 (64-bit interrupt gate). */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

STATIC_ASSERT(sizeof(struct idt_gate) == 16, "An IDT gate is 16 bytes.");

#define KERNEL_CS 0x08
/* Present, DPL 0, type 0xE (64-bit interrupt gate: IF cleared on entry). */
#define GATE_INTERRUPT 0x8e

extern const uint64_t x86_64_vectors[256];

static struct idt_gate idt[256] ALIGNED(16);

static const char *const exception_names[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor segment overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved",
	"#MF x87 error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD error",
	"#VE virtualization",
	"#CP control protection",
};

void x86_64_trap_init(void)
{
	for (unsigned int i = 0; i < 256; i++) {
		uint64_t addr = x86_64_vectors[i];

		idt[i] = (struct idt_gate){
			.offset_lo = (uint16_t)addr,
			.selector = KERNEL_CS,
			.ist = 0,
			.type_attr = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(addr >> 16),
			.offset_hi = (uint32_t)(addr >> 32),
		};
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static void dump_backtrace(uint64_t rbp)
{
	/* Frame pointers are on (-fno-omit-frame-pointer); stop at rbp 0. */
	for (int depth = 0; rbp != 0 && depth < 16; depth++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;

		if ((rbp & 7) != 0) {
			break;
		}
		ostd_printf("  #%d %016llx\n", depth,
			    (unsigned long long)frame[1]);
		rbp = frame[0];
	}
}

void x86_64_trap(struct x86_64_trap_frame *f);

void x86_64_trap(struct x86_64_trap_frame *f)
{
	const char *name = f->vector < ARRAY_SIZE(exception_names) &&
					   exception_names[f->vector] != NULL
				   ? exception_names[f->vector]
				   : "interrupt";
	uint64_t cr2 = x86_64_read_cr2();

	/* A trap in the entry code comes before ostd_boot() starts it. */
	if (!ostd_console_ready()) {
		ostd_console_init(NULL);
	}
	ostd_printf("\nEXCEPTION: vector %llu (%s) error=%#llx rip=%016llx "
		    "addr=%016llx\n",
		    (unsigned long long)f->vector, name,
		    (unsigned long long)f->error_code,
		    (unsigned long long)f->rip, (unsigned long long)cr2);
	ostd_printf("rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
		    "rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx\n"
		    "r8=%016llx r9=%016llx r10=%016llx r11=%016llx\n"
		    "r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n"
		    "rflags=%016llx cs=%llx ss=%llx cr3=%016llx\n",
		    (unsigned long long)f->rax, (unsigned long long)f->rbx,
		    (unsigned long long)f->rcx, (unsigned long long)f->rdx,
		    (unsigned long long)f->rsi, (unsigned long long)f->rdi,
		    (unsigned long long)f->rbp, (unsigned long long)f->rsp,
		    (unsigned long long)f->r8, (unsigned long long)f->r9,
		    (unsigned long long)f->r10, (unsigned long long)f->r11,
		    (unsigned long long)f->r12, (unsigned long long)f->r13,
		    (unsigned long long)f->r14, (unsigned long long)f->r15,
		    (unsigned long long)f->rflags, (unsigned long long)f->cs,
		    (unsigned long long)f->ss,
		    (unsigned long long)x86_64_read_cr3());
	ostd_puts("backtrace:\n");
	dump_backtrace(f->rbp);
	panic("unhandled kernel exception (vector %llu)",
	      (unsigned long long)f->vector);
}
