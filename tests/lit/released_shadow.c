// Accesses to memory whose shadow was released at a purge.  Outline checks
// consult the presence bitmap and report.  Inline checks read the shadow
// themselves, so their load faults; the fault handler finishes that one
// load as if the shadow said f8 and resumes, and the check reports the
// exact access like an outline check (halt_on_error=0 goes on), from the
// main thread and from another thread alike.  A read of released shadow
// that is not an instrumented check (here: an SSE load in assembly) cannot
// be finished: it is reported as a fault, which halts, in both modes.
//
// RUN: %cc %s -o %t -pthread
// (arena_stacks=0: the thread's stack would take the released range;
// vmalloc_quarantine=0: the range is free space, not a quarantined mapping.)
// RUN: env VKASAN_OPTIONS=halt_on_error=0:arena_stacks=0:vmalloc_quarantine=0 %run %t widths 2>&1 | FileCheck %s --check-prefix=WIDTHS
// RUN: env VKASAN_OPTIONS=vmalloc_quarantine=0 not %run %t fault 2>&1 | FileCheck %s --check-prefix=FAULT %lines
// With the quarantine the fault is use-after-free of the purged mapping:
// RUN: not %run %t fault 2>&1 | FileCheck %s --check-prefix=FAULT-COLD
// FAULT-COLD: BUG: KASAN: use-after-free in read_shadow_raw+0x
// FAULT-COLD: Freed by task
#include <pthread.h>
#include <stdlib.h>
#include "vktest.h"

static char *released(void)
{
	// A 64 KiB mapping alone: its middle windows are released at purge.
	char *t = vk_vmalloc(64 << 10);
	memset(t, 0x11, 64 << 10);
	vk_vfree(t);
	vk_purge();
	return t + 40000;
}

static void *thread_read(void *a)
{
	vt_expect("Read of size 8 at addr %p", a);
	vt_read(a, 8);
	return NULL;
}

VT_NOINLINE void read_shadow_raw(const char *a)
{
	const void *s = (const void *)(((uintptr_t)a >> 3) + 0x7fff8000);
	__asm__ volatile("movdqu (%0), %%xmm0" ::"r"(s) : "xmm0", "memory"); // @RAW
	vt_mark("not reached\n"); /* a call: a frame of its own at -O2 too */
	VT_NO_TAIL();
}

static void *nothing(void *a)
{
	return a;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	/* The heap's slabs for what libc allocates (a thread's TLS, cached
	 * with its stack for the next thread) are made now, not later in the
	 * released range. */
	pthread_t warm;
	pthread_create(&warm, NULL, nothing, NULL);
	pthread_join(warm, NULL);
	char *a = released();
	struct vk_stats s;
	vk_get_stats(&s);
	vt_mark("pid=%d shadow_pages=%llu a=%p\n", getpid(),
		(unsigned long long)(s.shadow_pages - s.heap_shadow_pages), (void *)a);
	// WIDTHS: pid=[[PID:[0-9]+]] shadow_pages=0 a=[[A:0x[0-9a-f]+]]
	// FAULT: pid=[[PID:[0-9]+]] shadow_pages=0 a=[[A:0x[0-9a-f]+]]
	if (!strcmp(mode, "widths")) {
		for (int w = 1; w <= 16; w *= 2)
			for (int wr = 0; wr <= 1; wr++) {
				vt_expect("%s of size %d at addr %p", wr ? "Write" : "Read", w, (void *)a);
				wr ? vt_write(a, w) : (void)vt_read(a, w);
			}
		// WIDTHS-COUNT-10: BUG: KASAN: wild-memory-access in vt_{{read|write}}+0x
		pthread_t t;
		pthread_create(&t, NULL, thread_read, a + 64);
		pthread_join(t, NULL);
		// WIDTHS: BUG: KASAN: wild-memory-access in vt_read+0x
		// WIDTHS-NEXT: Read of size 8 at addr {{0x[0-9a-f]+}} by task vktest/{{[0-9]+}}
		// WIDTHS: Memory state around the buggy address:
		// WIDTHS: {{^>}}{{0x[0-9a-f]+}}: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --
		vt_mark("reports=%d\n", (int)vt_reports());
		// WIDTHS: reports=11
	} else if (!strcmp(mode, "fault")) {
		read_shadow_raw(a);
		// FAULT: {{^={66}$}}
		// FAULT-NEXT: BUG: KASAN: wild-memory-access in read_shadow_raw+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
		// FAULT-NEXT: Read of unknown size at addr [[A]] by task vktest/[[PID]]
		// FAULT: Call Trace:
		// FAULT-NEXT: {{^ }}read_shadow_raw+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}released_shadow.c:[[#RAW]]
		// FAULT-NEXT: {{^ }}main+0x
		// FAULT: The buggy address belongs to no mapping: it is free space of the vmalloc arena
		// FAULT: {{^={66}$}}
		// FAULT-NOT: not reached
	}
	vt_mark("not reached unless widths\n");
	return 0;
}
