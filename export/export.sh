#!/usr/bin/env bash
# Thin wrapper: ./export/export.sh --input HF_DIR --output ONNX_DIR [--precision fp16|fp32] [--force]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec dotnet run --project "$here/OnnxLlm.Cli" -c Release -- export "$@"
