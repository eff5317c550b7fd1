# libpng: PNG reference library (against the system zlib); make check runs
# pngtest, pngvalid, pngstest, pngunknown, pngimage over its test images.
PKG=libpng1.6
LIB_TARGET=pngtest
. "$RW_HERE/lib.sh"
# The test programs are built with the library ("make check TESTS=" runs
# none), so that the timed suite only runs them.
build() { autotools_build && make -j${RW_JOBS:-2} check TESTS=; }
# RW_QUICK=1: pngtest, pngunknown and pngimage-quick only, without
# pngvalid's 14 exhaustive tests, pngstest's 8 and pngimage-full (the whole
# suite takes 4.5 min plain on a busy 2-core machine, many times that under
# a sanitizer).
check() {
	if [ -n "${RW_QUICK:-}" ]; then
		t=tests/pngtest-all
		for x in IDAT discard if-safe sAPI sTER save vpAg; do t="$t tests/pngunknown-$x"; done
		make check TESTS="$t tests/pngimage-quick"
	else
		make check
	fi
}
