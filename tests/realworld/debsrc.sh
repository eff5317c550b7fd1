#!/bin/sh
# Print one "deb-src" line per active "deb" source of apt's configuration
# (one-line .list files and deb822 .sources files), so that `apt-get source`
# fetches from the archive this machine already uses.
set -eu
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	case $f in */vkasan-src.list) continue ;; esac
	case $f in
	*.sources)
		# deb822: stanzas separated by blank lines.
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && uris != "" && enabled != "no") {
				n = split(uris, u, " "); m = split(suites, s, " ")
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
					printf "deb-src %s%s %s %s\n", opts, u[i], s[j], comps
			}
			types = uris = suites = comps = opts = ""; enabled = ""
		}
		/^[ \t]*$/ { flush(); next }
		/^#/ { next }
		{ k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v) }
		k == "types" { types = v } k == "uris" { uris = v } k == "suites" { suites = v }
		k == "components" { comps = v } k == "enabled" { enabled = tolower(v) }
		k == "signed-by" && v ~ /^\// { opts = "[signed-by=" v "] " }
		END { flush() }' "$f" ;;
	*)
		sed -n 's/^[ \t]*deb[ \t]\+/deb-src /p' "$f" ;;
	esac
done | sort -u
