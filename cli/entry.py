"""The console script `app-cli`: it starts here, before anything heavy is imported.

Loading the CLI (Typer, Rich, the app's modules) takes a few tenths of a second; Ctrl-C
in that time would otherwise end in a traceback of whichever import it interrupted.
"""

import sys

INTERRUPTED = 130  # cli.errors.ExitCode.INTERRUPTED, which is not loaded yet here


def main() -> None:
    """Load and run app-cli; Ctrl-C while it loads ends it quietly, as it does later."""
    try:
        from cli.main import run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(INTERRUPTED)
    run()
