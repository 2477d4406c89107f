#!/bin/sh
# Prints the machine's own Debian mirror, as its deb822 sources or
# sources.list name it, for the private apt lists the test setup uses
# (backports and trixie packages unpacked, never installed). Exit 1 when none.
mirror=$(grep -h -m1 -E '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n -E 's|^deb +(\[[^]]*\] +)?([^ ]*/debian/?) .*|\2|p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || { echo "debian-mirror.sh: no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2; exit 1; }
echo "$mirror"
