"""Configuration read from files and the command line: project settings and YAML loading
(``loading``), portal profiles (``profiles``) and the spider's typed arguments
(``spider_args``). Each reports a bad value in one line naming the file, the key and the fix."""
