// SPDX-License-Identifier: GPL-2.0
/*
 * rsh-slabinfo: slabinfo and slabtop for rust_slab_hp's caches.
 *
 * Reads only /sys/kernel/rust_slab_hp (the module's lock-free statistics files: no debugfs,
 * no lock) and shows every cache's objects, slabs and memory, a per-node view like
 * tools/mm/slabinfo's -n, totals, JSON, and a watch mode with deltas and rates like slabtop.
 * Run with -h for the options; README.md ("rsh-slabinfo") shows example output.
 *
 * Numbers, with the sysfs file each comes from:
 *   Objs      total_objects     object slots in the cache's slabs
 *   Active    objects           objects in use, the free objects the per-CPU, node and depot
 *                               stashes hold included (SLUB counts its per-CPU objects so)
 *   Stashed   cpu_stashed       those stashed free objects
 *   Slabs, Partial, PartObjs    slabs, partial, objects_partial
 *   ObjSize, Obj/Slab, O        object_size, objs_per_slab, order
 *   Memory    slabs * (page size << order): the memory of the cache's slabs
 *   Wasted    Memory - object_size * Active, as tools/mm/slabinfo's slab_waste(): the slab
 *             headers, padding to the stride, unused slab tails and the free slots
 *   Metadata  metadata_bytes    per-node metadata kept (never freed before the cache is)
 *
 * Files are read one at a time, so the numbers of one cache are not one atomic snapshot:
 * under concurrent allocation they can disagree by what changed between two reads (Wasted is
 * signed for that reason).
 *
 * Caches come and go (the debugfs control creates and destroys them) and the module can be
 * unloaded at any time. A cache whose files vanish while they are read (open: ENOENT; read
 * of a file already open: ENODEV, kernfs' answer once a file is removed) is left out of that
 * refresh and reported as vanished. The tool keeps a cache's files open between refreshes
 * (as many as the open-file limit allows), so a cache destroyed and created again under its
 * name reads ENODEV through the old files: it is the old cache vanished and a new one, not
 * one whose numbers jumped. The module going away, even if it is loaded again meanwhile, ends
 * the tool with exit status 3. A whole refresh is read before any of it is printed.
 *
 * Exit status: 0 success; 1 an unexpected error (a read failing otherwise, a file with
 * unexpected contents); 2 bad command line; 3 rust_slab_hp not loaded, or unloaded while the
 * tool ran.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef ROOT /* -DROOT=... reads a copy elsewhere, for trying the output on a host */
#define ROOT "/sys/kernel/rust_slab_hp"
#endif
#define PROG "rsh-slabinfo"
#define MAX_NODES 1024 /* the kernel's largest MAX_NUMNODES (NODES_SHIFT 10) */
#define BUF_SIZE 8192  /* a sysfs file is at most a page */

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_GONE = 3 };

/* What a file holds: SLUB's per-node format, one number, or a node list ("0-2,5"). */
enum kind { PER_NODE, ONE, NODE_LIST };

struct file_desc {
	const char *name;
	enum kind kind;
};

/* A cache's files, in sysfs.rs order. */
enum {
	F_OBJECTS,
	F_TOTAL_OBJECTS,
	F_SLABS,
	F_PARTIAL,
	F_OBJECTS_PARTIAL,
	F_OBJECT_SIZE,
	F_SLAB_SIZE,
	F_OBJS_PER_SLAB,
	F_ORDER,
	F_ALIGN,
	F_METADATA_NODES,
	F_METADATA_ALLOCS,
	F_METADATA_REUSES,
	F_METADATA_FREES,
	F_METADATA_BYTES,
	F_ALLOC_FALLBACKS,
	F_SHRINK_FREED_SLABS,
	F_CPU_STASHED,
	NR_CACHE_FILES
};

static const struct file_desc cache_files[NR_CACHE_FILES] = {
	{ "objects", PER_NODE },	    { "total_objects", PER_NODE },
	{ "slabs", PER_NODE },		    { "partial", PER_NODE },
	{ "objects_partial", PER_NODE },    { "object_size", ONE },
	{ "slab_size", ONE },		    { "objs_per_slab", ONE },
	{ "order", ONE },		    { "align", ONE },
	{ "metadata_nodes", NODE_LIST },    { "metadata_allocs", PER_NODE },
	{ "metadata_reuses", PER_NODE },    { "metadata_frees", PER_NODE },
	{ "metadata_bytes", PER_NODE },	    { "alloc_fallbacks", PER_NODE },
	{ "shrink_freed_slabs", PER_NODE }, { "cpu_stashed", ONE },
};

/* The module's own files: node events in NodeEvent::ALL order, then the nodes with memory. */
enum { NR_EVENTS = 6, R_MEMORY_NODES = NR_EVENTS, NR_ROOT_FILES };

static const struct file_desc root_files[NR_ROOT_FILES] = {
	{ "node_adding_first_memory", PER_NODE },
	{ "node_added_first_memory", PER_NODE },
	{ "node_cancel_adding_first_memory", PER_NODE },
	{ "node_removing_last_memory", PER_NODE },
	{ "node_removed_last_memory", PER_NODE },
	{ "node_cancel_removing_last_memory", PER_NODE },
	{ "memory_nodes", NODE_LIST },
};

/*
 * One file's contents. PER_NODE: the total and the nodes SLUB's format lists (non-zero ones);
 * ONE: the number in `total`; NODE_LIST: the nodes, each with v = 1, and their count in `total`.
 */
struct entry {
	uint32_t node;
	uint64_t v;
};

struct value {
	uint64_t total;
	uint32_t n;
	struct entry e[];
};

/* Derived per-node numbers, in the same shape. */
enum { D_MEMORY, D_WASTED, NR_DERIVED };
static const char *const derived_names[NR_DERIVED] = { "memory_bytes", "wasted_bytes" };

/* One cache as read in one refresh. */
struct cache {
	char *name;
	ino_t ino; /* its directory's: a cache destroyed and created again has a new one */
	struct value *v[NR_CACHE_FILES];
	uint64_t slab_bytes;  /* page size << order */
	uint64_t memory;      /* slabs * slab_bytes */
	int64_t wasted;	      /* memory - object_size * objects */
	bool is_new;	      /* not in the previous refresh (watch mode) */
	const struct cache *prev; /* the same cache in the previous refresh */
};

/* Why a cache is not in a refresh though it was in the last one or in the listing. */
enum why {
	GONE,	    /* no longer listed */
	WHILE_READ, /* removed while its files were read: `err` is ENOENT (open) or ENODEV (read) */
	INCOMPLETE, /* being created: its directory is there, the file `file` not yet */
};

struct vanished {
	char *name;
	enum why why;
	int err;
	const char *file;
};

/* One refresh. */
struct snapshot {
	struct timespec when;
	struct value *root[NR_ROOT_FILES];
	struct cache *caches;
	size_t nr_caches;
	struct vanished *vanished;
	size_t nr_vanished;
	uint32_t nodes[MAX_NODES]; /* every node any file names, ascending */
	uint32_t nr_nodes;
	bool have_prev; /* watch mode: caches are linked to the last refresh's */
};

/* A cache's open directory and files, kept across refreshes (watch mode). */
struct handle {
	char *name;
	int dirfd;
	ino_t ino;
	int fd[NR_CACHE_FILES];
	bool listed;
};

static struct {
	bool table, numa, totals, json, bytes, inverted;
	int sort; /* 0 name, 'S' memory, 'L' wasted, 'A' active */
	long lines;
	bool watch;
	double interval;
	uint64_t interval_ns;
	long count;
	char **patterns;
	int nr_patterns;
} opt;

static uint64_t page_size;
static int root_fd = -1;
static ino_t root_ino;
static int root_fds[NR_ROOT_FILES];
static struct handle *handles;
static size_t nr_handles;
static long fd_budget; /* how many more files may be kept open */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [options] [cache-pattern...]\n"
		"Shows rust_slab_hp's caches from " ROOT " (no debugfs, no lock).\n"
		"Patterns are shell globs (fnmatch) on cache names; every cache by default.\n"
		"\n"
		"Views (any combination; the cache table when none is given):\n"
		"  -l, --slabs            the cache table\n"
		"  -n, --numa             the per-node view: node events, and every cache on every node\n"
		"  -T, --totals           totals over the caches, per node and in all\n"
		"  -j, --json             everything as JSON (every number), whatever the views\n"
		"Output:\n"
		"  -B, --bytes            sizes in bytes (default: K, M, G of 1024)\n"
		"  -S, --size             sort by slab memory, largest first\n"
		"  -L, --loss             sort by bytes wasted, largest first\n"
		"  -A, --active           sort by active objects, most first\n"
		"  -i, --inverted         reverse the order (the default is by name)\n"
		"  -N, --lines=K          the first K caches only\n"
		"Watch mode (like slabtop):\n"
		"  -w, --watch=SECONDS    refresh every SECONDS (0 to 86400, fractions allowed), with\n"
		"                         deltas and rates since the last refresh; a line on standard\n"
		"                         input refreshes at once, \"q\" quits\n"
		"  -c, --count=COUNT      stop after COUNT refreshes (needs -w)\n"
		"  -h, --help             this text\n"
		"\n"
		"Exit status: 0 ok, 1 error, 2 bad command line, 3 rust_slab_hp not loaded or unloaded.\n");
}

static void __attribute__((noreturn, format(printf, 2, 3))) die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(EXIT_USAGE);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		die(EXIT_ERROR, "out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(EXIT_ERROR, "out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(EXIT_ERROR, "out of memory");
	return p;
}

static void __attribute__((noreturn)) module_gone(void)
{
	die(EXIT_GONE, "rust_slab_hp was unloaded (" ROOT " is gone)");
}

/* ---- Reading and parsing ---- */

/*
 * Reads a sysfs file from offset 0 (which regenerates it) into buf, NUL-terminated.
 * Returns 0 or an errno value.
 */
static int read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		ssize_t r = pread(fd, buf + len, size - 1 - len, (off_t)len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (r == 0 || len + (size_t)r >= size - 1) {
			len += (size_t)r;
			break;
		}
		len += (size_t)r;
	}
	buf[len] = 0;
	return 0;
}

/* Parses a decimal u64 at *p, advancing it; false if there is none or it overflows. */
static bool parse_u64(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return true;
}

/*
 * Parses one file's text. Per-node: "total N<a>=<x> N<b>=<y>...\n", nodes ascending, values
 * non-zero and adding up to the total (the module writes them from one pass). Node list:
 * "" or "0-2,5" and "\n". Returns NULL if the text is anything else.
 */
static struct value *parse_value(const char *text, enum kind kind)
{
	size_t max = strlen(text) / 2 + 1;
	struct value *v = xmalloc(sizeof(*v) + max * sizeof(v->e[0]));
	const char *p = text;
	uint64_t sum = 0, node, hi;

	switch (kind) {
	case ONE:
		if (!parse_u64(&p, &v->total))
			goto bad;
		break;
	case PER_NODE:
		if (!parse_u64(&p, &v->total))
			goto bad;
		while (*p == ' ') {
			p++;
			if (*p++ != 'N' || !parse_u64(&p, &node) || *p++ != '=' || node >= MAX_NODES ||
			    v->n >= max || !parse_u64(&p, &v->e[v->n].v) || v->e[v->n].v == 0 ||
			    (v->n && node <= v->e[v->n - 1].node) || sum + v->e[v->n].v < sum)
				goto bad;
			v->e[v->n].node = (uint32_t)node;
			sum += v->e[v->n++].v;
		}
		if (sum != v->total)
			goto bad;
		break;
	case NODE_LIST:
		while (*p != '\n') {
			if (v->n && *p++ != ',')
				goto bad;
			if (!parse_u64(&p, &node))
				goto bad;
			hi = node;
			if (*p == '-') {
				p++;
				if (!parse_u64(&p, &hi) || hi <= node)
					goto bad;
			}
			if (hi >= MAX_NODES || (v->n && node <= v->e[v->n - 1].node))
				goto bad;
			for (; node <= hi; node++) {
				if (v->n >= MAX_NODES) /* max may be smaller than a range */
					goto bad;
				if (v->n >= max) {
					max = MAX_NODES;
					v = xrealloc(v, sizeof(*v) + max * sizeof(v->e[0]));
				}
				v->e[v->n].node = (uint32_t)node;
				v->e[v->n++].v = 1;
			}
		}
		v->total = v->n;
		break;
	}
	if (*p++ != '\n' || *p != 0)
		goto bad;
	return v;
bad:
	free(v);
	return NULL;
}

/* A node's value (0 when the file leaves it out, as SLUB's format does for zero). */
static uint64_t node_value(const struct value *v, uint32_t node)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (v->e[i].node == node)
			return v->e[i].v;
	return 0;
}

/* Whether the directory at ROOT/name (or ROOT itself, name NULL) is still the one we have. */
static bool still_there(const char *name, ino_t ino)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), ROOT "%s%s", name ? "/" : "", name ? name : "");
	return stat(path, &st) == 0 && st.st_ino == ino;
}

/*
 * Reads one file of a directory (kept open in *fd when the budget allows). Returns 0, or
 * ENOENT/ENODEV if the file is gone; any other failure ends the tool.
 */
static int read_file(int dirfd, int *fd, const char *dir, const char *file, enum kind kind,
		     struct value **out)
{
	char buf[BUF_SIZE];
	int f = *fd, err;

	if (f < 0) {
		f = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
		if (f < 0) {
			err = errno;
			if (err == ENOENT || err == ENODEV)
				return err;
			die(EXIT_ERROR, "open %s/%s%s%s: %s", ROOT, dir, *dir ? "/" : "", file,
			    strerror(err));
		}
	}
	err = read_fd(f, buf, sizeof(buf));
	if (err == 0 && *fd < 0 && fd_budget > 0) {
		fd_budget--;
		*fd = f;
	} else if (*fd < 0) {
		close(f);
	}
	if (err == ENOENT || err == ENODEV)
		return err;
	if (err)
		die(EXIT_ERROR, "read %s/%s%s%s: %s", ROOT, dir, *dir ? "/" : "", file,
		    strerror(err));
	*out = parse_value(buf, kind);
	if (!*out) {
		buf[strcspn(buf, "\n")] = 0;
		die(EXIT_ERROR, "%s/%s%s%s: unexpected contents '%s'", ROOT, dir, *dir ? "/" : "",
		    file, buf);
	}
	return 0;
}

static void close_handle(struct handle *h)
{
	for (int i = 0; i < NR_CACHE_FILES; i++) {
		if (h->fd[i] >= 0) {
			close(h->fd[i]);
			fd_budget++;
		}
	}
	if (h->dirfd >= 0)
		close(h->dirfd);
	free(h->name);
	*h = handles[--nr_handles];
}

/*
 * Opens the module's directory and keeps it; exits 3 if the module is not loaded. As many
 * files as the open-file limit allows stay open between refreshes: a file kept open and
 * removed meanwhile reads as ENODEV, which tells a removed cache from a new one of the same
 * name, and saves the lookups.
 */
static void open_root(void)
{
	struct rlimit rl;
	struct stat st;

	root_fd = open(ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		if (errno == ENOENT)
			die(EXIT_GONE, "rust_slab_hp is not loaded (no " ROOT ")");
		die(EXIT_ERROR, "open " ROOT ": %s", strerror(errno));
	}
	if (fstat(root_fd, &st) < 0)
		die(EXIT_ERROR, "stat " ROOT ": %s", strerror(errno));
	root_ino = st.st_ino;
	for (int i = 0; i < NR_ROOT_FILES; i++)
		root_fds[i] = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1024;
	/* Directories, standard streams and a file being read need some. */
	fd_budget = rl.rlim_cur > 4096 ? 4096 : (long)rl.rlim_cur;
	fd_budget = fd_budget / 2 - 16;
}

static void free_snapshot(struct snapshot *s)
{
	for (int i = 0; i < NR_ROOT_FILES; i++)
		free(s->root[i]);
	for (size_t c = 0; c < s->nr_caches; c++) {
		for (int i = 0; i < NR_CACHE_FILES; i++)
			free(s->caches[c].v[i]);
		free(s->caches[c].name);
	}
	for (size_t i = 0; i < s->nr_vanished; i++)
		free(s->vanished[i].name);
	free(s->caches);
	free(s->vanished);
	memset(s, 0, sizeof(*s));
}

static bool wanted(const char *name)
{
	if (!opt.nr_patterns)
		return true;
	for (int i = 0; i < opt.nr_patterns; i++)
		if (fnmatch(opt.patterns[i], name, 0) == 0)
			return true;
	return false;
}

static void add_vanished(struct snapshot *s, const char *name, enum why why, int err,
			 const char *file)
{
	struct vanished *v;

	s->vanished = xrealloc(s->vanished, (s->nr_vanished + 1) * sizeof(*s->vanished));
	v = &s->vanished[s->nr_vanished++];
	v->name = xstrdup(name);
	v->why = why;
	v->err = err;
	v->file = file;
}

/* Finds or opens the handle of a listed cache; NULL if it vanished before it could be opened. */
static struct handle *get_handle(const char *name)
{
	struct handle *h;
	struct stat st;
	int fd;

	for (size_t i = 0; i < nr_handles; i++)
		if (strcmp(handles[i].name, name) == 0)
			return &handles[i];
	fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV)
			return NULL;
		die(EXIT_ERROR, "open %s/%s: %s", ROOT, name, strerror(errno));
	}
	if (fstat(fd, &st) < 0)
		die(EXIT_ERROR, "stat %s/%s: %s", ROOT, name, strerror(errno));
	handles = xrealloc(handles, (nr_handles + 1) * sizeof(*handles));
	h = &handles[nr_handles++];
	h->name = xstrdup(name);
	h->dirfd = fd;
	h->ino = st.st_ino;
	for (int i = 0; i < NR_CACHE_FILES; i++)
		h->fd[i] = -1;
	return h;
}

/*
 * Reads every file of one cache into c. Returns 0, or the errno (ENOENT, ENODEV) with which
 * a file failed, *missing naming it; exits 3 if the whole module went away.
 */
static int read_cache(struct handle *h, struct cache *c, const char **missing)
{
	int err = 0, i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NR_CACHE_FILES && !err; i++)
		err = read_file(h->dirfd, &h->fd[i], h->name, cache_files[i].name,
				cache_files[i].kind, &c->v[i]);
	if (!err) {
		c->name = xstrdup(h->name);
		c->ino = h->ino;
		return 0;
	}
	*missing = cache_files[i - 1].name;
	for (i = 0; i < NR_CACHE_FILES; i++)
		free(c->v[i]);
	if (!still_there(NULL, root_ino))
		module_gone();
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_nodes(bool *seen, const struct value *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		seen[v->e[i].node] = true;
}

/* Reads one refresh: the module's files, then every (wanted) cache's. */
static void take_snapshot(struct snapshot *s)
{
	static bool seen[MAX_NODES];
	char **names = NULL;
	size_t nr_names = 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	for (int i = 0; i < NR_ROOT_FILES; i++) {
		if (read_file(root_fd, &root_fds[i], "", root_files[i].name, root_files[i].kind,
			      &s->root[i])) {
			if (!still_there(NULL, root_ino))
				module_gone();
			die(EXIT_ERROR, ROOT "/%s is missing", root_files[i].name);
		}
	}
	/* The listing of the directory we hold: one of a later instance is not ours. */
	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENODEV))
		module_gone();
	if (fd < 0 || !(dir = fdopendir(fd)))
		die(EXIT_ERROR, "list " ROOT ": %s", strerror(errno));
	while ((errno = 0, d = readdir(dir))) {
		struct stat st;

		if (d->d_name[0] == '.' || !wanted(d->d_name))
			continue;
		if (d->d_type == DT_UNKNOWN) {
			if (fstatat(fd, d->d_name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
				continue;
		} else if (d->d_type != DT_DIR) {
			continue;
		}
		names = xrealloc(names, (nr_names + 1) * sizeof(*names));
		names[nr_names++] = xstrdup(d->d_name);
	}
	if (errno && errno != ENOENT && errno != ENODEV)
		die(EXIT_ERROR, "list " ROOT ": %s", strerror(errno));
	closedir(dir);
	qsort(names, nr_names, sizeof(*names), cmp_str);

	for (size_t i = 0; i < nr_handles; i++)
		handles[i].listed = false;
	s->caches = xmalloc(nr_names * sizeof(*s->caches));
	for (size_t i = 0; i < nr_names; i++) {
		/* A cache destroyed and created again under its name gets a second try. */
		for (int attempt = 0; attempt < 2; attempt++) {
			struct handle *h = get_handle(names[i]);
			const char *missing = NULL;
			int err;

			if (!h) {
				if (!still_there(NULL, root_ino))
					module_gone();
				if (!attempt)
					add_vanished(s, names[i], WHILE_READ, ENOENT, NULL);
				break;
			}
			err = read_cache(h, &s->caches[s->nr_caches], &missing);
			if (!err) {
				h->listed = true;
				s->nr_caches++;
				break;
			}
			/*
			 * A file not there yet in the same directory: a cache being created,
			 * whose files are added after its directory. Left out until complete.
			 */
			if (err == ENOENT && still_there(h->name, h->ino)) {
				add_vanished(s, names[i], INCOMPLETE, err, missing);
				close_handle(h);
				break;
			}
			if (!attempt)
				add_vanished(s, names[i], WHILE_READ, err, NULL);
			close_handle(h);
		}
		free(names[i]);
	}
	free(names);
	/* Caches no longer listed: close what we kept of them. */
	for (size_t i = 0; i < nr_handles;) {
		if (handles[i].listed)
			i++;
		else
			close_handle(&handles[i]);
	}
	/* Unloaded while we read: whatever we read may be partial. */
	if (!still_there(NULL, root_ino))
		module_gone();

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < NR_ROOT_FILES; i++)
		add_nodes(seen, s->root[i]);
	for (size_t c = 0; c < s->nr_caches; c++) {
		struct cache *cp = &s->caches[c];

		for (int i = 0; i < NR_CACHE_FILES; i++)
			if (cache_files[i].kind != ONE)
				add_nodes(seen, cp->v[i]);
		cp->slab_bytes = cp->v[F_ORDER]->total < 32 ? page_size << cp->v[F_ORDER]->total : 0;
		cp->memory = cp->v[F_SLABS]->total * cp->slab_bytes;
		cp->wasted = (int64_t)(cp->memory -
				       cp->v[F_OBJECT_SIZE]->total * cp->v[F_OBJECTS]->total);
	}
	for (uint32_t n = 0; n < MAX_NODES; n++)
		if (seen[n])
			s->nodes[s->nr_nodes++] = n;
}

/* ---- Derived numbers ---- */

static uint64_t node_memory(const struct cache *c, uint32_t node)
{
	return node_value(c->v[F_SLABS], node) * c->slab_bytes;
}

static int64_t node_wasted(const struct cache *c, uint32_t node)
{
	return (int64_t)(node_memory(c, node) -
			 c->v[F_OBJECT_SIZE]->total * node_value(c->v[F_OBJECTS], node));
}

static bool in_list(const struct value *list, uint32_t node)
{
	return node_value(list, node) != 0;
}

static int sort_cmp(const void *a, const void *b)
{
	const struct cache *x = a, *y = b;
	int r = 0;

	switch (opt.sort) {
	case 'S':
		r = (x->memory < y->memory) - (x->memory > y->memory);
		break;
	case 'L':
		r = (x->wasted < y->wasted) - (x->wasted > y->wasted);
		break;
	case 'A':
		r = (x->v[F_OBJECTS]->total < y->v[F_OBJECTS]->total) -
		    (x->v[F_OBJECTS]->total > y->v[F_OBJECTS]->total);
		break;
	}
	if (!r)
		r = strcmp(x->name, y->name);
	return opt.inverted ? -r : r;
}

/* Sorts and cuts to -N; the vanished caches' names by name. */
static void order_caches(struct snapshot *s)
{
	qsort(s->caches, s->nr_caches, sizeof(*s->caches), sort_cmp);
	if (opt.lines > 0 && (size_t)opt.lines < s->nr_caches) {
		for (size_t c = (size_t)opt.lines; c < s->nr_caches; c++) {
			for (int i = 0; i < NR_CACHE_FILES; i++)
				free(s->caches[c].v[i]);
			free(s->caches[c].name);
		}
		s->nr_caches = (size_t)opt.lines;
	}
}

/* Links every cache to itself in the previous refresh (same name, same directory). */
static void match_previous(struct snapshot *s, const struct snapshot *prev)
{
	if (!prev)
		return;
	s->have_prev = true;
	for (size_t c = 0; c < s->nr_caches; c++) {
		s->caches[c].is_new = true;
		for (size_t p = 0; p < prev->nr_caches; p++) {
			if (strcmp(prev->caches[p].name, s->caches[c].name) == 0 &&
			    prev->caches[p].ino == s->caches[c].ino) {
				s->caches[c].is_new = false;
				s->caches[c].prev = &prev->caches[p];
			}
		}
	}
	/* What the previous refresh showed and this one does not: gone (if not already noted). */
	for (size_t p = 0; p < prev->nr_caches; p++) {
		bool found = false;

		for (size_t c = 0; c < s->nr_caches && !found; c++)
			found = s->caches[c].prev == &prev->caches[p];
		for (size_t v = 0; v < s->nr_vanished && !found; v++)
			found = strcmp(s->vanished[v].name, prev->caches[p].name) == 0;
		if (!found)
			add_vanished(s, prev->caches[p].name, GONE, 0, NULL);
	}
}

/* ---- Text output ---- */

/* A byte count: exact with -B, else in K, M, G, T of 1024 with one decimal below 100. */
static const char *size_str(char *buf, size_t len, int64_t signed_v, bool plus)
{
	uint64_t v = signed_v < 0 ? (uint64_t)0 - (uint64_t)signed_v : (uint64_t)signed_v;
	const char *sign = signed_v < 0 ? "-" : plus ? "+" : "";
	static const char units[] = "KMGTPE";
	uint64_t unit = 1024;
	int u = 0;

	if (opt.bytes || v < 1024) {
		snprintf(buf, len, "%s%" PRIu64, sign, v);
		return buf;
	}
	while (u < 5 && v / unit >= 1024) {
		unit *= 1024;
		u++;
	}
	/* Tenths of a unit, rounded down, without overflowing 64 bits. */
	uint64_t tenths = v / unit * 10 + v % unit * 10 / unit;

	if (tenths % 10 == 0 || tenths >= 1000)
		snprintf(buf, len, "%s%" PRIu64 "%c", sign, tenths / 10, units[u]);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%" PRIu64 "%c", sign, tenths / 10, tenths % 10,
			 units[u]);
	return buf;
}

static int name_width(const struct snapshot *s, int min)
{
	int w = min;

	for (size_t c = 0; c < s->nr_caches; c++)
		if ((int)strlen(s->caches[c].name) > w)
			w = (int)strlen(s->caches[c].name);
	return w;
}

/* The value of `file` in the previous refresh, minus, as text: "new" or "-" without one. */
static const char *delta_str(char *buf, size_t len, const struct cache *c, int file)
{
	if (!c->prev)
		return c->is_new ? "new" : "-";
	snprintf(buf, len, "%+" PRId64,
		 (int64_t)(c->v[file]->total - c->prev->v[file]->total));
	return buf;
}

static void print_table(const struct snapshot *s, double elapsed)
{
	int w = name_width(s, 5);
	char b1[32], b2[32], b3[32];

	if (!opt.watch) {
		printf("%-*s %8s %8s %7s %6s %7s %7s %8s %2s %8s %8s %8s\n", w, "Cache", "Objs",
		       "Active", "Stashed", "Slabs", "Partial", "ObjSize", "Obj/Slab", "O",
		       "Memory", "Wasted", "Metadata");
		for (size_t i = 0; i < s->nr_caches; i++) {
			const struct cache *c = &s->caches[i];

			printf("%-*s %8" PRIu64 " %8" PRIu64 " %7" PRIu64 " %6" PRIu64
			       " %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %2" PRIu64
			       " %8s %8s %8s\n",
			       w, c->name, c->v[F_TOTAL_OBJECTS]->total, c->v[F_OBJECTS]->total,
			       c->v[F_CPU_STASHED]->total, c->v[F_SLABS]->total,
			       c->v[F_PARTIAL]->total, c->v[F_OBJECT_SIZE]->total,
			       c->v[F_OBJS_PER_SLAB]->total, c->v[F_ORDER]->total,
			       size_str(b1, sizeof(b1), (int64_t)c->memory, false),
			       size_str(b2, sizeof(b2), c->wasted, false),
			       size_str(b3, sizeof(b3), (int64_t)c->v[F_METADATA_BYTES]->total,
					false));
		}
		return;
	}
	/* Watch mode: what changed since the last refresh, and how fast. */
	printf("%-*s %8s %8s %8s %9s %6s %6s %7s %8s %8s %8s %8s %7s\n", w, "Cache", "Objs",
	       "Active", "dActive", "Active/s", "Slabs", "dSlabs", "Partial", "Memory", "dMemory",
	       "Wasted", "Metadata", "dFallbk");
	for (size_t i = 0; i < s->nr_caches; i++) {
		const struct cache *c = &s->caches[i];
		char rate[32], dmem[32], dfb[32], dact[32], dslab[32];

		if (c->prev && elapsed > 0)
			snprintf(rate, sizeof(rate), "%.1f",
				 (double)(int64_t)(c->v[F_OBJECTS]->total -
						   c->prev->v[F_OBJECTS]->total) / elapsed);
		else
			snprintf(rate, sizeof(rate), "%s", c->is_new ? "new" : "-");
		if (c->prev)
			size_str(dmem, sizeof(dmem), (int64_t)(c->memory - c->prev->memory), true);
		else
			snprintf(dmem, sizeof(dmem), "%s", c->is_new ? "new" : "-");
		printf("%-*s %8" PRIu64 " %8" PRIu64 " %8s %9s %6" PRIu64 " %6s %7" PRIu64
		       " %8s %8s %8s %8s %7s\n",
		       w, c->name, c->v[F_TOTAL_OBJECTS]->total, c->v[F_OBJECTS]->total,
		       delta_str(dact, sizeof(dact), c, F_OBJECTS), rate, c->v[F_SLABS]->total,
		       delta_str(dslab, sizeof(dslab), c, F_SLABS), c->v[F_PARTIAL]->total,
		       size_str(b1, sizeof(b1), (int64_t)c->memory, false), dmem,
		       size_str(b2, sizeof(b2), c->wasted, false),
		       size_str(b3, sizeof(b3), (int64_t)c->v[F_METADATA_BYTES]->total, false),
		       delta_str(dfb, sizeof(dfb), c, F_ALLOC_FALLBACKS));
	}
}

static void print_node_list(const struct value *list)
{
	uint32_t i = 0;

	if (!list->n)
		printf("none");
	while (i < list->n) {
		uint32_t j = i;

		while (j + 1 < list->n && list->e[j + 1].node == list->e[j].node + 1)
			j++;
		printf("%s%" PRIu32, i ? "," : "", list->e[i].node);
		if (j > i)
			printf("-%" PRIu32, list->e[j].node);
		i = j + 1;
	}
}

static void print_numa(const struct snapshot *s)
{
	int w = name_width(s, 5);
	char b1[32], b2[32], b3[32];

	printf("Nodes with memory: ");
	print_node_list(s->root[R_MEMORY_NODES]);
	printf("\n\n%-32s", "Node events");
	for (uint32_t n = 0; n < s->nr_nodes; n++) {
		char h[16];

		snprintf(h, sizeof(h), "N%" PRIu32, s->nodes[n]);
		printf(" %9s", h);
	}
	printf("\n");
	for (int e = 0; e < NR_EVENTS; e++) {
		printf("%-32s", root_files[e].name);
		for (uint32_t n = 0; n < s->nr_nodes; n++)
			printf(" %9" PRIu64, node_value(s->root[e], s->nodes[n]));
		printf("\n");
	}
	printf("\n%-*s %4s %3s %4s %8s %8s %6s %7s %8s %8s %8s %6s %6s %5s %8s %7s %6s\n", w,
	       "Cache", "Node", "Mem", "Meta", "Objs", "Active", "Slabs", "Partial", "PartObjs",
	       "Memory", "Wasted", "MAlloc", "MReuse", "MFree", "Metadata", "Fallbk", "Shrunk");
	for (size_t i = 0; i < s->nr_caches; i++) {
		const struct cache *c = &s->caches[i];

		for (uint32_t n = 0; n < s->nr_nodes; n++) {
			uint32_t node = s->nodes[n];

			printf("%-*s %4" PRIu32 " %3s %4s %8" PRIu64 " %8" PRIu64 " %6" PRIu64
			       " %7" PRIu64 " %8" PRIu64 " %8s %8s %6" PRIu64 " %6" PRIu64
			       " %5" PRIu64 " %8s %7" PRIu64 " %6" PRIu64 "\n",
			       w, c->name, node, in_list(s->root[R_MEMORY_NODES], node) ? "yes" : "no",
			       in_list(c->v[F_METADATA_NODES], node) ? "yes" : "no",
			       node_value(c->v[F_TOTAL_OBJECTS], node),
			       node_value(c->v[F_OBJECTS], node), node_value(c->v[F_SLABS], node),
			       node_value(c->v[F_PARTIAL], node),
			       node_value(c->v[F_OBJECTS_PARTIAL], node),
			       size_str(b1, sizeof(b1), (int64_t)node_memory(c, node), false),
			       size_str(b2, sizeof(b2), node_wasted(c, node), false),
			       node_value(c->v[F_METADATA_ALLOCS], node),
			       node_value(c->v[F_METADATA_REUSES], node),
			       node_value(c->v[F_METADATA_FREES], node),
			       size_str(b3, sizeof(b3),
					(int64_t)node_value(c->v[F_METADATA_BYTES], node), false),
			       node_value(c->v[F_ALLOC_FALLBACKS], node),
			       node_value(c->v[F_SHRINK_FREED_SLABS], node));
		}
	}
}

/* Sums over the caches, per node and in all. */
struct sums {
	uint64_t caches, meta_caches, objs, active, stashed, slabs, partial, part_objs, memory,
		metadata, fallbacks;
	int64_t wasted;
};

#define ALL_NODES UINT32_MAX

/* Adds one cache's numbers on `node` (or on every node) to t. */
static void add_cache(struct sums *t, const struct cache *c, uint32_t node)
{
	bool all = node == ALL_NODES;

#define PICK(f) (all ? c->v[f]->total : node_value(c->v[f], node))
	t->caches++;
	t->meta_caches += all ? c->v[F_METADATA_NODES]->n != 0 : in_list(c->v[F_METADATA_NODES], node);
	t->objs += PICK(F_TOTAL_OBJECTS);
	t->active += PICK(F_OBJECTS);
	t->stashed += all ? c->v[F_CPU_STASHED]->total : 0;
	t->slabs += PICK(F_SLABS);
	t->partial += PICK(F_PARTIAL);
	t->part_objs += PICK(F_OBJECTS_PARTIAL);
	t->metadata += PICK(F_METADATA_BYTES);
	t->fallbacks += PICK(F_ALLOC_FALLBACKS);
#undef PICK
	t->memory += all ? c->memory : node_memory(c, node);
	t->wasted += all ? c->wasted : node_wasted(c, node);
}

static void sum_caches(const struct snapshot *s, uint32_t node, struct sums *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < s->nr_caches; i++)
		add_cache(t, &s->caches[i], node);
}

/* Watch mode: sums over the caches present in both refreshes, now (cur) and then (prev). */
static void sum_both(const struct snapshot *s, struct sums *cur, struct sums *prev)
{
	memset(cur, 0, sizeof(*cur));
	memset(prev, 0, sizeof(*prev));
	for (size_t i = 0; i < s->nr_caches; i++) {
		if (!s->caches[i].prev)
			continue;
		add_cache(cur, &s->caches[i], ALL_NODES);
		add_cache(prev, s->caches[i].prev, ALL_NODES);
	}
}

static void print_sums_row(const char *label, const struct sums *t, bool stashed_known)
{
	char b1[32], b2[32], b3[32], st[32];

	if (stashed_known)
		snprintf(st, sizeof(st), "%" PRIu64, t->stashed);
	else
		snprintf(st, sizeof(st), "-");
	printf("%-5s %6" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7s %7" PRIu64 " %7" PRIu64
	       " %8" PRIu64 " %9s %9s %8s %9" PRIu64 "\n",
	       label, t->meta_caches, t->objs, t->active, st, t->slabs, t->partial, t->part_objs,
	       size_str(b1, sizeof(b1), (int64_t)t->memory, false),
	       size_str(b2, sizeof(b2), t->wasted, false),
	       size_str(b3, sizeof(b3), (int64_t)t->metadata, false), t->fallbacks);
}

/*
 * Totals: a row per node (Caches: how many have metadata there; Stashed is not per node)
 * and one for all nodes (Caches: how many there are). Watch mode adds the change since the
 * last refresh of the caches in both, and its rate.
 */
static void print_totals(const struct snapshot *s, double elapsed)
{
	char label[16], b1[32], b2[32], b3[32];
	struct sums t, p;
	int64_t d[11];

	printf("Totals: %zu caches; nodes with memory ", s->nr_caches);
	print_node_list(s->root[R_MEMORY_NODES]);
	printf("; page size %" PRIu64 "\n", page_size);
	printf("%-5s %6s %9s %9s %7s %7s %7s %8s %9s %9s %8s %9s\n", "Node", "Caches", "Objs",
	       "Active", "Stashed", "Slabs", "Partial", "PartObjs", "Memory", "Wasted", "Metadata",
	       "Fallbacks");
	for (uint32_t n = 0; n < s->nr_nodes; n++) {
		snprintf(label, sizeof(label), "%" PRIu32, s->nodes[n]);
		sum_caches(s, s->nodes[n], &t);
		print_sums_row(label, &t, false);
	}
	sum_caches(s, ALL_NODES, &t);
	t.meta_caches = t.caches;
	print_sums_row("all", &t, true);
	if (!opt.watch || !s->have_prev)
		return;
	sum_both(s, &t, &p);
	d[0] = (int64_t)(t.objs - p.objs);
	d[1] = (int64_t)(t.active - p.active);
	d[2] = (int64_t)(t.stashed - p.stashed);
	d[3] = (int64_t)(t.slabs - p.slabs);
	d[4] = (int64_t)(t.partial - p.partial);
	d[5] = (int64_t)(t.part_objs - p.part_objs);
	d[6] = (int64_t)(t.memory - p.memory);
	d[7] = t.wasted - p.wasted;
	d[8] = (int64_t)(t.metadata - p.metadata);
	d[9] = (int64_t)(t.fallbacks - p.fallbacks);
	printf("%-5s %6" PRIu64 " %+9" PRId64 " %+9" PRId64 " %+7" PRId64 " %+7" PRId64
	       " %+7" PRId64 " %+8" PRId64 " %9s %9s %8s %+9" PRId64 "\n",
	       "delta", t.caches, d[0], d[1], d[2], d[3], d[4], d[5],
	       size_str(b1, sizeof(b1), d[6], true), size_str(b2, sizeof(b2), d[7], true),
	       size_str(b3, sizeof(b3), d[8], true), d[9]);
	if (elapsed > 0)
		printf("%-5s %6s %9.1f %9.1f %7.1f %7.1f %7.1f %8.1f %9.0f %9.0f %8.0f %9.1f\n",
		       "per_s", "", (double)d[0] / elapsed, (double)d[1] / elapsed,
		       (double)d[2] / elapsed, (double)d[3] / elapsed, (double)d[4] / elapsed,
		       (double)d[5] / elapsed, (double)d[6] / elapsed, (double)d[7] / elapsed,
		       (double)d[8] / elapsed, (double)d[9] / elapsed);
}

static const char *errno_name(int err)
{
	return err == ENODEV ? "ENODEV" : err == ENOENT ? "ENOENT" : "?";
}

/* What came and went: "+ name: appeared", "- name: vanished...", "~ name: ...". */
static void print_changes(const struct snapshot *s)
{
	for (size_t c = 0; c < s->nr_caches; c++)
		if (s->caches[c].is_new)
			printf("+ %s: appeared\n", s->caches[c].name);
	for (size_t i = 0; i < s->nr_vanished; i++) {
		const struct vanished *v = &s->vanished[i];

		switch (v->why) {
		case GONE:
			printf("- %s: vanished\n", v->name);
			break;
		case WHILE_READ:
			printf("- %s: vanished while being read (%s: %s)\n", v->name,
			       errno_name(v->err), strerror(v->err));
			break;
		case INCOMPLETE:
			printf("~ %s: left out, being created (no %s yet)\n", v->name, v->file);
			break;
		}
	}
}

/* ---- JSON ---- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* SLUB's format as JSON: {"total":T,"nodes":{"0":a,"2":b}} (zero nodes left out). */
static void json_per_node(const struct value *v)
{
	printf("{\"total\":%" PRIu64 ",\"nodes\":{", v->total);
	for (uint32_t i = 0; i < v->n; i++)
		printf("%s\"%" PRIu32 "\":%" PRIu64, i ? "," : "", v->e[i].node, v->e[i].v);
	printf("}}");
}

static void json_node_list(const struct value *v)
{
	putchar('[');
	for (uint32_t i = 0; i < v->n; i++)
		printf("%s%" PRIu32, i ? "," : "", v->e[i].node);
	putchar(']');
}

static void json_derived(const struct snapshot *s, const struct cache *c, int which)
{
	bool first = true;

	printf("{\"total\":%" PRId64 ",\"nodes\":{",
	       which == D_MEMORY ? (int64_t)c->memory : c->wasted);
	for (uint32_t n = 0; n < s->nr_nodes; n++) {
		int64_t v = which == D_MEMORY ? (int64_t)node_memory(c, s->nodes[n])
					      : node_wasted(c, s->nodes[n]);

		if (!v)
			continue;
		printf("%s\"%" PRIu32 "\":%" PRId64, first ? "" : ",", s->nodes[n], v);
		first = false;
	}
	printf("}}");
}

/*
 * One document per refresh, one cache per line:
 * {"tool":"rsh-slabinfo","version":1,"page_size":4096,...,
 * "caches":[
 * {"name":"hp-256",...},
 * ...
 * ],
 * "totals":{...}}
 */
static void print_json(const struct snapshot *s, long refresh, double elapsed)
{
	struct sums t;

	printf("{\"tool\":\"" PROG "\",\"version\":1,\"page_size\":%" PRIu64, page_size);
	if (opt.watch) {
		printf(",\"refresh\":%ld,\"interval_s\":%.3f,\"elapsed_s\":", refresh, opt.interval);
		if (refresh > 1)
			printf("%.6f", elapsed);
		else
			printf("null");
	}
	printf(",\"nodes\":");
	putchar('[');
	for (uint32_t n = 0; n < s->nr_nodes; n++)
		printf("%s%" PRIu32, n ? "," : "", s->nodes[n]);
	printf("],\"memory_nodes\":");
	json_node_list(s->root[R_MEMORY_NODES]);
	printf(",\n\"node_events\":{");
	for (int e = 0; e < NR_EVENTS; e++) {
		printf("%s\"%s\":", e ? "," : "", root_files[e].name);
		json_per_node(s->root[e]);
	}
	printf("},\n\"caches\":[\n");
	for (size_t i = 0; i < s->nr_caches; i++) {
		const struct cache *c = &s->caches[i];

		printf("{\"name\":");
		json_str(c->name);
		for (int f = 0; f < NR_CACHE_FILES; f++) {
			printf(",\"%s\":", cache_files[f].name);
			switch (cache_files[f].kind) {
			case ONE:
				printf("%" PRIu64, c->v[f]->total);
				break;
			case PER_NODE:
				json_per_node(c->v[f]);
				break;
			case NODE_LIST:
				json_node_list(c->v[f]);
				break;
			}
		}
		printf(",\"slab_bytes\":%" PRIu64, c->slab_bytes);
		for (int d = 0; d < NR_DERIVED; d++) {
			printf(",\"%s\":", derived_names[d]);
			json_derived(s, c, d);
		}
		if (opt.watch) {
			printf(",\"new\":%s,\"delta\":", c->is_new ? "true" : "false");
			if (!c->prev) {
				printf("null,\"rate\":null");
			} else {
				for (int r = 0; r < 2; r++) {
					bool first = true;

					if (r)
						printf(",\"rate\":");
					putchar('{');
					for (int f = 0; f < NR_CACHE_FILES + NR_DERIVED; f++) {
						int64_t d;
						const char *name;

						if (f < NR_CACHE_FILES) {
							/* A cache's layout never changes. */
							if (cache_files[f].kind == NODE_LIST ||
							    (f >= F_OBJECT_SIZE && f <= F_ALIGN))
								continue;
							name = cache_files[f].name;
							d = (int64_t)(c->v[f]->total -
								      c->prev->v[f]->total);
						} else if (f == NR_CACHE_FILES + D_MEMORY) {
							name = derived_names[D_MEMORY];
							d = (int64_t)(c->memory - c->prev->memory);
						} else {
							name = derived_names[D_WASTED];
							d = c->wasted - c->prev->wasted;
						}
						printf("%s\"%s\":", first ? "" : ",", name);
						first = false;
						if (!r)
							printf("%" PRId64, d);
						else if (elapsed > 0)
							printf("%.3f", (double)d / elapsed);
						else
							printf("null");
					}
					putchar('}');
				}
			}
		}
		printf("}%s\n", i + 1 < s->nr_caches ? "," : "");
	}
	printf("],\n\"totals\":{");
	sum_caches(s, ALL_NODES, &t);
	printf("\"caches\":%" PRIu64 ",\"objects\":%" PRIu64 ",\"total_objects\":%" PRIu64
	       ",\"cpu_stashed\":%" PRIu64 ",\"slabs\":%" PRIu64 ",\"partial\":%" PRIu64
	       ",\"objects_partial\":%" PRIu64 ",\"memory_bytes\":%" PRIu64
	       ",\"wasted_bytes\":%" PRId64 ",\"metadata_bytes\":%" PRIu64
	       ",\"alloc_fallbacks\":%" PRIu64 ",\"nodes\":{",
	       t.caches, t.active, t.objs, t.stashed, t.slabs, t.partial, t.part_objs, t.memory,
	       t.wasted, t.metadata, t.fallbacks);
	for (uint32_t n = 0; n < s->nr_nodes; n++) {
		sum_caches(s, s->nodes[n], &t);
		printf("%s\"%" PRIu32 "\":{\"metadata_caches\":%" PRIu64 ",\"objects\":%" PRIu64
		       ",\"total_objects\":%" PRIu64 ",\"slabs\":%" PRIu64 ",\"partial\":%" PRIu64
		       ",\"objects_partial\":%" PRIu64 ",\"memory_bytes\":%" PRIu64
		       ",\"wasted_bytes\":%" PRId64 ",\"metadata_bytes\":%" PRIu64
		       ",\"alloc_fallbacks\":%" PRIu64 "}",
		       n ? "," : "", s->nodes[n], t.meta_caches, t.active, t.objs, t.slabs, t.partial,
		       t.part_objs, t.memory, t.wasted, t.metadata, t.fallbacks);
	}
	printf("}}");
	if (opt.watch) {
		bool first = true;

		printf(",\n\"appeared\":[");
		for (size_t c = 0; c < s->nr_caches; c++) {
			if (!s->caches[c].is_new)
				continue;
			printf("%s", first ? "" : ",");
			json_str(s->caches[c].name);
			first = false;
		}
		printf("],\"vanished\":[");
		for (size_t v = 0; v < s->nr_vanished; v++) {
			printf("%s{\"name\":", v ? "," : "");
			json_str(s->vanished[v].name);
			switch (s->vanished[v].why) {
			case GONE:
				printf(",\"why\":\"gone\"}");
				break;
			case WHILE_READ:
				printf(",\"why\":\"while_read\",\"errno\":\"%s\"}",
				       errno_name(s->vanished[v].err));
				break;
			case INCOMPLETE:
				printf(",\"why\":\"incomplete\",\"file\":\"%s\"}",
				       s->vanished[v].file);
				break;
			}
		}
		printf("]");
	}
	printf("}\n");
}

/* ---- Command line and main loop ---- */

static long parse_long(const char *arg, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		bad_usage("%s must be a whole number from %ld to %ld, not '%s'", what, min, max, arg);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "slabs", no_argument, NULL, 'l' },	{ "numa", no_argument, NULL, 'n' },
		{ "totals", no_argument, NULL, 'T' },	{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'B' },	{ "size", no_argument, NULL, 'S' },
		{ "loss", no_argument, NULL, 'L' },	{ "active", no_argument, NULL, 'A' },
		{ "inverted", no_argument, NULL, 'i' }, { "lines", required_argument, NULL, 'N' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":lnTjBSLAiN:w:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opt.table = true;
			break;
		case 'n':
			opt.numa = true;
			break;
		case 'T':
			opt.totals = true;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'B':
			opt.bytes = true;
			break;
		case 'S':
		case 'L':
		case 'A':
			if (opt.sort && opt.sort != c)
				bad_usage("-S, -L and -A are exclusive");
			opt.sort = c;
			break;
		case 'i':
			opt.inverted = true;
			break;
		case 'N':
			opt.lines = parse_long(optarg, "-N", 1, LONG_MAX);
			break;
		case 'w': {
			char *end;

			errno = 0;
			opt.interval = strtod(optarg, &end);
			/* (NaN fails both comparisons.) */
			if (errno || end == optarg || *end || !(opt.interval >= 0) ||
			    !(opt.interval <= 86400))
				bad_usage("-w must be a number of seconds from 0 to 86400, not '%s'",
					  optarg);
			opt.interval_ns = (uint64_t)(opt.interval * 1e9 + 0.5);
			opt.watch = true;
			break;
		}
		case 'c':
			opt.count = parse_long(optarg, "-c", 1, LONG_MAX);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case ':':
			bad_usage("option %s needs an argument", argv[optind - 1]);
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				bad_usage("bad option %s", argv[optind - 1]);
			bad_usage("unknown option -%c", optopt);
		}
	}
	if (opt.count && !opt.watch)
		bad_usage("-c needs -w");
	for (int i = optind; i < argc; i++)
		if (!argv[i][0])
			bad_usage("an empty cache pattern");
	opt.patterns = argv + optind;
	opt.nr_patterns = argc - optind;
	if (!opt.table && !opt.numa && !opt.totals)
		opt.table = true;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/*
 * Waits until `deadline`, or until a line arrives on standard input: any line refreshes at
 * once, "q" quits. Returns false to quit. Standard input that ends or is not readable is
 * ignored from then on.
 */
static bool wait_next(const struct timespec *deadline)
{
	static bool stdin_done;
	char line[256];

	for (;;) {
		struct timespec now;
		struct pollfd p = { .fd = 0, .events = POLLIN };
		double left;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = seconds_between(&now, deadline);
		if (left <= 0)
			return true;
		/* Rounded up to whole milliseconds, at most about 11 days at a time. */
		r = poll(&p, stdin_done ? 0 : 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(EXIT_ERROR, "poll: %s", strerror(errno));
		if (r == 0)
			continue;
		if (p.revents & (POLLERR | POLLNVAL)) {
			stdin_done = true;
			continue;
		}
		/* A line at a time, without stdio's buffering hiding a second one from poll. */
		{
			size_t len = 0;
			ssize_t n;
			char ch;

			while ((n = read(0, &ch, 1)) == 1 && ch != '\n')
				if (len + 1 < sizeof(line))
					line[len++] = ch;
			line[len] = 0;
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				stdin_done = true;
			if (n <= 0 && !len)
				continue;
		}
		return strcmp(line, "q") != 0;
	}
}

int main(int argc, char **argv)
{
	struct snapshot cur, prev;
	bool have_prev = false, cur_kept = false;
	long refresh = 0;
	long sz = sysconf(_SC_PAGESIZE);

	parse_args(argc, argv);
	page_size = sz > 0 ? (uint64_t)sz : 4096;
	open_root();
	/* A refresh is written at once: a reader of a file or pipe never sees half of one. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	memset(&prev, 0, sizeof(prev));
	for (;;) {
		double elapsed = 0;
		struct timespec deadline;

		take_snapshot(&cur);
		cur_kept = true;
		refresh++;
		order_caches(&cur);
		if (opt.watch)
			match_previous(&cur, have_prev ? &prev : NULL);
		if (have_prev)
			elapsed = seconds_between(&prev.when, &cur.when);
		if (opt.json) {
			print_json(&cur, refresh, elapsed);
		} else {
			bool sep = false;

			if (opt.watch) {
				if (isatty(1))
					printf("\033[H\033[2J");
				printf("== refresh %ld", refresh);
				if (opt.count)
					printf(" of %ld", opt.count);
				printf(", every %gs", opt.interval);
				if (have_prev)
					printf(", %.3fs since the last", elapsed);
				printf("\n");
			}
			if (opt.table) {
				print_table(&cur, elapsed);
				sep = true;
			}
			if (opt.numa) {
				if (sep)
					printf("\n");
				print_numa(&cur);
				sep = true;
			}
			if (opt.totals) {
				if (sep)
					printf("\n");
				print_totals(&cur, elapsed);
			}
			print_changes(&cur);
		}
		if (fflush(stdout) == EOF || ferror(stdout))
			die(EXIT_ERROR, "write: %s", strerror(errno));
		if (!opt.watch) {
			if (opt.nr_patterns && !cur.nr_caches)
				die(EXIT_ERROR, "no cache matches");
			break;
		}
		if (opt.count && refresh >= opt.count)
			break;
		if (have_prev)
			free_snapshot(&prev);
		prev = cur;
		cur_kept = false;
		have_prev = true;
		/* Their links point into the refresh just freed. */
		for (size_t c = 0; c < prev.nr_caches; c++)
			prev.caches[c].prev = NULL;
		deadline = prev.when;
		deadline.tv_sec += (time_t)(opt.interval_ns / 1000000000);
		deadline.tv_nsec += (long)(opt.interval_ns % 1000000000);
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		if (!wait_next(&deadline))
			break;
	}
	if (cur_kept)
		free_snapshot(&cur);
	if (have_prev)
		free_snapshot(&prev);
	while (nr_handles)
		close_handle(&handles[0]);
	free(handles);
	return EXIT_OK;
}
