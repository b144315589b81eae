# pytest collects doctests from srlib/ too; running srlib/__main__.py would start the CLI.
collect_ignore = ["srlib/__main__.py"]
