/*
 * <sanitizer/asan_interface.h> for vkasan: AddressSanitizer's manual
 * poisoning interface, so that a project that poisons its own allocator's
 * memory builds and runs unchanged under vkasan-cc (whose -I puts this file
 * before the compiler's own).  The functions are vkasan's (src/poison.c):
 * they also record the stack of each call, which reports print.
 *
 * The macros do something when the compiler instruments for AddressSanitizer:
 * gcc defines __SANITIZE_ADDRESS__ and clang's __has_feature(address_sanitizer)
 * is true under -fsanitize=kernel-address too, which vkasan-cc uses.
 */
#ifndef SANITIZER_ASAN_INTERFACE_H
#define SANITIZER_ASAN_INTERFACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Make [addr, addr + size) inaccessible / accessible again (8-byte granules,
 * AddressSanitizer's rounding; see vk_poison in <vkasan.h>). */
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
/* 1 if the byte at addr is poisoned, else 0. */
int __asan_address_is_poisoned(void const volatile *addr);
/* The first poisoned byte of [beg, beg + size), or NULL. */
void *__asan_region_is_poisoned(void *beg, size_t size);

#ifdef __cplusplus
}
#endif

#if defined(__SANITIZE_ADDRESS__)
#define VK_ASAN_INTERFACE_ON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VK_ASAN_INTERFACE_ON 1
#endif
#endif

#ifdef VK_ASAN_INTERFACE_ON
#define ASAN_POISON_MEMORY_REGION(addr, size) __asan_poison_memory_region((addr), (size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) __asan_unpoison_memory_region((addr), (size))
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#endif /* SANITIZER_ASAN_INTERFACE_H */
