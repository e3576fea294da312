#!/usr/bin/env bash
# Builds the Pulumi engine the end-to-end tests run, from Go modules, into a cache keyed by what
# goes into it, and points engine/.bin at the result:
#
#   pulumi                          the CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
#   pulumi-language-nodejs          the Node.js language host (engine/language-nodejs: ours, since
#                                   the upstream host is not served by the Go module proxy)
#   pulumi-resource-pulumi-nodejs   the dynamic-provider plugin (engine/shims: a script)
#   pulumi-resource-kubernetes      the Kubernetes provider (engine/kubernetes wraps its module)
#
# Usage: bash engine/build.sh            build when the cache lacks it; print the bin directory
#        npm run engine                  the same
# Environment: SHADOWCAST_ENGINE_CACHE   cache root (default ~/.cache/shadowcast/pulumi-engine)
#
# Users do not need this: they install the CLI the usual way (https://www.pulumi.com/docs/iac/download-install/).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${SHADOWCAST_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shadowcast/pulumi-engine}"

# Pinned versions. The CLI's version is the one of pkg/v3 in engine/go.mod; the Kubernetes
# provider's module has no tagged version on the proxy, so its pseudo-version is in
# engine/kubernetes/go.mod and the version it reports is set here (the SDK's in package.json).
pulumi_version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2 }' "$here/go.mod")"
k8s_module="github.com/pulumi/pulumi-kubernetes/provider/v4"
k8s_pseudo="$(awk -v m="$k8s_module" '$1 == m || ($1 == "require" && $2 == m) { print $NF }' "$here/kubernetes/go.mod")"
k8s_version="4.34.2"
if [ -z "$pulumi_version" ] || [ -z "$k8s_pseudo" ]; then
  echo "engine/build.sh: cannot read the pinned versions from engine/go.mod and engine/kubernetes/go.mod" >&2
  exit 2
fi

# The key: the versions and every source that goes into the build (go.mod, go.sum, Go files, shims).
sources="$(cd "$here" && find . -path ./.bin -prune -o -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -path './shims/*' -o -name build.sh \) -print | LC_ALL=C sort)"
digest="$(cd "$here" && { echo "$pulumi_version $k8s_pseudo $k8s_version $(go env GOVERSION)"; echo "$sources" | xargs sha256sum; } | sha256sum | cut -c1-12)"
key="pulumi-${pulumi_version}-k8s-${k8s_version}-${digest}"
bin="$cache/$key/bin"

if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] && [ -x "$bin/pulumi-resource-kubernetes" ]; then
  echo "engine: cached at $bin" >&2
else
  start=$SECONDS
  work="$cache/$key.partial"
  rm -rf "$work"
  mkdir -p "$work/bin"
  echo "engine: building pulumi $pulumi_version, its Node.js language host and the Kubernetes provider ($k8s_version) into $bin" >&2

  (cd "$here" && go build -buildvcs=false -trimpath -o "$work/bin/" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./language-nodejs)
  mv "$work/bin/language-nodejs" "$work/bin/pulumi-language-nodejs"
  echo "engine: CLI and language host built ($((SECONDS - start)) s)" >&2

  # The provider embeds its schema (with its version) and Terraform mapping from its module; the
  # wrapper is built from a copy in the work directory, so the source tree gets no generated files.
  k8s_src="$work/kubernetes-src"
  mkdir -p "$k8s_src"
  cp "$here/kubernetes/go.mod" "$here/kubernetes/go.sum" "$here/kubernetes/main.go" "$k8s_src/"
  k8s_dir="$(cd "$k8s_src" && go mod download -json "$k8s_module" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')"
  node -e '
    const fs = require("node:fs");
    const [dir, out, version] = process.argv.slice(1);
    const schema = JSON.parse(fs.readFileSync(dir + "/cmd/pulumi-resource-kubernetes/schema.json", "utf8"));
    schema.version = version;
    fs.writeFileSync(out + "/schema-embed.json", JSON.stringify(schema));
    const mapping = JSON.parse(fs.readFileSync(dir + "/cmd/pulumi-resource-kubernetes/terraform-mapping.json", "utf8"));
    fs.writeFileSync(out + "/terraform-mapping-embed.json", JSON.stringify(mapping));
  ' "$k8s_dir" "$k8s_src" "$k8s_version"
  (cd "$k8s_src" && go build -buildvcs=false -trimpath -o "$work/bin/pulumi-resource-kubernetes" \
    -ldflags "-s -w -X $k8s_module/pkg/version.Version=$k8s_version" .)
  rm -rf "$k8s_src"
  echo "engine: Kubernetes provider built ($((SECONDS - start)) s)" >&2

  install -m 0755 "$here/shims/pulumi-resource-pulumi-nodejs" "$work/bin/"
  rm -rf "$cache/$key"
  mv "$work" "$cache/$key"
  echo "engine: built in $((SECONDS - start)) s" >&2
fi

ln -sfn "$bin" "$here/.bin"
"$bin/pulumi" version >&2
echo "$bin"
