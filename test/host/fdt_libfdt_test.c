// SPDX-License-Identifier: MPL-2.0
/*
 * Host only: the FDT reader against Debian's libfdt on real device trees
 * that QEMU dumps (`-machine ...,dumpdtb=`; ./ostd puts them in
 * $OSTD_DTB_DIR). Neither libfdt nor files exist inside the kernel images,
 * which check their own boot blob in test/unit/fdt_test.c instead.
 */

#include <dirent.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ostd/boot.h"
#include "ostd/fdt.h"
#include "ostd/test.h"

/*
 * Plain libc allocation, not CMocka's tracked one: a failed assertion skips
 * free_dtbs(), and CMocka would then abort the whole run over the "leak"
 * instead of reporting the one failure.
 */
#undef malloc
#undef free

#define MAX_DTBS 16

struct blob {
	char name[64];
	uint8_t *data;
	size_t size;
};

static size_t load_dtbs(struct blob *out, size_t max)
{
	const char *dir = getenv("OSTD_DTB_DIR");
	size_t n = 0;

	if (dir == NULL) {
		return 0;
	}
	DIR *d = opendir(dir);

	if (d == NULL) {
		return 0;
	}
	for (struct dirent *e = readdir(d); e != NULL && n < max;
	     e = readdir(d)) {
		size_t len = strlen(e->d_name);
		char path[512];

		if (len < 5 || strcmp(e->d_name + len - 4, ".dtb") != 0) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");

		if (f == NULL) {
			continue;
		}
		fseek(f, 0, SEEK_END);
		long size = ftell(f);

		fseek(f, 0, SEEK_SET);
		/*
		 * Exactly the file's size, so ASan catches any overread.
		 */
		out[n].data = malloc((size_t)size);
		out[n].size = (size_t)size;
		if (out[n].data != NULL &&
		    fread(out[n].data, 1, (size_t)size, f) == (size_t)size) {
			snprintf(out[n].name, sizeof(out[n].name), "%s",
				 e->d_name);
			n++;
		} else {
			free(out[n].data);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static void free_dtbs(struct blob *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(b[i].data);
	}
}

static uint64_t cells(const fdt32_t *p, int count)
{
	uint64_t v = 0;

	for (int i = 0; i < count; i++) {
		v = v << 32 | fdt32_to_cpu(p[i]);
	}
	return v;
}

static bool node_enabled(const void *fdt, int node)
{
	const char *status = fdt_getprop(fdt, node, "status", NULL);

	return status == NULL || strcmp(status, "okay") == 0 ||
	       strcmp(status, "ok") == 0;
}

/* The usable bytes libfdt sees in all memory nodes. */
static uint64_t libfdt_memory(const void *fdt, unsigned int *ranges)
{
	uint64_t total = 0;

	*ranges = 0;
	for (int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type",
						      "memory", 7);
	     node >= 0; node = fdt_node_offset_by_prop_value(
				fdt, node, "device_type", "memory", 7)) {
		int parent = fdt_parent_offset(fdt, node);
		int ac = fdt_address_cells(fdt, parent);
		int sc = fdt_size_cells(fdt, parent);
		int len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

		if (reg == NULL || !node_enabled(fdt, node)) {
			continue;
		}
		for (int off = 0; off + 4 * (ac + sc) <= len;
		     off += 4 * (ac + sc)) {
			uint64_t size = cells(reg + off / 4 + ac, sc);

			if (size != 0) {
				total += size;
				(*ranges)++;
			}
		}
	}
	return total;
}

static const char *const compats[] = {
	"ns16550a",           "arm,pl011",       "sifive,test0",
	"arm,cortex-a15-gic", "riscv,plic0",     "syscon",
	"virtio,mmio",        "arm,armv8-timer", "no,such-thing",
};

TEST(fdt_host, matches_libfdt_on_qemu_dtbs)
{
	struct blob b[MAX_DTBS];
	size_t n = load_dtbs(b, MAX_DTBS);

	/* ./ostd dumps the riscv64 and aarch64 virt trees at least. */
	ASSERT_GE(n, 2);
	for (size_t i = 0; i < n; i++) {
		const void *fdt = b[i].data;
		struct ostd_boot_info info = { 0 };
		unsigned int ranges;
		uint64_t want = libfdt_memory(fdt, &ranges);

		printf("  %s: %zu bytes, %llu MiB of memory\n", b[i].name,
		       b[i].size, (unsigned long long)(want >> 20));
		ASSERT_EQ(fdt_check_header(fdt), 0);
		ASSERT_EQ(ostd_fdt_check(fdt), OSTD_OK);
		ASSERT_EQ(ostd_fdt_size(fdt), fdt_totalsize(fdt));
		ASSERT_EQ(ostd_fdt_add_memory(fdt, &info), OSTD_OK);
		ASSERT_EQ(ostd_boot_info_usable_bytes(&info), want);
		ASSERT_EQ(info.mem_count,
			  ranges + (unsigned int)fdt_num_mem_rsv(fdt));

		for (size_t c = 0; c < sizeof(compats) / sizeof(compats[0]);
		     c++) {
			int node = fdt_node_offset_by_compatible(fdt, -1,
								 compats[c]);
			uint64_t base = 0;
			uint64_t size = 0;
			ostd_err_t err;

			while (node >= 0 && !node_enabled(fdt, node)) {
				node = fdt_node_offset_by_compatible(
					fdt, node, compats[c]);
			}
			err = ostd_fdt_find_reg(fdt, compats[c], &base, &size);
			if (node < 0 ||
			    fdt_getprop(fdt, node, "reg", NULL) == NULL) {
				ASSERT_EQ(err, OSTD_ENOENT);
				continue;
			}
			int parent = fdt_parent_offset(fdt, node);
			int ac = fdt_address_cells(fdt, parent);
			int sc = fdt_size_cells(fdt, parent);
			const fdt32_t *reg =
				fdt_getprop(fdt, node, "reg", NULL);

			ASSERT_EQ(err, OSTD_OK);
			ASSERT_EQ(base, cells(reg, ac));
			ASSERT_EQ(size, cells(reg + ac, sc));
		}

		const char *paths[][2] = { { "/psci", "method" },
					   { "/chosen", "stdout-path" },
					   { "/", "compatible" },
					   { "/nonexistent", "method" } };
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			int node = fdt_path_offset(fdt, paths[p][0]);
			const char *want_s =
				node < 0 ? NULL
					 : fdt_getprop(fdt, node, paths[p][1],
						       NULL);
			const char *got = ostd_fdt_prop_string(fdt, paths[p][0],
							       paths[p][1]);

			if (want_s == NULL) {
				ASSERT_TRUE(got == NULL);
			} else {
				ASSERT_TRUE(got != NULL);
				ASSERT_STREQ(got, want_s);
			}
		}
	}
	free_dtbs(b, n);
}

TEST(fdt_host, corrupt_blobs_are_rejected_not_overread)
{
	struct blob b[MAX_DTBS];
	size_t n = load_dtbs(b, MAX_DTBS);
	uint64_t seed = 0x0ddc0ffee;

	ASSERT_GE(n, 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t *copy = malloc(b[i].size);
		uint32_t total = fdt_totalsize(b[i].data);

		ASSERT_TRUE(copy != NULL);
		/* Each header word set to garbage: rejected or still sane. */
		for (size_t word = 0; word < 10; word++) {
			memcpy(copy, b[i].data, b[i].size);
			memset(copy + 4 * word, 0xff, 4);
			/* Not 1 (totalsize) or 5 (version): 0xffffffff is legal. */
			if (word != 1 && word != 5 && word != 7) {
				ASSERT_EQ(ostd_fdt_check(copy), OSTD_EINVAL);
			}
			struct ostd_boot_info info = { 0 };
			uint64_t base;
			(void)ostd_fdt_add_memory(copy, &info);
			(void)ostd_fdt_find_reg(copy, "ns16550a", &base, NULL);
		}
		/*
		 * Random byte flips in the structure and strings blocks: any
		 * result is fine, reading outside the blob is not (ASan).
		 */
		for (int iter = 0; iter < 3000; iter++) {
			memcpy(copy, b[i].data, b[i].size);
			for (int flips = 0; flips < 4; flips++) {
				seed = seed * 6364136223846793005ULL +
				       1442695040888963407ULL;
				uint32_t at = 40 + (uint32_t)(seed >> 33) %
							   (total - 40);
				copy[at] ^= (uint8_t)(seed >> 13);
			}
			struct ostd_boot_info info = { 0 };
			uint64_t base;
			(void)ostd_fdt_add_memory(copy, &info);
			(void)ostd_fdt_find_reg(copy, "arm,pl011", &base, NULL);
			(void)ostd_fdt_prop_string(copy, "/psci", "method");
		}
		free(copy);
	}
	free_dtbs(b, n);
}
