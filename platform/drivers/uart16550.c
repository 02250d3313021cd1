// SPDX-License-Identifier: MPL-2.0
/*
 * NS16550A polled output. Register offsets and bits: TI PC16550D data
 * sheet, "Registers". We program 115200 8N1 and poll LSR.THRE before each
 * byte, so output is never dropped even when the emulated FIFO is full.
 */

#include "ostd/drivers/uart16550.h"

#include "ostd/config.h"

#if CONFIG_UART_16550_MMIO
#define UART_IO 0
#else
#include "ostd/arch/x86_64.h"
#define UART_IO 1
#endif

#define REG_THR 0 /* Transmit holding (write). */
#define REG_IER 1 /* Interrupt enable. */
#define REG_FCR 2 /* FIFO control (write). */
#define REG_LCR 3 /* Line control. */
#define REG_MCR 4 /* Modem control. */
#define REG_LSR 5 /* Line status. */
#define REG_DLL 0 /* Divisor latch, low (with LCR.DLAB). */
#define REG_DLM 1 /* Divisor latch, high (with LCR.DLAB). */

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03
#define LSR_THRE 0x20

static uintptr_t uart_base;

static void reg_write(unsigned int reg, uint8_t v)
{
#if UART_IO
	x86_64_outb((uint16_t)(uart_base + reg), v);
#else
	*(volatile uint8_t *)(uart_base + reg) = v;
#endif
}

static uint8_t reg_read(unsigned int reg)
{
#if UART_IO
	return x86_64_inb((uint16_t)(uart_base + reg));
#else
	return *(volatile uint8_t *)(uart_base + reg);
#endif
}

void uart16550_init(uintptr_t base)
{
	uart_base = base;
	reg_write(REG_IER, 0);
	reg_write(REG_LCR, LCR_DLAB);
	/* 1.8432 MHz / (16 * 115200) = 1. */
	reg_write(REG_DLL, 1);
	reg_write(REG_DLM, 0);
	reg_write(REG_LCR, LCR_8N1);
	reg_write(REG_FCR, FCR_ENABLE_CLEAR);
	reg_write(REG_MCR, MCR_DTR_RTS);
}

void uart16550_putc(char c)
{
	if (uart_base == 0) {
		return;
	}
	while ((reg_read(REG_LSR) & LSR_THRE) == 0) {
	}
	reg_write(REG_THR, (uint8_t)c);
}
