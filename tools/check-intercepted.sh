#!/bin/sh
# check-intercepted.sh NAMES OBJECT... - the runtime never calls what it
# intercepts.
#
# NAMES lists the libc functions the runtime exports under libc's names
# (tools/intercepted-names.txt).  Fails (exit 1, one line per problem) when
#  - an OBJECT has an undefined reference to one of them: that call would
#    reach the runtime's own checked version, not libc's (use the vki_*
#    helper instead); or
#  - an OBJECT named intercept_*.o or check.o exports a function that is
#    neither vki_/vk_/__asan_ nor in NAMES: the list would be incomplete.
#
# LEGACY: memcpy and memset calls that the compiler itself emits for
# struct copies and initialisers in the older runtime files reach check.c's
# checked copies, which check nothing outside the arena; they are tolerated
# here until those files use vki_copy/vki_fill (the structure work).
LEGACY=${VK_CHECK_LEGACY-"memcpy memset"}
names=$1
shift
[ -r "$names" ] || { echo "check-intercepted: cannot read $names" >&2; exit 2; }
list=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$names")
bad=0
for o in "$@"; do
	for s in $(nm -u "$o" | awk '{print $NF}'); do
		for n in $list; do
			[ "$s" = "$n" ] || continue
			case " $LEGACY " in *" $s "*) continue ;; esac
			echo "check-intercepted: $o calls $s, which the runtime intercepts (use a vki_ helper)"
			bad=1
		done
	done
	case $(basename "$o") in
	intercept_*.o | check.o)
		for s in $(nm -g --defined-only "$o" | awk '$2 == "T" || $2 == "W" {print $3}'); do
			case $s in vki_* | vk_* | __asan_*) continue ;; esac
			echo "$list" | grep -qx -- "$s" && continue
			echo "check-intercepted: $o exports $s, missing from $names"
			bad=1
		done ;;
	esac
done
[ $bad = 0 ] && echo "check-intercepted: $# objects, none calls an intercepted function"
exit $bad
