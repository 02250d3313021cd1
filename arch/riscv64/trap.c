// SPDX-License-Identifier: MPL-2.0
/*
 * The S-mode trap handlers (trap.S calls them). A kernel trap is an
 * interrupt (handled, then resumed), a fault at an instruction the
 * exception table knows (resumed at its fixup), or a bug: then it names
 * the cause, prints sepc, stval, sstatus, all GPRs and a backtrace, and
 * panics. A user trap is an interrupt (handled, user code resumes), a
 * system call or an exception, which arch_user_enter() returns.
 * References are to the RISC-V Privileged Spec v1.12.
 */

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/probe.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"
#include "ostd/arch/user.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/console.h"
#include "ostd/extable.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"
#include "ostd/user.h"

/* The layout trap.S saves: x[n] at 8 * n, then the trap CSRs. */
struct riscv_trap_frame {
	uint64_t x[32];
	uint64_t sepc;
	uint64_t sstatus;
	uint64_t scause;
	uint64_t stval;
};

STATIC_ASSERT(sizeof(struct riscv_trap_frame) == 36 * sizeof(uint64_t),
	      "The trap frame must match FRAME_SIZE and the trap.S offsets.");

#define REG_RA 1 /* The return address (RISC-V psABI, "Register"). */
#define REG_FP 8 /* s0 is the frame pointer (RISC-V psABI, "Register"). */

extern char __kernel_start[];
extern char __kernel_end[];

/* Privileged Spec v1.12, Table 4.2 (scause values after trap). */
static const char *const exception_names[16] = {
	[RISCV_EXC_INST_MISALIGNED] = "instruction address misaligned",
	[RISCV_EXC_INST_ACCESS] = "instruction access fault",
	[RISCV_EXC_ILLEGAL_INST] = "illegal instruction",
	[RISCV_EXC_BREAKPOINT] = "breakpoint",
	[RISCV_EXC_LOAD_MISALIGNED] = "load address misaligned",
	[RISCV_EXC_LOAD_ACCESS] = "load access fault",
	[RISCV_EXC_STORE_MISALIGNED] = "store/AMO address misaligned",
	[RISCV_EXC_STORE_ACCESS] = "store/AMO access fault",
	[RISCV_EXC_ECALL_U] = "environment call from U-mode",
	[RISCV_EXC_ECALL_S] = "environment call from S-mode",
	[RISCV_EXC_INST_PAGE_FAULT] = "instruction page fault",
	[RISCV_EXC_LOAD_PAGE_FAULT] = "load page fault",
	[RISCV_EXC_STORE_PAGE_FAULT] = "store/AMO page fault",
};

static const char *const interrupt_names[16] = {
	[1] = "supervisor software interrupt",
	[5] = "supervisor timer interrupt",
	[9] = "supervisor external interrupt",
};

/* The psABI names of x0..x31, for the register dump. */
static const char *const reg_names[32] = {
	"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
	"a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
	"s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

/* How many traps are being handled; a nested trap means the dump faulted. */
static unsigned int trap_depth;

void riscv_trap(struct riscv_trap_frame *f);
uint64_t riscv_user_trap(struct user_context *ctx, uint64_t scause,
			 uint64_t stval);

static const char *cause_name(uint64_t scause)
{
	uint64_t code = scause & ~RISCV_SCAUSE_INTERRUPT;
	const char *const *names = (scause & RISCV_SCAUSE_INTERRUPT) != 0
					   ? interrupt_names
					   : exception_names;

	if (code < 16 && names[code] != NULL) {
		return names[code];
	}
	return (scause & RISCV_SCAUSE_INTERRUPT) != 0 ? "unknown interrupt"
						      : "unknown exception";
}

static bool fp_is_plausible(uint64_t fp)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	if ((fp & 7) != 0) {
		return false;
	}
	/* The boot stack, inside the image's BSS. */
	if (fp >= (uintptr_t)__kernel_start + 16 &&
	    fp <= (uintptr_t)__kernel_end) {
		return true;
	}
	/* A task stack: frames, reached through the linear map. */
	for (unsigned int i = 0; info != NULL && i < info->mem_count; i++) {
		uint64_t base = PHYS_OFFSET + pa_addr(info->mem[i].base);

		if (info->mem[i].kind == OSTD_MEM_USABLE && fp >= base + 16 &&
		    fp - base <= info->mem[i].size) {
			return true;
		}
	}
	return false;
}

static void dump_backtrace(const struct riscv_trap_frame *f)
{
	/*
	 * With frame pointers (-fno-omit-frame-pointer), s0 is the caller's
	 * sp: the return address is at s0 - 8 and the caller's s0 at s0 - 16.
	 * boot.S starts with s0 = 0.
	 */
	uint64_t fp = f->x[REG_FP];

	ostd_printf("  #0 %016lx\n", (unsigned long)f->sepc);
	for (int depth = 1; fp != 0 && depth < 16; depth++) {
		if (!fp_is_plausible(fp)) {
			break;
		}
		const uint64_t *frame = (const uint64_t *)(uintptr_t)fp;

		ostd_printf("  #%d %016lx\n", depth, (unsigned long)frame[-1]);
		fp = frame[-2];
	}
}

static void dump_registers(const struct riscv_trap_frame *f)
{
	for (unsigned int i = 1; i < 32; i++) {
		ostd_printf("%4s=%016lx%s", reg_names[i],
			    (unsigned long)f->x[i], i % 4 == 3 ? "\n" : " ");
	}
}

/* A kernel trap nobody expected: report it and stop. */
static NORETURN void report_fatal(const struct riscv_trap_frame *f)
{
	/* A trap in the entry code comes before ostd_boot() starts it. */
	if (!ostd_console_ready()) {
		ostd_console_init(NULL);
	}
	trap_depth++;
	if (trap_depth > 2) {
		/*
		 * Even the short report below faulted, so the console or the
		 * exit device is broken: go straight to firmware. SRST reports
		 * 0 to QEMU, but the console already says what went wrong.
		 */
		riscv_sbi_call(RISCV_SBI_EXT_SRST, RISCV_SBI_SRST_RESET,
			       RISCV_SBI_SRST_SHUTDOWN,
			       RISCV_SBI_SRST_REASON_FAILURE);
		arch_halt();
	}
	if (trap_depth > 1) {
		ostd_printf("\nNESTED TRAP: scause=%#lx (%s) sepc=%016lx "
			    "stval=%016lx\n",
			    (unsigned long)f->scause, cause_name(f->scause),
			    (unsigned long)f->sepc, (unsigned long)f->stval);
		plat_power_off(OSTD_EXIT_PANIC);
	}

	ostd_printf("\nEXCEPTION: scause=%#lx (%s) sepc=%016lx stval=%016lx "
		    "sstatus=%016lx (from %s-mode)\n",
		    (unsigned long)f->scause, cause_name(f->scause),
		    (unsigned long)f->sepc, (unsigned long)f->stval,
		    (unsigned long)f->sstatus,
		    (f->sstatus & RISCV_SSTATUS_SPP) != 0 ? "S" : "U");
	dump_registers(f);
	ostd_puts("backtrace:\n");
	dump_backtrace(f);
	panic("unhandled kernel trap (scause %#lx: %s)",
	      (unsigned long)f->scause, cause_name(f->scause));
}

/*
 * Interrupts: the board's, numbered by scause's code (Table 4.2): 1 the
 * supervisor software interrupt (IPIs), 5 the timer, 9 external.
 */
static void handle_irq(uint64_t scause)
{
	plat_irq_handle((unsigned int)(scause & ~RISCV_SCAUSE_INTERRUPT));
}

static bool is_fetch_fault(uint64_t scause)
{
	return scause == RISCV_EXC_INST_PAGE_FAULT ||
	       scause == RISCV_EXC_INST_ACCESS;
}

/* Where a kernel fault at @p f->sepc resumes, or 0 if it is a bug. */
static uintptr_t kernel_fixup(const struct riscv_trap_frame *f)
{
	/*
	 * arch_probe_exec() called (jalr ra) a page the CPU refused to
	 * fetch from: sepc is the target (4.1.7). Return to the caller as
	 * the probed ret would have.
	 */
	if (is_fetch_fault(f->scause) && probe_exec_fault(f->sepc)) {
		return f->x[REG_RA];
	}
	switch (f->scause) {
	case RISCV_EXC_LOAD_PAGE_FAULT:
	case RISCV_EXC_STORE_PAGE_FAULT:
	case RISCV_EXC_LOAD_ACCESS:
	case RISCV_EXC_STORE_ACCESS:
	case RISCV_EXC_LOAD_MISALIGNED:
	case RISCV_EXC_STORE_MISALIGNED:
	case RISCV_EXC_BREAKPOINT:
		return extable_fixup(f->sepc);
	default:
		return 0;
	}
}

void riscv_trap(struct riscv_trap_frame *f)
{
	if ((f->scause & RISCV_SCAUSE_INTERRUPT) != 0) {
		handle_irq(f->scause);
		return;
	}
	uintptr_t fixup = kernel_fixup(f);

	if (fixup != 0) {
		f->sepc = fixup;
		return;
	}
	report_fatal(f);
}

/* Table 4.2's exception code -> the arch-neutral kind and access. */
static void decode_user_exception(struct cpu_exception *exc, uint64_t scause,
				  uint64_t stval)
{
	exc->kind = CPU_EXC_OTHER;
	exc->code = scause;
	exc->detail = 0;
	exc->addr = 0;
	exc->access = 0;
	exc->name = cause_name(scause);
	switch (scause) {
	case RISCV_EXC_INST_PAGE_FAULT:
		exc->access = PROT_X;
		break;
	case RISCV_EXC_LOAD_PAGE_FAULT:
		exc->access = PROT_R;
		break;
	case RISCV_EXC_STORE_PAGE_FAULT:
		exc->access = PROT_W;
		break;
	case RISCV_EXC_INST_ACCESS:
	case RISCV_EXC_LOAD_ACCESS:
	case RISCV_EXC_STORE_ACCESS:
		/* 3.7 PMP or a bus error: no page to fix up. */
		exc->kind = CPU_EXC_GENERAL;
		exc->addr = stval;
		return;
	case RISCV_EXC_INST_MISALIGNED:
	case RISCV_EXC_LOAD_MISALIGNED:
	case RISCV_EXC_STORE_MISALIGNED:
		exc->kind = CPU_EXC_ALIGNMENT;
		exc->addr = stval;
		return;
	case RISCV_EXC_ILLEGAL_INST:
		/* 4.1.9: stval may hold the instruction bits. */
		exc->kind = CPU_EXC_ILLEGAL_INSN;
		exc->detail = stval;
		return;
	case RISCV_EXC_BREAKPOINT:
		exc->kind = CPU_EXC_BREAKPOINT;
		exc->addr = stval;
		return;
	default:
		return;
	}
	/* 4.1.9: stval holds the faulting virtual address. */
	exc->kind = CPU_EXC_PAGE_FAULT;
	exc->addr = stval;
}

/*
 * A trap from U-mode; trap.S saved the user registers and pc in @p ctx.
 * Returns 0 to resume user code, else arch_user_enter()'s result.
 */
uint64_t riscv_user_trap(struct user_context *ctx, uint64_t scause,
			 uint64_t stval)
{
	if ((scause & RISCV_SCAUSE_INTERRUPT) != 0) {
		handle_irq(scause);
		/*
		 * The core may want the CPU back (time slice over, a CPU
		 * limit reached, ostd/arch/user.h): ctx already holds every
		 * user register and the pc of the interrupted instruction
		 * (sepc, 4.1.7), so entering with it again resumes there.
		 */
		return user_mode_should_leave() ? USER_RETURN_INTERRUPT : 0;
	}
	if (scause == RISCV_EXC_ECALL_U) {
		/* 4.1.7: sepc is the ecall itself, which is 4 bytes. */
		ctx->pc += 4;
		return USER_RETURN_SYSCALL;
	}
	decode_user_exception(&ctx->exc, scause, stval);
	return USER_RETURN_EXCEPTION;
}
