# zlib: compression; its make test (example and minigzip round trips).
PKG=zlib
LIB_TARGET="libz.a minigzip example"
. "$RW_HERE/lib.sh"
build() { ./configure --static && make -j${RW_JOBS:-2}; }
check() { make test; }
