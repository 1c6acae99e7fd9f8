// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzes rust_slab_hp's debugfs control file with random and mutated command lines.
 *
 * Usage: fuzz_control <iterations> <seed>
 *
 * Every write must either succeed or fail with one of the documented errors (EINVAL,
 * EEXIST, ENOMEM, ENOSPC), and a failed write must leave every statistics file and the
 * list of kept objects exactly as they were. Memory use is bounded: the kept objects are
 * freed every so often. Prints KTAP diagnostics; exits 0 on success, 1 on the first
 * violation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYS "/sys/kernel/rust_slab_hp"
#define CTL "/sys/kernel/debug/rust_slab_hp/control"
#define OBJECTS "/sys/kernel/debug/rust_slab_hp/objects"
#define SNAP_MAX (1 << 20)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/*
 * The state a failed command must not change: which caches exist, the objects the controls
 * keep, and each cache's counters that any command moves (objects, slabs, fallbacks, shrunk
 * slabs). Files are kept open and re-read from offset 0, which regenerates sysfs and debugfs
 * contents, so a snapshot costs one pread per file.
 */
#define MAX_FILES 128
static const char *const watched[] = { "objects", "slabs", "alloc_fallbacks", "shrink_freed_slabs" };
static int fds[MAX_FILES], nfds = -1;
static char listing[4096];

static size_t list_caches(char *out, size_t max)
{
	size_t len = 0;
	struct dirent *d;
	DIR *top = opendir(SYS);

	if (!top)
		return 0;
	while ((d = readdir(top)))
		if (d->d_name[0] != '.')
			len += (size_t)snprintf(out + len, max - len, "%s\n", d->d_name);
	closedir(top);
	return len < max ? len : max;
}

/* (Re)opens the watched files when the set of caches changed. */
static void open_watched(const char *list)
{
	char name[256], path[600];
	const char *p = list;

	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	nfds = 0;
	fds[nfds++] = open(OBJECTS, O_RDONLY);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
		for (unsigned int k = 0; k < 4 && nfds < MAX_FILES; k++) {
			snprintf(path, sizeof(path), SYS "/%s/%s", name, watched[k]);
			fds[nfds] = open(path, O_RDONLY);
			if (fds[nfds] >= 0)
				nfds++;
		}
	}
}

static size_t snapshot(char *snap)
{
	char list[4096];
	size_t len = list_caches(list, sizeof(list) - 1);

	list[len] = 0;
	if (nfds < 0 || strcmp(list, listing)) {
		strcpy(listing, list);
		open_watched(listing);
	}
	memcpy(snap, list, len);
	for (int i = 0; i < nfds; i++) {
		ssize_t n = pread(fds[i], snap + len, SNAP_MAX - len - 1, 0);

		len += n > 0 ? (size_t)n : 0;
		snap[len++] = '|';
	}
	return len;
}

static const char *const verbs[] = { "create", "destroy", "alloc", "free", "shrink", "verify" };
static const char *const caches[] = { "hp-8", "hp-64", "hp-256", "hp-4096", "hp-8192",
				      "fz0", "fz1", "nosuch", "" };
static const char *const nodes[] = { "0", "1", "2", "any", "3", "7", "-1", "65535", "99999999999" };
static const char *const counts[] = { "1", "2", "7", "64", "all", "0", "65536", "65537", "-5",
				      "18446744073709551616", "1e3", "0x10" };
static const char *const sizes[] = { "8", "24", "100", "4096", "32768", "7", "32769", "0", "-8" };
static const char *const aligns[] = { "8", "64", "4096", "1", "3", "8192", "0" };

/* A command that is valid or close to it. */
static size_t gen_command(char *buf, size_t max)
{
	const char *v = verbs[pick(6)];

	if (!strcmp(v, "create"))
		return (size_t)snprintf(buf, max, "create %s %s %s", caches[5 + pick(2)],
					sizes[pick(9)], aligns[pick(7)]);
	if (!strcmp(v, "destroy"))
		return (size_t)snprintf(buf, max, "destroy %s", caches[5 + pick(4)]);
	if (!strcmp(v, "alloc"))
		return (size_t)snprintf(buf, max, "alloc %s %s %s%s", caches[pick(9)], nodes[pick(9)],
					counts[pick(12)], pick(4) ? "" : " strict");
	if (!strcmp(v, "free"))
		return (size_t)snprintf(buf, max, "free %s %s %s", caches[pick(9)], nodes[pick(9)],
					counts[pick(12)]);
	if (!strcmp(v, "shrink"))
		return (size_t)snprintf(buf, max, "shrink %s", pick(2) ? "all" : caches[pick(9)]);
	return (size_t)snprintf(buf, max, "verify%s%s", pick(2) ? " " : "", pick(2) ? caches[pick(9)] : "");
}

/* Damages a command: random bytes, NULs, deletions, duplications, huge lengths. */
static size_t mutate(char *buf, size_t len, size_t max)
{
	unsigned int i, n = 1 + pick(4);

	for (i = 0; i < n; i++) {
		size_t at = len ? pick((unsigned int)len) : 0;

		switch (pick(7)) {
		case 0: /* random byte */
			if (len)
				buf[at] = (char)pick(256);
			break;
		case 1: /* embedded NUL */
			if (len)
				buf[at] = 0;
			break;
		case 2: /* delete a byte */
			if (len) {
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		case 3: /* duplicate the tail */
			if (len && 2 * len < max) {
				memcpy(buf + len, buf + at, len - at);
				len += len - at;
			}
			break;
		case 4: /* stray space or tab */
			if (len + 1 < max) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = pick(2) ? ' ' : '\t';
				len++;
			}
			break;
		case 5: /* over-long line */
			while (len < 300 + pick(200) && len < max)
				buf[len++] = (char)('a' + pick(26));
			break;
		default: /* a trailing newline, or two */
			if (len + 2 < max) {
				buf[len++] = '\n';
				if (pick(2))
					buf[len++] = '\n';
			}
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	static char before[SNAP_MAX], after[SNAP_MAX];
	unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
	unsigned long i, ok = 0, errs[5] = { 0 };
	size_t blen, alen;
	char line[1024];
	int fd;

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed;
	if (!rng_state)
		rng_state = 1;
	fd = open(CTL, O_WRONLY);
	if (fd < 0) {
		printf("cannot open %s: %s\n", CTL, strerror(errno));
		return 1;
	}
	blen = snapshot(before);
	for (i = 0; i < iterations; i++) {
		size_t len;
		ssize_t r;

		if (i % 500 == 499) {
			/* Bound memory: give every kept object back. */
			for (unsigned int c = 0; c < 7; c++) {
				len = (size_t)snprintf(line, sizeof(line), "free %s any all", caches[c]);
				if (write(fd, line, len) < 0 && errno != EINVAL)
					printf("cleanup '%s': %s\n", line, strerror(errno));
			}
			blen = snapshot(before);
		}
		switch (pick(4)) {
		case 0: /* random bytes */
			len = pick(80);
			for (size_t k = 0; k < len; k++)
				line[k] = (char)pick(256);
			break;
		case 1: /* valid-looking command */
			len = gen_command(line, sizeof(line));
			break;
		default: /* mutated command */
			len = gen_command(line, sizeof(line));
			len = mutate(line, len, sizeof(line));
			break;
		}
		r = write(fd, line, len);
		if (r >= 0) {
			if ((size_t)r != len) {
				printf("write of %zu bytes returned %zd\n", len, r);
				return 1;
			}
			ok++;
			blen = snapshot(before);
			continue;
		}
		switch (errno) {
		case EINVAL: errs[0]++; break;
		case EEXIST: errs[1]++; break;
		case ENOMEM: errs[2]++; break;
		case ENOSPC: errs[3]++; break;
		default:
			printf("iteration %lu: undocumented error %s for '%.*s'\n", i, strerror(errno),
			       (int)(len > 80 ? 80 : len), line);
			return 1;
		}
		alen = snapshot(after);
		if (alen != blen || memcmp(before, after, blen)) {
			printf("iteration %lu: '%.*s' failed (%s) but changed the state\n", i,
			       (int)(len > 80 ? 80 : len), line, strerror(errno));
			return 1;
		}
	}
	printf("%lu writes: %lu accepted, EINVAL %lu, EEXIST %lu, ENOMEM %lu, ENOSPC %lu\n",
	       iterations, ok, errs[0], errs[1], errs[2], errs[3]);
	return 0;
}
