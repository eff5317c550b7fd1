# libsodium: cryptography; make check runs its 70-odd test programs against
# known answers.
PKG=libsodium
. "$RW_HERE/lib.sh"
build() { autotools_build --disable-asm; }
check() { make check; }
