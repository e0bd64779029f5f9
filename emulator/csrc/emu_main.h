/* The emulator's entry point, shared by the notify-emulator executable and
 * the Python module govuk_notify_emulator._emulator. */
#ifndef EMU_MAIN_H
#define EMU_MAIN_H

/* Parses argv (see --help), loads the configuration, starts the server,
 * prints the startup lines of docs/design.md §4 to stdout and serves until
 * SIGINT or SIGTERM (its own sigaction handlers, restored on return).
 * Returns 0 on a clean stop, 2 on bad arguments or configuration, 1 when
 * the server cannot start. */
int emu_main(int argc, char **argv);

#endif
