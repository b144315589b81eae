import sys
from pathlib import Path

# pytest collects doctests from srlib/ too; running srlib/__main__.py would start the CLI.
collect_ignore = ["srlib/__main__.py"]

# the development tools (tools/book.py) are not part of the installed package: tests import them from the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))
