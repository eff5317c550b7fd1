# lz4: compression; make check runs test-lz4-essentials (CLI round trips,
# frames, dictionaries, legacy format) over generated data.
PKG=lz4
LIB_TARGET=lz4
. "$RW_HERE/lib.sh"
build() { make -j${RW_JOBS:-2} lib lz4 && make -C tests -j${RW_JOBS:-2} datagen; }
check() { make check; }
rebuild() { make -j${RW_JOBS:-2} lib lz4; }
