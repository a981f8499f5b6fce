#!/bin/sh
# vendor.sh: refresh the MapLibre GL JS files the one-map page serves.
#
# The page must work on a closed network, so MapLibre is committed under
# web/static/vendor/maplibre-gl/ and embedded into the binary with go:embed.
# To update: change VERSION below, run `sh web/vendor.sh` from the repository
# root (it needs npm and the npm registry once), run
# `go test ./web -run Browser` and commit web/static/vendor/.
#
# MapLibre 6 ships as ES modules: maplibre-gl.mjs loads its worker from
# maplibre-gl-worker.mjs beside it (same origin), so both are kept.
set -eu
VERSION=6.17.0
DEST="$(cd "$(dirname "$0")" && pwd)/static/vendor/maplibre-gl"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "maplibre-gl@$VERSION" >/dev/null && tar xzf "maplibre-gl-$VERSION.tgz")
mkdir -p "$DEST"
for f in maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl.css; do
	# The source maps are not vendored; drop the comment pointing at them so
	# no tool asks onemap for a file it does not have.
	sed '/^\/\/# sourceMappingURL=/d' "$TMP/package/dist/$f" >"$DEST/$f"
done
cp "$TMP/package/LICENSE.txt" "$DEST/LICENSE.txt"
echo "$VERSION" >"$DEST/VERSION"
echo "vendored maplibre-gl $VERSION into $DEST"
