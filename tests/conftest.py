"""Shared by every test folder: the helpers beside this file (cli_helpers) can be imported from any of them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
