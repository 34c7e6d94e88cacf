"""The console script `app-cli`: it starts here, before anything heavy is imported.

Loading the CLI (Typer, Rich, the app's modules) takes a few tenths of a second; Ctrl-C
in that time would otherwise end in a traceback of whichever import it interrupted.
Importing only `sys` here keeps that window as small as Python's own start-up.
"""

import sys

INTERRUPTED = 130  # cli.errors.ExitCode.INTERRUPTED, which is not loaded yet here
REDELIVERY_DELAY = 0.01  # seconds: ample for the hook to return, too short to notice


def deliver_lost_interrupts(unraisable: "sys.UnraisableHookArgs") -> None:
    """Deliver again a Ctrl-C that C code swallowed; report anything else as Python does.

    A KeyboardInterrupt raised in a callback from an extension (pydantic-core compiling
    a pattern while the app's schemas load, say) cannot propagate: Python prints it as
    "Exception ignored in…" with a traceback, and the command would go on as if never
    interrupted. This hook runs inside that same C call, so an interrupt raised here is
    swallowed too; a timer thread sends SIGINT to the main thread a moment later, once
    the hook has returned (a real signal, which also wakes a main thread that sleeps).
    """
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        import signal
        import threading

        main_thread = threading.main_thread().ident
        later = threading.Timer(REDELIVERY_DELAY, signal.pthread_kill, (main_thread, signal.SIGINT))
        later.daemon = True
        later.start()
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    """Load and run app-cli; Ctrl-C at any moment ends it with one line and exit 130.

    Commands report their own interrupts ("nothing was changed"); this covers the
    moments around them: loading the modules, building the command tree, printing.
    """
    sys.unraisablehook = deliver_lost_interrupts
    try:
        from cli.main import run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(INTERRUPTED)
