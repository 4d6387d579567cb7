// The hook-floor benchmark's loader: for each level of hook_floor.bpf.c, alternate rounds of an
// open("/etc/hostname")+close loop without and with the program attached, and print the median ratio.
// Usage: hook_floor [rounds] [pairs per round]
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hook_floor.skel.h"

enum { kLevels = 5, kMaxRounds = 64 };

static double loop_ns(int pairs)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < pairs; i++) {
		int fd = open("/etc/hostname", O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / pairs;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 9, pairs = argc > 2 ? atoi(argv[2]) : 200000;
	if (rounds < 1 || rounds > kMaxRounds || pairs < 1) {
		fprintf(stderr, "usage: hook_floor [rounds 1..%d] [pairs]\n", kMaxRounds);
		return 2;
	}
	static const char *names[kLevels] = {"selection lookup, return", "+ bpf_probe_read_user_str of the path",
					     "+ LPM trie lookup", "+ byte-wise path walk (bpf_loop)",
					     "+ word-wise path scan instead"};
	struct hook_floor_bpf *skel[kLevels];
	for (int lv = 0; lv < kLevels; lv++) {
		skel[lv] = hook_floor_bpf__open();
		if (!skel[lv])
			return 1;
		skel[lv]->rodata->level = lv;
		if (hook_floor_bpf__load(skel[lv])) {
			fprintf(stderr, "hook_floor: load failed (root and BTF needed)\n");
			return 1;
		}
		__u16 yes = 1;
		__u32 nr_openat = 257, nr_close = 3;
		bpf_map__update_elem(skel[lv]->maps.hf_wanted, &nr_openat, 4, &yes, 2, 0);
		bpf_map__update_elem(skel[lv]->maps.hf_wanted, &nr_close, 4, &yes, 2, 0);
	}
	double ratio[kLevels][kMaxRounds], off_ns[kMaxRounds * kLevels];
	int n_off = 0;
	for (int r = 0; r < rounds; r++)
		for (int lv = 0; lv < kLevels; lv++) {
			double off = loop_ns(pairs);
			struct bpf_link *link = bpf_program__attach(skel[lv]->progs.hf_exit);
			if (!link) {
				fprintf(stderr, "hook_floor: attach failed\n");
				return 1;
			}
			double on = loop_ns(pairs);
			bpf_link__destroy(link);
			ratio[lv][r] = on / off;
			off_ns[n_off++] = off;
		}
	qsort(off_ns, n_off, sizeof(double), cmp);
	printf("open+close without a hook: %.0f ns per pair (median)\n", off_ns[n_off / 2]);
	for (int lv = 0; lv < kLevels; lv++) {
		qsort(ratio[lv], rounds, sizeof(double), cmp);
		printf("level %d  %-40s %.3fx (median of %d)\n", lv, names[lv], ratio[lv][rounds / 2], rounds);
	}
	for (int lv = 0; lv < kLevels; lv++)
		hook_floor_bpf__destroy(skel[lv]);
	return 0;
}
