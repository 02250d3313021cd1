// SPDX-License-Identifier: MPL-2.0
#include "ostd/err.h"

#include <stddef.h>

const char *ostd_err_name(ostd_err_t err)
{
	static const char *const names[OSTD_ERR_COUNT] = {
		[OSTD_OK] = "OK",
		[OSTD_EINVAL] = "EINVAL",
		[OSTD_ENOMEM] = "ENOMEM",
		[OSTD_EFAULT] = "EFAULT",
		[OSTD_EACCES] = "EACCES",
		[OSTD_EPERM] = "EPERM",
		[OSTD_EOVERFLOW] = "EOVERFLOW",
		[OSTD_EUNALIGNED] = "EUNALIGNED",
		[OSTD_ERANGE] = "ERANGE",
		[OSTD_EEXIST] = "EEXIST",
		[OSTD_EBUSY] = "EBUSY",
		[OSTD_EBADSTATE] = "EBADSTATE",
		[OSTD_ENOENT] = "ENOENT",
		[OSTD_EINACTIVE] = "EINACTIVE",
		[OSTD_ENOTCURRENT] = "ENOTCURRENT",
		[OSTD_ENODEV] = "ENODEV",
	};

	if ((unsigned int)err >= OSTD_ERR_COUNT || names[err] == NULL) {
		return "E?";
	}
	return names[err];
}
