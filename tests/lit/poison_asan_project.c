// A project that annotates its own allocator for AddressSanitizer
// (<sanitizer/asan_interface.h>, ASAN_POISON_MEMORY_REGION under
// __SANITIZE_ADDRESS__ / __has_feature(address_sanitizer)) builds unchanged
// with `make CC=vkasan-cc` - gcc defines __SANITIZE_ADDRESS__ and clang's
// __has_feature(address_sanitizer) is true under -fsanitize=kernel-address,
// and vkasan's header comes first on the include path - and its bug is
// reported with the stack that poisoned the memory.
//
// The pool's memory is arena memory either way, checked in both modes: with
// the project's own backing hook pointed at vk_vmalloc, or from plain malloc
// (the heap is the arena's).
//
// RUN: rm -rf %t.arena && cp -r %S/Inputs/poolproj %t.arena
// RUN: make -s -C %t.arena CC='%vkcc' CPPFLAGS='-include vkasan.h -DPOOL_BACKING_ALLOC=vk_vmalloc -DPOOL_BACKING_FREE=vk_vfree'
// RUN: nm %t.arena/pool.o | FileCheck %s --check-prefix=NM
// NM: U __asan_poison_memory_region
// NM: U __asan_unpoison_memory_region
// RUN: not %run %t.arena/prog 2>&1 | FileCheck %s
// CHECK: BUG: KASAN: use-after-poison in main+0x
// CHECK-NEXT: Read of size 1 at addr 0x{{[0-9a-f]+}}003 by task prog/{{[0-9]+}}
// CHECK: The buggy address was poisoned by task prog/{{[0-9]+}}:
// CHECK-NEXT: {{^ }}pool_reset+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}pool.c:51
// CHECK: It was last unpoisoned by task prog/{{[0-9]+}}:
// CHECK-NEXT: {{^ }}pool_alloc+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}pool.c:45
// CHECK: poisoned 32-byte region
// CHECK-NOT: read
//
// RUN: rm -rf %t.plain && cp -r %S/Inputs/poolproj %t.plain
// RUN: make -s -C %t.plain CC='%vkcc'
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t.plain/prog 2>&1 | FileCheck %s --check-prefix=PLAIN
// PLAIN: BUG: KASAN: use-after-poison in main+0x
// PLAIN: The buggy address was poisoned by task prog/{{[0-9]+}}:
// PLAIN-NEXT: {{^ }}pool_reset+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}pool.c:51
// PLAIN: done
