/* The standalone notify-emulator executable. */
#include "emu_main.h"

int main(int argc, char **argv)
{
    return emu_main(argc, argv);
}
