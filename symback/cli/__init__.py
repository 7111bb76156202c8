"""The command line: argument parsing only; every command calls the library and prints its one line on error."""
