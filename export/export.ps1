# Thin wrapper: ./export/export.ps1 --input HF_DIR --output ONNX_DIR [--precision fp16|fp32] [--force]
$ErrorActionPreference = 'Stop'
dotnet run --project (Join-Path $PSScriptRoot 'OnnxLlm.Cli') -c Release -- export @args
exit $LASTEXITCODE
