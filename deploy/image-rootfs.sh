#!/bin/sh
# Gathers the files of chainprice's final image (deploy/Containerfile, stage "rootfs"), run in the
# Node.js 24 base image of the image's platform (under emulation for another one):
#   image-rootfs.sh ROOT APP
# Into ROOT: node and every shared library it and zeromq's addon link (as ldd lists them, at the
# same paths), /etc/passwd and /etc/group with the user chainprice (uid and gid 10001), an
# /etc/nsswitch.conf (files, then DNS) and /tmp (1777). In APP, the installed package: zeromq's prebuilt addons reduced to the one
# this platform loads, its manifest listing that one alone (the loader tries every listed build
# and warns about each that fails), then loaded again to prove it.
set -eu

root=${1:?usage: image-rootfs.sh ROOT APP}
app=${2:?usage: image-rootfs.sh ROOT APP}
node=$(command -v node)
build="$app/node_modules/zeromq/build"

# The addon the loader picks here: the addon.node mapped into a process that loaded zeromq (the
# loader's warnings about the builds it could not load go to the build's log).
addon=$(cd "$app" && node -e '
  require("zeromq");
  const m = /\s(\/\S+\/addon\.node)$/m.exec(require("node:fs").readFileSync("/proc/self/maps", "utf8"));
  if (!m) throw new Error("zeromq loaded no addon.node");
  console.log(m[1]);
')
node -e '
  const fs = require("node:fs"), path = require("node:path");
  const [dir, addon] = process.argv.slice(1);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  const kept = Object.entries(manifest).filter(([, file]) => path.resolve(dir, file) === addon);
  if (kept.length !== 1) throw new Error(`${addon} is listed ${kept.length} times in the manifest`);
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(Object.fromEntries(kept)));
' "$build" "$addon"
find "$build" -type f ! -path "$addon" ! -name manifest.json -delete
find "$build" -depth -type d -empty -delete
# zeromq's C++ sources and build scripts are not needed to run it.
rm -rf "$app/node_modules/zeromq/src" "$app/node_modules/zeromq/script" \
  "$app/node_modules/zeromq/CMakeLists.txt" "$app/node_modules/zeromq/vcpkg.json"
warnings=$(cd "$app" && node -e 'require("zeromq")' 2>&1)
if [ -n "$warnings" ]; then
  echo "image-rootfs: zeromq does not load cleanly after the pruning: $warnings" >&2
  exit 1
fi
echo "image-rootfs: zeromq's addon for $(node -p 'process.platform + "/" + process.arch'): ${addon#"$app/"}"

mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp"
cp "$node" "$root/usr/local/bin/node"
# Each library at the path ldd names (the program interpreter's path is written in node itself).
for file in "$node" "$addon"; do
  ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 != "=>" { print $1 }'
done | sort -u | while read -r lib; do
  cp -L --parents "$lib" "$root"
  echo "image-rootfs: $lib"
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
chainprice:x:10001:10001:chainprice:/data:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
chainprice:x:10001:
EOF
cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
chmod 1777 "$root/tmp"
# Fixed times on all of it, so the layer holding it is the same in every build on the same base.
find "$root" -exec touch -h -d @0 {} +
