"""argparse in German: the frame of ``kik --help`` and of every usage error.

argparse builds its own texts ("usage:", "options", "the following arguments are
required", ...) through ``gettext``/``ngettext``, which it imports into its module
namespace. :class:`ArgumentParser` swaps those two names for a German catalog
while it builds, parses and formats, and puts them back afterwards, so nothing
outside the ``kik`` command line is affected.

The catalog holds every message of argparse in Python 3.11 to 3.14; a test reads
the running interpreter's ``argparse.py`` and fails if a message is missing.

Example:
    >>> parser = ArgumentParser(prog="kik")
    >>> "Optionen:" in parser.format_help()
    True
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

__all__ = ["CATALOG", "PLURALS", "ArgumentParser", "german", "translate"]

#: argparse's messages (msgid) and their German translations.
CATALOG: dict[str, str] = {
    "usage: ": "Aufruf: ",
    "%(heading)s:": "%(heading)s:",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "optional arguments": "Optionen",
    "subcommands": "Befehle",
    "show this help message and exit": "diese Hilfe anzeigen und beenden",
    "show program's version number and exit": "die Versionsnummer anzeigen und beenden",
    " (default: %(default)s)": " (Standard: %(default)s)",
    "argument %(argument_name)s: %(message)s": "Argument %(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: Warnung: %(message)s\n",
    ".__call__() not defined": ".__call__() ist nicht definiert",
    "conflicting subparser: %s": "doppelter Befehl: %s",
    "conflicting subparser alias: %s": "doppelter Befehlsalias: %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "unbekannter Befehl %(parser_name)r (möglich: %(choices)s)"
    ),
    'argument "-" with mode %r': 'Argument "-" im Modus %r',
    "can't open '%(filename)s': %(error)s": "„%(filename)s“ kann nicht geöffnet werden: %(error)s",
    "cannot merge actions - two groups are named %r": (
        "Aktionen können nicht zusammengeführt werden: zwei Gruppen heißen %r"
    ),
    "'required' is an invalid argument for positionals": (
        "„required“ ist für Argumente ohne Option nicht erlaubt"
    ),
    "invalid option string %(option)r: must start with a character %(prefix_chars)r": (
        "ungültige Option %(option)r: sie muss mit einem dieser Zeichen beginnen: %(prefix_chars)r"
    ),
    "dest= is required for options like %r": "dest= ist nötig für Optionen wie %r",
    "invalid conflict_resolution value: %r": "ungültiger Wert für conflict_resolution: %r",
    "mutually exclusive arguments must be optional": (
        "sich gegenseitig ausschließende Argumente müssen optional sein"
    ),
    "cannot have multiple subparser arguments": "nur eine Gruppe von Befehlen ist möglich",
    "unrecognized arguments: %s": "unbekannte Argumente: %s",
    "not allowed with argument %s": "nicht erlaubt zusammen mit %s",
    "ignored explicit argument %r": "überzähliger Wert %r",
    "the following arguments are required: %s": "diese Angaben fehlen: %s",
    "one of the arguments %s is required": "eines dieser Argumente ist nötig: %s",
    "expected one argument": "erwartet einen Wert",
    "expected at most one argument": "erwartet höchstens einen Wert",
    "expected at least one argument": "erwartet mindestens einen Wert",
    "ambiguous option: %(option)s could match %(matches)s": (
        "mehrdeutige Option: %(option)s kann %(matches)s bedeuten"
    ),
    "unexpected option string: %s": "unerwartete Option: %s",
    "%r is not callable": "%r ist nicht aufrufbar",
    "invalid %(type)s value: %(value)r": "ungültiger Wert %(value)r (erwartet: %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "ungültige Auswahl: %(value)r (möglich: %(choices)s)"
    ),
    "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)": (
        "ungültige Auswahl: %(value)r – meinten Sie %(closest)r? (möglich: %(choices)s)"
    ),
    "option '%(option)s' is deprecated": "die Option „%(option)s“ ist veraltet",
    "command '%(parser_name)s' is deprecated": "der Befehl „%(parser_name)s“ ist veraltet",
    "argument '%(argument_name)s' is deprecated": ("das Argument „%(argument_name)s“ ist veraltet"),
}

#: argparse's plural messages: (singular, plural) -> German (singular, plural).
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): (
        "erwartet %s Wert",
        "erwartet %s Werte",
    ),
    ("conflicting option string: %s", "conflicting option strings: %s"): (
        "doppelte Option: %s",
        "doppelte Optionen: %s",
    ),
}


def translate(message: str) -> str:
    """argparse's ``gettext``: the German text of ``message`` (unknown ones unchanged)."""
    return CATALOG.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if n == 1 else many


@contextlib.contextmanager
def german() -> Iterator[None]:
    """Let argparse speak German inside the ``with`` block."""
    module: Any = argparse
    saved = module._, module.ngettext
    module._, module.ngettext = translate, _ngettext
    try:
        yield
    finally:
        module._, module.ngettext = saved


class ArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose own texts are German.

    Sub-parsers made with :meth:`add_subparsers` are of this class too. Usage
    errors print the usage and ``PROG: Fehler: …`` to stderr and exit with 2.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the parser (its help option and group titles are German)."""
        with german():
            super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """Add an argument (``action="version"`` gets a German help text)."""
        with german():
            return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> argparse._SubParsersAction[ArgumentParser]:  # type: ignore[override]
        """Add sub-commands; their parsers are German too."""
        with german():
            return super().add_subparsers(**kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse, with German error messages."""
        with german():
            return super().parse_known_args(args, namespace)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """Parse, with German error messages."""
        with german():
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        """The usage line, starting with ``Aufruf:``."""
        with german():
            return super().format_usage()

    def format_help(self) -> str:
        """The whole help text, frame included, in German."""
        with german():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        """Print the usage and ``PROG: Fehler: MESSAGE`` to stderr; exit with code 2."""
        self.print_usage(sys.stderr)
        text = translate("%(prog)s: error: %(message)s\n")
        self.exit(2, text % {"prog": self.prog, "message": message})
