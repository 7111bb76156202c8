"""``python -m symback``: the command line."""

from .cli.main import main_exit

main_exit()
