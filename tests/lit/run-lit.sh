#!/bin/sh
# run-lit.sh BUILD_DIR - run the lit suite in every configuration:
# {gcc, clang} x {-O0, -O2} x {outline, inline}, all in one lit process (-j2), so
# that lit prints one summary ("  Passed: N", "  Failed: N") for
# tests/run-tests.sh to add up.  Exits non-zero when anything failed.
#
# Environment: VK_LIT_CCS (default "gcc clang"), VK_LIT_OPTS ("-O0 -O2"),
# VK_LIT_MODES ("outline inline"), VK_LIT_JOBS (2), LIT (lit.py, or a lit
# command), LIT_ARGS (extra lit arguments, e.g. "--filter uaf"), VK_LLVM_BIN
# (where FileCheck, not and count are).
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)

# The LLVM tools: $VK_LLVM_BIN, else FileCheck on PATH, else llvm-config,
# else the newest /usr/lib/llvm-*.  lit.cfg.py uses the same directory.
if [ -z "$VK_LLVM_BIN" ]; then
	if fc=$(command -v FileCheck 2>/dev/null); then
		VK_LLVM_BIN=$(dirname "$fc")
	elif command -v llvm-config >/dev/null 2>&1 &&
		[ -x "$(llvm-config --bindir)/FileCheck" ]; then
		VK_LLVM_BIN=$(llvm-config --bindir)
	else
		for d in $(ls -d /usr/lib/llvm-*/bin 2>/dev/null | sort -t- -k2 -n -r); do
			[ -x "$d/FileCheck" ] && { VK_LLVM_BIN=$d; break; }
		done
	fi
fi
export VK_LLVM_BIN
# lit: $LIT, else lit on PATH, else lit.py next to the LLVM tools.
if [ -z "$LIT" ]; then
	if command -v lit >/dev/null 2>&1; then
		LIT=$(command -v lit)
	elif [ -n "$VK_LLVM_BIN" ] && [ -f "$VK_LLVM_BIN/../build/utils/lit/lit.py" ]; then
		LIT=$VK_LLVM_BIN/../build/utils/lit/lit.py
	else
		for f in $(ls /usr/lib/llvm-*/build/utils/lit/lit.py 2>/dev/null | sort -t- -k2 -n -r); do
			LIT=$f
			break
		done
	fi
fi

if [ ! -d "$B" ]; then
	echo "run-lit.sh: build directory '$B' not found (run make B=$B)" >&2
	exit 2
fi
B=$(cd "$B" && pwd)
if [ -z "$LIT" ] || [ ! -f "$LIT" ]; then
	echo "run-lit.sh: lit not found (set LIT=, or apt-get install llvm-14-tools)" >&2
	exit 2
fi
if [ -z "$VK_LLVM_BIN" ]; then
	echo "run-lit.sh: FileCheck not found (set VK_LLVM_BIN=, or apt-get install llvm-14-tools)" >&2
	exit 2
fi

dirs=
for mode in ${VK_LIT_MODES:-outline inline}; do
	for cc in ${VK_LIT_CCS:-gcc clang}; do
		for opt in ${VK_LIT_OPTS:--O0 -O2}; do
			d=$B/lit/$cc$opt-$mode
			mkdir -p "$d"
			cat > "$d/lit.site.cfg.py" <<SITE
# Written by tests/lit/run-lit.sh: one configuration of the suite.
config.vk_cc = "$cc"
config.vk_opt = "$opt"
config.vk_mode = "$mode"
config.vk_build = "$B"
config.vk_exec_root = "$d"
lit_config.load_config(config, "$here/lit.cfg.py")
SITE
			dirs="$dirs $d"
		done
	done
done

# shellcheck disable=SC2086
# -v without -s: a "PASS: name (i of N)" line per test, which
# tests/run-tests.sh turns into progress lines.
exec python3 "$LIT" -v --no-progress-bar -j "${VK_LIT_JOBS:-2}" $LIT_ARGS $dirs
