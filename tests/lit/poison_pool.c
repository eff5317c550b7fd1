// A fixed-size object pool on one vk_vmalloc mapping, as real sub-allocators
// are written: the whole pool is poisoned at creation, an object is
// unpoisoned (with its name) when handed out and poisoned when given back.
// A use after pool_put is reported as use-after-poison with the stack that
// poisoned it (pool_put) and the one that last unpoisoned it (pool_get), and
// the object's name; so is a read past a 13-byte object into the poisoned
// rest of its 16-byte slot (ASan's rounding: the partial granule).
//
// RUN: %cc %s -o %t
// (The program keeps its buffers to the end, on purpose: no leak check.)
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t clean 2>&1 | FileCheck %s --check-prefix=CLEAN %lines
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t after-put 2>&1 | FileCheck %s --check-prefix=PUT %lines
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t slot-tail 2>&1 | FileCheck %s --check-prefix=TAIL %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 %run %t go-on 2>&1 | FileCheck %s --check-prefix=GO %lines
#include <stdlib.h>
#include <sanitizer/asan_interface.h>
#include "vktest.h"

#define SLOT 16
#define NSLOTS 256

struct pool {
	char *mem;
	size_t objsize;
	unsigned next;
};

VT_NOINLINE void pool_init(struct pool *p, size_t objsize)
{
	p->mem = vk_vmalloc(SLOT * NSLOTS);
	p->objsize = objsize;
	p->next = 0;
	vk_poison(p->mem, SLOT * NSLOTS, NULL); // @CREATE
	VT_NO_TAIL();
}

VT_NOINLINE char *pool_get(struct pool *p)
{
	char *o = p->mem + SLOT * p->next++;
	vk_unpoison(o, p->objsize, "struct node"); // @GET
	VT_NO_TAIL();
	return o;
}

VT_NOINLINE void pool_put(struct pool *p, char *o)
{
	vk_poison(o, p->objsize, NULL); // @PUT
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct pool p;
	vt_mark("pid=%d\n", getpid());
	// PUT: pid=[[PID:[0-9]+]]
	// TAIL: pid=[[PID:[0-9]+]]
	pool_init(&p, 13);
	char *a = pool_get(&p);
	char *b = pool_get(&p);

	if (!strcmp(mode, "clean")) {
		// Objects in use are accessible to their last byte; the API
		// answers as AddressSanitizer's does.
		for (int i = 0; i < 13; i++)
			vt_write(a + i, 1), vt_write(b + i, 1);
		vt_mark("a poisoned=%d a+13 poisoned=%d first=%ld\n",
			vk_region_is_poisoned(a, 13) != NULL, vk_region_is_poisoned(a + 13, 1) != NULL,
			(long)((const char *)vk_region_is_poisoned(a, SLOT) - a));
		// CLEAN: a poisoned=0 a+13 poisoned=1 first=13
		pool_put(&p, a);
		vt_mark("after put: %d %d\n", __asan_address_is_poisoned(a),
			__asan_address_is_poisoned(b));
		// CLEAN: after put: 1 0
		// Granule rounding: poisoning [b+3, b+11) keeps b+0..2 and leaves
		// the granule of b+8..b+12 alone (b+11, b+12 would stay accessible
		// beyond the range, and a hole cannot be said in the shadow).
		__asan_poison_memory_region(b + 3, 8);
		vt_mark("b+2:%d b+3:%d b+7:%d b+8:%d\n", __asan_address_is_poisoned(b + 2),
			__asan_address_is_poisoned(b + 3), __asan_address_is_poisoned(b + 7),
			__asan_address_is_poisoned(b + 8));
		// CLEAN: b+2:0 b+3:1 b+7:1 b+8:0
		__asan_unpoison_memory_region(b, 13);
		vt_mark("b=%p region=%p\n", (void *)b, __asan_region_is_poisoned(b, 13));
		// CLEAN: b=[[B:0x[0-9a-f]+]] region=(nil)
		// Outside the arena: ignored (outline) or honoured (inline), and
		// never a false report afterwards once unpoisoned.
		static char outside[64];
		__asan_poison_memory_region(outside, 64);
		__asan_unpoison_memory_region(outside, 64);
		vt_write(outside, 8);
		vt_mark("invariants=%d reports=%d\n", vk_check_invariants(), (int)vt_reports());
		// CLEAN: invariants=0 reports=0
		vk_vfree(p.mem);
		vt_mark("after vfree invariants=%d\n", vk_check_invariants());
		// CLEAN: after vfree invariants=0
		return 0;
	}
	if (!strcmp(mode, "after-put")) {
		pool_put(&p, a);
		// PUT: expect-report: Read of size 8 at addr [[A:0x[0-9a-f]+]]
		// PUT-NEXT: {{^={66}$}}
		// PUT-NEXT: BUG: KASAN: use-after-poison in vt_read+0x
		// PUT-NEXT: Read of size 8 at addr [[A]] by task vktest/[[PID]]
		// PUT: Call Trace:
		// PUT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}poison_pool.c:[[#USE]]
		// PUT: The buggy address was poisoned by task vktest/[[PID]]:
		// PUT-NEXT: {{^ }}pool_put+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}poison_pool.c:[[#PUT]]
		// PUT: It was last unpoisoned by task vktest/[[PID]]:
		// PUT-NEXT: {{^ }}pool_get+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}poison_pool.c:[[#GET]]
		// PUT: The buggy address is located 0 bytes inside of
		// PUT-NEXT: poisoned 13-byte region [[[A]], 0x{{[0-9a-f]+}}) of 'struct node'
		// PUT: The buggy address belongs to the virtual mapping at
		// PUT: {{^ }}pool_init+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}poison_pool.c:
		// PUT: Memory state around the buggy address:
		// PUT: {{^>}}0x{{[0-9a-f]+}}: f7 f7 00 05 f7 f7 f7 f7 f7 f7 f7 f7 f7 f7 f7 f7
		// PUT-NOT: not reached
		vt_expect("Read of size 8 at addr %p", (void *)a);
		vt_read(a, 8); // @USE
	}
	if (!strcmp(mode, "slot-tail")) {
		// TAIL: expect-report: Read of size 1 at addr [[T:0x[0-9a-f]+]]
		// TAIL-NEXT: {{^={66}$}}
		// TAIL-NEXT: BUG: KASAN: use-after-poison in vt_read+0x
		// TAIL: The buggy address was poisoned by task vktest/[[PID]]:
		// TAIL-NEXT: {{^ }}pool_init+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}poison_pool.c:[[#CREATE]]
		// TAIL-NOT: It was last unpoisoned
		// TAIL: The buggy address is located 0 bytes inside of
		// TAIL-NEXT: poisoned 4067-byte region [[[T]], 0x{{[0-9a-f]+}}000)
		// TAIL-NOT: not reached
		vt_expect("Read of size 1 at addr %p", (void *)(b + 13));
		vt_read(b + 13, 1);
	}
	if (!strcmp(mode, "go-on")) {
		// Reported, then given out again: accessible, no second report.
		pool_put(&p, b);
		vt_expect("Write of size 4 at addr %p", (void *)(b + 4));
		vt_write(b + 4, 4);
		// GO: BUG: KASAN: use-after-poison in vt_write+0x
		p.next = 1;
		char *c = pool_get(&p);
		vt_write(c + 4, 4);
		vt_mark("reused=%d reports=%d invariants=%d\n", c == b, (int)vt_reports(),
			vk_check_invariants());
		// GO: reused=1 reports=1 invariants=0
		return 0;
	}
	vt_mark("not reached\n");
	return 0;
}
