#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of the sendpath fuzz targets. Uses only what the builder's
# environment names: $CC, $CXX, $CFLAGS, $CXXFLAGS (sanitizer and coverage flags included),
# $LIB_FUZZING_ENGINE, $SRC (the checkout is $SRC/sendpath), $OUT, and $WORK when set.
# Leaves in $OUT: each fuzzer, its seed corpus (<fuzzer>_seed_corpus.zip) and dictionary
# (<fuzzer>.dict), the candidate library the differential fuzzer drives by default
# (libsendpath_sample_nic.so), and in $OUT/lib the shared libraries they need beyond the C and
# C++ runtimes (found at run time through RPATH $ORIGIN/lib).
set -euo pipefail  # also when started as `bash build.sh`
src=$SRC/sendpath
build=${WORK:-$(mktemp -d)}/sendpath-build
targets=(vector_loader pcap_reader send_path differential)

cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS='-Wl,-rpath,$ORIGIN/lib' -DCMAKE_MODULE_LINKER_FLAGS='-Wl,-rpath,$ORIGIN/lib' \
  -DSENDPATH_ONLY="vectors;reports;harness;candidates;fuzz" \
  -DSENDPATH_FUZZ=ON -DSENDPATH_SANITIZE=OFF -DSENDPATH_BENCH=OFF \
  -DSENDPATH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$build" -j "$(nproc)" --target sendpath_sample_nic $(printf 'fuzz_%s ' "${targets[@]}")

mkdir -p "$OUT/lib"
for target in "${targets[@]}"; do
  cp "$build/fuzz/fuzz_$target" "$OUT/"
  cp "$src/fuzz/$target/$target.dict" "$OUT/fuzz_$target.dict"
  rm -f "$OUT/fuzz_${target}_seed_corpus.zip"
  zip -q -j "$OUT/fuzz_${target}_seed_corpus.zip" "$src/fuzz/$target/corpus/"*
done
cp "$build/candidates/libsendpath_sample_nic.so" "$OUT/"

# The runner image has the C and C++ runtimes, not OpenSSL 3 or libpcap: ship them.
for binary in "$OUT"/fuzz_* "$OUT/libsendpath_sample_nic.so"; do
  case "$binary" in *.zip|*.dict|*.options) continue ;; esac
  ldd "$binary" | awk '$3 ~ /^\// {print $3}' | while read -r library; do
    case "$(basename "$library")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libgcc_s.so*|libstdc++.so*) ;;
      *) cp -L -n "$library" "$OUT/lib/" ;;
    esac
  done
done
