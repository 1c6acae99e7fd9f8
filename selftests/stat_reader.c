// SPDX-License-Identifier: GPL-2.0
/*
 * Reads rust_slab_hp's statistics files and times or counts the outcomes, in the test VM.
 *
 *   stat_reader time [-r <tries>] <file>...
 *	Reads each file <tries> times in a row (1 by default; open, read to the end, close),
 *	timing each read on the monotonic clock; a file's time is its quickest read, so that a
 *	moment the host deschedules the VM does not count, while a read that waits for a lock
 *	is slow every time. Prints "files=<n> max_ns=<the slowest file's time>
 *	slowest=<that file> min_ns=<the quickest file's time> worst_ns=<the slowest single read>
 *	total_ns=<all of it>"; exits 1 if any read failed.
 *
 *   stat_reader write <file> <text>
 *	Writes <text> to <file> in one write(), timed. Prints "ns=<ns> result=<ok or error>".
 *
 *   stat_reader loop <dir> <stop file> <out prefix> <churned prefix>
 *	The stress reader of race and soak: until <stop file> exists, reads every file of <dir>
 *	and of each of its subdirectories, again and again. Writes the finished passes to
 *	<out prefix>.iter after each pass and, at the end, the outcomes to <out prefix>.counts:
 *	"passes", "ok" (reads that returned data), "gone" (ENOENT or ENODEV on a file of a cache
 *	whose name starts with <churned prefix>, which another loop destroys: the expected way a
 *	removed sysfs file fails), "unexpected" (every other failure, anywhere, or an empty
 *	read), and the first few unexpected failures as "unexpected_detail <file> <error>".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Reads a whole file: the bytes read, or -errno. */
static long read_file(const char *path)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return total;
}

static int cmd_time(int repeat, int argc, char **argv)
{
	uint64_t max = 0, min = UINT64_MAX, worst = 0, start = now_ns();
	const char *slowest = "";
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		uint64_t quickest = UINT64_MAX;

		for (int k = 0; k < repeat; k++) {
			uint64_t t0 = now_ns();
			long r = read_file(argv[i]);
			uint64_t dt = now_ns() - t0;

			if (r <= 0) {
				printf("read %s: %s\n", argv[i], r < 0 ? strerror((int)-r) : "empty");
				bad++;
			}
			if (dt < quickest)
				quickest = dt;
			if (dt > worst)
				worst = dt;
		}
		if (quickest > max) {
			max = quickest;
			slowest = argv[i];
		}
		if (quickest < min)
			min = quickest;
	}
	printf("files=%d max_ns=%llu slowest=%s min_ns=%llu worst_ns=%llu total_ns=%llu\n", argc,
	       (unsigned long long)max, slowest, (unsigned long long)min,
	       (unsigned long long)worst, (unsigned long long)(now_ns() - start));
	return bad ? 1 : 0;
}

static int cmd_write(const char *path, const char *text)
{
	uint64_t t0 = now_ns();
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));
	int e = errno;
	uint64_t dt = now_ns() - t0;

	if (fd >= 0)
		close(fd);
	printf("ns=%llu result=%s\n", (unsigned long long)dt, n < 0 ? strerror(e) : "ok");
	return 0;
}

struct counts {
	unsigned long passes, ok, gone, unexpected;
	char detail[5][1100];
};

static void count(struct counts *c, const char *path, long r, int churned)
{
	if (r > 0) {
		c->ok++;
	} else if (churned && (r == -ENOENT || r == -ENODEV)) {
		c->gone++;
	} else {
		if (c->unexpected < 5)
			snprintf(c->detail[c->unexpected], sizeof(c->detail[0]), "%s %s", path,
				 r < 0 ? strerror((int)-r) : "empty");
		c->unexpected++;
	}
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static int cmd_loop(const char *dir, const char *stop, const char *out, const char *prefix)
{
	struct counts c = { 0 };
	char path[1024], num[32];
	size_t plen = strlen(prefix);

	while (access(stop, F_OK) != 0) {
		DIR *top = opendir(dir);
		struct dirent *d;

		if (!top) {
			count(&c, dir, -errno, 0);
			break;
		}
		while ((d = readdir(top))) {
			int churned = strncmp(d->d_name, prefix, plen) == 0;
			DIR *sub;
			struct dirent *f;

			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			if (d->d_type != DT_DIR) {
				count(&c, path, read_file(path), 0);
				continue;
			}
			sub = opendir(path);
			if (!sub) {
				count(&c, path, -errno, churned);
				continue;
			}
			while ((f = readdir(sub))) {
				if (f->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s/%s", dir, d->d_name, f->d_name);
				count(&c, path, read_file(path), churned);
			}
			closedir(sub);
		}
		closedir(top);
		c.passes++;
		snprintf(path, sizeof(path), "%s.iter", out);
		snprintf(num, sizeof(num), "%lu\n", c.passes);
		write_text(path, num);
	}
	{
		char text[8192];
		int len = snprintf(text, sizeof(text), "passes %lu\nok %lu\ngone %lu\nunexpected %lu\n",
				   c.passes, c.ok, c.gone, c.unexpected);

		for (unsigned long i = 0; i < c.unexpected && i < 5; i++)
			len += snprintf(text + len, sizeof(text) - (size_t)len,
					"unexpected_detail %s\n", c.detail[i]);
		snprintf(path, sizeof(path), "%s.counts", out);
		write_text(path, text);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "time") && !strcmp(argv[2], "-r") && atoi(argv[3]) > 0)
		return cmd_time(atoi(argv[3]), argc - 4, argv + 4);
	if (argc >= 3 && !strcmp(argv[1], "time"))
		return cmd_time(1, argc - 2, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "write"))
		return cmd_write(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "loop"))
		return cmd_loop(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: stat_reader time [-r <tries>] <file>... | write <file> <text> |\n"
			"       loop <dir> <stop file> <out prefix> <churned prefix>\n");
	return 2;
}
