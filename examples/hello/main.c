// SPDX-License-Identifier: MPL-2.0
/*
 * The example kernel. For now it greets and powers off with status 0; it
 * grows into the user-program loader of DESIGN.md §9 as the framework does.
 */

#include "ostd/boot.h"
#include "ostd/printf.h"

int ostd_main(void)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	ostd_printf("Hello from the OSTD-C example kernel on %s!\n",
		    info->arch);
	return 0;
}
