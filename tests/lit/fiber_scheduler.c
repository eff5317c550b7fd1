// A coroutine scheduler (the pattern of fiber libraries): 100 coroutines
// run one after another on 8 reused stacks, each going 16 frames deep with
// redzoned locals and yielding from the bottom; every third one is
// abandoned there and never resumed, so its frames' redzones stay behind in
// the shadow of a stack the next coroutine runs on.  That next coroutine
// reads a buffer of an uninstrumented frame (which writes no shadow of its
// own) through checks: stale poison would be a false report.
//
//   ucontext  vk_stack_alloc stacks, makecontext/swapcontext: the switch
//             clears the target stack's shadow below its saved sp;
//   api       malloc'd stacks the switch cannot see (uc_stack cleared), the
//             AddressSanitizer fiber interface: finish_switch clears;
//   unannounced  the same without the interface: inline mode shows the
//             stale poison as a report (the test can fail), outline mode
//             has no stack redzones;
//   overflow  a coroutine recursing on a 64 KiB vk_stack_alloc stack hits
//             its guard page: reported like a thread's overflow.
//
// RUN: %cc %s -o %t
// RUN: %run %t ucontext 2>&1 | FileCheck %s --check-prefix=CLEAN
// RUN: %run %t api 2>&1 | FileCheck %s --check-prefix=CLEAN
// RUN: env VKASAN_OPTIONS=exitcode=0 %run %t unannounced 2>&1 | FileCheck %s --check-prefix=STALE-%vkmode
// RUN: not %run %t overflow 2>&1 | FileCheck %s --check-prefix=OVERFLOW %lines
// CLEAN-NOT: KASAN
// CLEAN: ran 100 coroutines, 34 abandoned
// CLEAN-NEXT: after purge: live=0 shadow=0 invariants=0
// STALE-inline: BUG: KASAN: stack-{{[a-z-]+}} in vt_read
// STALE-outline-NOT: KASAN
// STALE-outline: ran 100 coroutines, 34 abandoned
#include <stdlib.h>
#include <ucontext.h>
#include "vktest.h"

void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);

#define NCO 100
#define NSTACKS 8
#define STACK_SIZE (64 << 10)

static ucontext_t sched_ctx, co_ctx;
static char *stacks[NSTACKS];
static int api;                 /* announce switches */
static const void *main_bottom; /* the scheduler's stack, as finish_switch said */
static size_t main_size;
static volatile int sink, never = -1;

/* Switch from the coroutine to the scheduler, and back. */
static void yield(void)
{
	void *fake;
	if (api)
		__sanitizer_start_switch_fiber(&fake, main_bottom, main_size);
	swapcontext(&co_ctx, &sched_ctx);
	if (api)
		__sanitizer_finish_switch_fiber(fake, NULL, NULL);
}

VT_NOINLINE int deep(int n)
{
	char pad[40];
	memset(pad, n, sizeof(pad));
	if (n == 0)
		yield();
	else
		sink += deep(n - 1);
	return pad[n % 40];
}

VT_NOINLINE long sum(const char *p, size_t n)
{
	long s = 0;
	for (size_t i = 0; i < n; i += 8)
		s += (long)vt_read(p + i, 8);
	return s;
}

/* No redzones, no shadow writes: its buffer reads whatever shadow is there. */
__attribute__((no_sanitize_address, noinline)) long plain_buffer(void)
{
	char buf[3000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	__asm__ volatile("" ::"r"(buf) : "memory");
	return sum(buf, sizeof(buf));
}

VT_NOINLINE int recurse(int n)
{
	volatile char buf[100];
	if (n == never)
		return 0;
	buf[n % 100] = (char)n;
	sink = recurse(n + 1) + buf[n % 100]; // @CALL
	return sink;
}

static int overflow;

static void co_main(void)
{
	if (api)
		__sanitizer_finish_switch_fiber(NULL, &main_bottom, &main_size);
	if (overflow)
		recurse(0);
	sink += (int)plain_buffer();
	sink += deep(16);
	if (api) /* finishing: switch back for good */
		__sanitizer_start_switch_fiber(NULL, main_bottom, main_size);
}

static void start(int i)
{
	char *stack = stacks[i % NSTACKS];
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = STACK_SIZE;
	co_ctx.uc_link = &sched_ctx;
	makecontext(&co_ctx, co_main, 0);
	if (api || !strcmp(getenv("VK_MODE"), "unannounced")) { /* the switch cannot see it */
		co_ctx.uc_stack.ss_sp = NULL;
		co_ctx.uc_stack.ss_size = 0;
	}
}

static void resume(int i)
{
	void *fake;
	if (api)
		__sanitizer_start_switch_fiber(&fake, stacks[i % NSTACKS], STACK_SIZE);
	swapcontext(&sched_ctx, &co_ctx);
	if (api)
		__sanitizer_finish_switch_fiber(fake, NULL, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	setenv("VK_MODE", mode, 1);
	api = !strcmp(mode, "api");
	int arena = !strcmp(mode, "ucontext") || !strcmp(mode, "overflow");
	overflow = !strcmp(mode, "overflow");
	for (int s = 0; s < NSTACKS; s++)
		stacks[s] = arena ? vk_stack_alloc(STACK_SIZE) : malloc(STACK_SIZE);
	vt_mark("main pid=%d\n", getpid());
	// OVERFLOW: main pid=[[PID:[0-9]+]]
	// OVERFLOW-NEXT: {{^={66}$}}
	// OVERFLOW-NEXT: BUG: stack guard page was hit at [[A:0x[0-9a-f]+]] (stack is 0x{{[0-9a-f]+}}-0x{{[0-9a-f]+}})
	// OVERFLOW-NEXT: {{Read|Write}} at addr [[A]] by task vktest/[[PID]]
	// OVERFLOW: Call Trace:
	// OVERFLOW-NEXT: {{^ }}recurse+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}fiber_scheduler.c:{{[0-9]+}}
	// OVERFLOW-NEXT: {{^ }}recurse+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}fiber_scheduler.c:[[#CALL]]
	// OVERFLOW-NOT: ran
	int abandoned = 0;
	for (int i = 0; i < NCO; i++) {
		start(i);
		resume(i);     /* runs to the yield at the bottom of deep() */
		if (i % 3 == 0) {
			abandoned++; /* never resumed: its frames stay on the stack */
			continue;
		}
		resume(i);     /* returns up from deep() and ends */
	}
	vt_mark("ran %d coroutines, %d abandoned\n", NCO, abandoned);
	for (int s = 0; s < NSTACKS; s++)
		arena ? vk_stack_free(stacks[s]) : free(stacks[s]);
	vk_purge();
	struct vk_stats st;
	vk_get_stats(&st);
	vt_mark("after purge: live=%llu shadow=%llu invariants=%d\n",
		(unsigned long long)st.live_areas,
		(unsigned long long)(st.shadow_pages - st.heap_shadow_pages),
		vk_check_invariants());
	return 0;
}
