"""The `hotline` command: Django's management commands under friendlier names.

hotline serve [--host H --port P]    serve the product
hotline demo [--tickets N]           the demo province, its people and N synthetic tickets
hotline check-chain                  verify the hash chain of every ticket's history
hotline import-tickets FILE          import historical tickets (CSV/Excel; --dry-run, --map col=field)
hotline import-cdr --platform P --format asterisk|freeswitch FILE
                                     import a call platform's CDR file (--dry-run, --skip-bad-lines)
hotline check-security               print every security setting; exit 1 on a weak one
hotline rotate-data-key [--new-key ID] re-encrypt citizens' data under the current key (resumable)
hotline backup --out FILE            the whole database, encrypted, with a manifest beside it
hotline restore --in FILE [--force]  restore a backup into an empty database, verified
hotline <any manage.py command>      migrate, createsuperuser, shell …
"""

import os
import sys

ALIASES = {
    "check-chain": "check_chain",
    "import-tickets": "import_tickets",
    "import-cdr": "import_cdr",
    "check-security": "check_security",
    "rotate-data-key": "rotate_data_key",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["hotline", *args])


if __name__ == "__main__":
    main()
