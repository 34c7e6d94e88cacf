"""The console script `app-cli`: it starts here, before anything heavy is imported.

Loading the CLI (Typer, Rich, the app's modules) takes a few tenths of a second; Ctrl-C
in that time would otherwise end in a traceback of whichever import it interrupted.
"""

import signal
import sys

INTERRUPTED = 130  # cli.errors.ExitCode.INTERRUPTED, which is not loaded yet here


def deliver_lost_interrupts(unraisable: "sys.UnraisableHookArgs") -> None:
    """Re-send a Ctrl-C that C code swallowed; report anything else as Python does.

    A KeyboardInterrupt raised in a callback from an extension (pydantic-core compiling
    a pattern while the app's schemas load, say) cannot propagate: Python prints it as
    "Exception ignored in…" with a traceback, and the command would go on as if never
    interrupted. Raising the signal again delivers it where Python can raise it.
    """
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    """Load and run app-cli; Ctrl-C while it loads ends it quietly, as it does later."""
    sys.unraisablehook = deliver_lost_interrupts
    try:
        from cli.main import run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(INTERRUPTED)
    run()
