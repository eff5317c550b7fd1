# libpng: PNG reference library (against the system zlib); make check runs
# pngtest, pngvalid, pngstest, pngunknown, pngimage over its test images.
PKG=libpng1.6
LIB_TARGET=pngtest
. "$RW_HERE/lib.sh"
build() { autotools_build; }
check() { make check; }
