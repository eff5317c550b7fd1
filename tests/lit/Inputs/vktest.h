/*
 * vktest.h - what the lit test programs share: accessors that the compiler
 * cannot inline, clone or fold (so that reports name them at every -O level),
 * a fixed task name, and markers that tie a bad access to the report that must
 * follow it.  Markers go to stderr, unbuffered, so they interleave with the
 * reports; report_shape.py checks every "expect-report:" line against the
 * next report.
 */
#ifndef VKTEST_H
#define VKTEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "vkasan.h"

#ifdef __clang__
#define VT_NOINLINE __attribute__((noinline, used))
#else
#define VT_NOINLINE __attribute__((noipa, used))
#endif

/* After a call in a helper: keeps the call from being a tail call, so the
 * helper has a frame of its own in the stacks at every -O level. */
#define VT_NO_TAIL() __asm__ volatile("" ::: "memory")

/* The main thread is "vktest" in every report, whatever the binary is called. */
__attribute__((constructor)) static void vt_name_main_task(void)
{
	prctl(PR_SET_NAME, "vktest", 0, 0, 0);
}

/* 16-byte accesses: __asan_load16/store16 when aligned (the compiler may
 * use aligned SSE moves), __asan_loadN/storeN of 16 bytes when not. */
typedef unsigned __int128 vt_u128;
typedef unsigned __int128 vt_u128u __attribute__((aligned(1)));

VT_NOINLINE uint64_t vt_read(const volatile void *a, int width)
{
	switch (width) {
	case 1: return *(const volatile uint8_t *)a;
	case 2: return *(const volatile uint16_t *)a;
	case 4: return *(const volatile uint32_t *)a;
	case 8: return *(const volatile uint64_t *)a;
	case 16:
		if ((uintptr_t)a & 15)
			return (uint64_t)*(const volatile vt_u128u *)a;
		return (uint64_t)*(const volatile vt_u128 *)a;
	}
	return 0;
}

VT_NOINLINE void vt_write(volatile void *a, int width)
{
	switch (width) {
	case 1: *(volatile uint8_t *)a = 0x5a; break;
	case 2: *(volatile uint16_t *)a = 0x5a5a; break;
	case 4: *(volatile uint32_t *)a = 0x5a5a5a5a; break;
	case 8: *(volatile uint64_t *)a = 0x5a5a5a5a5a5a5a5aull; break;
	case 16:
		if ((uintptr_t)a & 15)
			*(volatile vt_u128u *)a = 0;
		else
			*(volatile vt_u128 *)a = 0;
		break;
	}
}

static inline uint64_t vt_reports(void)
{
	struct vk_stats s;
	vk_get_stats(&s);
	return s.reports;
}

/* The next report must start its access line with this text. */
#define vt_expect(...)                                                        \
	do {                                                                  \
		fprintf(stderr, "expect-report: ");                           \
		fprintf(stderr, __VA_ARGS__);                                 \
		fputc('\n', stderr);                                          \
	} while (0)

#define vt_mark(...) fprintf(stderr, __VA_ARGS__)

#endif
