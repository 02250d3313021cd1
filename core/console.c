// SPDX-License-Identifier: MPL-2.0
#include "ostd/console.h"

#include "ostd/plat.h"

static bool console_ready;

void ostd_console_init(const struct ostd_boot_info *info)
{
	plat_console_init(info);
	console_ready = true;
}

bool ostd_console_ready(void)
{
	return console_ready;
}

void ostd_console_putc(char c)
{
	if (c == '\n') {
		plat_console_putc('\r');
	}
	plat_console_putc(c);
}

void ostd_console_write(const char *s, unsigned long len)
{
	for (unsigned long i = 0; i < len; i++) {
		ostd_console_putc(s[i]);
	}
}
