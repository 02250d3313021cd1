// SPDX-License-Identifier: MPL-2.0
/*
 * Arm PrimeCell UART (PL011) polled output. Register offsets and bits: the
 * PL011 Technical Reference Manual (ARM DDI 0183G), 3.2 "Summary of
 * registers" and 3.3 "Register descriptions". Each byte waits for room in
 * the transmit FIFO (UARTFR.TXFF clear), so output is never dropped.
 */

#include "ostd/drivers/pl011.h"

#define UARTDR 0x000    /* 3.3.1 Data register. */
#define UARTFR 0x018    /* 3.3.3 Flag register. */
#define UARTIBRD 0x024  /* 3.3.5 Integer baud rate divisor. */
#define UARTFBRD 0x028  /* 3.3.6 Fractional baud rate divisor. */
#define UARTLCR_H 0x02c /* 3.3.7 Line control. */
#define UARTCR 0x030    /* 3.3.8 Control. */
#define UARTIMSC 0x038  /* 3.3.10 Interrupt mask set/clear. */
#define UARTICR 0x044   /* 3.3.13 Interrupt clear. */

#define FR_BUSY (1U << 3)
#define FR_TXFF (1U << 5)
#define LCR_H_FEN (1U << 4)
#define LCR_H_WLEN_8 (3U << 5)
#define CR_UARTEN (1U << 0)
#define CR_TXE (1U << 8)
#define CR_RXE (1U << 9)
#define ICR_ALL 0x7ffU

/*
 * QEMU virt clocks the PL011 from a fixed 24 MHz "apb-pclk". 3.3.5: divisor
 * = 24e6 / (16 * 115200) = 13.02; IBRD = 13, FBRD = round(0.02 * 64) = 1.
 */
#define BAUD_IBRD 13U
#define BAUD_FBRD 1U

static uintptr_t uart_base;

static uint32_t reg_read(unsigned int reg)
{
	return *(volatile uint32_t *)(uart_base + reg);
}

static void reg_write(unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(uart_base + reg) = v;
}

void pl011_init(uintptr_t base)
{
	uart_base = base;
	/* Firmware (U-Boot) that enabled the UART has set its clock right. */
	if ((reg_read(UARTCR) & CR_UARTEN) != 0) {
		return;
	}
	/*
	 * 3.3.8, UARTCR programming sequence: disable, wait for the end of
	 * the current byte, flush the FIFO (clear FEN), reprogram, enable.
	 * 3.3.7: IBRD and FBRD take effect with the following LCR_H write.
	 */
	reg_write(UARTCR, 0);
	while ((reg_read(UARTFR) & FR_BUSY) != 0) {
	}
	reg_write(UARTLCR_H, 0);
	reg_write(UARTIBRD, BAUD_IBRD);
	reg_write(UARTFBRD, BAUD_FBRD);
	reg_write(UARTLCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
	reg_write(UARTIMSC, 0);
	reg_write(UARTICR, ICR_ALL);
	reg_write(UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
}

void pl011_putc(char c)
{
	if (uart_base == 0) {
		return;
	}
	while ((reg_read(UARTFR) & FR_TXFF) != 0) {
	}
	reg_write(UARTDR, (uint8_t)c);
}
