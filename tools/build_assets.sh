#!/bin/sh
# Rebuild the demo shop's static assets: catalog -> simulated shoppers -> base model.
#   www/assets/catalog.json  (tools/gen_catalog.py, seeded)
#   build/sim/{sequences.txt,attributes.json}  (tools/simulate.py, seeded)
#   www/assets/model.bin     (`localrec pretrain`, the project's own CLI)
# Usage: tools/build_assets.sh   (env: LOCALREC=path/to/localrec binary; default: cargo run --release)
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SIM=build/sim
mkdir -p "$SIM" www/assets
$PY tools/gen_catalog.py --seed 7 --out www/assets/catalog.json
$PY tools/simulate.py --catalog www/assets/catalog.json --seed 11 --shoppers 2500 \
    --sequences "$SIM/sequences.txt" --attributes "$SIM/attributes.json"
if [ -n "${LOCALREC:-}" ]; then
    "$LOCALREC" pretrain --sequences "$SIM/sequences.txt" --attributes "$SIM/attributes.json" --out www/assets/model.bin
else
    cargo run --quiet --release --bin localrec -- pretrain \
        --sequences "$SIM/sequences.txt" --attributes "$SIM/attributes.json" --out www/assets/model.bin
fi
ls -l www/assets/catalog.json www/assets/model.bin
