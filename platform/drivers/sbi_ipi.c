// SPDX-License-Identifier: MPL-2.0
/*
 * Inter-processor interrupts on RISC-V through the SBI IPI extension
 * (SBI v1.0.0, ch. 7): send_ipi makes the supervisor software interrupt
 * pending on the target harts (sip.SSIP, Privileged Spec v1.12, 4.1.3),
 * which S-mode takes as scause interrupt 1 once sie.SSIE lets it through.
 * A board whose tree has an ACLINT SSWI could write its register instead;
 * QEMU's virt and sifive_u have none by default, and the firmware owns
 * the CLINT's MSIP registers.
 */

#include "ostd/drivers/sbi_ipi.h"

#include "ostd/arch/riscv64.h"

#include "ostd/internal/cpu_local.h"
#include "ostd/panic.h"
#include "ostd/plat.h"

void sbi_ipi_init_cpu(void)
{
	/* An IPI sent before this CPU was ready is stale: the core polls. */
	riscv_csr_clear(sip, RISCV_SIP_SSIP);
	riscv_csr_set(sie, RISCV_SIE_SSIE);
}

void plat_send_ipi(const struct cpu_local *target)
{
	/*
	 * The contract (ostd/plat.h): the caller's stores are visible to
	 * the handler. An ecall orders nothing by itself under RVWMO
	 * (Unprivileged Spec v20191213, ch. 14), so FENCE RW,RW first.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* SBI v1.0.0, 3.1: bit 0 of the mask is hart hart_mask_base. */
	struct riscv_sbiret r = riscv_sbi_call(
		RISCV_SBI_EXT_IPI, RISCV_SBI_IPI_SEND_IPI, 1, target->hw_id);

	if (r.error != 0) {
		panic("SBI send_ipi to hart %llu failed: error %ld",
		      (unsigned long long)target->hw_id, r.error);
	}
}

void sbi_ipi_handle(void)
{
	/*
	 * Acknowledge first (4.1.3: SSIP is writable by S-mode): an IPI
	 * sent while the calls below run sets it again and is taken next,
	 * instead of being lost in the clear.
	 */
	riscv_csr_clear(sip, RISCV_SIP_SSIP);
	smp_ipi_handle();
}
