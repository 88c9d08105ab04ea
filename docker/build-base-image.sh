#!/usr/bin/env bash
# Builds the lab's base image without any image registry: debootstrap a
# minimal Debian bookworm with python3 and venv into a folder, then
# `docker import` it. The result plays the part of python:3.11-slim
# (bookworm's python3 is 3.11, so the host's cp311 wheels install in it).
#
#   docker/build-base-image.sh [IMAGE_TAG]     (default kubelite-base:bookworm)
set -euo pipefail
tag="${1:-kubelite-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

rootfs="$(mktemp -d /var/tmp/kubelite-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm into $rootfs (about a minute)"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
# Keep the image small: no apt lists, no docs.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/var/cache/apt/*.bin
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  - "$tag" >/dev/null
echo "built base image $tag"
