"""``kik serve``: the sub-command this package adds to the ``kik`` command line.

``kik_core.cli`` finds :func:`serve_main` through the entry-point group
``kik.commands`` and calls it with the arguments after ``serve``. Prefect is
imported only once the arguments are parsed, so ``kik serve --help`` works and a
missing Prefect gives a clear message instead of a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.serve import ServeInfo

__all__ = ["serve_main"]

_NO_PREFECT = "Prefect ist nicht installiert: pip install 'kik-core[pipelines]'"

_EPILOG = """\
Ohne PREFECT_API_URL startet kik serve einen lokalen Prefect-Server
(127.0.0.1, Daten in ORDNER/.prefect bzw. PREFECT_HOME) und beendet ihn wieder.

Zeitplan: [zeitplan] in kik.toml, Standard "0 6 1 1,4,7,10 *" Europe/Berlin
(06:00 Uhr am 1. Januar, April, Juli und Oktober).

Beenden mit Strg+C oder SIGTERM: die Zeitpläne bleiben aktiv.

Exit-Codes: 0 sauber beendet, 1 Fehler, 2 falscher Aufruf.

Beispiel:
  kik serve kempten passau --port 4200
"""


def _parser() -> argparse.ArgumentParser:
    from kik_core._argparse_de import ArgumentParser  # noqa: PLC0415 - German help and errors

    parser = ArgumentParser(
        prog="kik serve",
        description=(
            "Quartalsbericht nach Zeitplan: ein Prefect-Deployment pro Kommunen-Ordner, "
            "bedient bis zum Abbruch."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "folders",
        metavar="ORDNER",
        nargs="+",
        type=Path,
        help="ein oder mehrere Kommunen-Ordner (kik init)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="N",
        help="Port des lokalen Prefect-Servers (Standard 4200 oder ein freier)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="höchstens N Läufe gleichzeitig (Standard 4)",
    )
    return parser


def _print_info(info: ServeInfo) -> None:
    where = (
        f"lokal gestartet / started locally, PREFECT_HOME={info.prefect_home}"
        if info.started_server
        else "PREFECT_API_URL"
    )
    print(f"Prefect-Server / server: {info.ui_url}  ({where})")
    print(f"Prefect-API / API:       {info.api_url}")
    print("Deployments:")
    for d in info.deployments:
        when = d.next_run.strftime("%Y-%m-%d %H:%M %Z")
        print(f"  {d.full_name}  ({d.municipality}, {d.folder})")
        print(f'    Zeitplan / schedule: "{d.cron}" {d.timezone}')
        print(f"    nächster Lauf / next run: {when}")
    print("Beenden mit Strg+C / stop with Ctrl+C", flush=True)


def serve_main(argv: Sequence[str] | None = None) -> int:
    """Run ``kik serve DIR [DIR ...] [--port N]``; returns the exit code."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if importlib.util.find_spec("prefect") is None:
        print(_NO_PREFECT, file=sys.stderr)
        return 1
    try:
        from kik_core.errors import KikError  # noqa: PLC0415
        from pipelines.serve import serve  # noqa: PLC0415 - Prefect only when serving
    except ImportError as exc:
        if (exc.name or "").split(".")[0] in {"prefect", "prefect_dask"}:
            print(_NO_PREFECT, file=sys.stderr)
            return 1
        raise
    for folder in args.folders:
        if not folder.is_dir():
            print(f"Fehler: {folder} ist kein Ordner / not a folder", file=sys.stderr)
            return 1
    kwargs = {} if args.limit is None else {"limit": args.limit}
    try:
        serve(args.folders, port=args.port, on_ready=_print_info, **kwargs)
    except KeyboardInterrupt:
        pass
    except (KikError, ValueError) as exc:
        print(f"Fehler / error: {exc}", file=sys.stderr)
        return 1
    print("kik serve beendet / stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(serve_main())
