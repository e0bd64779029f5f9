def run(argv: list[str]) -> int:
    """Run the Notify emulator until SIGINT/SIGTERM; argv[0] is ignored."""
