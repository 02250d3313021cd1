// SPDX-License-Identifier: MPL-2.0
/*
 * SiFive UART polled output (SiFive FU540-C000 Manual v1p4, chapter 13
 * "Universal Asynchronous Receiver/Transmitter"; QEMU hw/char/
 * sifive_uart.c). The firmware (OpenSBI's console) has already set the
 * baud divisor (div) from the bus clock, so we only enable transmit.
 */

#include "ostd/drivers/uart_sifive.h"

#include <stddef.h>

#define REG_TXDATA 0x00 /* txdata: bits 7:0 data, bit 31 full. */
#define REG_TXCTRL 0x08 /* txctrl: bit 0 txen. */
#define TXDATA_FULL (1U << 31)
#define TXCTRL_TXEN 1U

static volatile uint32_t *uart;

void uart_sifive_init(uintptr_t base)
{
	uart = (volatile uint32_t *)base;
	uart[REG_TXCTRL / 4] |= TXCTRL_TXEN;
}

void uart_sifive_putc(char c)
{
	if (uart == NULL) {
		return;
	}
	/* Reading txdata has no side effect; writing while full drops. */
	while ((uart[REG_TXDATA / 4] & TXDATA_FULL) != 0) {
	}
	uart[REG_TXDATA / 4] = (uint8_t)c;
}
