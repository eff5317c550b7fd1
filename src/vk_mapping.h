/*
 * vk_mapping.h - the address-space layout: the one place that says where
 * shadow and arena are.  The build reads VKI_SHADOW_OFFSET from here for
 * the compiler flags of tools/vkasan-cc (@SHADOW_OFFSET@ in the Makefile),
 * so keep it a plain "#define VKI_SHADOW_OFFSET 0x...UL" line.
 *
 * x86_64, shadow(a) = (a >> 3) + VKI_SHADOW_OFFSET, the AddressSanitizer
 * mapping, so inline instrumentation works unchanged:
 *
 *   range                                 what
 *   ------------------------------------  ----------------------------------
 *   [0x000000000000, 0x00007fff8000)      low memory (program, heap, libs)
 *   [0x00007fff8000, 0x00008fff7000)      low shadow
 *   [0x00008fff7000, 0x02008fff7000)      shadow gap
 *   [0x02008fff7000, 0x10007fff8000)      high shadow
 *     [0x0c007fff8000, 0x0c207fff8000)      shadow of the arena (128 GiB)
 *   [0x10007fff8000, 0x800000000000)      high memory
 *     [0x600000000000, 0x610000000000)      the vmalloc arena (1 TiB)
 *
 * Only the arena's shadow is ever backed by the core runtime; inline programs
 * also get the low and high shadow (zero) and the gap (inaccessible) mapped
 * around it by fullshadow.c.  A *window* is the 32 KiB of arena described by
 * one 4 KiB shadow page.
 */
#ifndef VK_MAPPING_H
#define VK_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

#define VKI_PAGE_SHIFT 12
#define VKI_PAGE_SIZE (1UL << VKI_PAGE_SHIFT)
#define VKI_GRANULE_SHIFT 3
#define VKI_GRANULE (1UL << VKI_GRANULE_SHIFT)
#define VKI_SHADOW_OFFSET 0x7fff8000UL
#define VKI_WINDOW_SHIFT (VKI_PAGE_SHIFT + VKI_GRANULE_SHIFT)
#define VKI_WINDOW_SIZE (1UL << VKI_WINDOW_SHIFT) /* 32 KiB */

#define VKI_ARENA_BASE 0x600000000000UL
#define VKI_ARENA_MAX (1UL << 40)                 /* 1 TiB */
#define VKI_ARENA_MIN (64UL << 20)
#define VKI_COMMIT_CHUNK (64UL << 20)             /* arena grows by this */

static inline uintptr_t vki_mem_to_shadow(uintptr_t a)
{
	return (a >> VKI_GRANULE_SHIFT) + VKI_SHADOW_OFFSET;
}

static inline uintptr_t vki_shadow_to_mem(uintptr_t s)
{
	return (s - VKI_SHADOW_OFFSET) << VKI_GRANULE_SHIFT;
}

/* The rest of AddressSanitizer's layout (inline mode, fullshadow.c). */
#define VKI_LOW_MEM_END 0x00007fff8000UL     /* [0, LOW_MEM_END): low memory */
#define VKI_LOW_SHADOW_BEG 0x00007fff8000UL
#define VKI_LOW_SHADOW_END 0x00008fff7000UL
#define VKI_HIGH_SHADOW_BEG 0x02008fff7000UL
#define VKI_HIGH_SHADOW_END 0x10007fff8000UL
#define VKI_HIGH_MEM_BEG 0x10007fff8000UL    /* [HIGH_MEM_BEG, HIGH_MEM_END) */
#define VKI_HIGH_MEM_END 0x800000000000UL

#endif /* VK_MAPPING_H */
