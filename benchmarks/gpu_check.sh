#!/bin/bash
# The checks a machine with a CUDA GPU runs for robustgan (issue 16), in one go, logs in $OUT:
# the CUDA graph tests, the whole suite with device="auto" on the GPU, and bench_device with
# and without graphs. Run from the repository root with robustgan importable, e.g.
#   OUT=/tmp/gpu PYTHONPATH=$PWD bash benchmarks/gpu_check.sh
# If tests/test_step_graphs.py passes and the bench's graph rows agree with the step-by-step
# ones, robustgan._step_graphs.BY_DEFAULT can be turned on.
OUT=$(realpath -m "${OUT:-gpu_check}")
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
JOBS=${JOBS:-$(( $(nproc) - 1 ))}
nvidia-smi -L
python3 -c "import torch, numpy, scipy, sklearn; print(torch.__version__, torch.cuda.is_available(), numpy.__version__, scipy.__version__, sklearn.__version__)"
echo "== CUDA graph tests $(date +%T)"
timeout 150 python3 -m pytest -q -p no:cacheprovider --tb=short tests/test_step_graphs.py \
    > "$OUT/graphs.log" 2>&1
echo "rc $?"; tail -30 "$OUT/graphs.log"
echo "== the suite on $JOBS workers $(date +%T)"
timeout 290 python3 -m pytest -q -p no:cacheprovider -n "$JOBS" --tb=short -rfE \
    > "$OUT/suite.log" 2>&1
echo "rc $?"; grep -E "^(FAILED|ERROR)|passed|failed" "$OUT/suite.log" | tail -40
echo "== bench_device $(date +%T)"
(cd benchmarks && timeout 170 python3 bench_device.py --sizes 100x5,50000x100 --repeats 1 \
    --games --out "$OUT/bench_device.json") > "$OUT/bench.log" 2>&1
echo "rc $?"; tail -25 "$OUT/bench.log"
date +%T
