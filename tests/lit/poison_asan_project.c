// A project that annotates its own allocator for AddressSanitizer
// (<sanitizer/asan_interface.h>, ASAN_POISON_MEMORY_REGION under
// __SANITIZE_ADDRESS__ / __has_feature(address_sanitizer)) builds unchanged
// with `make CC=vkasan-cc` - gcc defines __SANITIZE_ADDRESS__ and clang's
// __has_feature(address_sanitizer) is true under -fsanitize=kernel-address,
// and vkasan's header comes first on the include path - and its bug is
// reported with the stack that poisoned the memory.
//
// Where the pool's memory comes from decides whether vkasan checks it: with
// the project's own backing hook pointed at vk_vmalloc it is arena memory,
// checked in both modes.  Plain malloc memory is checked in inline mode only
// (the full shadow covers it); in outline mode the annotations are accepted
// and ignored, and the program runs as without a sanitizer.
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
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t.plain/prog 2>&1 | FileCheck %s --check-prefix=PLAIN-%vkmode
// PLAIN-inline: BUG: KASAN: use-after-poison in main+0x
// PLAIN-inline: The buggy address was poisoned by task prog/{{[0-9]+}}:
// PLAIN-inline-NEXT: {{^ }}pool_reset+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}pool.c:51
// PLAIN-inline: done
// PLAIN-outline-NOT: KASAN
// PLAIN-outline: read u
// PLAIN-outline: done
