// Objects that something still references are not leaks: a pointer in a
// global, only an interior pointer, a pointer inside a reachable object
// (small and large), in another thread's stack while it is blocked, only in
// a register of another thread that spins, in the main thread's TLS
// (__thread), in a vk_vmalloc mapping kept by a global, and objects marked
// with vk_leak_ignore (which are roots: what they point to is kept too).
// The check finds none of them; then the program drops every reference
// (the control: the same objects are reported, so the check could fail),
// frees them through encoded copies, and exits clean.
//
// RUN: %cc %s -o %t -pthread
// RUN: %run %t 2>&1 | FileCheck %s
#include <pthread.h>
#include <stdlib.h>
#include "leaktest.h"

#define KEY 0x5a5a5a5a5a5a5a5aUL
#define ENC(p) ((uintptr_t)(p) ^ KEY)
#define DEC(u) ((void *)((u) ^ KEY))

struct node {
	struct node *next;
	char pad[56];
};

void *g_keep;           /* a global */
char *g_interior;       /* only an interior pointer */
struct node *g_head;    /* head -> second: second is reachable only via head */
char *g_large;          /* a large object holding the only pointer to one */
char *g_vmap;           /* a vk_vmalloc mapping kept by a global */
__thread void *t_keep;  /* the main thread's TLS */

/* Encoded copies, not pointers: to free everything at the end. */
uintptr_t e_keep, e_interior, e_head, e_second, e_large, e_in_large, e_vmap, e_tls, e_ign,
	e_ign_child, e_stack, e_reg;

static volatile int phase;     /* 1: threads drop their references */
static volatile int dropped;   /* threads that did */
static volatile int ready;

VT_NOINLINE void *alloc_in_global(void) { void *p = malloc(40); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_interior(void) { void *p = malloc(64); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_node(void) { void *p = malloc(sizeof(struct node)); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_large(void) { void *p = calloc(1, 100000); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_in_large(void) { void *p = malloc(24); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_in_tls(void) { void *p = malloc(72); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_ignored(void) { void *p = malloc(16); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_on_stack(void) { void *p = malloc(88); VT_NO_TAIL(); return p; }
VT_NOINLINE void *alloc_in_register(void) { void *p = malloc(104); VT_NO_TAIL(); return p; }

/* Stores through pp, so that no compiler temporary of the caller's frame
 * holds a copy (clang -O0 would keep the return value in one). */
VT_NOINLINE void alloc_into(void *volatile *pp)
{
	*pp = alloc_on_stack();
	e_stack = ENC(*pp);
}

/* Keeps its object in a local while blocked; drops it in phase 1. */
static void *stack_thread(void *arg)
{
	void *volatile p;
	alloc_into(&p);
	vt_scrub();
	__atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
	while (!phase)
		usleep(1000);
	p = NULL;
	__atomic_add_fetch(&dropped, 1, __ATOMIC_SEQ_CST);
	while (phase != 2)
		usleep(1000);
	return NULL;
}

/* Keeps its object only in r12 (memory holds it encoded) while spinning. */
static void *register_thread(void *arg)
{
	uintptr_t enc = ENC(alloc_in_register());
	e_reg = enc;
	vt_scrub();
	uintptr_t key = KEY;
	__atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
	__asm__ volatile("mov %0, %%r12\n\t"
			 "xor %1, %%r12\n"
			 "1:\tpause\n\t"
			 "cmpl $0, (%2)\n\t"
			 "je 1b\n\t"
			 "xor %%r12, %%r12\n"
			 :
			 : "r"(enc), "r"(key), "r"(&phase)
			 : "r12", "memory");
	__atomic_add_fetch(&dropped, 1, __ATOMIC_SEQ_CST);
	while (phase != 2)
		usleep(1000);
	return NULL;
}

VT_NOINLINE void setup(void)
{
	g_keep = alloc_in_global();
	e_keep = ENC(g_keep);
	char *in = alloc_interior();
	e_interior = ENC(in);
	g_interior = in + 20;
	g_head = alloc_node();
	g_head->next = alloc_node();
	g_head->next->next = NULL;
	e_head = ENC(g_head);
	e_second = ENC(g_head->next);
	g_large = alloc_large();
	void *inl = alloc_in_large();
	*(void **)(g_large + 80000) = inl;
	e_large = ENC(g_large);
	e_in_large = ENC(inl);
	g_vmap = vk_vmalloc(9000);
	e_vmap = ENC(g_vmap);
	t_keep = alloc_in_tls();
	e_tls = ENC(t_keep);
	void **ign = alloc_ignored();
	vk_leak_ignore(ign);
	ign[0] = alloc_in_global(); /* kept by the ignored object */
	e_ign = ENC(ign);
	e_ign_child = ENC(ign[0]);
	ign = NULL;
}

VT_NOINLINE void drop_all(void)
{
	g_keep = NULL;
	g_interior = NULL;
	g_head = NULL;
	g_large = NULL;
	g_vmap = NULL;
	t_keep = NULL;
}

int main(void)
{
	pthread_t ts, tr;
	pthread_create(&ts, NULL, stack_thread, NULL);
	pthread_create(&tr, NULL, register_thread, NULL);
	setup();
	vt_scrub();
	while (ready != 2)
		usleep(1000);
	int n = vk_leak_check();
	vt_mark("kept: %d\n", n);
	// CHECK-NOT: unreferenced
	// CHECK: kept: 0

	phase = 1;
	while (dropped != 2)
		usleep(1000);
	drop_all();
	vt_scrub();
	n = vk_leak_check();
	// The control: everything but the ignored object and its child.
	// CHECK-DAG: ] alloc_in_global+
	// CHECK-DAG: ] alloc_interior+
	// CHECK-DAG: ] alloc_node+
	// CHECK-DAG: ] alloc_large+
	// CHECK-DAG: ] alloc_in_large+
	// CHECK-DAG: ] alloc_in_tls+
	// CHECK-DAG: ] alloc_on_stack+
	// CHECK-DAG: ] alloc_in_register+
	// CHECK-DAG: ] setup+
	// Direct: global, interior, head, large, TLS, stack, register, vmalloc;
	// indirect: the second node and the object inside the large one.
	// CHECK: vkasan: 10 unreferenced objects ({{[0-9]+}} bytes): 8 direct, 2 indirect
	vt_mark("dropped: %d\n", n);
	// CHECK-NEXT: dropped: 10

	phase = 2;
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	free(DEC(e_keep));
	free(DEC(e_interior));
	free(DEC(e_second));
	free(DEC(e_head));
	free(DEC(e_in_large));
	free(DEC(e_large));
	vk_vfree(DEC(e_vmap));
	free(DEC(e_tls));
	free(DEC(e_ign_child));
	free(DEC(e_ign));
	free(DEC(e_stack));
	free(DEC(e_reg));
	vt_mark("end\n");
	// CHECK: end
	// CHECK-NOT: unreferenced
	return 0;
}
