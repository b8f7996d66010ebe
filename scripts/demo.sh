#!/usr/bin/env bash
# `make demo`: the main job on the embedded default (SQLite in ./demo-workdir), end to end.
# A commune and its CCAS, the sample register, a generated share and database scanned and
# held against the register, citizens' forms, a request, and the DPO's annual report.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
RGPD="$ROOT/.venv/bin/rgpd"
W="$ROOT/demo-workdir"
rm -rf "$W" && mkdir -p "$W" && cd "$W"
export RGPD_ACTOR="demo-dpo"
unset RGPD_DATABASE_URL RGPD_ORG || true
step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
has() { "$RGPD" "$@" --help >/dev/null 2>&1; }

step "1. Initialisation (rgpd.toml, clé 0600, base SQLite)"
"$RGPD" init
"$RGPD" org add mairie --name "Ville de Saint-Exemple" --kind commune --siren 213100555 \
  --dpo-name "Camille Martin (DPO mutualisé)" --dpo-email dpo@example.org --cnil-dpo-number DPO-12345
"$RGPD" org add ccas --name "CCAS de Saint-Exemple" --kind ccas --dpo-email dpo@example.org
"$RGPD" org list

step "2. Registre des activités de traitement (Art. 30) — import du registre d'exemple"
SAMPLES="$("$PY" -c 'import rgpd.registry, pathlib; print(pathlib.Path(rgpd.registry.__file__).parent / "samples")')"
for f in "$SAMPLES"/*.yaml; do
  org="$(basename "$f" .yaml)"; case "$org" in commune|mairie) org=mairie;; ccas) org=ccas;; esac
  "$RGPD" --org "$org" registry import "$f"
done
"$RGPD" --org mairie registry list
step "3. Contrôle du registre (lint, avec les articles)"
"$RGPD" --org mairie registry lint || echo "(code 1 : des erreurs restent à corriger — c'est voulu dans l'exemple)"
"$RGPD" --org mairie registry export --format xlsx --out reports/registre-cnil.xlsx
"$RGPD" --org mairie registry export --format public-json --out reports/registre-public.json
"$RGPD" --org mairie breach list
"$RGPD" audit verify

if has scan files; then
  step "4. Découverte sur un partage de fichiers généré"
  "$PY" -c 'from pathlib import Path; from rgpd.scan.samples import write_sample_share as w; w(Path("partage"), n_files=60, seed=1)' >/dev/null
  "$RGPD" --org mairie scan files partage --workers 2 || true
  echo "-- second passage (incrémental) :"
  "$RGPD" --org mairie scan files partage --workers 2 || true
fi

if has scan db; then
  step "5. Découverte dans une base de données (portail famille, SQLite d'exemple)"
  "$PY" -c 'from rgpd.scan.sample_db import seed_commune_db as s; s("sqlite:///portail_famille.db", families=300, seed=1)' >/dev/null
  cat >> rgpd.toml <<TOML

[connections.portail_famille]
url = "sqlite:///$W/portail_famille.db"
TOML
  "$RGPD" --org mairie scan db portail_famille || true
fi
if has reconcile; then
  step "6. Confrontation des découvertes au registre"
  "$RGPD" --org mairie reconcile || true
fi

if has forms build; then
  step "7. Formulaires « Exercer mes droits » (statiques, accessibles RGAA)"
  "$RGPD" --org mairie forms build --out formulaires
  echo "Ouvrir : formulaires/fr/index.html — ou les servir : $RGPD --org mairie serve --forms $W/formulaires  (http://127.0.0.1:8080/o/mairie/)"
fi
if has requests new; then
  step "8. Une demande reçue au guichet, et son délai légal (Art. 12(3))"
  "$RGPD" --org mairie requests new --type access --channel counter --received 2026-11-02 \
     --first-name Jeanne --last-name Exemple --email jeanne.exemple@example.org || true
  "$RGPD" --org mairie requests list || true
fi

if has report annual; then
  step "9. Bilan annuel du DPO"
  "$RGPD" --org mairie report annual
fi
printf '\nDémo terminée. Dossier de travail : %s\n' "$W"
