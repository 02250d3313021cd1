// SPDX-License-Identifier: MPL-2.0
#include "ostd/panic.h"

#include <stdarg.h>

#include "ostd/console.h"
#include "ostd/plat.h"
#include "ostd/printf.h"

void ostd_power_off(int status)
{
	/*
	 * Some exit devices carry fewer bits than a status (isa-debug-exit
	 * 7, SBI SRST none): the runner reads the full value here and
	 * checks it against what the device reported.
	 */
	if (ostd_console_ready()) {
		ostd_printf("ostd: power off, status %d\n", status);
	}
	plat_power_off(status);
}

void ostd_panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* A panic in the arch entry code comes before ostd_boot(). */
	if (!ostd_console_ready()) {
		ostd_console_init(NULL);
	}
	ostd_printf("\nPANIC at %s:%d: ", file, line);
	va_start(ap, fmt);
	ostd_vprintf(fmt, ap);
	va_end(ap);
	ostd_puts("\n");
	plat_power_off(OSTD_EXIT_PANIC);
}
