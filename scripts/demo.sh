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

if has scan db; then
  step "4. Découverte dans une base de données (portail famille, SQLite d'exemple)"
  "$PY" -c 'from rgpd.demo.sample_db import seed_commune_db as s; s("sqlite:///portail_famille.db", families=300, seed=1)' >/dev/null
  cat >> rgpd.toml <<TOML

[connections.portail_famille]
url = "sqlite:///$W/portail_famille.db"
TOML
  "$RGPD" --org mairie scan db portail_famille || true
fi

if has scan files; then
  step "5. Découverte sur un partage de fichiers généré (tous formats, dont fichiers piégés)"
  "$PY" -c 'from pathlib import Path; from rgpd.demo.samples import write_sample_share as w; w(Path("partage"), n_files=60, seed=1, hostile=True)' >/dev/null
  if [ -f portail_famille.db ]; then
    # a letter from the first family of the demo database, so that step 9 finds it in the files
    "$PY" - <<'PYEOF'
from pathlib import Path
from sqlalchemy import create_engine, text
with create_engine("sqlite:///portail_famille.db").connect() as c:
    r = c.execute(text("SELECT courriel, nom, prenom, telephone FROM familles ORDER BY numero_famille LIMIT 1")).one()
d = Path("partage/enfance"); d.mkdir(parents=True, exist_ok=True)
(d / "courrier-inscription-cantine.txt").write_text(
    f"Madame, Monsieur,\n\nJe soussigné(e) {r[2]} {r[1].upper()}, joignable au {r[3]} ou à {r[0]},\n"
    "demande l'inscription de mes enfants à la restauration scolaire.\n\nCordialement.\n", encoding="utf-8")
PYEOF
  fi
  "$RGPD" --org mairie scan files partage --workers 2 || echo "(code $? : fichiers illisibles signalés — c'est voulu dans l'exemple)"
  echo "-- second passage (incrémental : rien n'est relu) :"
  "$RGPD" --org mairie scan files partage --workers 2 || true
fi

if has reconcile; then
  step "6. Confrontation des découvertes au registre"
  "$RGPD" --org mairie reconcile || true
fi

if has forms build; then
  step "7. Formulaires « Exercer mes droits » (statiques, accessibles RGAA)"
  "$RGPD" --org mairie forms build --out formulaires
  echo "Pages : formulaires/mairie/index.html — à servir avec : $RGPD --org mairie serve --base-url http://127.0.0.1:8080 --forms $W/formulaires  (http://127.0.0.1:8080/o/mairie/)"
fi
if has requests new; then
  step "8. Une demande d'accès reçue au guichet, et son délai légal (Art. 12(3))"
  # a family of the demo database (synthetic), so that discovery has something to find
  read -r EMAIL NOM PRENOM NUMERO < <("$PY" - <<'PYEOF'
from sqlalchemy import create_engine, text
e = create_engine("sqlite:///portail_famille.db")
with e.connect() as c:
    r = c.execute(text("SELECT courriel, nom, prenom, numero_famille FROM familles ORDER BY numero_famille LIMIT 1")).one()
print(r[0], r[1].replace(" ", "_"), r[2].replace(" ", "_"), r[3])
PYEOF
)
  REF="$("$RGPD" --org mairie requests new --right access --activity restauration-scolaire \
     --first-name "${PRENOM//_/ }" --last-name "${NOM//_/ }" --email "$EMAIL" --id numero_famille="$NUMERO" \
     --channel counter --received "$(date +%Y-%m-%d)" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["reference"])')"
  echo "Demande enregistrée : $REF"
  "$RGPD" --org mairie requests verify "$REF" --method counter
  "$RGPD" --org mairie requests list
  if has requests discover; then
    step "9. Retrouver les données de la personne partout (bases déclarées + index des fichiers)"
    "$RGPD" --org mairie requests discover "$REF" || true
    step "10. Dossier d'accès (Art. 15) : rapport, JSON/CSV, extraits ; revue du DPO puis remise chiffrée"
    "$RGPD" --org mairie requests fulfil "$REF" --out acces || true
    "$RGPD" --org mairie requests review "$REF" --approve || true
    "$RGPD" --org mairie requests fulfil "$REF" --deliver zip --out acces || true
  fi
fi

if has dpia start; then
  step "AIPD (Art. 35) : ouverte depuis le registre, exportée pour l'outil PIA de la CNIL, mise en page"
  "$RGPD" --org mairie dpia start videoprotection
  "$RGPD" --org mairie dpia list
  "$RGPD" --org mairie dpia export videoprotection --out reports/aipd-videoprotection.pia.json
  "$RGPD" --org mairie dpia render videoprotection
fi
if has actions from-report; then
  step "10b. Plan d'action (Art. 24, Art. 5(2)) : les actions du rapport de conformité, un responsable, une échéance"
  "$RGPD" --org mairie actions from-report
  "$RGPD" --org mairie actions assign A-0001 --owner "Chloé Martin" --email chloe.martin@example.org \
    --service "État civil" --due "$(date -d '+10 days' +%F 2>/dev/null || date -v+10d +%F)" || true
  "$RGPD" --org mairie actions list
  "$RGPD" --org mairie actions remind --dry-run
fi
if has maturity answer; then
  step "10c. Logiciels et supports ; indice de maturité déclaré (deux années)"
  "$RGPD" --org mairie software list
  "$PY" - <<'PY'
import yaml
from rgpd.registry.maturity import QUESTIONS
for year, shift in ((2025, 0), (2026, 1)):
    answers = {q.key: min(3, (i + shift) % 4) for i, q in enumerate(QUESTIONS)}
    with open(f"maturite-{year}.yaml", "w", encoding="utf-8") as f:
        yaml.safe_dump({"year": year, "answers": answers}, f)
PY
  "$RGPD" --org mairie maturity answer --from maturite-2025.yaml
  "$RGPD" --org mairie maturity answer --from maturite-2026.yaml
  "$RGPD" --org mairie maturity trend
fi

if has report annual; then
  step "11. Bilan annuel du DPO"
  "$RGPD" --org mairie report annual
fi
printf '\nDémo terminée. Dossier de travail : %s\n' "$W"
