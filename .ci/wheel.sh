#!/usr/bin/env bash
# Build sdist and wheel, install the wheel into a fresh virtual environment outside the
# checkout, and produce a report from there: the distribution itself is a tested product.
# Usage: .ci/wheel.sh [DIST_DIR]   (builds into a temp dir when DIST_DIR is not given)
set -euo pipefail
# the installed wheel alone: never the checkout's sources through PYTHONPATH
unset PYTHONPATH
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/kik-wheel-XXXXXX)"
dist="${1:-$work/dist}"
py="${PYTHON:-python3}"

if ! ls "$dist"/kik_core-*.whl >/dev/null 2>&1; then
  echo "== building sdist and wheel into $dist"
  "$py" -m venv "$work/build-env"
  "$work/build-env/bin/pip" install --quiet build
  "$work/build-env/bin/python" -m build --outdir "$dist" "$repo" >/dev/null
fi
wheel="$(ls "$dist"/kik_core-*.whl | head -1)"
echo "== wheel: $wheel"
"$py" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for name in names:
    print("   ", name)
needed = ["kik_core/py.typed", "kik_core/report/default_template.docx",
          "kik_core/store/migrations/env.py", "kik_pipelines/flows.py"]
missing = [n for n in needed if n not in names]
if missing:
    sys.exit(f"wheel lacks {missing}")
generic = sorted({n.split("/")[0] for n in names if n.startswith(("pipelines/", "tests/"))})
if generic:
    sys.exit(f"wheel ships generic top-level packages {generic}")
if not any(n.startswith("kik_core/store/migrations/versions/") for n in names):
    sys.exit("wheel lacks the Alembic migration versions")
PY

echo "== installing the wheel (no extras) into a clean environment away from the checkout"
"$py" -m venv "$work/env"
"$work/env/bin/pip" install --quiet "$wheel"
cd "$work"
"$work/env/bin/kik" --version
"$work/env/bin/kik" init "$work/stadt" --kommune "Musterstadt"
cp "$repo/examples/musterstadt/konzept.xlsx" "$work/stadt/konzept.xlsx"
cp "$repo"/examples/musterstadt/eingang/* "$work/stadt/eingang/"
"$work/env/bin/kik" run "$work/stadt"
ls "$work"/stadt/berichte/*.docx
"$work/env/bin/kik" serve --help >/dev/null
if "$work/env/bin/kik" serve "$work/stadt" 2>"$work/serve.err"; then
  echo "kik serve without the pipelines extra should fail"; exit 1
fi
grep -q "Prefect ist nicht installiert" "$work/serve.err" || { cat "$work/serve.err"; exit 1; }

echo "== each extra adds what its name promises"
"$work/env/bin/pip" install --quiet "${wheel}[pipelines,dask,postgres,docs]"
"$work/env/bin/kik" serve --help >/dev/null
"$work/env/bin/kik" deploy --help >/dev/null
"$work/env/bin/python" -c "import prefect, prefect_dask, distributed, psycopg, mkdocs, mkdocstrings; print('extras ok')"
echo "== the flows load from the installed package (module-path entrypoints, as a worker does)"
"$work/env/bin/python" - <<'PY'
from importlib.metadata import entry_points
from prefect.flows import load_flow_from_entrypoint
assert load_flow_from_entrypoint("kik_pipelines.flows.quarterly_report").name == "quarterly-report"
assert load_flow_from_entrypoint("kik_pipelines.flows.state_report").name == "state-report"
commands = {e.name: e.value for e in entry_points(group="kik.commands")}
assert commands == {"serve": "kik_pipelines.cli:serve_main", "deploy": "kik_pipelines.cli:deploy_main"}, commands
try:
    import pipelines  # noqa: F401
except ImportError:
    print("flows ok, no top-level 'pipelines' package")
else:
    raise SystemExit("the wheel installed a top-level 'pipelines' package")
PY
echo "== wheel check passed"
