/*
 * vkasan.h - public interface of vkasan, a userspace KASAN for vmalloc-style
 * memory with on-demand, shared, lazily released shadow.
 *
 * Memory from vk_vmalloc() lives in one large arena.  Programs built with
 * vkasan-cc (or -fsanitize=kernel-address and the runtime) get byte-precise
 * out-of-bounds and use-after-free reports on it, in the kernel's KASAN format.
 *
 * All functions are thread-safe.  The runtime initialises itself before
 * main(); calling any of these earlier (from another constructor) is fine.
 */
#ifndef VKASAN_H
#define VKASAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VKASAN_VERSION_MAJOR 0
#define VKASAN_VERSION_MINOR 2
#define VKASAN_VERSION_PATCH 0
#define VKASAN_VERSION "0.2.0"

/* The runtime's version, "0.2.0": the library actually loaded, which may
 * differ from the VKASAN_VERSION this header was compiled with. */
const char *vk_version(void);

/*
 * Allocate size bytes in the vmalloc arena.  The mapping is page-granular and
 * followed by a guard page; only [p, p + size) is accessible to checked code.
 * Returns NULL for size 0, for sizes that do not fit the arena, and when
 * memory for the mapping or its shadow cannot be obtained.
 */
void *vk_vmalloc(size_t size);

/* As vk_vmalloc, with the memory zeroed. */
void *vk_vzalloc(size_t size);

/*
 * As vk_vmalloc, with the start aligned to align: 0 (no constraint) or a
 * power of two; anything below the page size means the page size.  Any
 * other alignment (not a power of two) returns NULL.
 */
void *vk_vmalloc_aligned(size_t size, size_t align);

/*
 * Free a mapping.  NULL is a no-op.  The mapping is poisoned at once and its
 * address range is quarantined on the lazy list until the next purge.  A
 * pointer that is not the start of a live mapping gets a KASAN report
 * (double-free or invalid-free) and is otherwise ignored.
 */
void vk_vfree(const void *p);

/* Requested size of a live mapping, or 0 if p is not the start of one. */
size_t vk_vmalloc_size(const void *p);

/*
 * Purge now: return lazily freed ranges to free space and release the shadow
 * pages no live mapping needs any more.
 */
void vk_purge(void);

/*
 * Leaks (kmemleak): report the live heap objects and vk_vmalloc mappings
 * that no root (globals, thread stacks and registers, TLS) reaches, directly
 * or through other reachable objects; returns how many were reported.  Also
 * done at exit when detect_leaks=1 (the default).  vk_leak_ignore(p): the
 * object or mapping p starts is not a leak, and is scanned as a root.
 */
int vk_leak_check(void);
void vk_leak_ignore(const void *p);

struct vk_stats {
	uint64_t live_areas;                   /* mappings handed out, not freed */
	uint64_t live_bytes;                   /* sum of their requested sizes */
	uint64_t lazy_areas;                   /* freed, waiting for a purge */
	uint64_t lazy_bytes;                   /* their size incl. guard pages */
	uint64_t free_regions;                 /* nodes in the free-space tree */
	uint64_t shadow_pages;                 /* shadow pages present now */
	uint64_t shadow_pages_populated_total; /* shadow pages ever backed */
	uint64_t shadow_pages_released_total;  /* shadow pages ever released */
	uint64_t shadow_populate_calls;        /* OS calls made to back shadow */
	uint64_t shadow_release_calls;         /* OS calls made to release it */
	uint64_t purges;                       /* purges run */
	uint64_t alloc_failures;               /* vk_vmalloc calls returning NULL */
	uint64_t reports;                      /* KASAN reports printed */
	uint64_t arena_base;                   /* first address of the arena */
	uint64_t arena_size;                   /* bytes of address space in it */
	uint64_t arena_committed;              /* bytes of the arena usable now */
	/* The heap (malloc, new, kmalloc): live_areas and live_bytes above
	 * count vk_vmalloc's mappings only. */
	uint64_t heap_mappings;                /* slabs and large objects */
	uint64_t heap_shadow_pages;            /* shadow pages of their windows */
	uint64_t heap_objects;                 /* objects allocated, not freed */
	uint64_t heap_bytes;                   /* their requested sizes */
	uint64_t heap_quarantine_bytes;        /* freed, held in the quarantine's
						* queue (a thread's open batch,
						* up to 509 objects or 1 MiB,
						* joins it when full) */
	uint64_t heap_slabs;                   /* slabs of the size classes and caches */
	uint64_t heap_large_objects;           /* large objects (a mapping each) */
	/* The arena's address-space quarantine (vmalloc_quarantine): purged
	 * mappings kept out of reuse, without data or shadow of their own. */
	uint64_t cold_areas;                   /* ranges held */
	uint64_t cold_bytes;                   /* their address space */
	uint64_t cold_meta_bytes;              /* resident bytes of their records */
};

/* Snapshot of the counters above. */
void vk_get_stats(struct vk_stats *out);

/*
 * The expensive self-check: tree shape and augmentation, accounting, and the
 * shadow rule (outside a purge, the present shadow pages - asked of the OS
 * with mincore - are exactly the windows that intersect a live or lazily
 * freed mapping).  Returns 0 when everything holds, otherwise the number of
 * problems found, each printed to the report stream.
 */
int vk_check_invariants(void);

/*
 * Set one runtime option, as if given in VKASAN_OPTIONS ("name", "value").
 * Returns 0, or -1 (with a warning) for an unknown name or a bad value.
 */
int vk_set_option(const char *name, const char *value);

/*
 * Stacks for fibers and coroutines: size bytes (page rounded) in the arena,
 * with a guard page below (an overflow is reported as a stack guard hit) and
 * shadow backed as the stack is used.  Returns the lowest usable address
 * (the stack's bottom: set sp to p + size), or NULL.  vk_stack_free poisons
 * and quarantines it like vk_vfree (a bad pointer gets a report).  Switching
 * stacks: the AddressSanitizer fiber interface (__sanitizer_start_switch_fiber,
 * __sanitizer_finish_switch_fiber) and swapcontext clear stale stack poison.
 */
void *vk_stack_alloc(size_t size);
void vk_stack_free(void *p);

/*
 * Resize a vk_vmalloc mapping, as the kernel's vrealloc: grows in place when
 * the arena range above it is free, moves (copy, free the old) otherwise,
 * shrinks in place.  The requested size is tracked: after a shrink the bytes
 * past the new size are poisoned, after a grow exactly the new bytes are
 * accessible.  p NULL: vk_vmalloc(size); size 0: vk_vfree(p), NULL.  NULL on
 * failure with p untouched.  A p that is not a live vk_vmalloc mapping gets
 * an invalid-free (or double-free) report and NULL.
 */
void *vk_vrealloc(void *p, size_t size);

/*
 * Manual poisoning, for allocators that carve objects out of a mapping
 * (pools, bump arenas, object caches).  AddressSanitizer's semantics, 8-byte
 * granules: vk_poison makes [p, p + size) inaccessible (a partial first
 * granule keeps its bytes below p accessible; a partial last one is
 * poisoned only if none of its accessible bytes lie beyond the range),
 * vk_unpoison makes it accessible.  Each call records its stack: a report on
 * poisoned memory (use-after-poison) prints who poisoned it and who last
 * unpoisoned it.  name (NULL or a string that lives as long as the program,
 * e.g. "struct node") is printed with the object; a poisoning without a
 * name keeps the name given when the range was unpoisoned.
 *
 * Only memory vkasan checks can be poisoned: a live vk_vmalloc (or vmap)
 * mapping, clamped to its requested size; in inline mode also ordinary
 * memory (stack, globals, heap).  Other addresses are ignored.
 */
void vk_poison(const void *p, size_t size, const char *name);
void vk_unpoison(const void *p, size_t size, const char *name);
/* The first poisoned byte of [p, p + size), or NULL when all are accessible. */
const void *vk_region_is_poisoned(const void *p, size_t size);

/*
 * Page frames that can appear at more than one address (the kernel's
 * alloc_pages/vmap).  vk_pages_alloc(n) returns n frames (an array of n
 * descriptors: pages + i is the i-th), mapped together at their primary
 * address vk_page_address(pages) in the arena; vk_pages_free(pages) frees
 * them all.  vk_vmap(pages, n) maps any n frames (any order, from any
 * allocations) at a new arena address: both addresses reach the same memory
 * and both are checked.  vk_vunmap(addr) poisons and quarantines the alias
 * only.  vk_vm_map_ram/vk_vm_unmap_ram: the same for small mappings (at
 * most VK_VMAP_BLOCK_MAX pages), served from shared blocks of the arena.
 * The frames are shared with fork()ed children (MAP_SHARED memory).
 */
struct vk_page {
	uint64_t vk_opaque[2];
};
#define VK_VMAP_BLOCK_MAX 16
struct vk_page *vk_pages_alloc(size_t n);
void vk_pages_free(struct vk_page *pages);
void *vk_page_address(const struct vk_page *page);
void *vk_vmap(struct vk_page *const *pages, size_t n);
void vk_vunmap(const void *addr);
void *vk_vm_map_ram(struct vk_page *const *pages, size_t n);
void vk_vm_unmap_ram(const void *addr, size_t n);

/*
 * Optional: a program that defines this function gives its own default
 * options in the VKASAN_OPTIONS syntax, read before $VKASAN_OPTIONS (which
 * wins).  With libvkasan.so, the program must export it (-rdynamic).
 */
const char *vk_default_options(void);

#ifdef __cplusplus
}
#endif

#endif /* VKASAN_H */
