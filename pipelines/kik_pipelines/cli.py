"""``kik serve`` and ``kik deploy``: the sub-commands this package adds to ``kik``.

``kik_core.cli`` finds :func:`serve_main` and :func:`deploy_main` through the
entry-point group ``kik.commands`` and calls them with the arguments after the
sub-command's name. Prefect is
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
    from kik_pipelines.serve import ServeInfo

__all__ = ["deploy_main", "serve_main"]

_NO_PREFECT = "Prefect ist nicht installiert: pip install 'kik-core[pipelines]'"

_EPILOG = """\
Ohne PREFECT_API_URL startet kik serve einen lokalen Prefect-Server
(127.0.0.1) und beendet ihn wieder. Seine Daten liegen in PREFECT_HOME,
sonst [zeitplan] prefect_home, sonst ~/.local/share/kik/prefect, nie im
Kommunen-Ordner. Ein mit --port genannter Port wird genommen oder mit einer
Fehlermeldung abgelehnt, nie ersetzt.

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
        help=(
            "Port des lokalen Prefect-Servers; ist er belegt, bricht kik serve ab "
            "(ohne --port: 4200 oder ein freier)"
        ),
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
    from kik_core._locale import format_datetime  # noqa: PLC0415

    where = (
        f"lokal gestartet, PREFECT_HOME={info.prefect_home}"
        if info.started_server
        else "über PREFECT_API_URL"
    )
    print(f"Prefect-Server: {info.ui_url}  ({where})")
    print(f"Prefect-API:    {info.api_url}")
    for note in info.notes:
        print(f"Hinweis: {note}")
    print("Deployments:")
    for d in info.deployments:
        when = f"{format_datetime(d.next_run)} Uhr {d.next_run:%Z}"
        print(f"  {d.full_name}  ({d.municipality}, {d.folder})")
        print(f'    Zeitplan: "{d.cron}" {d.timezone}')
        print(f"    nächster Lauf: {when}")
    print("Beenden mit Strg+C", flush=True)


def serve_main(argv: Sequence[str] | None = None) -> int:
    """Run ``kik serve DIR [DIR ...] [--port N]``; returns the exit code."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if importlib.util.find_spec("prefect") is None:
        print(_NO_PREFECT, file=sys.stderr)
        return 1
    try:
        from kik_core.errors import KikError  # noqa: PLC0415
        from kik_pipelines.serve import serve  # noqa: PLC0415 - Prefect only when serving
    except ImportError as exc:
        if (exc.name or "").split(".")[0] in {"prefect", "prefect_dask"}:
            print(_NO_PREFECT, file=sys.stderr)
            return 1
        raise
    for folder in args.folders:
        if not folder.is_dir():
            print(f"Fehler: {folder} ist kein Ordner", file=sys.stderr)
            return 1
    kwargs = {} if args.limit is None else {"limit": args.limit}
    try:
        serve(args.folders, port=args.port, on_ready=_print_info, **kwargs)
    except KeyboardInterrupt:
        pass
    except (KikError, ValueError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    print("kik serve beendet", flush=True)
    return 0


def _deploy_parser() -> argparse.ArgumentParser:
    from kik_core._argparse_de import ArgumentParser  # noqa: PLC0415 - German help and errors

    parser = ArgumentParser(
        prog="kik deploy",
        description=(
            "Die Quartals-Deployments bei einem Prefect-Server anmelden. Ausgeführt werden\n"
            "sie von einem Worker des Work-Pools (aus dem installierten Paket, ohne Quellcode)."
        ),
        epilog=(
            "Braucht PREFECT_API_URL (die Adresse des Prefect-Servers).\n"
            "Zeitplan aus [zeitplan] in kik.toml, Tags kik und kommune:<Ordner>.\n\n"
            "Beispiel:\n"
            "  kik deploy /srv/kik/kempten /srv/kik/passau --pool kik\n"
            "  prefect worker start --pool kik"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "folders", metavar="ORDNER", nargs="+", type=Path, help="ein oder mehrere Kommunen-Ordner"
    )
    parser.add_argument(
        "--pool",
        default="kik",
        metavar="NAME",
        help="Work-Pool (wird als process-Pool angelegt, falls es ihn nicht gibt; Standard kik)",
    )
    return parser


def deploy_main(argv: Sequence[str] | None = None) -> int:
    """Run ``kik deploy DIR [DIR ...] [--pool NAME]``; returns the exit code."""
    args = _deploy_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if importlib.util.find_spec("prefect") is None:
        print(_NO_PREFECT, file=sys.stderr)
        return 1
    from prefect.settings import PREFECT_API_URL  # noqa: PLC0415

    from kik_core.errors import KikError  # noqa: PLC0415
    from kik_pipelines.serve import deploy  # noqa: PLC0415 - Prefect only when deploying

    if not PREFECT_API_URL.value():
        print(
            "Fehler: PREFECT_API_URL ist nicht gesetzt; kik deploy braucht einen laufenden "
            "Prefect-Server, z. B. export PREFECT_API_URL=http://prefect.example:4200/api",
            file=sys.stderr,
        )
        return 1
    try:
        planned = deploy(args.folders, args.pool)
    except KikError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    print(f"Work-Pool: {args.pool}")
    for d in planned:
        print(f"  {d.full_name}  ({d.municipality}, {d.folder})")
        print(f'    Zeitplan: "{d.cron}" {d.timezone}')
    print(f"Worker starten mit: prefect worker start --pool {args.pool}", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(serve_main())
