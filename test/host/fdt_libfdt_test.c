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

/* The reg entries of the children of /reserved-memory. */
static unsigned int reserved_regions(const void *fdt)
{
	int parent = fdt_path_offset(fdt, "/reserved-memory");
	unsigned int n = 0;
	int node;

	if (parent < 0) {
		return 0;
	}
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);

	fdt_for_each_subnode(node, fdt, parent)
	{
		int len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

		if (reg == NULL || !node_enabled(fdt, node)) {
			continue;
		}
		for (int off = 0; off + 4 * (ac + sc) <= len;
		     off += 4 * (ac + sc)) {
			n += cells(reg + off / 4 + ac, sc) != 0;
		}
	}
	return n;
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
			  ranges + reserved_regions(fdt) +
				  (unsigned int)fdt_num_mem_rsv(fdt));

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
			int reg_len = 0;
			const fdt32_t *reg =
				fdt_getprop(fdt, node, "reg", &reg_len);

			ASSERT_EQ(err, OSTD_OK);
			ASSERT_EQ(base, cells(reg, ac));
			ASSERT_EQ(size, cells(reg + ac, sc));
			/* Every further pair, and one past the last. */
			int pairs = reg_len / (4 * (ac + sc));

			for (int k = 1; k <= pairs; k++) {
				err = ostd_fdt_find_reg_index(fdt, compats[c],
							      (uint32_t)k,
							      &base, &size);
				if (k == pairs) {
					ASSERT_EQ(err, OSTD_ENOENT);
					continue;
				}
				ASSERT_EQ(err, OSTD_OK);
				ASSERT_EQ(base,
					  cells(reg + (ptrdiff_t)k * (ac + sc),
						ac));
				ASSERT_EQ(size,
					  cells(reg + (ptrdiff_t)k * (ac + sc) +
							ac,
						sc));
			}
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

/*
 * ostd_fdt_child_name() lists the children of /cpus (and /) in the order
 * libfdt's subnode walk does, then NULL; ports enumerate CPUs with it.
 */
TEST(fdt_host, child_names_match_libfdt)
{
	struct blob b[MAX_DTBS];
	size_t n = load_dtbs(b, MAX_DTBS);
	const char *parents[] = { "/cpus", "/", "/nonexistent" };

	ASSERT_GE(n, 2);
	for (size_t i = 0; i < n; i++) {
		const void *fdt = b[i].data;

		for (size_t p = 0; p < sizeof(parents) / sizeof(parents[0]);
		     p++) {
			int parent = fdt_path_offset(fdt, parents[p]);
			uint32_t k = 0;

			for (int node = parent < 0 ? -1
						   : fdt_first_subnode(fdt,
								       parent);
			     node >= 0;
			     node = fdt_next_subnode(fdt, node), k++) {
				const char *got =
					ostd_fdt_child_name(fdt, parents[p], k);

				ASSERT_TRUE(got != NULL);
				ASSERT_STREQ(got,
					     fdt_get_name(fdt, node, NULL));
			}
			ASSERT_TRUE(ostd_fdt_child_name(fdt, parents[p], k) ==
				    NULL);
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

/* Builds a small tree with libfdt's sequential-write API. */
static void build_tree(void *buf, int size)
{
	ASSERT_EQ(fdt_create(buf, size), 0);
	ASSERT_EQ(fdt_add_reservemap_entry(buf, 0x80000000, 0x1000), 0);
	ASSERT_EQ(fdt_finish_reservemap(buf), 0);
	ASSERT_EQ(fdt_begin_node(buf, ""), 0);
	ASSERT_EQ(fdt_property_u32(buf, "#address-cells", 2), 0);
	ASSERT_EQ(fdt_property_u32(buf, "#size-cells", 2), 0);
	ASSERT_EQ(fdt_property_string(buf, "compatible", "ostd,test"), 0);

	ASSERT_EQ(fdt_begin_node(buf, "memory@80000000"), 0);
	ASSERT_EQ(fdt_property_string(buf, "device_type", "memory"), 0);
	fdt64_t mem[4] = { cpu_to_fdt64(0x80000000), cpu_to_fdt64(0x10000000),
			   cpu_to_fdt64(0x100000000), cpu_to_fdt64(0x1000000) };
	ASSERT_EQ(fdt_property(buf, "reg", mem, sizeof(mem)), 0);
	ASSERT_EQ(fdt_end_node(buf), 0);

	ASSERT_EQ(fdt_begin_node(buf, "reserved-memory"), 0);
	ASSERT_EQ(fdt_property_u32(buf, "#address-cells", 2), 0);
	ASSERT_EQ(fdt_property_u32(buf, "#size-cells", 2), 0);
	ASSERT_EQ(fdt_begin_node(buf, "fw@80000000"), 0);
	fdt64_t fw[2] = { cpu_to_fdt64(0x80000000), cpu_to_fdt64(0x80000) };
	ASSERT_EQ(fdt_property(buf, "reg", fw, sizeof(fw)), 0);
	ASSERT_EQ(fdt_end_node(buf), 0);
	ASSERT_EQ(fdt_end_node(buf), 0);

	/* 32-bit cells below a bus node, and a disabled twin first. */
	ASSERT_EQ(fdt_begin_node(buf, "soc"), 0);
	ASSERT_EQ(fdt_property_u32(buf, "#address-cells", 1), 0);
	ASSERT_EQ(fdt_property_u32(buf, "#size-cells", 1), 0);
	ASSERT_EQ(fdt_begin_node(buf, "uart@9000000"), 0);
	ASSERT_EQ(fdt_property_string(buf, "compatible", "arm,pl011"), 0);
	ASSERT_EQ(fdt_property_string(buf, "status", "disabled"), 0);
	fdt32_t u0[2] = { cpu_to_fdt32(0x9000000), cpu_to_fdt32(0x1000) };
	ASSERT_EQ(fdt_property(buf, "reg", u0, sizeof(u0)), 0);
	ASSERT_EQ(fdt_end_node(buf), 0);
	ASSERT_EQ(fdt_begin_node(buf, "uart@9001000"), 0);
	static const char compat[] = "vendor,uart\0arm,pl011";
	ASSERT_EQ(fdt_property(buf, "compatible", compat, sizeof(compat)), 0);
	fdt32_t u1[2] = { cpu_to_fdt32(0x9001000), cpu_to_fdt32(0x200) };
	ASSERT_EQ(fdt_property(buf, "reg", u1, sizeof(u1)), 0);
	ASSERT_EQ(fdt_end_node(buf), 0);
	ASSERT_EQ(fdt_end_node(buf), 0);

	ASSERT_EQ(fdt_end_node(buf), 0);
	ASSERT_EQ(fdt_finish(buf), 0);
}

TEST(fdt_host, reserved_memory_cells_and_status)
{
	static uint64_t buf[512];
	struct ostd_boot_info info = { 0 };
	uint64_t base = 0;
	uint64_t size = 0;

	build_tree(buf, (int)sizeof(buf));
	ASSERT_EQ(ostd_fdt_check(buf), OSTD_OK);
	ASSERT_EQ(ostd_fdt_add_memory(buf, &info), OSTD_OK);
	/* Two RAM ranges, one /reserved-memory child, one /memreserve/. */
	ASSERT_EQ(info.mem_count, 4);
	ASSERT_EQ(info.mem[0].kind, OSTD_MEM_USABLE);
	ASSERT_EQ(pa_addr(info.mem[1].base), 0x100000000);
	ASSERT_EQ(info.mem[2].kind, OSTD_MEM_RESERVED);
	ASSERT_EQ(info.mem[2].size, 0x80000);
	ASSERT_EQ(info.mem[3].kind, OSTD_MEM_RESERVED);
	ASSERT_EQ(info.mem[3].size, 0x1000);
	/* The memreserve entry lies inside the firmware region. */
	ASSERT_EQ(ostd_boot_info_usable_bytes(&info),
		  0x10000000 + 0x1000000 - 0x80000);
	/* The disabled UART is skipped; the list-compatible one is found. */
	ASSERT_EQ(ostd_fdt_find_reg(buf, "arm,pl011", &base, &size), OSTD_OK);
	ASSERT_EQ(base, 0x9001000);
	ASSERT_EQ(size, 0x200);
	ASSERT_STREQ(
		ostd_fdt_prop_string(buf, "/soc/uart@9001000", "compatible"),
		"vendor,uart");
	ASSERT_STREQ(ostd_fdt_prop_string(buf, "/soc/uart", "status"),
		     "disabled");
}

TEST(fdt_host, add_memory_is_all_or_nothing)
{
	static uint64_t buf[512];
	struct ostd_boot_info info = { 0 };

	build_tree(buf, (int)sizeof(buf));
	/* Room for only some of the four regions: nothing is added. */
	info.mem_count = OSTD_MAX_MEM_REGIONS - 2;
	ASSERT_EQ(ostd_fdt_add_memory(buf, &info), OSTD_ENOMEM);
	ASSERT_EQ(info.mem_count, OSTD_MAX_MEM_REGIONS - 2);
}
