#!/bin/sh
# check-intercepted.sh NAMES FILE... - the runtime never calls what it
# intercepts (the Makefile's rt-check, part of `make lib`).
#
# NAMES lists the libc functions the runtime exports under libc's names,
# and the allocator's (tools/intercepted-names.txt).  Fails (exit 1, one
# line per problem) when
#  - an object FILE (.o) has an undefined reference to one of them: that
#    call would reach the runtime's own checked version, not libc's (use
#    the vki_* helper instead);
#  - a shared library FILE (.so) has a dynamic relocation against one: a
#    call of the runtime's own exported name through its PLT; or
#  - an object named intercept_*.o, check.o, mmap.o, stack.o or fiber.o (the files that
#    interpose libc names) exports a function that is neither vki_/vk_/
#    __asan_/__sanitizer_ nor in NAMES: the list would be incomplete.
# A name tagged "program" in NAMES (the allocator's) may be called by the
# interceptors on the program's behalf (strdup's malloc): not an error in
# intercept_*.o nor, therefore, in a shared library's relocations.
names=$1
shift
[ -r "$names" ] || { echo "check-intercepted: cannot read $names" >&2; exit 2; }
list=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$names" | awk '{print $1}')
program=$(sed -e 's/#.*//' "$names" | awk '$2 == "program" {print $1}')
bad=0
for f in "$@"; do
	case $f in
	*.so) syms=$(objdump -R "$f" | awk 'NR > 5 {print $NF}' | sed 's/@.*//') ;;
	*) syms=$(nm -u "$f" | awk '{print $NF}') ;;
	esac
	for s in $(echo "$syms" | sort -u); do
		echo "$list" | grep -qx -- "$s" || continue
		case $(basename "$f") in
		intercept_*.o | *.so) echo "$program" | grep -qx -- "$s" && continue ;;
		esac
		echo "check-intercepted: $f calls $s, which the runtime intercepts (use a vki_ helper)"
		bad=1
	done
	case $(basename "$f") in
	intercept_*.o | check.o | mmap.o | stack.o | fiber.o)
		for s in $(nm -g --defined-only "$f" | awk '$2 == "T" || $2 == "W" || $2 == "i" {print $3}'); do
			case $s in vki_* | vk_* | __asan_* | __sanitizer_*) continue ;; esac
			echo "$list" | grep -qx -- "$s" && continue
			echo "check-intercepted: $f exports $s, missing from $names"
			bad=1
		done ;;
	esac
done
[ $bad = 0 ] && echo "check-intercepted: $# files, none calls an intercepted function"
exit $bad
