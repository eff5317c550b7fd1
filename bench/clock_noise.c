/*
 * clock_noise.c - the floor under lock_stats' figures.  lock_stats times
 * each arena-lock hold in the holder's CPU time (CLOCK_THREAD_CPUTIME_ID);
 * on a shared virtual machine that clock also advances while the thread
 * is not really running its own code (interrupts, the hypervisor).  This
 * loop does nothing but read the clock: every gap between two reads is
 * time the loop lost.  It prints one line,
 *
 *   noise,<seconds>,<longest gap us>,<gaps >= 64 us>,<gaps >= 128 us>
 *
 * so that lock_run.sh can put the machine's own floor beside the longest
 * hold: a hold of a few microseconds of work that lost such a gap is
 * measured as long as the gap.
 *
 * usage: clock_noise SECONDS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	uint64_t start = cpu_ns(), prev = start, longest = 0;
	unsigned long over64 = 0, over128 = 0;
	uint64_t span = (uint64_t)(secs * 1e9);
	for (;;) {
		uint64_t t = cpu_ns(), gap = t - prev;
		prev = t;
		if (gap > longest)
			longest = gap;
		over64 += gap >= 64000;
		over128 += gap >= 128000;
		if (t - start >= span)
			break;
	}
	printf("noise,%.2f,%lu,%lu,%lu\n", secs, (unsigned long)(longest / 1000), over64, over128);
	return 0;
}
