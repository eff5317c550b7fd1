#!/usr/bin/env python3
"""report_shape.py - check that every KASAN report in a log is well formed.

Usage: report_shape.py FILE...   (exit 0 when all good; problems on stdout)

run.sh calls it on every test program's stderr, so each lit test checks the
fields that every report must have, and the test's own CHECK lines check the
values that are particular to it.  A report is:

    ==================================================================  (66)
    BUG: KASAN: <type> in <function>
    Read|Write of size N at addr 0x<hex> by task <name>/<tid>
      (a fault: Read|Write of unknown size ...)
      (double-free, invalid-free: Free of addr 0x<hex> by task <name>/<tid>)
    Call Trace:
     <frames>
    The buggy address belongs to the virtual mapping at   (oob, uaf)
     [0x<start>, 0x<end>) created by:       start <= addr < end + guard page
     <frames>
    Freed by task <name>/<tid>:                           (uaf)
     <frames>
    The buggy address was poisoned by task <name>/<tid>:  (use-after-poison)
     <frames>
    The buggy address belongs to stack of task <name>/<tid>  (stack types,
      (or: ... to the stack of another task,                  inline mode)
      (or: ... to the object at 0x...: heap memory run as a stack)
    The buggy address belongs to the variable:            (global-o-o-b)
     <name>+0x<off>/0x<size>
    Memory state around the buggy address:                (accesses)
     0x<row>: xx xx ... (16 shadow bytes, 128 bytes of memory per row)
    >0x<row>: xx xx ...                 the row of the first bad granule
               ^                        under it (kernel: first_bad_addr)
    ==================================================================

Blank lines may separate the sections.  The shadow rows must say that the
access is bad: some byte of [addr, addr + size) is not accessible.

A test program may print "expect-report: <text>" before a bad access; then
every report must follow exactly one such line and its access line must
start with <text>.
"""
import re
import sys

SEP = "=" * 66
# Inline mode adds the stack and global types (addresses outside the arena).
STACK_TYPES = ("stack-out-of-bounds", "stack-use-after-scope", "stack-use-after-return",
               "alloca-out-of-bounds")
ACCESS_TYPES = ("vmalloc-out-of-bounds", "use-after-free", "wild-memory-access",
                "global-out-of-bounds", "use-after-poison") + STACK_TYPES
# The heap (slab.c): objects of kmalloc-N caches and large objects.
HEAP_TYPES = ("slab-out-of-bounds", "slab-use-after-free")
ACCESS_TYPES = ACCESS_TYPES + HEAP_TYPES
TYPES = ACCESS_TYPES + ("double-free", "invalid-free", "alloc-dealloc-mismatch")
OBJECT_RE = re.compile(r"^The buggy address belongs to the object at 0x([0-9a-f]+)$")
CACHE_RE = re.compile(r"^ which (belongs to the cache \S+ of size \d+|is a large object .*)$")
REGION_RE = re.compile(r"^ (allocated|freed) (\d+)-byte region \[0x([0-9a-f]+), 0x([0-9a-f]+)\)$")
ALLOCATED_RE = re.compile(r"^Allocated by task (.+)/(\d+):$")
BUG_RE = re.compile(r"^BUG: KASAN: (\S+) in (\S.*)$")  # C++ names have spaces
ACCESS_RE = re.compile(r"^(Read|Write) of (?:size (\d+)|unknown size) at addr 0x([0-9a-f]+) "
                       r"by task (.+)/(\d+)$")
STACK_RE = re.compile(r"^The buggy address belongs to (stack of task .+/\d+|the stack of another task)$")
VARIABLE_RE = re.compile(r"^ \S+\+0x[0-9a-f]+/0x[0-9a-f]+$")
FREE_RE = re.compile(r"^Free of addr 0x([0-9a-f]+) by task (.+)/(\d+)$")
MAPPING_RE = re.compile(r"^ \[0x([0-9a-f]+), 0x([0-9a-f]+)\) created by:$")
FREED_RE = re.compile(r"^Freed by task (.+)/(\d+):$")
POISONED_RE = re.compile(r"^The buggy address was poisoned by task (.+)/(\d+):$")
ROW_RE = re.compile(r"^([ >])0x([0-9a-f]+): (\S\S(?: \S\S){15})$")
FRAME_RE = re.compile(r"^ \S")
ROW_BYTES = 16 * 8


class Problems(list):
    def add(self, where, what):
        self.append("%s: %s" % (where, what))


def frames_after(body, i):
    """Number of frame lines (" something") starting at body[i]."""
    n = 0
    while i + n < len(body) and FRAME_RE.match(body[i + n]):
        n += 1
    return n


def find(body, text):
    for i, line in enumerate(body):
        if line == text:
            return i
    return -1


def check_shadow(body, where, addr, size, p, require):
    """The shadow dump: consecutive rows, one '>' row with a '^' under the
    first granule of [addr, addr + size) whose shadow forbids the access
    (the kernel marks the first bad address, not the start of the access)."""
    i = find(body, "Memory state around the buggy address:")
    if i < 0:
        if require:
            p.add(where, "no 'Memory state around the buggy address:'")
        return
    rows = []
    marked = None  # address of the granule under the '^'
    j = i + 1
    while j < len(body):
        m = ROW_RE.match(body[j])
        if not m:
            break
        row = int(m.group(2), 16)
        rows.append((row, m.group(3).split(" ")))
        if m.group(1) == ">":
            if marked is not None:
                p.add(where, "more than one '>' row")
            caret = body[j + 1] if j + 1 < len(body) else ""
            col = caret.find("^")
            first = len(body[j]) - len(m.group(3))
            if not re.match(r"^ *\^$", caret) or (col - first) % 3 or \
                    not 0 <= (col - first) // 3 < 16:
                p.add(where, "no '^' under a shadow byte of the '>' row: %r" % caret)
                marked = -1
            else:
                marked = row + 8 * ((col - first) // 3)
            j += 1
        j += 1
    if not rows:
        p.add(where, "no shadow rows after 'Memory state'")
        return
    for k in range(1, len(rows)):
        if rows[k][0] != rows[k - 1][0] + ROW_BYTES:
            p.add(where, "shadow rows not consecutive: 0x%x after 0x%x"
                  % (rows[k][0], rows[k - 1][0]))
    if rows[0][0] % ROW_BYTES:
        p.add(where, "shadow row 0x%x not aligned to 0x%x" % (rows[0][0], ROW_BYTES))
    if marked is None:
        p.add(where, "no '>' row")
        return
    if marked < 0 or not require:
        return  # a bad free: the memory itself may well be accessible
    last = addr + max(size, 1) - 1
    if not (addr & ~7) <= marked <= last:
        p.add(where, "'^' marks 0x%x, outside the access [0x%x, 0x%x]" % (marked, addr, last))
        return
    # Find the first bad byte from the shadow shown.
    shadow = {}
    for base, vals in rows:
        for k, v in enumerate(vals):
            shadow[(base >> 3) + k] = v
    for a in range(addr, last + 1):
        v = shadow.get(a >> 3)
        if v is None or not re.match(r"^[0-9a-f]{2}$", v):
            return  # not shown, or not present: cannot tell more
        s = int(v, 16)
        s = s - 256 if s >= 128 else s
        if s != 0 and (a & 7) >= s:
            if marked != a & ~7:
                p.add(where, "'^' marks 0x%x, the first bad granule is 0x%x" % (marked, a & ~7))
            return
    p.add(where, "the shadow shown says [0x%x, +%d) is accessible" % (addr, size))


def find_re(body, rx):
    for k, l in enumerate(body):
        if rx.match(l):
            return k
    return -1


def check_report(body, where, p):
    """body: the lines between the separators."""
    if not body:
        p.add(where, "empty report")
        return None
    m = BUG_RE.match(body[0])
    if not m:
        p.add(where, "first line is not 'BUG: KASAN: <type> in <function>': %r" % body[0])
        return None
    bug = m.group(1)
    if bug not in TYPES:
        p.add(where, "unknown bug type %r" % bug)
    line = body[1] if len(body) > 1 else ""
    size = 1
    if bug in ACCESS_TYPES:
        m = ACCESS_RE.match(line)
        if not m:
            p.add(where, "bad access line %r" % line)
            return None
        size = int(m.group(2) or 1)
        addr = int(m.group(3), 16)
    else:
        m = FREE_RE.match(line)
        if not m:
            p.add(where, "bad free line %r" % line)
            return None
        addr = int(m.group(1), 16)
    i = find(body, "Call Trace:")
    if i < 0:
        p.add(where, "no 'Call Trace:'")
    elif frames_after(body, i + 1) == 0:
        p.add(where, "no frames after 'Call Trace:'")
    i = find(body, "The buggy address belongs to the virtual mapping at")
    if i >= 0:
        m = MAPPING_RE.match(body[i + 1] if i + 1 < len(body) else "")
        if not m:
            p.add(where, "bad mapping line %r" % body[i + 1:i + 2])
        else:
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            # [start, end) is the usable part; the guard page follows it.
            if start % 4096 or end % 4096 or not start <= addr < end + 4096:
                p.add(where, "mapping [0x%x, 0x%x) + guard does not hold 0x%x"
                      % (start, end, addr))
            if frames_after(body, i + 2) == 0:
                p.add(where, "no allocation frames after 'created by:'")
    elif bug in ("vmalloc-out-of-bounds", "use-after-free"):
        p.add(where, "no 'The buggy address belongs to the virtual mapping at'")
    if bug in STACK_TYPES or bug == "global-out-of-bounds":
        if i >= 0:
            p.add(where, "%s in a virtual mapping" % bug)
        # Stale frame redzones in heap memory run as a stack (a malloc'd
        # coroutine stack) are described by the heap object instead.
        if bug in STACK_TYPES and not any(STACK_RE.match(l) for l in body) \
                and not any(OBJECT_RE.match(l) for l in body):
            p.add(where, "%s without 'The buggy address belongs to stack of task'" % bug)
        if bug == "global-out-of-bounds":
            k = find(body, "The buggy address belongs to the variable:")
            if k < 0:
                p.add(where, "global-out-of-bounds without 'belongs to the variable:'")
            elif not VARIABLE_RE.match(body[k + 1] if k + 1 < len(body) else ""):
                p.add(where, "bad variable line %r" % (body[k + 1] if k + 1 < len(body) else ""))
    k = find_re(body, OBJECT_RE)
    if bug in HEAP_TYPES and k < 0 and not any("given back" in l for l in body):
        p.add(where, "%s without 'The buggy address belongs to the object at'" % bug)
    if k >= 0:
        if not CACHE_RE.match(body[k + 1] if k + 1 < len(body) else ""):
            p.add(where, "bad cache line %r" % body[k + 1:k + 2])
        r = find_re(body, REGION_RE)
        m = REGION_RE.match(body[r]) if r >= 0 else None
        if not m or int(m.group(4), 16) - int(m.group(3), 16) != int(m.group(2)) or \
                int(m.group(3), 16) != int(OBJECT_RE.match(body[k]).group(1), 16):
            p.add(where, "bad or inconsistent region line %r" % body[r:r + 1])
        a = find_re(body, ALLOCATED_RE)
        if a < 0 or frames_after(body, a + 1) == 0:
            p.add(where, "heap object without 'Allocated by task' and its frames")
    freed = [k for k, l in enumerate(body) if FREED_RE.match(l)]
    if bug == "slab-use-after-free" and k >= 0 and not freed:
        p.add(where, "slab-use-after-free without 'Freed by task <name>/<tid>:'")
    if bug == "use-after-free":
        if not freed:
            p.add(where, "use-after-free without 'Freed by task <name>/<tid>:'")
        elif frames_after(body, freed[0] + 1) == 0:
            p.add(where, "no frames after 'Freed by task'")
    if bug == "use-after-poison":
        k = [k for k, l in enumerate(body) if POISONED_RE.match(l)]
        if not k:
            p.add(where, "use-after-poison without 'The buggy address was poisoned by task'")
        elif frames_after(body, k[0] + 1) == 0:
            p.add(where, "no frames after 'was poisoned by task'")
    check_shadow(body, where, addr, size, p, bug in ACCESS_TYPES)
    return line


def check_file(path, p):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().split("\n")
    except OSError as e:
        p.add(path, str(e))
        return
    expects = []
    any_expect = any(l.startswith("expect-report: ") for l in lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        where = "%s:%d" % (path, i + 1)
        if line.startswith("expect-report: "):
            if expects:
                p.add(where, "no report for %r" % expects[-1])
            expects = [line[len("expect-report: "):]]
        elif line.startswith("BUG: KASAN"):
            p.add(where, "'BUG: KASAN' without the separator line before it")
        elif line == SEP and i + 1 < len(lines) and lines[i + 1].startswith("BUG: KASAN"):
            j = i + 1
            while j < len(lines) and lines[j] != SEP:
                j += 1
            if j == len(lines):
                p.add(where, "report without a closing separator line")
            access = check_report(lines[i + 1:j], where, p)
            if any_expect:
                if not expects:
                    p.add(where, "report that no 'expect-report:' announced: %r" % access)
                elif access is not None and not access.startswith(expects[0]):
                    p.add(where, "expected %r, the report says %r" % (expects[0], access))
                expects = []
            i = j
        i += 1
    if expects:
        p.add(path, "no report for %r" % expects[-1])


def main(argv):
    p = Problems()
    for path in argv[1:]:
        check_file(path, p)
    for line in p:
        print("report_shape: " + line)
    return 1 if p else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
