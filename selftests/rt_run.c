// SPDX-License-Identifier: GPL-2.0
/*
 * rt_run: runs a command on one CPU as a SCHED_FIFO task (busybox has taskset, not chrt).
 *
 * Usage: rt_run <cpu> <priority 1..99> <command> [args...]
 * Exits 2 on bad arguments, 1 if the CPU or the policy cannot be set, else execs the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi;
}

int main(int argc, char **argv)
{
	struct sched_param param;
	cpu_set_t set;
	long cpu, prio;

	if (argc < 4 || !number(argv[1], 0, CPU_SETSIZE - 1, &cpu) || !number(argv[2], 1, 99, &prio)) {
		fprintf(stderr, "usage: rt_run <cpu> <priority 1..99> <command> [args...]\n");
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "rt_run: CPU %ld: %s\n", cpu, strerror(errno));
		return 1;
	}
	memset(&param, 0, sizeof(param));
	param.sched_priority = (int)prio;
	if (sched_setscheduler(0, SCHED_FIFO, &param)) {
		fprintf(stderr, "rt_run: SCHED_FIFO %ld: %s\n", prio, strerror(errno));
		return 1;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "rt_run: %s: %s\n", argv[3], strerror(errno));
	return 1;
}
