#!/usr/bin/env bash
# Builds `seogo --features cuda` on a machine with no CUDA toolkit and no
# GPU. NVIDIA's CUDA 13 toolkit comes from PyPI wheels (nvcc, cicc,
# headers, cudart, cuBLAS, cuRAND, NVRTC) into a venv cached under
# ~/.cache/seogo; the CUDA 12 nvcc wheels carry only ptxas, so 13 it is.
# The GPU driver (libcuda) is no wheel: the link uses a stub with the
# driver API's symbols (as the toolkit's lib/stubs/libcuda.so is), and the
# real driver is loaded at run time on the GPU node.
#   CUDA_COMPUTE_CAP=90        kernels for H100/H200 (100 for B200)
#   SEOGO_PROFILE=release      as scripts/build.sh
#   CARGO_TARGET_DIR           default ~/.cache/seogo/target-cuda, apart
#                              from the CPU build's
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SEOGO_CUDA_VENV:-$HOME/.cache/seogo/cuda13}
WHEELS=(nvidia-cuda-nvcc==13.5.37 nvidia-cuda-crt==13.5.37 nvidia-nvvm==13.5.37
  nvidia-cuda-runtime==13.5.37 nvidia-cuda-nvrtc==13.5.37 nvidia-cuda-cccl==13.3.5.0.6
  nvidia-cublas==13.10.0.20 nvidia-curand==10.4.4.72)
CU=$(ls -d "$VENV"/lib/python3*/site-packages/nvidia/cu13 2>/dev/null || true)
if [ -z "$CU" ] || [ ! -x "$CU/bin/nvcc" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "${WHEELS[@]}"
  CU=$(ls -d "$VENV"/lib/python3*/site-packages/nvidia/cu13)
fi

# What the linker looks for: unversioned names, and the driver stub.
LINK="$VENV/link"
mkdir -p "$LINK"
for lib in cudart cublas cublasLt curand nvrtc; do
  ln -sf "$(ls "$CU"/lib/lib$lib.so.* | head -1)" "$LINK/lib$lib.so"
done
cargo fetch --locked
CUDARC_VERSION=$(grep -A1 '^name = "cudarc"' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
CUDARC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-"$CUDARC_VERSION" | head -1)
if [ ! -f "$LINK/libcuda.so" ] || [ "$CUDARC/src/driver/sys/mod.rs" -nt "$LINK/libcuda.so" ]; then
  grep -oP '^\s*(pub )?(unsafe )?fn \Kcu\w+(?=\()' "$CUDARC/src/driver/sys/mod.rs" | sort -u |
    sed 's/.*/void &(void) {}/' > "$LINK/libcuda-stub.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$LINK/libcuda.so" "$LINK/libcuda-stub.c"
fi

export CUDA_HOME=$CU CUDA_PATH=$CU NVCC=$CU/bin/nvcc PATH="$CU/bin:$PATH"
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
# cudarc 0.19 knows CUDA up to 13.4; the 13.5 compiler builds for it.
export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-13040}
export LIBRARY_PATH="$LINK:$CU/lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR_CUDA:-$HOME/.cache/seogo/target-cuda}
SEOGO_FEATURES=cuda bash scripts/build.sh
profile=debug; [ "${SEOGO_PROFILE:-dev}" = release ] && profile=release
echo "built $CARGO_TARGET_DIR/$profile/seogo with CUDA (compute capability $CUDA_COMPUTE_CAP);" \
  "on the GPU node it needs the driver and CUDA 13 runtime libraries" >&2
