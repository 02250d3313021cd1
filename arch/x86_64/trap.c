// SPDX-License-Identifier: MPL-2.0
/*
 * The IDT and the trap handler (Intel SDM vol 3A, chapter 6). Every
 * vector lands in x86_64_trap() with one frame layout (trap.S), and goes:
 *
 *   - device interrupts (vectors 32-255: the PICs at 32-47, the local
 *     APIC's timer, IPI and spurious vectors above) to the board, and,
 *     if one interrupted ring 3 and the core wants the CPU back
 *     (user_mode_should_leave()), to user_mode_execute()'s caller with
 *     USER_RETURN_INTERRUPT;
 *   - NMI, from either ring, to a counter, and back to what it interrupted
 *     (nothing here sends NMIs; one from outside must not kill a program);
 *   - anything from ring 3 back to user_mode_execute()'s caller, with the
 *     user state saved and the exception decoded;
 *   - a kernel #PF or #GP at an exception-table pc (a fallible copy or a
 *     probe) to its fixup, and a kernel fetch fault of arch_probe_exec()'s
 *     target back to its caller;
 *   - anything else to a register dump, a backtrace and a panic.
 */

#include <stdint.h>

#include "ostd/arch/probe.h"
#include "ostd/arch/user.h"
#include "ostd/arch/x86_64.h"
#include "ostd/arch/x86_64_layout.h"

#include "ostd/assert.h"
#include "ostd/console.h"
#include "ostd/extable.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"
#include "ostd/user.h"

struct x86_64_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;
	/* Pushed by the CPU (Figure 6-9, 64-bit mode). */
	uint64_t rip, cs, rflags, rsp, ss;
};

STATIC_ASSERT(sizeof(struct x86_64_trap_frame) == 22 * sizeof(uint64_t),
	      "The trap frame must match the push order in trap.S.");

/* An IDT gate descriptor: Figure 6-8 (64-bit interrupt gate). */
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

/*
 * Type/attribute byte (Figure 6-8): present (bit 7), DPL (bits 6:5), type
 * 0xE (64-bit interrupt gate: IF cleared on entry, 6.12.1.3). DPL is what
 * INT n, INT3 and INTO are checked against (6.12.1.1): a gate below the
 * caller's CPL gives #GP instead of the vector. Exceptions the CPU raises
 * itself, and external interrupts, ignore it.
 */
#define GATE_INTERRUPT 0x8e
#define GATE_INTERRUPT_USER 0xee

#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_OF 4
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14
#define VEC_AC 17
#define VEC_MC 18
#define VEC_IRQ_FIRST 32
#define VEC_IRQ_LAST 255

/* CR4.UMIP (2.5 "Control Registers"), where CPUID.(EAX=07H,ECX=0):ECX[2]
 * reports it (vol 2A, CPUID, Table 3-8). */
#define CR4_UMIP (1ULL << 11)
#define CPUID_7_ECX_UMIP (1U << 2)

/* #PF error code bits (4.7, Figure 4-12). */
#define PF_PRESENT (1U << 0)
#define PF_WRITE (1U << 1)
#define PF_USER (1U << 2)
#define PF_FETCH (1U << 4)

extern const uint64_t x86_64_vectors[256];
uint8_t x86_64_has_smap;
uint8_t x86_64_has_umip;
volatile uint64_t x86_64_nmi_count;
volatile uint64_t x86_64_nmi_user_count;

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

/* The IST slot of vector @p vec (gdt.c says why these four), or 0. */
static uint8_t gate_ist(unsigned int vec)
{
	switch (vec) {
	case VEC_DF:
		return X86_IST_DF;
	case VEC_NMI:
		return X86_IST_NMI;
	case VEC_DB:
		return X86_IST_DB;
	case VEC_MC:
		return X86_IST_MC;
	default:
		return 0;
	}
}

/*
 * INT3 and INT 4 from ring 3 are what a debugger and an overflow check
 * use: give them DPL 3 gates so they arrive as #BP and #OF, not as #GP
 * (6.12.1.1). INTO itself is #UD in 64-bit mode (vol 2A, INTn/INTO/INT3/
 * INT1), so only INT 4 reaches #OF. Every other vector stays DPL 0: INT n
 * of it from ring 3 is #GP, so user code cannot fake a page fault, an NMI
 * or a device interrupt.
 */
static uint8_t gate_attr(unsigned int vec)
{
	return vec == VEC_BP || vec == VEC_OF ? GATE_INTERRUPT_USER
					      : GATE_INTERRUPT;
}

/*
 * UMIP (2.5, CR4 bit 11): with it, SGDT, SIDT, SLDT, SMSW and STR at CPL
 * > 0 raise #GP(0) (vol 2B, each instruction's "Protected Mode
 * Exceptions"), so ring 3 cannot learn where the GDT, IDT and TSS are.
 */
static void umip_init(void)
{
	if (x86_64_cpuid_max(0) < 7 ||
	    (x86_64_cpuid(7, 0).ecx & CPUID_7_ECX_UMIP) == 0) {
		return;
	}
	x86_64_write_cr4(x86_64_read_cr4() | CR4_UMIP);
	x86_64_has_umip = 1;
}

/* Loads the one IDT (shared by every CPU: the gates are the same). */
static void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void x86_64_trap_init(void)
{
	x86_64_gdt_init(0, NULL);
	for (unsigned int i = 0; i < 256; i++) {
		uint64_t addr = x86_64_vectors[i];

		idt[i] = (struct idt_gate){
			.offset_lo = (uint16_t)addr,
			.selector = KERNEL_CS,
			.ist = gate_ist(i),
			.type_attr = gate_attr(i),
			.offset_mid = (uint16_t)(addr >> 16),
			.offset_hi = (uint32_t)(addr >> 32),
		};
	}
	idt_load();
	x86_64_syscall_init();
	umip_init();
}

void x86_64_trap_init_secondary(unsigned int cpu, uint8_t *ist_area)
{
	x86_64_gdt_init(cpu, ist_area);
	idt_load();
	/* The SYSCALL MSRs and CR4.UMIP are per CPU (5.8.8, 2.5). */
	x86_64_syscall_init();
	umip_init();
}

static const char *vector_name(uint64_t vector)
{
	if (vector < ARRAY_SIZE(exception_names) &&
	    exception_names[vector] != NULL) {
		return exception_names[vector];
	}
	return "interrupt";
}

/* ---------------------------------------------------------------------
 * Traps from ring 3.
 * --------------------------------------------------------------------- */

NORETURN void x86_64_user_return(enum user_return_reason why);

/* This CPU's ring 3 context (user.S keeps it at %gs:X86_CL_USER_CTX). */
static struct user_context *user_ctx(void)
{
	struct user_context *ctx;

	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(ctx) : "i"(X86_CL_USER_CTX));
	return ctx;
}

/* Saves the interrupted ring 3 registers of @p f into @p ctx. */
static void save_user_regs(struct user_context *ctx,
			   const struct x86_64_trap_frame *f)
{
	const uint64_t regs[16] = {
		f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->rsp,
		f->r8,  f->r9,  f->r10, f->r11, f->r12, f->r13, f->r14, f->r15,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(regs); i++) {
		ctx->regs[i] = regs[i];
	}
	ctx->pc = f->rip;
	ctx->flags = f->rflags;
}

static enum cpu_exception_kind exception_kind(uint64_t vector)
{
	switch (vector) {
	case VEC_PF:
		return CPU_EXC_PAGE_FAULT;
	case VEC_UD:
		return CPU_EXC_ILLEGAL_INSN;
	case VEC_BP: /* INT3, INT 3. */
	case VEC_DB: /* Single-step (POPF can set TF) or INT1; no DR7. */
		return CPU_EXC_BREAKPOINT;
	case VEC_AC:
		return CPU_EXC_ALIGNMENT;
	case VEC_DE:
	case VEC_OF:
		return CPU_EXC_ARITHMETIC;
	case VEC_GP:
		return CPU_EXC_GENERAL;
	default:
		return CPU_EXC_OTHER;
	}
}

static NORETURN void user_trap(const struct x86_64_trap_frame *f)
{
	struct user_context *ctx = user_ctx();

	save_user_regs(ctx, f);
	ctx->exc = (struct cpu_exception){
		.kind = exception_kind(f->vector),
		.code = f->vector,
		.detail = f->error_code,
		.name = vector_name(f->vector),
	};
	if (f->vector == VEC_PF) {
		ctx->exc.addr = x86_64_read_cr2();
		ctx->exc.access = (f->error_code & PF_FETCH) != 0   ? PROT_X
				  : (f->error_code & PF_WRITE) != 0 ? PROT_W
								    : PROT_R;
	}
	x86_64_user_return(USER_RETURN_EXCEPTION);
}

/* ---------------------------------------------------------------------
 * Kernel faults: recoverable ones, then the fatal path.
 * --------------------------------------------------------------------- */

static bool kernel_fixup(struct x86_64_trap_frame *f)
{
	if (f->vector != VEC_PF && f->vector != VEC_GP) {
		return false;
	}
	uintptr_t fixup = extable_fixup(f->rip);

	if (fixup != 0) {
		f->rip = fixup;
		return true;
	}
	/*
	 * arch_probe_exec() called a page the CPU refused to fetch from:
	 * RIP is the target and the return address is on top of the stack.
	 * Return to the caller as the probed `ret` would have.
	 */
	if (f->vector == VEC_PF && (f->error_code & PF_FETCH) != 0 &&
	    probe_exec_fault(f->rip)) {
		f->rip = *(const uint64_t *)(uintptr_t)f->rsp;
		f->rsp += 8;
		return true;
	}
	return false;
}

static void dump_backtrace(uint64_t rbp)
{
	/* Frame pointers are on (-fno-omit-frame-pointer); stop at rbp 0. */
	for (int depth = 0; rbp != 0 && depth < 16; depth++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;

		if ((rbp & 7) != 0 || rbp < KERNEL_VMA_OFFSET - (1ULL << 46)) {
			break;
		}
		ostd_printf("  #%d %016llx\n", depth,
			    (unsigned long long)frame[1]);
		rbp = frame[0];
	}
}

static NORETURN void fatal(const struct x86_64_trap_frame *f)
{
	uint64_t cr2 = x86_64_read_cr2();

	/* A trap in the entry code comes before ostd_boot() starts it. */
	if (!ostd_console_ready()) {
		ostd_console_init(NULL);
	}
	ostd_printf("\nEXCEPTION: vector %llu (%s) error=%#llx rip=%016llx "
		    "addr=%016llx\n",
		    (unsigned long long)f->vector, vector_name(f->vector),
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

void x86_64_trap(struct x86_64_trap_frame *f);

/*
 * An NMI, on its own IST stack, with further NMIs blocked until the IRETQ
 * that ends this trap (6.7.1). Nothing in OSTD-C sends one; one from the
 * board or another agent is counted and the interrupted code resumes
 * (ring 3 included: it is not the program's fault). No printing: the
 * console lock may be held by the code the NMI interrupted.
 */
static void nmi(const struct x86_64_trap_frame *f)
{
	x86_64_nmi_count++;
	if ((f->cs & 3) == 3) {
		x86_64_nmi_user_count++;
	}
}

void x86_64_trap(struct x86_64_trap_frame *f)
{
	if (f->vector >= VEC_IRQ_FIRST && f->vector <= VEC_IRQ_LAST) {
		plat_irq_handle((unsigned int)(f->vector - VEC_IRQ_FIRST));
		/*
		 * Interrupts are still masked (interrupt gate, 6.12.1.3), so
		 * the answer cannot change before the IRETQ or the return.
		 * The saved frame is the whole ring 3 state: entering again
		 * with ctx resumes at the interrupted instruction.
		 */
		if ((f->cs & 3) == 3 && user_mode_should_leave()) {
			save_user_regs(user_ctx(), f);
			x86_64_user_return(USER_RETURN_INTERRUPT);
		}
		return;
	}
	if (f->vector == VEC_NMI) {
		nmi(f);
		return;
	}
	if ((f->cs & 3) == 3) {
		user_trap(f);
	}
	if (kernel_fixup(f)) {
		return;
	}
	fatal(f);
}
