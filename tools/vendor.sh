#!/bin/sh
# Refresh the vendored front-end packages from the npm registry (pinned versions), with their
# licences. The results are committed: the appliance never fetches anything at run time.
set -eu
cd "$(dirname "$0")/.."
PDFJS=4.10.38
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "pdfjs-dist@$PDFJS" >/dev/null && tar xzf "pdfjs-dist-$PDFJS.tgz")
dest=webui/static/vendor/pdfjs
rm -rf "$dest" && mkdir -p "$dest/cmaps"
cp "$tmp/package/legacy/build/pdf.min.mjs" "$tmp/package/legacy/build/pdf.worker.min.mjs" "$tmp/package/LICENSE" "$dest/"
cp "$tmp/package/cmaps/"*.bcmap "$tmp/package/cmaps/LICENSE" "$dest/cmaps/"
echo "pdfjs-dist $PDFJS (legacy build, from the npm registry)" > "$dest/VERSION"
