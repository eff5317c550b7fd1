# libpng: PNG reference library (against the system zlib); make check runs
# pngtest, pngvalid, pngstest, pngunknown, pngimage over its test images.
PKG=libpng1.6
LIB_TARGET=pngtest
. "$RW_HERE/lib.sh"
# The test programs are built with the library ("make check TESTS=" runs
# none), so that the timed suite only runs them.
build() { autotools_build && make -j${RW_JOBS:-2} check TESTS=; }
check() { make check; }
