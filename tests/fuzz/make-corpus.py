#!/usr/bin/env python3
"""Write the seed corpus of fuzz_api.c into corpus/ (run from tests/fuzz).

Each seed is a small program in the harness's byte code (see the comment at
the top of fuzz_api.c); together they reach every operation.  Re-running
rewrites the same files."""
import os
import random

VMALLOC, VZALLOC, ALIGNED, VFREE, PURGE, REWRITE, VERIFY, SIZEQ, BADFREE, \
    LAZY, FAIL, WALK, MEMMOVE, IMPOSSIBLE, REALLOC, NOOP = range(16)


def size(cls, x):
    v = (cls << 13) | (x & 0x1fff)
    return [v & 0xff, v >> 8]


def alloc(slot, cls, x, kind=VMALLOC, align_log=12):
    b = [kind, slot] + size(cls, x)
    if kind == ALIGNED:
        b.append(align_log)
    return b


seeds = {}
seeds["basic"] = alloc(0, 0, 99) + [VERIFY, 0, VFREE, 0, PURGE, WALK]
s = []
for i in range(16):
    s += alloc(i, i % 8, i * 37 + 5)
for i in range(1, 16, 2):
    s += [VFREE, i]
s += [PURGE, WALK]
for i in range(1, 16, 2):
    s += alloc(i, 3, i * 100)
s += [WALK, VERIFY, 2]
seeds["fill_free_odd_refill"] = s
s = []
for i, lg in enumerate([0, 5, 12, 13, 15, 16, 20, 24]):
    s += alloc(i, 0, 50 + i, ALIGNED, lg)
s += [WALK, PURGE]
seeds["aligned"] = s
seeds["vzalloc_rewrite_memmove"] = (alloc(0, 5, 1000, VZALLOC) + alloc(1, 4, 77, VZALLOC) +
                                    [REWRITE, 0, MEMMOVE, 0, 1, MEMMOVE, 1, 0, VERIFY, 0,
                                     VERIFY, 1, SIZEQ, 0, 5, 0])
s = alloc(0, 3, 4000) + alloc(1, 0, 10) + [VFREE, 1]
for kind in range(6):
    s += [BADFREE, kind << 4, 3, 1]
s += [PURGE, BADFREE, 1 << 4, 0, 0, WALK]
seeds["bad_frees"] = s
s = alloc(0, 0, 1)
for every in (3, 2, 5, 1, 7):
    s += [FAIL, every]
    for i in range(1, 9):
        s += alloc(i, (i * 3) % 8, i * 911)
    s += [VFREE, 3, VFREE, 5, PURGE, WALK]
s += [FAIL, 0, PURGE, WALK]
seeds["fault_injection"] = s
s = [LAZY, 0]
for i in range(40):
    s += alloc(i % 4, i % 7, i * 53) + [VFREE, (i + 1) % 4]
s += [LAZY, 4]
seeds["lazy_max_0_churn"] = s
seeds["big"] = alloc(0, 7, 8191) + alloc(1, 7, 4000) + [VFREE, 0, PURGE] + alloc(2, 7, 100) + [WALK]
s = alloc(0, 0, 10)
for i in range(10):
    s += [REALLOC, 0] + size(i % 8, i * 777)
seeds["realloc_chain"] = s
# vk_vrealloc (REALLOC | 0x10): shrink, regrow in place, grow past a
# neighbour (moves), under fault injection too.
s = alloc(0, 0, 10) + alloc(1, 0, 11)
for i in range(12):
    s += [REALLOC | 0x10, i % 2] + size(i % 8, i * 577 + 1)
    if i == 6:
        s += [FAIL, 3]
s += [FAIL, 0, WALK, PURGE, WALK]
seeds["vrealloc_chain"] = s
seeds["impossible"] = sum([[IMPOSSIBLE, k] for k in range(5)], []) + [NOOP, WALK]
s = []
for i in range(16):
    s += alloc(i, 4, i * 17 + 3)
s += [LAZY, 2]
for i in range(0, 16, 3):
    s += [VFREE, i]
s += [SIZEQ, 1, 9, 9, WALK] + [FAIL, 4] + alloc(0, 6, 40) + alloc(3, 6, 41) + [FAIL, 0, PURGE, PURGE, WALK]
seeds["page_edges_lazy"] = s
# The debt sweep's release fails too: windows between the leftover ones
# must not come back as present (found by this fuzzer in the first core).
seeds["release_fails_twice"] = (alloc(0, 0, 99) + alloc(1, 0, 99, ALIGNED, 18) +
                                [VFREE, 0, VFREE, 1, FAIL, 1, PURGE, PURGE, FAIL, 0, WALK] +
                                alloc(2, 0, 99, ALIGNED, 16) + [WALK, PURGE, WALK])
rng = random.Random(5)
for k in range(6):
    seeds["random_%d" % k] = [rng.randrange(256) for _ in range(64 + 48 * k)]

os.makedirs("corpus", exist_ok=True)
# The program's mappings (op >= 240): map, write, protect parts, unmap parts,
# remap, with and without fault injection.
MMAP, MUNMAP, MUNMAP_PART, MPROTECT, MREMAP, MWRITE, MVERIFY = range(240, 247)
s = []
s += [MMAP, 0, 16, 0, MWRITE, 0, 0, 7, MWRITE, 0, 4, 9, MVERIFY, 0]
s += [MMAP, 1, 40, 1, MPROTECT, 1, 3, 5, 0, MWRITE, 1, 3, 11, MPROTECT, 1, 4, 2, 1, MVERIFY, 1]
s += [MMAP, 2, 8, 2, MWRITE, 2, 0, 5, MREMAP, 2, 20, MVERIFY, 2, MREMAP, 2, 3, MVERIFY, 2]
s += [MUNMAP_PART, 0, 2, 3, MVERIFY, 0, PURGE, WALK, MUNMAP_PART, 0, 0, 1, MREMAP, 0, 30]
s += [MMAP, 3, 5, 4 << 2, MPROTECT, 3, 0, 5, 1, MPROTECT, 3, 1, 1, 0, WALK, PURGE, WALK]
s += [FAIL, 3]
for i in range(12):
    s += [MMAP, 4 + i % 4, 1 + i * 5, i & 3, MPROTECT, 4 + i % 4, i % 3, 2, i & 1,
          MUNMAP_PART, 4 + i % 4, 1, 1, MREMAP, 4 + i % 4, 2 + i]
s += [FAIL, 0, MUNMAP, 1, MUNMAP, 3, PURGE, WALK]
seeds["mappings"] = s

for name, data in seeds.items():
    with open(os.path.join("corpus", name), "wb") as f:
        f.write(bytes(b & 0xff for b in data))
print("wrote %d seeds" % len(seeds))
