/* Template rendering and Python-compatible text helpers. See emu_template.h. */
#include "emu_template.h"
#include "emu_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Unicode tables ----------------------------------------------------
 * Python's str.lower() single-character mappings, re's \w and \d, and
 * str.isprintable(), for code points >= 0x80, so that no locale (and no
 * file) is needed. */
/* Generated from Python 3.11.7 str methods (Unicode 14.0.0). */
static const struct emu__lower_run {
    uint32_t start, end;
    int32_t delta;
    uint8_t stride;
} emu__lower_runs[] = {
    {0xc0, 0xd6, 32, 1},         {0xd8, 0xde, 32, 1},         {0x100, 0x12e, 1, 2},
    {0x132, 0x136, 1, 2},        {0x139, 0x147, 1, 2},        {0x14a, 0x176, 1, 2},
    {0x178, 0x178, -121, 1},     {0x179, 0x17d, 1, 2},        {0x181, 0x181, 210, 1},
    {0x182, 0x184, 1, 2},        {0x186, 0x186, 206, 1},      {0x187, 0x187, 1, 1},
    {0x189, 0x18a, 205, 1},      {0x18b, 0x18b, 1, 1},        {0x18e, 0x18e, 79, 1},
    {0x18f, 0x18f, 202, 1},      {0x190, 0x190, 203, 1},      {0x191, 0x191, 1, 1},
    {0x193, 0x193, 205, 1},      {0x194, 0x194, 207, 1},      {0x196, 0x196, 211, 1},
    {0x197, 0x197, 209, 1},      {0x198, 0x198, 1, 1},        {0x19c, 0x19c, 211, 1},
    {0x19d, 0x19d, 213, 1},      {0x19f, 0x19f, 214, 1},      {0x1a0, 0x1a4, 1, 2},
    {0x1a6, 0x1a6, 218, 1},      {0x1a7, 0x1a7, 1, 1},        {0x1a9, 0x1a9, 218, 1},
    {0x1ac, 0x1ac, 1, 1},        {0x1ae, 0x1ae, 218, 1},      {0x1af, 0x1af, 1, 1},
    {0x1b1, 0x1b2, 217, 1},      {0x1b3, 0x1b5, 1, 2},        {0x1b7, 0x1b7, 219, 1},
    {0x1b8, 0x1b8, 1, 1},        {0x1bc, 0x1bc, 1, 1},        {0x1c4, 0x1c4, 2, 1},
    {0x1c5, 0x1c5, 1, 1},        {0x1c7, 0x1c7, 2, 1},        {0x1c8, 0x1c8, 1, 1},
    {0x1ca, 0x1ca, 2, 1},        {0x1cb, 0x1db, 1, 2},        {0x1de, 0x1ee, 1, 2},
    {0x1f1, 0x1f1, 2, 1},        {0x1f2, 0x1f4, 1, 2},        {0x1f6, 0x1f6, -97, 1},
    {0x1f7, 0x1f7, -56, 1},      {0x1f8, 0x21e, 1, 2},        {0x220, 0x220, -130, 1},
    {0x222, 0x232, 1, 2},        {0x23a, 0x23a, 10795, 1},    {0x23b, 0x23b, 1, 1},
    {0x23d, 0x23d, -163, 1},     {0x23e, 0x23e, 10792, 1},    {0x241, 0x241, 1, 1},
    {0x243, 0x243, -195, 1},     {0x244, 0x244, 69, 1},       {0x245, 0x245, 71, 1},
    {0x246, 0x24e, 1, 2},        {0x370, 0x372, 1, 2},        {0x376, 0x376, 1, 1},
    {0x37f, 0x37f, 116, 1},      {0x386, 0x386, 38, 1},       {0x388, 0x38a, 37, 1},
    {0x38c, 0x38c, 64, 1},       {0x38e, 0x38f, 63, 1},       {0x391, 0x3a1, 32, 1},
    {0x3a3, 0x3ab, 32, 1},       {0x3cf, 0x3cf, 8, 1},        {0x3d8, 0x3ee, 1, 2},
    {0x3f4, 0x3f4, -60, 1},      {0x3f7, 0x3f7, 1, 1},        {0x3f9, 0x3f9, -7, 1},
    {0x3fa, 0x3fa, 1, 1},        {0x3fd, 0x3ff, -130, 1},     {0x400, 0x40f, 80, 1},
    {0x410, 0x42f, 32, 1},       {0x460, 0x480, 1, 2},        {0x48a, 0x4be, 1, 2},
    {0x4c0, 0x4c0, 15, 1},       {0x4c1, 0x4cd, 1, 2},        {0x4d0, 0x52e, 1, 2},
    {0x531, 0x556, 48, 1},       {0x10a0, 0x10c5, 7264, 1},   {0x10c7, 0x10c7, 7264, 1},
    {0x10cd, 0x10cd, 7264, 1},   {0x13a0, 0x13ef, 38864, 1},  {0x13f0, 0x13f5, 8, 1},
    {0x1c90, 0x1cba, -3008, 1},  {0x1cbd, 0x1cbf, -3008, 1},  {0x1e00, 0x1e94, 1, 2},
    {0x1e9e, 0x1e9e, -7615, 1},  {0x1ea0, 0x1efe, 1, 2},      {0x1f08, 0x1f0f, -8, 1},
    {0x1f18, 0x1f1d, -8, 1},     {0x1f28, 0x1f2f, -8, 1},     {0x1f38, 0x1f3f, -8, 1},
    {0x1f48, 0x1f4d, -8, 1},     {0x1f59, 0x1f5f, -8, 2},     {0x1f68, 0x1f6f, -8, 1},
    {0x1f88, 0x1f8f, -8, 1},     {0x1f98, 0x1f9f, -8, 1},     {0x1fa8, 0x1faf, -8, 1},
    {0x1fb8, 0x1fb9, -8, 1},     {0x1fba, 0x1fbb, -74, 1},    {0x1fbc, 0x1fbc, -9, 1},
    {0x1fc8, 0x1fcb, -86, 1},    {0x1fcc, 0x1fcc, -9, 1},     {0x1fd8, 0x1fd9, -8, 1},
    {0x1fda, 0x1fdb, -100, 1},   {0x1fe8, 0x1fe9, -8, 1},     {0x1fea, 0x1feb, -112, 1},
    {0x1fec, 0x1fec, -7, 1},     {0x1ff8, 0x1ff9, -128, 1},   {0x1ffa, 0x1ffb, -126, 1},
    {0x1ffc, 0x1ffc, -9, 1},     {0x2126, 0x2126, -7517, 1},  {0x212a, 0x212a, -8383, 1},
    {0x212b, 0x212b, -8262, 1},  {0x2132, 0x2132, 28, 1},     {0x2160, 0x216f, 16, 1},
    {0x2183, 0x2183, 1, 1},      {0x24b6, 0x24cf, 26, 1},     {0x2c00, 0x2c2f, 48, 1},
    {0x2c60, 0x2c60, 1, 1},      {0x2c62, 0x2c62, -10743, 1}, {0x2c63, 0x2c63, -3814, 1},
    {0x2c64, 0x2c64, -10727, 1}, {0x2c67, 0x2c6b, 1, 2},      {0x2c6d, 0x2c6d, -10780, 1},
    {0x2c6e, 0x2c6e, -10749, 1}, {0x2c6f, 0x2c6f, -10783, 1}, {0x2c70, 0x2c70, -10782, 1},
    {0x2c72, 0x2c72, 1, 1},      {0x2c75, 0x2c75, 1, 1},      {0x2c7e, 0x2c7f, -10815, 1},
    {0x2c80, 0x2ce2, 1, 2},      {0x2ceb, 0x2ced, 1, 2},      {0x2cf2, 0x2cf2, 1, 1},
    {0xa640, 0xa66c, 1, 2},      {0xa680, 0xa69a, 1, 2},      {0xa722, 0xa72e, 1, 2},
    {0xa732, 0xa76e, 1, 2},      {0xa779, 0xa77b, 1, 2},      {0xa77d, 0xa77d, -35332, 1},
    {0xa77e, 0xa786, 1, 2},      {0xa78b, 0xa78b, 1, 1},      {0xa78d, 0xa78d, -42280, 1},
    {0xa790, 0xa792, 1, 2},      {0xa796, 0xa7a8, 1, 2},      {0xa7aa, 0xa7aa, -42308, 1},
    {0xa7ab, 0xa7ab, -42319, 1}, {0xa7ac, 0xa7ac, -42315, 1}, {0xa7ad, 0xa7ad, -42305, 1},
    {0xa7ae, 0xa7ae, -42308, 1}, {0xa7b0, 0xa7b0, -42258, 1}, {0xa7b1, 0xa7b1, -42282, 1},
    {0xa7b2, 0xa7b2, -42261, 1}, {0xa7b3, 0xa7b3, 928, 1},    {0xa7b4, 0xa7c2, 1, 2},
    {0xa7c4, 0xa7c4, -48, 1},    {0xa7c5, 0xa7c5, -42307, 1}, {0xa7c6, 0xa7c6, -35384, 1},
    {0xa7c7, 0xa7c9, 1, 2},      {0xa7d0, 0xa7d0, 1, 1},      {0xa7d6, 0xa7d8, 1, 2},
    {0xa7f5, 0xa7f5, 1, 1},      {0xff21, 0xff3a, 32, 1},     {0x10400, 0x10427, 40, 1},
    {0x104b0, 0x104d3, 40, 1},   {0x10570, 0x1057a, 39, 1},   {0x1057c, 0x1058a, 39, 1},
    {0x1058c, 0x10592, 39, 1},   {0x10594, 0x10595, 39, 1},   {0x10c80, 0x10cb2, 64, 1},
    {0x118a0, 0x118bf, 32, 1},   {0x16e40, 0x16e5f, 32, 1},   {0x1e900, 0x1e921, 34, 1},
};
static const uint32_t emu__word_ranges[][2] = {
    {0xaa, 0xaa},       {0xb2, 0xb3},       {0xb5, 0xb5},       {0xb9, 0xba},
    {0xbc, 0xbe},       {0xc0, 0xd6},       {0xd8, 0xf6},       {0xf8, 0x2c1},
    {0x2c6, 0x2d1},     {0x2e0, 0x2e4},     {0x2ec, 0x2ec},     {0x2ee, 0x2ee},
    {0x370, 0x374},     {0x376, 0x377},     {0x37a, 0x37d},     {0x37f, 0x37f},
    {0x386, 0x386},     {0x388, 0x38a},     {0x38c, 0x38c},     {0x38e, 0x3a1},
    {0x3a3, 0x3f5},     {0x3f7, 0x481},     {0x48a, 0x52f},     {0x531, 0x556},
    {0x559, 0x559},     {0x560, 0x588},     {0x5d0, 0x5ea},     {0x5ef, 0x5f2},
    {0x620, 0x64a},     {0x660, 0x669},     {0x66e, 0x66f},     {0x671, 0x6d3},
    {0x6d5, 0x6d5},     {0x6e5, 0x6e6},     {0x6ee, 0x6fc},     {0x6ff, 0x6ff},
    {0x710, 0x710},     {0x712, 0x72f},     {0x74d, 0x7a5},     {0x7b1, 0x7b1},
    {0x7c0, 0x7ea},     {0x7f4, 0x7f5},     {0x7fa, 0x7fa},     {0x800, 0x815},
    {0x81a, 0x81a},     {0x824, 0x824},     {0x828, 0x828},     {0x840, 0x858},
    {0x860, 0x86a},     {0x870, 0x887},     {0x889, 0x88e},     {0x8a0, 0x8c9},
    {0x904, 0x939},     {0x93d, 0x93d},     {0x950, 0x950},     {0x958, 0x961},
    {0x966, 0x96f},     {0x971, 0x980},     {0x985, 0x98c},     {0x98f, 0x990},
    {0x993, 0x9a8},     {0x9aa, 0x9b0},     {0x9b2, 0x9b2},     {0x9b6, 0x9b9},
    {0x9bd, 0x9bd},     {0x9ce, 0x9ce},     {0x9dc, 0x9dd},     {0x9df, 0x9e1},
    {0x9e6, 0x9f1},     {0x9f4, 0x9f9},     {0x9fc, 0x9fc},     {0xa05, 0xa0a},
    {0xa0f, 0xa10},     {0xa13, 0xa28},     {0xa2a, 0xa30},     {0xa32, 0xa33},
    {0xa35, 0xa36},     {0xa38, 0xa39},     {0xa59, 0xa5c},     {0xa5e, 0xa5e},
    {0xa66, 0xa6f},     {0xa72, 0xa74},     {0xa85, 0xa8d},     {0xa8f, 0xa91},
    {0xa93, 0xaa8},     {0xaaa, 0xab0},     {0xab2, 0xab3},     {0xab5, 0xab9},
    {0xabd, 0xabd},     {0xad0, 0xad0},     {0xae0, 0xae1},     {0xae6, 0xaef},
    {0xaf9, 0xaf9},     {0xb05, 0xb0c},     {0xb0f, 0xb10},     {0xb13, 0xb28},
    {0xb2a, 0xb30},     {0xb32, 0xb33},     {0xb35, 0xb39},     {0xb3d, 0xb3d},
    {0xb5c, 0xb5d},     {0xb5f, 0xb61},     {0xb66, 0xb6f},     {0xb71, 0xb77},
    {0xb83, 0xb83},     {0xb85, 0xb8a},     {0xb8e, 0xb90},     {0xb92, 0xb95},
    {0xb99, 0xb9a},     {0xb9c, 0xb9c},     {0xb9e, 0xb9f},     {0xba3, 0xba4},
    {0xba8, 0xbaa},     {0xbae, 0xbb9},     {0xbd0, 0xbd0},     {0xbe6, 0xbf2},
    {0xc05, 0xc0c},     {0xc0e, 0xc10},     {0xc12, 0xc28},     {0xc2a, 0xc39},
    {0xc3d, 0xc3d},     {0xc58, 0xc5a},     {0xc5d, 0xc5d},     {0xc60, 0xc61},
    {0xc66, 0xc6f},     {0xc78, 0xc7e},     {0xc80, 0xc80},     {0xc85, 0xc8c},
    {0xc8e, 0xc90},     {0xc92, 0xca8},     {0xcaa, 0xcb3},     {0xcb5, 0xcb9},
    {0xcbd, 0xcbd},     {0xcdd, 0xcde},     {0xce0, 0xce1},     {0xce6, 0xcef},
    {0xcf1, 0xcf2},     {0xd04, 0xd0c},     {0xd0e, 0xd10},     {0xd12, 0xd3a},
    {0xd3d, 0xd3d},     {0xd4e, 0xd4e},     {0xd54, 0xd56},     {0xd58, 0xd61},
    {0xd66, 0xd78},     {0xd7a, 0xd7f},     {0xd85, 0xd96},     {0xd9a, 0xdb1},
    {0xdb3, 0xdbb},     {0xdbd, 0xdbd},     {0xdc0, 0xdc6},     {0xde6, 0xdef},
    {0xe01, 0xe30},     {0xe32, 0xe33},     {0xe40, 0xe46},     {0xe50, 0xe59},
    {0xe81, 0xe82},     {0xe84, 0xe84},     {0xe86, 0xe8a},     {0xe8c, 0xea3},
    {0xea5, 0xea5},     {0xea7, 0xeb0},     {0xeb2, 0xeb3},     {0xebd, 0xebd},
    {0xec0, 0xec4},     {0xec6, 0xec6},     {0xed0, 0xed9},     {0xedc, 0xedf},
    {0xf00, 0xf00},     {0xf20, 0xf33},     {0xf40, 0xf47},     {0xf49, 0xf6c},
    {0xf88, 0xf8c},     {0x1000, 0x102a},   {0x103f, 0x1049},   {0x1050, 0x1055},
    {0x105a, 0x105d},   {0x1061, 0x1061},   {0x1065, 0x1066},   {0x106e, 0x1070},
    {0x1075, 0x1081},   {0x108e, 0x108e},   {0x1090, 0x1099},   {0x10a0, 0x10c5},
    {0x10c7, 0x10c7},   {0x10cd, 0x10cd},   {0x10d0, 0x10fa},   {0x10fc, 0x1248},
    {0x124a, 0x124d},   {0x1250, 0x1256},   {0x1258, 0x1258},   {0x125a, 0x125d},
    {0x1260, 0x1288},   {0x128a, 0x128d},   {0x1290, 0x12b0},   {0x12b2, 0x12b5},
    {0x12b8, 0x12be},   {0x12c0, 0x12c0},   {0x12c2, 0x12c5},   {0x12c8, 0x12d6},
    {0x12d8, 0x1310},   {0x1312, 0x1315},   {0x1318, 0x135a},   {0x1369, 0x137c},
    {0x1380, 0x138f},   {0x13a0, 0x13f5},   {0x13f8, 0x13fd},   {0x1401, 0x166c},
    {0x166f, 0x167f},   {0x1681, 0x169a},   {0x16a0, 0x16ea},   {0x16ee, 0x16f8},
    {0x1700, 0x1711},   {0x171f, 0x1731},   {0x1740, 0x1751},   {0x1760, 0x176c},
    {0x176e, 0x1770},   {0x1780, 0x17b3},   {0x17d7, 0x17d7},   {0x17dc, 0x17dc},
    {0x17e0, 0x17e9},   {0x17f0, 0x17f9},   {0x1810, 0x1819},   {0x1820, 0x1878},
    {0x1880, 0x1884},   {0x1887, 0x18a8},   {0x18aa, 0x18aa},   {0x18b0, 0x18f5},
    {0x1900, 0x191e},   {0x1946, 0x196d},   {0x1970, 0x1974},   {0x1980, 0x19ab},
    {0x19b0, 0x19c9},   {0x19d0, 0x19da},   {0x1a00, 0x1a16},   {0x1a20, 0x1a54},
    {0x1a80, 0x1a89},   {0x1a90, 0x1a99},   {0x1aa7, 0x1aa7},   {0x1b05, 0x1b33},
    {0x1b45, 0x1b4c},   {0x1b50, 0x1b59},   {0x1b83, 0x1ba0},   {0x1bae, 0x1be5},
    {0x1c00, 0x1c23},   {0x1c40, 0x1c49},   {0x1c4d, 0x1c7d},   {0x1c80, 0x1c88},
    {0x1c90, 0x1cba},   {0x1cbd, 0x1cbf},   {0x1ce9, 0x1cec},   {0x1cee, 0x1cf3},
    {0x1cf5, 0x1cf6},   {0x1cfa, 0x1cfa},   {0x1d00, 0x1dbf},   {0x1e00, 0x1f15},
    {0x1f18, 0x1f1d},   {0x1f20, 0x1f45},   {0x1f48, 0x1f4d},   {0x1f50, 0x1f57},
    {0x1f59, 0x1f59},   {0x1f5b, 0x1f5b},   {0x1f5d, 0x1f5d},   {0x1f5f, 0x1f7d},
    {0x1f80, 0x1fb4},   {0x1fb6, 0x1fbc},   {0x1fbe, 0x1fbe},   {0x1fc2, 0x1fc4},
    {0x1fc6, 0x1fcc},   {0x1fd0, 0x1fd3},   {0x1fd6, 0x1fdb},   {0x1fe0, 0x1fec},
    {0x1ff2, 0x1ff4},   {0x1ff6, 0x1ffc},   {0x2070, 0x2071},   {0x2074, 0x2079},
    {0x207f, 0x2089},   {0x2090, 0x209c},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210a, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211d},   {0x2124, 0x2124},
    {0x2126, 0x2126},   {0x2128, 0x2128},   {0x212a, 0x212d},   {0x212f, 0x2139},
    {0x213c, 0x213f},   {0x2145, 0x2149},   {0x214e, 0x214e},   {0x2150, 0x2189},
    {0x2460, 0x249b},   {0x24ea, 0x24ff},   {0x2776, 0x2793},   {0x2c00, 0x2ce4},
    {0x2ceb, 0x2cee},   {0x2cf2, 0x2cf3},   {0x2cfd, 0x2cfd},   {0x2d00, 0x2d25},
    {0x2d27, 0x2d27},   {0x2d2d, 0x2d2d},   {0x2d30, 0x2d67},   {0x2d6f, 0x2d6f},
    {0x2d80, 0x2d96},   {0x2da0, 0x2da6},   {0x2da8, 0x2dae},   {0x2db0, 0x2db6},
    {0x2db8, 0x2dbe},   {0x2dc0, 0x2dc6},   {0x2dc8, 0x2dce},   {0x2dd0, 0x2dd6},
    {0x2dd8, 0x2dde},   {0x2e2f, 0x2e2f},   {0x3005, 0x3007},   {0x3021, 0x3029},
    {0x3031, 0x3035},   {0x3038, 0x303c},   {0x3041, 0x3096},   {0x309d, 0x309f},
    {0x30a1, 0x30fa},   {0x30fc, 0x30ff},   {0x3105, 0x312f},   {0x3131, 0x318e},
    {0x3192, 0x3195},   {0x31a0, 0x31bf},   {0x31f0, 0x31ff},   {0x3220, 0x3229},
    {0x3248, 0x324f},   {0x3251, 0x325f},   {0x3280, 0x3289},   {0x32b1, 0x32bf},
    {0x3400, 0x4dbf},   {0x4e00, 0xa48c},   {0xa4d0, 0xa4fd},   {0xa500, 0xa60c},
    {0xa610, 0xa62b},   {0xa640, 0xa66e},   {0xa67f, 0xa69d},   {0xa6a0, 0xa6ef},
    {0xa717, 0xa71f},   {0xa722, 0xa788},   {0xa78b, 0xa7ca},   {0xa7d0, 0xa7d1},
    {0xa7d3, 0xa7d3},   {0xa7d5, 0xa7d9},   {0xa7f2, 0xa801},   {0xa803, 0xa805},
    {0xa807, 0xa80a},   {0xa80c, 0xa822},   {0xa830, 0xa835},   {0xa840, 0xa873},
    {0xa882, 0xa8b3},   {0xa8d0, 0xa8d9},   {0xa8f2, 0xa8f7},   {0xa8fb, 0xa8fb},
    {0xa8fd, 0xa8fe},   {0xa900, 0xa925},   {0xa930, 0xa946},   {0xa960, 0xa97c},
    {0xa984, 0xa9b2},   {0xa9cf, 0xa9d9},   {0xa9e0, 0xa9e4},   {0xa9e6, 0xa9fe},
    {0xaa00, 0xaa28},   {0xaa40, 0xaa42},   {0xaa44, 0xaa4b},   {0xaa50, 0xaa59},
    {0xaa60, 0xaa76},   {0xaa7a, 0xaa7a},   {0xaa7e, 0xaaaf},   {0xaab1, 0xaab1},
    {0xaab5, 0xaab6},   {0xaab9, 0xaabd},   {0xaac0, 0xaac0},   {0xaac2, 0xaac2},
    {0xaadb, 0xaadd},   {0xaae0, 0xaaea},   {0xaaf2, 0xaaf4},   {0xab01, 0xab06},
    {0xab09, 0xab0e},   {0xab11, 0xab16},   {0xab20, 0xab26},   {0xab28, 0xab2e},
    {0xab30, 0xab5a},   {0xab5c, 0xab69},   {0xab70, 0xabe2},   {0xabf0, 0xabf9},
    {0xac00, 0xd7a3},   {0xd7b0, 0xd7c6},   {0xd7cb, 0xd7fb},   {0xf900, 0xfa6d},
    {0xfa70, 0xfad9},   {0xfb00, 0xfb06},   {0xfb13, 0xfb17},   {0xfb1d, 0xfb1d},
    {0xfb1f, 0xfb28},   {0xfb2a, 0xfb36},   {0xfb38, 0xfb3c},   {0xfb3e, 0xfb3e},
    {0xfb40, 0xfb41},   {0xfb43, 0xfb44},   {0xfb46, 0xfbb1},   {0xfbd3, 0xfd3d},
    {0xfd50, 0xfd8f},   {0xfd92, 0xfdc7},   {0xfdf0, 0xfdfb},   {0xfe70, 0xfe74},
    {0xfe76, 0xfefc},   {0xff10, 0xff19},   {0xff21, 0xff3a},   {0xff41, 0xff5a},
    {0xff66, 0xffbe},   {0xffc2, 0xffc7},   {0xffca, 0xffcf},   {0xffd2, 0xffd7},
    {0xffda, 0xffdc},   {0x10000, 0x1000b}, {0x1000d, 0x10026}, {0x10028, 0x1003a},
    {0x1003c, 0x1003d}, {0x1003f, 0x1004d}, {0x10050, 0x1005d}, {0x10080, 0x100fa},
    {0x10107, 0x10133}, {0x10140, 0x10178}, {0x1018a, 0x1018b}, {0x10280, 0x1029c},
    {0x102a0, 0x102d0}, {0x102e1, 0x102fb}, {0x10300, 0x10323}, {0x1032d, 0x1034a},
    {0x10350, 0x10375}, {0x10380, 0x1039d}, {0x103a0, 0x103c3}, {0x103c8, 0x103cf},
    {0x103d1, 0x103d5}, {0x10400, 0x1049d}, {0x104a0, 0x104a9}, {0x104b0, 0x104d3},
    {0x104d8, 0x104fb}, {0x10500, 0x10527}, {0x10530, 0x10563}, {0x10570, 0x1057a},
    {0x1057c, 0x1058a}, {0x1058c, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105a1},
    {0x105a3, 0x105b1}, {0x105b3, 0x105b9}, {0x105bb, 0x105bc}, {0x10600, 0x10736},
    {0x10740, 0x10755}, {0x10760, 0x10767}, {0x10780, 0x10785}, {0x10787, 0x107b0},
    {0x107b2, 0x107ba}, {0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080a, 0x10835},
    {0x10837, 0x10838}, {0x1083c, 0x1083c}, {0x1083f, 0x10855}, {0x10858, 0x10876},
    {0x10879, 0x1089e}, {0x108a7, 0x108af}, {0x108e0, 0x108f2}, {0x108f4, 0x108f5},
    {0x108fb, 0x1091b}, {0x10920, 0x10939}, {0x10980, 0x109b7}, {0x109bc, 0x109cf},
    {0x109d2, 0x10a00}, {0x10a10, 0x10a13}, {0x10a15, 0x10a17}, {0x10a19, 0x10a35},
    {0x10a40, 0x10a48}, {0x10a60, 0x10a7e}, {0x10a80, 0x10a9f}, {0x10ac0, 0x10ac7},
    {0x10ac9, 0x10ae4}, {0x10aeb, 0x10aef}, {0x10b00, 0x10b35}, {0x10b40, 0x10b55},
    {0x10b58, 0x10b72}, {0x10b78, 0x10b91}, {0x10ba9, 0x10baf}, {0x10c00, 0x10c48},
    {0x10c80, 0x10cb2}, {0x10cc0, 0x10cf2}, {0x10cfa, 0x10d23}, {0x10d30, 0x10d39},
    {0x10e60, 0x10e7e}, {0x10e80, 0x10ea9}, {0x10eb0, 0x10eb1}, {0x10f00, 0x10f27},
    {0x10f30, 0x10f45}, {0x10f51, 0x10f54}, {0x10f70, 0x10f81}, {0x10fb0, 0x10fcb},
    {0x10fe0, 0x10ff6}, {0x11003, 0x11037}, {0x11052, 0x1106f}, {0x11071, 0x11072},
    {0x11075, 0x11075}, {0x11083, 0x110af}, {0x110d0, 0x110e8}, {0x110f0, 0x110f9},
    {0x11103, 0x11126}, {0x11136, 0x1113f}, {0x11144, 0x11144}, {0x11147, 0x11147},
    {0x11150, 0x11172}, {0x11176, 0x11176}, {0x11183, 0x111b2}, {0x111c1, 0x111c4},
    {0x111d0, 0x111da}, {0x111dc, 0x111dc}, {0x111e1, 0x111f4}, {0x11200, 0x11211},
    {0x11213, 0x1122b}, {0x11280, 0x11286}, {0x11288, 0x11288}, {0x1128a, 0x1128d},
    {0x1128f, 0x1129d}, {0x1129f, 0x112a8}, {0x112b0, 0x112de}, {0x112f0, 0x112f9},
    {0x11305, 0x1130c}, {0x1130f, 0x11310}, {0x11313, 0x11328}, {0x1132a, 0x11330},
    {0x11332, 0x11333}, {0x11335, 0x11339}, {0x1133d, 0x1133d}, {0x11350, 0x11350},
    {0x1135d, 0x11361}, {0x11400, 0x11434}, {0x11447, 0x1144a}, {0x11450, 0x11459},
    {0x1145f, 0x11461}, {0x11480, 0x114af}, {0x114c4, 0x114c5}, {0x114c7, 0x114c7},
    {0x114d0, 0x114d9}, {0x11580, 0x115ae}, {0x115d8, 0x115db}, {0x11600, 0x1162f},
    {0x11644, 0x11644}, {0x11650, 0x11659}, {0x11680, 0x116aa}, {0x116b8, 0x116b8},
    {0x116c0, 0x116c9}, {0x11700, 0x1171a}, {0x11730, 0x1173b}, {0x11740, 0x11746},
    {0x11800, 0x1182b}, {0x118a0, 0x118f2}, {0x118ff, 0x11906}, {0x11909, 0x11909},
    {0x1190c, 0x11913}, {0x11915, 0x11916}, {0x11918, 0x1192f}, {0x1193f, 0x1193f},
    {0x11941, 0x11941}, {0x11950, 0x11959}, {0x119a0, 0x119a7}, {0x119aa, 0x119d0},
    {0x119e1, 0x119e1}, {0x119e3, 0x119e3}, {0x11a00, 0x11a00}, {0x11a0b, 0x11a32},
    {0x11a3a, 0x11a3a}, {0x11a50, 0x11a50}, {0x11a5c, 0x11a89}, {0x11a9d, 0x11a9d},
    {0x11ab0, 0x11af8}, {0x11c00, 0x11c08}, {0x11c0a, 0x11c2e}, {0x11c40, 0x11c40},
    {0x11c50, 0x11c6c}, {0x11c72, 0x11c8f}, {0x11d00, 0x11d06}, {0x11d08, 0x11d09},
    {0x11d0b, 0x11d30}, {0x11d46, 0x11d46}, {0x11d50, 0x11d59}, {0x11d60, 0x11d65},
    {0x11d67, 0x11d68}, {0x11d6a, 0x11d89}, {0x11d98, 0x11d98}, {0x11da0, 0x11da9},
    {0x11ee0, 0x11ef2}, {0x11fb0, 0x11fb0}, {0x11fc0, 0x11fd4}, {0x12000, 0x12399},
    {0x12400, 0x1246e}, {0x12480, 0x12543}, {0x12f90, 0x12ff0}, {0x13000, 0x1342e},
    {0x14400, 0x14646}, {0x16800, 0x16a38}, {0x16a40, 0x16a5e}, {0x16a60, 0x16a69},
    {0x16a70, 0x16abe}, {0x16ac0, 0x16ac9}, {0x16ad0, 0x16aed}, {0x16b00, 0x16b2f},
    {0x16b40, 0x16b43}, {0x16b50, 0x16b59}, {0x16b5b, 0x16b61}, {0x16b63, 0x16b77},
    {0x16b7d, 0x16b8f}, {0x16e40, 0x16e96}, {0x16f00, 0x16f4a}, {0x16f50, 0x16f50},
    {0x16f93, 0x16f9f}, {0x16fe0, 0x16fe1}, {0x16fe3, 0x16fe3}, {0x17000, 0x187f7},
    {0x18800, 0x18cd5}, {0x18d00, 0x18d08}, {0x1aff0, 0x1aff3}, {0x1aff5, 0x1affb},
    {0x1affd, 0x1affe}, {0x1b000, 0x1b122}, {0x1b150, 0x1b152}, {0x1b164, 0x1b167},
    {0x1b170, 0x1b2fb}, {0x1bc00, 0x1bc6a}, {0x1bc70, 0x1bc7c}, {0x1bc80, 0x1bc88},
    {0x1bc90, 0x1bc99}, {0x1d2e0, 0x1d2f3}, {0x1d360, 0x1d378}, {0x1d400, 0x1d454},
    {0x1d456, 0x1d49c}, {0x1d49e, 0x1d49f}, {0x1d4a2, 0x1d4a2}, {0x1d4a5, 0x1d4a6},
    {0x1d4a9, 0x1d4ac}, {0x1d4ae, 0x1d4b9}, {0x1d4bb, 0x1d4bb}, {0x1d4bd, 0x1d4c3},
    {0x1d4c5, 0x1d505}, {0x1d507, 0x1d50a}, {0x1d50d, 0x1d514}, {0x1d516, 0x1d51c},
    {0x1d51e, 0x1d539}, {0x1d53b, 0x1d53e}, {0x1d540, 0x1d544}, {0x1d546, 0x1d546},
    {0x1d54a, 0x1d550}, {0x1d552, 0x1d6a5}, {0x1d6a8, 0x1d6c0}, {0x1d6c2, 0x1d6da},
    {0x1d6dc, 0x1d6fa}, {0x1d6fc, 0x1d714}, {0x1d716, 0x1d734}, {0x1d736, 0x1d74e},
    {0x1d750, 0x1d76e}, {0x1d770, 0x1d788}, {0x1d78a, 0x1d7a8}, {0x1d7aa, 0x1d7c2},
    {0x1d7c4, 0x1d7cb}, {0x1d7ce, 0x1d7ff}, {0x1df00, 0x1df1e}, {0x1e100, 0x1e12c},
    {0x1e137, 0x1e13d}, {0x1e140, 0x1e149}, {0x1e14e, 0x1e14e}, {0x1e290, 0x1e2ad},
    {0x1e2c0, 0x1e2eb}, {0x1e2f0, 0x1e2f9}, {0x1e7e0, 0x1e7e6}, {0x1e7e8, 0x1e7eb},
    {0x1e7ed, 0x1e7ee}, {0x1e7f0, 0x1e7fe}, {0x1e800, 0x1e8c4}, {0x1e8c7, 0x1e8cf},
    {0x1e900, 0x1e943}, {0x1e94b, 0x1e94b}, {0x1e950, 0x1e959}, {0x1ec71, 0x1ecab},
    {0x1ecad, 0x1ecaf}, {0x1ecb1, 0x1ecb4}, {0x1ed01, 0x1ed2d}, {0x1ed2f, 0x1ed3d},
    {0x1ee00, 0x1ee03}, {0x1ee05, 0x1ee1f}, {0x1ee21, 0x1ee22}, {0x1ee24, 0x1ee24},
    {0x1ee27, 0x1ee27}, {0x1ee29, 0x1ee32}, {0x1ee34, 0x1ee37}, {0x1ee39, 0x1ee39},
    {0x1ee3b, 0x1ee3b}, {0x1ee42, 0x1ee42}, {0x1ee47, 0x1ee47}, {0x1ee49, 0x1ee49},
    {0x1ee4b, 0x1ee4b}, {0x1ee4d, 0x1ee4f}, {0x1ee51, 0x1ee52}, {0x1ee54, 0x1ee54},
    {0x1ee57, 0x1ee57}, {0x1ee59, 0x1ee59}, {0x1ee5b, 0x1ee5b}, {0x1ee5d, 0x1ee5d},
    {0x1ee5f, 0x1ee5f}, {0x1ee61, 0x1ee62}, {0x1ee64, 0x1ee64}, {0x1ee67, 0x1ee6a},
    {0x1ee6c, 0x1ee72}, {0x1ee74, 0x1ee77}, {0x1ee79, 0x1ee7c}, {0x1ee7e, 0x1ee7e},
    {0x1ee80, 0x1ee89}, {0x1ee8b, 0x1ee9b}, {0x1eea1, 0x1eea3}, {0x1eea5, 0x1eea9},
    {0x1eeab, 0x1eebb}, {0x1f100, 0x1f10c}, {0x1fbf0, 0x1fbf9}, {0x20000, 0x2a6df},
    {0x2a700, 0x2b738}, {0x2b740, 0x2b81d}, {0x2b820, 0x2cea1}, {0x2ceb0, 0x2ebe0},
    {0x2f800, 0x2fa1d}, {0x30000, 0x3134a},
};
static const uint32_t emu__digit_ranges[][2] = {
    {0x660, 0x669},     {0x6f0, 0x6f9},     {0x7c0, 0x7c9},     {0x966, 0x96f},
    {0x9e6, 0x9ef},     {0xa66, 0xa6f},     {0xae6, 0xaef},     {0xb66, 0xb6f},
    {0xbe6, 0xbef},     {0xc66, 0xc6f},     {0xce6, 0xcef},     {0xd66, 0xd6f},
    {0xde6, 0xdef},     {0xe50, 0xe59},     {0xed0, 0xed9},     {0xf20, 0xf29},
    {0x1040, 0x1049},   {0x1090, 0x1099},   {0x17e0, 0x17e9},   {0x1810, 0x1819},
    {0x1946, 0x194f},   {0x19d0, 0x19d9},   {0x1a80, 0x1a89},   {0x1a90, 0x1a99},
    {0x1b50, 0x1b59},   {0x1bb0, 0x1bb9},   {0x1c40, 0x1c49},   {0x1c50, 0x1c59},
    {0xa620, 0xa629},   {0xa8d0, 0xa8d9},   {0xa900, 0xa909},   {0xa9d0, 0xa9d9},
    {0xa9f0, 0xa9f9},   {0xaa50, 0xaa59},   {0xabf0, 0xabf9},   {0xff10, 0xff19},
    {0x104a0, 0x104a9}, {0x10d30, 0x10d39}, {0x11066, 0x1106f}, {0x110f0, 0x110f9},
    {0x11136, 0x1113f}, {0x111d0, 0x111d9}, {0x112f0, 0x112f9}, {0x11450, 0x11459},
    {0x114d0, 0x114d9}, {0x11650, 0x11659}, {0x116c0, 0x116c9}, {0x11730, 0x11739},
    {0x118e0, 0x118e9}, {0x11950, 0x11959}, {0x11c50, 0x11c59}, {0x11d50, 0x11d59},
    {0x11da0, 0x11da9}, {0x16a60, 0x16a69}, {0x16ac0, 0x16ac9}, {0x16b50, 0x16b59},
    {0x1d7ce, 0x1d7ff}, {0x1e140, 0x1e149}, {0x1e2f0, 0x1e2f9}, {0x1e950, 0x1e959},
    {0x1fbf0, 0x1fbf9},
};
static const uint32_t emu__unprintable_ranges[][2] = {
    {0x80, 0xa0},       {0xad, 0xad},       {0x378, 0x379},     {0x380, 0x383},
    {0x38b, 0x38b},     {0x38d, 0x38d},     {0x3a2, 0x3a2},     {0x530, 0x530},
    {0x557, 0x558},     {0x58b, 0x58c},     {0x590, 0x590},     {0x5c8, 0x5cf},
    {0x5eb, 0x5ee},     {0x5f5, 0x605},     {0x61c, 0x61c},     {0x6dd, 0x6dd},
    {0x70e, 0x70f},     {0x74b, 0x74c},     {0x7b2, 0x7bf},     {0x7fb, 0x7fc},
    {0x82e, 0x82f},     {0x83f, 0x83f},     {0x85c, 0x85d},     {0x85f, 0x85f},
    {0x86b, 0x86f},     {0x88f, 0x897},     {0x8e2, 0x8e2},     {0x984, 0x984},
    {0x98d, 0x98e},     {0x991, 0x992},     {0x9a9, 0x9a9},     {0x9b1, 0x9b1},
    {0x9b3, 0x9b5},     {0x9ba, 0x9bb},     {0x9c5, 0x9c6},     {0x9c9, 0x9ca},
    {0x9cf, 0x9d6},     {0x9d8, 0x9db},     {0x9de, 0x9de},     {0x9e4, 0x9e5},
    {0x9ff, 0xa00},     {0xa04, 0xa04},     {0xa0b, 0xa0e},     {0xa11, 0xa12},
    {0xa29, 0xa29},     {0xa31, 0xa31},     {0xa34, 0xa34},     {0xa37, 0xa37},
    {0xa3a, 0xa3b},     {0xa3d, 0xa3d},     {0xa43, 0xa46},     {0xa49, 0xa4a},
    {0xa4e, 0xa50},     {0xa52, 0xa58},     {0xa5d, 0xa5d},     {0xa5f, 0xa65},
    {0xa77, 0xa80},     {0xa84, 0xa84},     {0xa8e, 0xa8e},     {0xa92, 0xa92},
    {0xaa9, 0xaa9},     {0xab1, 0xab1},     {0xab4, 0xab4},     {0xaba, 0xabb},
    {0xac6, 0xac6},     {0xaca, 0xaca},     {0xace, 0xacf},     {0xad1, 0xadf},
    {0xae4, 0xae5},     {0xaf2, 0xaf8},     {0xb00, 0xb00},     {0xb04, 0xb04},
    {0xb0d, 0xb0e},     {0xb11, 0xb12},     {0xb29, 0xb29},     {0xb31, 0xb31},
    {0xb34, 0xb34},     {0xb3a, 0xb3b},     {0xb45, 0xb46},     {0xb49, 0xb4a},
    {0xb4e, 0xb54},     {0xb58, 0xb5b},     {0xb5e, 0xb5e},     {0xb64, 0xb65},
    {0xb78, 0xb81},     {0xb84, 0xb84},     {0xb8b, 0xb8d},     {0xb91, 0xb91},
    {0xb96, 0xb98},     {0xb9b, 0xb9b},     {0xb9d, 0xb9d},     {0xba0, 0xba2},
    {0xba5, 0xba7},     {0xbab, 0xbad},     {0xbba, 0xbbd},     {0xbc3, 0xbc5},
    {0xbc9, 0xbc9},     {0xbce, 0xbcf},     {0xbd1, 0xbd6},     {0xbd8, 0xbe5},
    {0xbfb, 0xbff},     {0xc0d, 0xc0d},     {0xc11, 0xc11},     {0xc29, 0xc29},
    {0xc3a, 0xc3b},     {0xc45, 0xc45},     {0xc49, 0xc49},     {0xc4e, 0xc54},
    {0xc57, 0xc57},     {0xc5b, 0xc5c},     {0xc5e, 0xc5f},     {0xc64, 0xc65},
    {0xc70, 0xc76},     {0xc8d, 0xc8d},     {0xc91, 0xc91},     {0xca9, 0xca9},
    {0xcb4, 0xcb4},     {0xcba, 0xcbb},     {0xcc5, 0xcc5},     {0xcc9, 0xcc9},
    {0xcce, 0xcd4},     {0xcd7, 0xcdc},     {0xcdf, 0xcdf},     {0xce4, 0xce5},
    {0xcf0, 0xcf0},     {0xcf3, 0xcff},     {0xd0d, 0xd0d},     {0xd11, 0xd11},
    {0xd45, 0xd45},     {0xd49, 0xd49},     {0xd50, 0xd53},     {0xd64, 0xd65},
    {0xd80, 0xd80},     {0xd84, 0xd84},     {0xd97, 0xd99},     {0xdb2, 0xdb2},
    {0xdbc, 0xdbc},     {0xdbe, 0xdbf},     {0xdc7, 0xdc9},     {0xdcb, 0xdce},
    {0xdd5, 0xdd5},     {0xdd7, 0xdd7},     {0xde0, 0xde5},     {0xdf0, 0xdf1},
    {0xdf5, 0xe00},     {0xe3b, 0xe3e},     {0xe5c, 0xe80},     {0xe83, 0xe83},
    {0xe85, 0xe85},     {0xe8b, 0xe8b},     {0xea4, 0xea4},     {0xea6, 0xea6},
    {0xebe, 0xebf},     {0xec5, 0xec5},     {0xec7, 0xec7},     {0xece, 0xecf},
    {0xeda, 0xedb},     {0xee0, 0xeff},     {0xf48, 0xf48},     {0xf6d, 0xf70},
    {0xf98, 0xf98},     {0xfbd, 0xfbd},     {0xfcd, 0xfcd},     {0xfdb, 0xfff},
    {0x10c6, 0x10c6},   {0x10c8, 0x10cc},   {0x10ce, 0x10cf},   {0x1249, 0x1249},
    {0x124e, 0x124f},   {0x1257, 0x1257},   {0x1259, 0x1259},   {0x125e, 0x125f},
    {0x1289, 0x1289},   {0x128e, 0x128f},   {0x12b1, 0x12b1},   {0x12b6, 0x12b7},
    {0x12bf, 0x12bf},   {0x12c1, 0x12c1},   {0x12c6, 0x12c7},   {0x12d7, 0x12d7},
    {0x1311, 0x1311},   {0x1316, 0x1317},   {0x135b, 0x135c},   {0x137d, 0x137f},
    {0x139a, 0x139f},   {0x13f6, 0x13f7},   {0x13fe, 0x13ff},   {0x1680, 0x1680},
    {0x169d, 0x169f},   {0x16f9, 0x16ff},   {0x1716, 0x171e},   {0x1737, 0x173f},
    {0x1754, 0x175f},   {0x176d, 0x176d},   {0x1771, 0x1771},   {0x1774, 0x177f},
    {0x17de, 0x17df},   {0x17ea, 0x17ef},   {0x17fa, 0x17ff},   {0x180e, 0x180e},
    {0x181a, 0x181f},   {0x1879, 0x187f},   {0x18ab, 0x18af},   {0x18f6, 0x18ff},
    {0x191f, 0x191f},   {0x192c, 0x192f},   {0x193c, 0x193f},   {0x1941, 0x1943},
    {0x196e, 0x196f},   {0x1975, 0x197f},   {0x19ac, 0x19af},   {0x19ca, 0x19cf},
    {0x19db, 0x19dd},   {0x1a1c, 0x1a1d},   {0x1a5f, 0x1a5f},   {0x1a7d, 0x1a7e},
    {0x1a8a, 0x1a8f},   {0x1a9a, 0x1a9f},   {0x1aae, 0x1aaf},   {0x1acf, 0x1aff},
    {0x1b4d, 0x1b4f},   {0x1b7f, 0x1b7f},   {0x1bf4, 0x1bfb},   {0x1c38, 0x1c3a},
    {0x1c4a, 0x1c4c},   {0x1c89, 0x1c8f},   {0x1cbb, 0x1cbc},   {0x1cc8, 0x1ccf},
    {0x1cfb, 0x1cff},   {0x1f16, 0x1f17},   {0x1f1e, 0x1f1f},   {0x1f46, 0x1f47},
    {0x1f4e, 0x1f4f},   {0x1f58, 0x1f58},   {0x1f5a, 0x1f5a},   {0x1f5c, 0x1f5c},
    {0x1f5e, 0x1f5e},   {0x1f7e, 0x1f7f},   {0x1fb5, 0x1fb5},   {0x1fc5, 0x1fc5},
    {0x1fd4, 0x1fd5},   {0x1fdc, 0x1fdc},   {0x1ff0, 0x1ff1},   {0x1ff5, 0x1ff5},
    {0x1fff, 0x200f},   {0x2028, 0x202f},   {0x205f, 0x206f},   {0x2072, 0x2073},
    {0x208f, 0x208f},   {0x209d, 0x209f},   {0x20c1, 0x20cf},   {0x20f1, 0x20ff},
    {0x218c, 0x218f},   {0x2427, 0x243f},   {0x244b, 0x245f},   {0x2b74, 0x2b75},
    {0x2b96, 0x2b96},   {0x2cf4, 0x2cf8},   {0x2d26, 0x2d26},   {0x2d28, 0x2d2c},
    {0x2d2e, 0x2d2f},   {0x2d68, 0x2d6e},   {0x2d71, 0x2d7e},   {0x2d97, 0x2d9f},
    {0x2da7, 0x2da7},   {0x2daf, 0x2daf},   {0x2db7, 0x2db7},   {0x2dbf, 0x2dbf},
    {0x2dc7, 0x2dc7},   {0x2dcf, 0x2dcf},   {0x2dd7, 0x2dd7},   {0x2ddf, 0x2ddf},
    {0x2e5e, 0x2e7f},   {0x2e9a, 0x2e9a},   {0x2ef4, 0x2eff},   {0x2fd6, 0x2fef},
    {0x2ffc, 0x3000},   {0x3040, 0x3040},   {0x3097, 0x3098},   {0x3100, 0x3104},
    {0x3130, 0x3130},   {0x318f, 0x318f},   {0x31e4, 0x31ef},   {0x321f, 0x321f},
    {0xa48d, 0xa48f},   {0xa4c7, 0xa4cf},   {0xa62c, 0xa63f},   {0xa6f8, 0xa6ff},
    {0xa7cb, 0xa7cf},   {0xa7d2, 0xa7d2},   {0xa7d4, 0xa7d4},   {0xa7da, 0xa7f1},
    {0xa82d, 0xa82f},   {0xa83a, 0xa83f},   {0xa878, 0xa87f},   {0xa8c6, 0xa8cd},
    {0xa8da, 0xa8df},   {0xa954, 0xa95e},   {0xa97d, 0xa97f},   {0xa9ce, 0xa9ce},
    {0xa9da, 0xa9dd},   {0xa9ff, 0xa9ff},   {0xaa37, 0xaa3f},   {0xaa4e, 0xaa4f},
    {0xaa5a, 0xaa5b},   {0xaac3, 0xaada},   {0xaaf7, 0xab00},   {0xab07, 0xab08},
    {0xab0f, 0xab10},   {0xab17, 0xab1f},   {0xab27, 0xab27},   {0xab2f, 0xab2f},
    {0xab6c, 0xab6f},   {0xabee, 0xabef},   {0xabfa, 0xabff},   {0xd7a4, 0xd7af},
    {0xd7c7, 0xd7ca},   {0xd7fc, 0xf8ff},   {0xfa6e, 0xfa6f},   {0xfada, 0xfaff},
    {0xfb07, 0xfb12},   {0xfb18, 0xfb1c},   {0xfb37, 0xfb37},   {0xfb3d, 0xfb3d},
    {0xfb3f, 0xfb3f},   {0xfb42, 0xfb42},   {0xfb45, 0xfb45},   {0xfbc3, 0xfbd2},
    {0xfd90, 0xfd91},   {0xfdc8, 0xfdce},   {0xfdd0, 0xfdef},   {0xfe1a, 0xfe1f},
    {0xfe53, 0xfe53},   {0xfe67, 0xfe67},   {0xfe6c, 0xfe6f},   {0xfe75, 0xfe75},
    {0xfefd, 0xff00},   {0xffbf, 0xffc1},   {0xffc8, 0xffc9},   {0xffd0, 0xffd1},
    {0xffd8, 0xffd9},   {0xffdd, 0xffdf},   {0xffe7, 0xffe7},   {0xffef, 0xfffb},
    {0xfffe, 0xffff},   {0x1000c, 0x1000c}, {0x10027, 0x10027}, {0x1003b, 0x1003b},
    {0x1003e, 0x1003e}, {0x1004e, 0x1004f}, {0x1005e, 0x1007f}, {0x100fb, 0x100ff},
    {0x10103, 0x10106}, {0x10134, 0x10136}, {0x1018f, 0x1018f}, {0x1019d, 0x1019f},
    {0x101a1, 0x101cf}, {0x101fe, 0x1027f}, {0x1029d, 0x1029f}, {0x102d1, 0x102df},
    {0x102fc, 0x102ff}, {0x10324, 0x1032c}, {0x1034b, 0x1034f}, {0x1037b, 0x1037f},
    {0x1039e, 0x1039e}, {0x103c4, 0x103c7}, {0x103d6, 0x103ff}, {0x1049e, 0x1049f},
    {0x104aa, 0x104af}, {0x104d4, 0x104d7}, {0x104fc, 0x104ff}, {0x10528, 0x1052f},
    {0x10564, 0x1056e}, {0x1057b, 0x1057b}, {0x1058b, 0x1058b}, {0x10593, 0x10593},
    {0x10596, 0x10596}, {0x105a2, 0x105a2}, {0x105b2, 0x105b2}, {0x105ba, 0x105ba},
    {0x105bd, 0x105ff}, {0x10737, 0x1073f}, {0x10756, 0x1075f}, {0x10768, 0x1077f},
    {0x10786, 0x10786}, {0x107b1, 0x107b1}, {0x107bb, 0x107ff}, {0x10806, 0x10807},
    {0x10809, 0x10809}, {0x10836, 0x10836}, {0x10839, 0x1083b}, {0x1083d, 0x1083e},
    {0x10856, 0x10856}, {0x1089f, 0x108a6}, {0x108b0, 0x108df}, {0x108f3, 0x108f3},
    {0x108f6, 0x108fa}, {0x1091c, 0x1091e}, {0x1093a, 0x1093e}, {0x10940, 0x1097f},
    {0x109b8, 0x109bb}, {0x109d0, 0x109d1}, {0x10a04, 0x10a04}, {0x10a07, 0x10a0b},
    {0x10a14, 0x10a14}, {0x10a18, 0x10a18}, {0x10a36, 0x10a37}, {0x10a3b, 0x10a3e},
    {0x10a49, 0x10a4f}, {0x10a59, 0x10a5f}, {0x10aa0, 0x10abf}, {0x10ae7, 0x10aea},
    {0x10af7, 0x10aff}, {0x10b36, 0x10b38}, {0x10b56, 0x10b57}, {0x10b73, 0x10b77},
    {0x10b92, 0x10b98}, {0x10b9d, 0x10ba8}, {0x10bb0, 0x10bff}, {0x10c49, 0x10c7f},
    {0x10cb3, 0x10cbf}, {0x10cf3, 0x10cf9}, {0x10d28, 0x10d2f}, {0x10d3a, 0x10e5f},
    {0x10e7f, 0x10e7f}, {0x10eaa, 0x10eaa}, {0x10eae, 0x10eaf}, {0x10eb2, 0x10eff},
    {0x10f28, 0x10f2f}, {0x10f5a, 0x10f6f}, {0x10f8a, 0x10faf}, {0x10fcc, 0x10fdf},
    {0x10ff7, 0x10fff}, {0x1104e, 0x11051}, {0x11076, 0x1107e}, {0x110bd, 0x110bd},
    {0x110c3, 0x110cf}, {0x110e9, 0x110ef}, {0x110fa, 0x110ff}, {0x11135, 0x11135},
    {0x11148, 0x1114f}, {0x11177, 0x1117f}, {0x111e0, 0x111e0}, {0x111f5, 0x111ff},
    {0x11212, 0x11212}, {0x1123f, 0x1127f}, {0x11287, 0x11287}, {0x11289, 0x11289},
    {0x1128e, 0x1128e}, {0x1129e, 0x1129e}, {0x112aa, 0x112af}, {0x112eb, 0x112ef},
    {0x112fa, 0x112ff}, {0x11304, 0x11304}, {0x1130d, 0x1130e}, {0x11311, 0x11312},
    {0x11329, 0x11329}, {0x11331, 0x11331}, {0x11334, 0x11334}, {0x1133a, 0x1133a},
    {0x11345, 0x11346}, {0x11349, 0x1134a}, {0x1134e, 0x1134f}, {0x11351, 0x11356},
    {0x11358, 0x1135c}, {0x11364, 0x11365}, {0x1136d, 0x1136f}, {0x11375, 0x113ff},
    {0x1145c, 0x1145c}, {0x11462, 0x1147f}, {0x114c8, 0x114cf}, {0x114da, 0x1157f},
    {0x115b6, 0x115b7}, {0x115de, 0x115ff}, {0x11645, 0x1164f}, {0x1165a, 0x1165f},
    {0x1166d, 0x1167f}, {0x116ba, 0x116bf}, {0x116ca, 0x116ff}, {0x1171b, 0x1171c},
    {0x1172c, 0x1172f}, {0x11747, 0x117ff}, {0x1183c, 0x1189f}, {0x118f3, 0x118fe},
    {0x11907, 0x11908}, {0x1190a, 0x1190b}, {0x11914, 0x11914}, {0x11917, 0x11917},
    {0x11936, 0x11936}, {0x11939, 0x1193a}, {0x11947, 0x1194f}, {0x1195a, 0x1199f},
    {0x119a8, 0x119a9}, {0x119d8, 0x119d9}, {0x119e5, 0x119ff}, {0x11a48, 0x11a4f},
    {0x11aa3, 0x11aaf}, {0x11af9, 0x11bff}, {0x11c09, 0x11c09}, {0x11c37, 0x11c37},
    {0x11c46, 0x11c4f}, {0x11c6d, 0x11c6f}, {0x11c90, 0x11c91}, {0x11ca8, 0x11ca8},
    {0x11cb7, 0x11cff}, {0x11d07, 0x11d07}, {0x11d0a, 0x11d0a}, {0x11d37, 0x11d39},
    {0x11d3b, 0x11d3b}, {0x11d3e, 0x11d3e}, {0x11d48, 0x11d4f}, {0x11d5a, 0x11d5f},
    {0x11d66, 0x11d66}, {0x11d69, 0x11d69}, {0x11d8f, 0x11d8f}, {0x11d92, 0x11d92},
    {0x11d99, 0x11d9f}, {0x11daa, 0x11edf}, {0x11ef9, 0x11faf}, {0x11fb1, 0x11fbf},
    {0x11ff2, 0x11ffe}, {0x1239a, 0x123ff}, {0x1246f, 0x1246f}, {0x12475, 0x1247f},
    {0x12544, 0x12f8f}, {0x12ff3, 0x12fff}, {0x1342f, 0x143ff}, {0x14647, 0x167ff},
    {0x16a39, 0x16a3f}, {0x16a5f, 0x16a5f}, {0x16a6a, 0x16a6d}, {0x16abf, 0x16abf},
    {0x16aca, 0x16acf}, {0x16aee, 0x16aef}, {0x16af6, 0x16aff}, {0x16b46, 0x16b4f},
    {0x16b5a, 0x16b5a}, {0x16b62, 0x16b62}, {0x16b78, 0x16b7c}, {0x16b90, 0x16e3f},
    {0x16e9b, 0x16eff}, {0x16f4b, 0x16f4e}, {0x16f88, 0x16f8e}, {0x16fa0, 0x16fdf},
    {0x16fe5, 0x16fef}, {0x16ff2, 0x16fff}, {0x187f8, 0x187ff}, {0x18cd6, 0x18cff},
    {0x18d09, 0x1afef}, {0x1aff4, 0x1aff4}, {0x1affc, 0x1affc}, {0x1afff, 0x1afff},
    {0x1b123, 0x1b14f}, {0x1b153, 0x1b163}, {0x1b168, 0x1b16f}, {0x1b2fc, 0x1bbff},
    {0x1bc6b, 0x1bc6f}, {0x1bc7d, 0x1bc7f}, {0x1bc89, 0x1bc8f}, {0x1bc9a, 0x1bc9b},
    {0x1bca0, 0x1ceff}, {0x1cf2e, 0x1cf2f}, {0x1cf47, 0x1cf4f}, {0x1cfc4, 0x1cfff},
    {0x1d0f6, 0x1d0ff}, {0x1d127, 0x1d128}, {0x1d173, 0x1d17a}, {0x1d1eb, 0x1d1ff},
    {0x1d246, 0x1d2df}, {0x1d2f4, 0x1d2ff}, {0x1d357, 0x1d35f}, {0x1d379, 0x1d3ff},
    {0x1d455, 0x1d455}, {0x1d49d, 0x1d49d}, {0x1d4a0, 0x1d4a1}, {0x1d4a3, 0x1d4a4},
    {0x1d4a7, 0x1d4a8}, {0x1d4ad, 0x1d4ad}, {0x1d4ba, 0x1d4ba}, {0x1d4bc, 0x1d4bc},
    {0x1d4c4, 0x1d4c4}, {0x1d506, 0x1d506}, {0x1d50b, 0x1d50c}, {0x1d515, 0x1d515},
    {0x1d51d, 0x1d51d}, {0x1d53a, 0x1d53a}, {0x1d53f, 0x1d53f}, {0x1d545, 0x1d545},
    {0x1d547, 0x1d549}, {0x1d551, 0x1d551}, {0x1d6a6, 0x1d6a7}, {0x1d7cc, 0x1d7cd},
    {0x1da8c, 0x1da9a}, {0x1daa0, 0x1daa0}, {0x1dab0, 0x1deff}, {0x1df1f, 0x1dfff},
    {0x1e007, 0x1e007}, {0x1e019, 0x1e01a}, {0x1e022, 0x1e022}, {0x1e025, 0x1e025},
    {0x1e02b, 0x1e0ff}, {0x1e12d, 0x1e12f}, {0x1e13e, 0x1e13f}, {0x1e14a, 0x1e14d},
    {0x1e150, 0x1e28f}, {0x1e2af, 0x1e2bf}, {0x1e2fa, 0x1e2fe}, {0x1e300, 0x1e7df},
    {0x1e7e7, 0x1e7e7}, {0x1e7ec, 0x1e7ec}, {0x1e7ef, 0x1e7ef}, {0x1e7ff, 0x1e7ff},
    {0x1e8c5, 0x1e8c6}, {0x1e8d7, 0x1e8ff}, {0x1e94c, 0x1e94f}, {0x1e95a, 0x1e95d},
    {0x1e960, 0x1ec70}, {0x1ecb5, 0x1ed00}, {0x1ed3e, 0x1edff}, {0x1ee04, 0x1ee04},
    {0x1ee20, 0x1ee20}, {0x1ee23, 0x1ee23}, {0x1ee25, 0x1ee26}, {0x1ee28, 0x1ee28},
    {0x1ee33, 0x1ee33}, {0x1ee38, 0x1ee38}, {0x1ee3a, 0x1ee3a}, {0x1ee3c, 0x1ee41},
    {0x1ee43, 0x1ee46}, {0x1ee48, 0x1ee48}, {0x1ee4a, 0x1ee4a}, {0x1ee4c, 0x1ee4c},
    {0x1ee50, 0x1ee50}, {0x1ee53, 0x1ee53}, {0x1ee55, 0x1ee56}, {0x1ee58, 0x1ee58},
    {0x1ee5a, 0x1ee5a}, {0x1ee5c, 0x1ee5c}, {0x1ee5e, 0x1ee5e}, {0x1ee60, 0x1ee60},
    {0x1ee63, 0x1ee63}, {0x1ee65, 0x1ee66}, {0x1ee6b, 0x1ee6b}, {0x1ee73, 0x1ee73},
    {0x1ee78, 0x1ee78}, {0x1ee7d, 0x1ee7d}, {0x1ee7f, 0x1ee7f}, {0x1ee8a, 0x1ee8a},
    {0x1ee9c, 0x1eea0}, {0x1eea4, 0x1eea4}, {0x1eeaa, 0x1eeaa}, {0x1eebc, 0x1eeef},
    {0x1eef2, 0x1efff}, {0x1f02c, 0x1f02f}, {0x1f094, 0x1f09f}, {0x1f0af, 0x1f0b0},
    {0x1f0c0, 0x1f0c0}, {0x1f0d0, 0x1f0d0}, {0x1f0f6, 0x1f0ff}, {0x1f1ae, 0x1f1e5},
    {0x1f203, 0x1f20f}, {0x1f23c, 0x1f23f}, {0x1f249, 0x1f24f}, {0x1f252, 0x1f25f},
    {0x1f266, 0x1f2ff}, {0x1f6d8, 0x1f6dc}, {0x1f6ed, 0x1f6ef}, {0x1f6fd, 0x1f6ff},
    {0x1f774, 0x1f77f}, {0x1f7d9, 0x1f7df}, {0x1f7ec, 0x1f7ef}, {0x1f7f1, 0x1f7ff},
    {0x1f80c, 0x1f80f}, {0x1f848, 0x1f84f}, {0x1f85a, 0x1f85f}, {0x1f888, 0x1f88f},
    {0x1f8ae, 0x1f8af}, {0x1f8b2, 0x1f8ff}, {0x1fa54, 0x1fa5f}, {0x1fa6e, 0x1fa6f},
    {0x1fa75, 0x1fa77}, {0x1fa7d, 0x1fa7f}, {0x1fa87, 0x1fa8f}, {0x1faad, 0x1faaf},
    {0x1fabb, 0x1fabf}, {0x1fac6, 0x1facf}, {0x1fada, 0x1fadf}, {0x1fae8, 0x1faef},
    {0x1faf7, 0x1faff}, {0x1fb93, 0x1fb93}, {0x1fbcb, 0x1fbef}, {0x1fbfa, 0x1ffff},
    {0x2a6e0, 0x2a6ff}, {0x2b739, 0x2b73f}, {0x2b81e, 0x2b81f}, {0x2cea2, 0x2ceaf},
    {0x2ebe1, 0x2f7ff}, {0x2fa1e, 0x2ffff}, {0x3134b, 0xe00ff}, {0xe01f0, 0x10ffff},
};

/* 1 when cp lies in one of the n sorted [start, end] ranges. */
static int emu__in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

#define EMU__N(a) (sizeof(a) / sizeof((a)[0]))

/* Python's one-character lower() of cp (U+0130 is handled by the caller). */
static uint32_t emu__lower_cp(uint32_t cp)
{
    size_t lo = 0, hi = EMU__N(emu__lower_runs);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct emu__lower_run *r = &emu__lower_runs[mid];
        if (cp < r->start)
            hi = mid;
        else if (cp > r->end)
            lo = mid + 1;
        else
            return (cp - r->start) % r->stride == 0 ? (uint32_t)((int32_t)cp + r->delta) : cp;
    }
    return cp;
}

static char *emu__escape_html(const char *s);

/* ---- a growable byte buffer ------------------------------------------ */

typedef struct emu__buf {
    char *p;
    size_t n, cap;
    int oom;
} emu__buf;

/* Appends len bytes, keeping a NUL after them; sets oom on failure. */
static void emu__buf_add(emu__buf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (len > SIZE_MAX / 2 - b->n) {
        b->oom = 1;
        return;
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* Appends a C string. */
static void emu__buf_puts(emu__buf *b, const char *s)
{
    emu__buf_add(b, s, strlen(s));
}

/* Returns the NUL-terminated contents (caller frees), or NULL after OOM. */
static char *emu__buf_finish(emu__buf *b)
{
    if (!b->oom && !b->p)
        emu__buf_add(b, "", 0);
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decodes the code point at s[*i] (len bytes in all) and advances *i.
 * Returns the code point, or -1 for an invalid byte (then *i moves by 1). */
long emu_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t need;
    long cp;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        need = 1;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        need = 2;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        need = 3;
        cp = c & 0x07;
    } else {
        (*i)++;
        return -1;
    }
    if (*i + need >= len) {
        (*i)++;
        return -1;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) {
            (*i)++;
            return -1;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3f);
    }
    *i += need + 1;
    return cp;
}

/* Appends the UTF-8 encoding of cp. */
static void emu__buf_cp(emu__buf *b, long cp)
{
    char t[4];
    if (cp < 0x80) {
        t[0] = (char)cp;
        emu__buf_add(b, t, 1);
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3f));
        emu__buf_add(b, t, 2);
    } else if (cp < 0x10000) {
        t[0] = (char)(0xe0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        emu__buf_add(b, t, 3);
    } else {
        t[0] = (char)(0xf0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[3] = (char)(0x80 | (cp & 0x3f));
        emu__buf_add(b, t, 4);
    }
}

/* Counts the bytes that start a UTF-8 sequence (no allocation). */
size_t emu_utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

/* 1 when Python's str.isspace() is true for cp. */
static int emu__py_isspace(long cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The zero-width characters notifications-utils removes. */
static int emu__obscure_zero_width(long cp)
{
    return cp == 0x180e || cp == 0x200b || cp == 0x200c || cp == 0x200d || cp == 0x2060 ||
           cp == 0xfeff || cp == 0x2028 || cp == 0x2029;
}

/* The full-width obscure whitespace (no-break spaces). */
static int emu__obscure_full_width(long cp)
{
    return cp == 0xa0 || cp == 0x202f;
}

/* strip_and_remove_obscure_whitespace; malloc'd result for the caller. */
char *emu_strip_obscure_whitespace(const char *s)
{
    emu__buf b = {0};
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t start = i;
        long cp = emu_utf8_next(u, len, &i);
        if (cp >= 0 && (emu__obscure_zero_width(cp) || emu__obscure_full_width(cp)))
            continue;
        emu__buf_add(&b, s + start, i - start);
    }
    char *out = emu__buf_finish(&b);
    if (!out)
        return NULL;
    /* str.strip(string.whitespace) */
    size_t n = strlen(out), a = 0;
    while (n > 0 && strchr(" \t\n\r\v\f", out[n - 1]))
        out[--n] = '\0';
    while (a < n && strchr(" \t\n\r\v\f", out[a]))
        a++;
    memmove(out, out + a, n - a + 1);
    return out;
}

/* str.lower() from the generated table (U+0130 gets its full mapping).
 * Malloc'd result for the caller. */
char *emu_py_lower(const char *s)
{
    size_t len = strlen(s);
    int ascii = 1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            ascii = 0;
    if (ascii) {
        char *out = malloc(len + 1);
        if (!out)
            return NULL;
        for (size_t i = 0; i <= len; i++)
            out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
        return out;
    }
    emu__buf b = {0};
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        long cp = emu_utf8_next(u, len, &i);
        if (cp < 0) {
            emu__buf_add(&b, s + start, i - start);
        } else if (cp == 0x130) { /* full case mapping: İ -> i + combining dot */
            emu__buf_cp(&b, 'i');
            emu__buf_cp(&b, 0x307);
        } else if (cp < 0x80) {
            emu__buf_cp(&b, (cp >= 'A' && cp <= 'Z') ? cp - 'A' + 'a' : cp);
        } else {
            emu__buf_cp(&b, (long)emu__lower_cp((uint32_t)cp));
        }
    }
    return emu__buf_finish(&b);
}

/* InsensitiveDict.make_key; malloc'd result for the caller. */
char *emu_insensitive_key(const char *s)
{
    size_t len = strlen(s);
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '_' && s[i] != '-')
            t[o++] = s[i];
    t[o] = '\0';
    char *out = emu_py_lower(t);
    free(t);
    return out;
}

/* ---- Python str() and repr() ------------------------------------------ */

/* 1 when Python's str.isprintable() is false for a non-ASCII cp. */
static int emu__py_unprintable(long cp)
{
    return emu__in_ranges(emu__unprintable_ranges, EMU__N(emu__unprintable_ranges), (uint32_t)cp);
}

/* Appends Python repr() of a str: quote choice and escapes as CPython does. */
static void emu__repr_string(emu__buf *b, const char *s, size_t len)
{
    int has_sq = memchr(s, '\'', len) != NULL, has_dq = memchr(s, '"', len) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    char t[24];
    emu__buf_add(b, &q, 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        long cp = emu_utf8_next(u, len, &i);
        if (cp < 0) {
            snprintf(t, sizeof(t), "\\x%02x", u[start]);
            emu__buf_puts(b, t);
        } else if (cp == q || cp == '\\') {
            t[0] = '\\';
            t[1] = (char)cp;
            emu__buf_add(b, t, 2);
        } else if (cp == '\t') {
            emu__buf_puts(b, "\\t");
        } else if (cp == '\n') {
            emu__buf_puts(b, "\\n");
        } else if (cp == '\r') {
            emu__buf_puts(b, "\\r");
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(t, sizeof(t), "\\x%02lx", (unsigned long)cp);
            emu__buf_puts(b, t);
        } else if (cp < 0x80 || !emu__py_unprintable(cp)) {
            emu__buf_add(b, s + start, i - start);
        } else {
            if (cp <= 0xff)
                snprintf(t, sizeof(t), "\\x%02lx", (unsigned long)cp);
            else if (cp <= 0xffff)
                snprintf(t, sizeof(t), "\\u%04lx", (unsigned long)cp);
            else
                snprintf(t, sizeof(t), "\\U%08lx", (unsigned long)cp);
            emu__buf_puts(b, t);
        }
    }
    emu__buf_add(b, &q, 1);
}

/* Python's repr() of a float: the shortest digits that round-trip, fixed
 * notation for exponents -4..15, else d.ddde+XX. */
static void emu__repr_float(emu__buf *b, double d)
{
    if (isnan(d)) {
        emu__buf_puts(b, "nan");
        return;
    }
    if (isinf(d)) {
        emu__buf_puts(b, d < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    char digits[32];
    size_t nd = 0;
    const char *p = tmp;
    if (*p == '-')
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    digits[nd] = '\0';
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    if (signbit(d))
        emu__buf_puts(b, "-");
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 >= 0) {
            for (int k = 0; k <= exp10; k++)
                emu__buf_add(b, (size_t)k < nd ? &digits[k] : "0", 1);
            emu__buf_puts(b, ".");
            if ((size_t)exp10 + 1 < nd)
                emu__buf_puts(b, digits + exp10 + 1);
            else
                emu__buf_puts(b, "0");
        } else {
            emu__buf_puts(b, "0.");
            for (int k = 0; k < -exp10 - 1; k++)
                emu__buf_puts(b, "0");
            emu__buf_puts(b, digits);
        }
    } else {
        emu__buf_add(b, digits, 1);
        if (nd > 1) {
            emu__buf_puts(b, ".");
            emu__buf_puts(b, digits + 1);
        }
        snprintf(tmp, sizeof(tmp), "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        emu__buf_puts(b, tmp);
    }
}

/* The placeholder's key: '\xff' never starts a key jansson parsed. */
#define EMU_PYNUM_KEY                                                                              \
    "\xff"                                                                                         \
    "pynum"

json_t *emu_py_number(const char *text)
{
    json_t *o = json_object();
    /* set_new_nocheck takes the string (or a NULL on OOM) even on failure */
    if (!o || json_object_set_new_nocheck(o, EMU_PYNUM_KEY, json_string(text))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *emu_py_number_text(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    return json_string_value(json_object_get(v, EMU_PYNUM_KEY));
}

int emu_is_object(const json_t *v)
{
    return json_is_object(v) && !emu_py_number_text(v);
}

/* Appends Python repr() of any JSON value (bounded depth). */
static void emu__repr(emu__buf *b, const json_t *v, int depth)
{
    char t[32];
    const char *number = emu_py_number_text(v);
    if (number) {
        emu__buf_puts(b, number);
        return;
    }
    if (depth > 64) { /* Python would recurse; keep the stack bounded */
        emu__buf_puts(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        emu__buf_puts(b, "None");
        break;
    case JSON_TRUE:
        emu__buf_puts(b, "True");
        break;
    case JSON_FALSE:
        emu__buf_puts(b, "False");
        break;
    case JSON_INTEGER:
        snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        emu__buf_puts(b, t);
        break;
    case JSON_REAL:
        emu__repr_float(b, json_real_value(v));
        break;
    case JSON_STRING:
        emu__repr_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        emu__buf_puts(b, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                emu__buf_puts(b, ", ");
            emu__repr(b, json_array_get(v, i), depth + 1);
        }
        emu__buf_puts(b, "]");
        break;
    }
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        int first = 1;
        emu__buf_puts(b, "{");
        json_object_foreach((json_t *)v, key, val)
        {
            if (!first)
                emu__buf_puts(b, ", ");
            first = 0;
            emu__repr_string(b, key, strlen(key));
            emu__buf_puts(b, ": ");
            emu__repr(b, val, depth + 1);
        }
        emu__buf_puts(b, "}");
        break;
    }
    }
}

/* repr() of v (None for NULL); malloc'd result for the caller. */
char *emu_py_repr(const json_t *v)
{
    emu__buf b = {0};
    if (v)
        emu__repr(&b, v, 0);
    else
        emu__buf_puts(&b, "None");
    return emu__buf_finish(&b);
}

/* str() of v; malloc'd result for the caller. */
char *emu_py_str(const json_t *v)
{
    if (json_is_string(v)) {
        emu__buf b = {0};
        emu__buf_add(&b, json_string_value(v), json_string_length(v));
        return emu__buf_finish(&b);
    }
    return emu_py_repr(v);
}

/* ---- string lists ------------------------------------------------------ */

void emu_strlist_init(emu_strlist *l)
{
    memset(l, 0, sizeof(*l));
}

/* Appends a copy of s unless an insensitively equal name is there; 0 or -1. */
int emu_strlist_add_unique(emu_strlist *l, const char *s)
{
    char *key = emu_insensitive_key(s);
    if (!key)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(key, l->keys[i]) == 0) {
            free(key);
            return 0;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **items = realloc(l->items, cap * sizeof(*items));
        if (!items) {
            free(key);
            return -1;
        }
        l->items = items;
        char **keys = realloc(l->keys, cap * sizeof(*keys));
        if (!keys) {
            free(key);
            return -1;
        }
        l->keys = keys;
        l->cap = cap;
    }
    char *copy = strdup(s);
    if (!copy) {
        free(key);
        return -1;
    }
    l->items[l->n] = copy;
    l->keys[l->n] = key;
    l->n++;
    return 0;
}

/* Frees every string and the array; the list is left empty. */
void emu_strlist_free(emu_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i]);
        free(l->keys[i]);
    }
    free(l->items);
    free(l->keys);
    memset(l, 0, sizeof(*l));
}

/* ---- placeholders ------------------------------------------------------ */

/* Finds the next placeholder at or after s[*pos]: Field.placeholder_pattern
 * \(\(([^()]+)\)\). Returns 1 and sets *start (the first '(') and *body,
 * *body_len, or 0 when there is none. */
static int emu__next_placeholder(const char *s, size_t *pos, size_t *start, size_t *body,
                                 size_t *body_len)
{
    for (size_t i = *pos; s[i]; i++) {
        if (s[i] != '(' || s[i + 1] != '(')
            continue;
        size_t j = i + 2;
        while (s[j] && s[j] != '(' && s[j] != ')')
            j++;
        if (j > i + 2 && s[j] == ')' && s[j + 1] == ')') {
            *start = i;
            *body = i + 2;
            *body_len = j - (i + 2);
            *pos = j + 2;
            return 1;
        }
    }
    return 0;
}

/* The length of a placeholder's name: the body up to the first "??". */
static size_t emu__name_len(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (body[i] == '?' && body[i + 1] == '?')
            return i;
    return len;
}

/* Appends each placeholder name of text once, in order; 0 or -1 (OOM). */
int emu_template_placeholders(const char *text, emu_strlist *out)
{
    size_t pos = 0, start, body, len;
    if (!text)
        return 0;
    while (emu__next_placeholder(text, &pos, &start, &body, &len)) {
        size_t nl = emu__name_len(text + body, len);
        char *name = strndup(text + body, nl);
        if (!name)
            return -1;
        int rc = emu_strlist_add_unique(out, name);
        free(name);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- rendering --------------------------------------------------------- */

/* The personalisation keys, normalised once per render. */
typedef struct emu__values {
    size_t n;
    char **keys;
    json_t **vals;
} emu__values;

/* Frees the normalised keys (the JSON values are borrowed). */
static void emu__values_free(emu__values *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->keys[i]);
    free(v->keys);
    free(v->vals);
}

/* Normalises the keys (after escape_html when escape is set, as
 * Field.values does). Returns 0, or -1 on OOM (then *v holds nothing to
 * free). */
static int emu__values_init(emu__values *v, json_t *pers, int escape)
{
    memset(v, 0, sizeof(*v));
    if (!emu_is_object(pers) || json_object_size(pers) == 0)
        return 0;
    size_t n = json_object_size(pers);
    v->keys = calloc(n, sizeof(*v->keys));
    v->vals = calloc(n, sizeof(*v->vals));
    if (!v->keys || !v->vals) {
        emu__values_free(v);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(pers, key, val)
    {
        char *esc = escape ? emu__escape_html(key) : NULL;
        v->keys[v->n] = (!escape || esc) ? emu_insensitive_key(esc ? esc : key) : NULL;
        free(esc);
        if (!v->keys[v->n]) {
            emu__values_free(v);
            memset(v, 0, sizeof(*v));
            return -1;
        }
        v->vals[v->n++] = val;
    }
    return 0;
}

/* The value for a placeholder name (the last key that matches, as a Python
 * dict built from the JSON keeps the last), or NULL. *oom set on OOM. */
static json_t *emu__values_get(const emu__values *v, const char *name, int *oom)
{
    char *key = emu_insensitive_key(name);
    if (!key) {
        *oom = 1;
        return NULL;
    }
    json_t *found = NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            found = v->vals[i];
    free(key);
    return found;
}

/* Field.get_replacement for a non-null value: a list becomes its
 * non-empty items as a Markdown list ("\n\n* a\n* b") when markdown_lists,
 * else "a, b and c"; anything else Python str(). Caller frees. */
static char *emu__replacement(const json_t *val, int markdown_lists)
{
    if (!json_is_array(val))
        return emu_py_str(val);
    size_t n = json_array_size(val), kept = 0;
    char **items = n ? calloc(n, sizeof(*items)) : NULL;
    emu__buf b = {0};
    if (n && !items)
        return NULL;
    for (size_t i = 0; i < n && !b.oom; i++) {
        json_t *item = json_array_get(val, i);
        if (json_is_null(item))
            continue;
        char *str = emu_py_str(item);
        char *t = str ? emu_strip_obscure_whitespace(str) : NULL;
        free(str);
        if (!t)
            b.oom = 1;
        else if (*t)
            items[kept++] = t;
        else
            free(t);
    }
    for (size_t i = 0; i < kept; i++) {
        if (markdown_lists) {
            emu__buf_puts(&b, i ? "\n* " : "\n\n* ");
        } else if (i) {
            emu__buf_puts(&b, i + 1 == kept ? " and " : ", ");
        }
        emu__buf_puts(&b, items[i]);
    }
    for (size_t i = 0; i < kept; i++)
        free(items[i]);
    free(items);
    return emu__buf_finish(&b);
}

/* ---- HTML escaping (formatters.escape_html) ------------------------------ */

/* html.entities.html5: the legacy names (with and without ';') and common others. */
static const struct {
    const char *name, *value;
} emu__entities[] = {
    {"AElig", "\xc3\x86"},
    {"AElig;", "\xc3\x86"},
    {"AMP", "&"},
    {"AMP;", "&"},
    {"Aacute", "\xc3\x81"},
    {"Aacute;", "\xc3\x81"},
    {"Acirc", "\xc3\x82"},
    {"Acirc;", "\xc3\x82"},
    {"Agrave", "\xc3\x80"},
    {"Agrave;", "\xc3\x80"},
    {"Aring", "\xc3\x85"},
    {"Aring;", "\xc3\x85"},
    {"Atilde", "\xc3\x83"},
    {"Atilde;", "\xc3\x83"},
    {"Auml", "\xc3\x84"},
    {"Auml;", "\xc3\x84"},
    {"COPY", "\xc2\xa9"},
    {"COPY;", "\xc2\xa9"},
    {"Ccedil", "\xc3\x87"},
    {"Ccedil;", "\xc3\x87"},
    {"Dagger;", "\xe2\x80\xa1"},
    {"ETH", "\xc3\x90"},
    {"ETH;", "\xc3\x90"},
    {"Eacute", "\xc3\x89"},
    {"Eacute;", "\xc3\x89"},
    {"Ecirc", "\xc3\x8a"},
    {"Ecirc;", "\xc3\x8a"},
    {"Egrave", "\xc3\x88"},
    {"Egrave;", "\xc3\x88"},
    {"Euml", "\xc3\x8b"},
    {"Euml;", "\xc3\x8b"},
    {"GT", ">"},
    {"GT;", ">"},
    {"Iacute", "\xc3\x8d"},
    {"Iacute;", "\xc3\x8d"},
    {"Icirc", "\xc3\x8e"},
    {"Icirc;", "\xc3\x8e"},
    {"Igrave", "\xc3\x8c"},
    {"Igrave;", "\xc3\x8c"},
    {"Iuml", "\xc3\x8f"},
    {"Iuml;", "\xc3\x8f"},
    {"LT", "<"},
    {"LT;", "<"},
    {"Ntilde", "\xc3\x91"},
    {"Ntilde;", "\xc3\x91"},
    {"OElig;", "\xc5\x92"},
    {"Oacute", "\xc3\x93"},
    {"Oacute;", "\xc3\x93"},
    {"Ocirc", "\xc3\x94"},
    {"Ocirc;", "\xc3\x94"},
    {"Ograve", "\xc3\x92"},
    {"Ograve;", "\xc3\x92"},
    {"Oslash", "\xc3\x98"},
    {"Oslash;", "\xc3\x98"},
    {"Otilde", "\xc3\x95"},
    {"Otilde;", "\xc3\x95"},
    {"Ouml", "\xc3\x96"},
    {"Ouml;", "\xc3\x96"},
    {"Prime;", "\xe2\x80\xb3"},
    {"QUOT", "\x22"},
    {"QUOT;", "\x22"},
    {"REG", "\xc2\xae"},
    {"REG;", "\xc2\xae"},
    {"Scaron;", "\xc5\xa0"},
    {"THORN", "\xc3\x9e"},
    {"THORN;", "\xc3\x9e"},
    {"Uacute", "\xc3\x9a"},
    {"Uacute;", "\xc3\x9a"},
    {"Ucirc", "\xc3\x9b"},
    {"Ucirc;", "\xc3\x9b"},
    {"Ugrave", "\xc3\x99"},
    {"Ugrave;", "\xc3\x99"},
    {"Uuml", "\xc3\x9c"},
    {"Uuml;", "\xc3\x9c"},
    {"Yacute", "\xc3\x9d"},
    {"Yacute;", "\xc3\x9d"},
    {"Yuml;", "\xc5\xb8"},
    {"aacute", "\xc3\xa1"},
    {"aacute;", "\xc3\xa1"},
    {"acirc", "\xc3\xa2"},
    {"acirc;", "\xc3\xa2"},
    {"acute", "\xc2\xb4"},
    {"acute;", "\xc2\xb4"},
    {"aelig", "\xc3\xa6"},
    {"aelig;", "\xc3\xa6"},
    {"agrave", "\xc3\xa0"},
    {"agrave;", "\xc3\xa0"},
    {"amp", "&"},
    {"amp;", "&"},
    {"apos;", "'"},
    {"aring", "\xc3\xa5"},
    {"aring;", "\xc3\xa5"},
    {"atilde", "\xc3\xa3"},
    {"atilde;", "\xc3\xa3"},
    {"auml", "\xc3\xa4"},
    {"auml;", "\xc3\xa4"},
    {"bdquo;", "\xe2\x80\x9e"},
    {"brvbar", "\xc2\xa6"},
    {"brvbar;", "\xc2\xa6"},
    {"bull;", "\xe2\x80\xa2"},
    {"ccedil", "\xc3\xa7"},
    {"ccedil;", "\xc3\xa7"},
    {"cedil", "\xc2\xb8"},
    {"cedil;", "\xc2\xb8"},
    {"cent", "\xc2\xa2"},
    {"cent;", "\xc2\xa2"},
    {"check;", "\xe2\x9c\x93"},
    {"circ;", "\xcb\x86"},
    {"copy", "\xc2\xa9"},
    {"copy;", "\xc2\xa9"},
    {"curren", "\xc2\xa4"},
    {"curren;", "\xc2\xa4"},
    {"dagger;", "\xe2\x80\xa0"},
    {"darr;", "\xe2\x86\x93"},
    {"deg", "\xc2\xb0"},
    {"deg;", "\xc2\xb0"},
    {"divide", "\xc3\xb7"},
    {"divide;", "\xc3\xb7"},
    {"eacute", "\xc3\xa9"},
    {"eacute;", "\xc3\xa9"},
    {"ecirc", "\xc3\xaa"},
    {"ecirc;", "\xc3\xaa"},
    {"egrave", "\xc3\xa8"},
    {"egrave;", "\xc3\xa8"},
    {"emsp;", "\xe2\x80\x83"},
    {"ensp;", "\xe2\x80\x82"},
    {"eth", "\xc3\xb0"},
    {"eth;", "\xc3\xb0"},
    {"euml", "\xc3\xab"},
    {"euml;", "\xc3\xab"},
    {"euro;", "\xe2\x82\xac"},
    {"fnof;", "\xc6\x92"},
    {"frac12", "\xc2\xbd"},
    {"frac12;", "\xc2\xbd"},
    {"frac14", "\xc2\xbc"},
    {"frac14;", "\xc2\xbc"},
    {"frac34", "\xc2\xbe"},
    {"frac34;", "\xc2\xbe"},
    {"ge;", "\xe2\x89\xa5"},
    {"gt", ">"},
    {"gt;", ">"},
    {"harr;", "\xe2\x86\x94"},
    {"hearts;", "\xe2\x99\xa5"},
    {"hellip;", "\xe2\x80\xa6"},
    {"iacute", "\xc3\xad"},
    {"iacute;", "\xc3\xad"},
    {"icirc", "\xc3\xae"},
    {"icirc;", "\xc3\xae"},
    {"iexcl", "\xc2\xa1"},
    {"iexcl;", "\xc2\xa1"},
    {"igrave", "\xc3\xac"},
    {"igrave;", "\xc3\xac"},
    {"infin;", "\xe2\x88\x9e"},
    {"iquest", "\xc2\xbf"},
    {"iquest;", "\xc2\xbf"},
    {"iuml", "\xc3\xaf"},
    {"iuml;", "\xc3\xaf"},
    {"laquo", "\xc2\xab"},
    {"laquo;", "\xc2\xab"},
    {"larr;", "\xe2\x86\x90"},
    {"ldquo;", "\xe2\x80\x9c"},
    {"le;", "\xe2\x89\xa4"},
    {"lrm;", "\xe2\x80\x8e"},
    {"lsaquo;", "\xe2\x80\xb9"},
    {"lsquo;", "\xe2\x80\x98"},
    {"lt", "<"},
    {"lt;", "<"},
    {"macr", "\xc2\xaf"},
    {"macr;", "\xc2\xaf"},
    {"mdash;", "\xe2\x80\x94"},
    {"micro", "\xc2\xb5"},
    {"micro;", "\xc2\xb5"},
    {"middot", "\xc2\xb7"},
    {"middot;", "\xc2\xb7"},
    {"minus;", "\xe2\x88\x92"},
    {"nbsp", "\xc2\xa0"},
    {"nbsp;", "\xc2\xa0"},
    {"ndash;", "\xe2\x80\x93"},
    {"ne;", "\xe2\x89\xa0"},
    {"not", "\xc2\xac"},
    {"not;", "\xc2\xac"},
    {"ntilde", "\xc3\xb1"},
    {"ntilde;", "\xc3\xb1"},
    {"oacute", "\xc3\xb3"},
    {"oacute;", "\xc3\xb3"},
    {"ocirc", "\xc3\xb4"},
    {"ocirc;", "\xc3\xb4"},
    {"oelig;", "\xc5\x93"},
    {"ograve", "\xc3\xb2"},
    {"ograve;", "\xc3\xb2"},
    {"ordf", "\xc2\xaa"},
    {"ordf;", "\xc2\xaa"},
    {"ordm", "\xc2\xba"},
    {"ordm;", "\xc2\xba"},
    {"oslash", "\xc3\xb8"},
    {"oslash;", "\xc3\xb8"},
    {"otilde", "\xc3\xb5"},
    {"otilde;", "\xc3\xb5"},
    {"ouml", "\xc3\xb6"},
    {"ouml;", "\xc3\xb6"},
    {"para", "\xc2\xb6"},
    {"para;", "\xc2\xb6"},
    {"permil;", "\xe2\x80\xb0"},
    {"plusmn", "\xc2\xb1"},
    {"plusmn;", "\xc2\xb1"},
    {"pound", "\xc2\xa3"},
    {"pound;", "\xc2\xa3"},
    {"prime;", "\xe2\x80\xb2"},
    {"quot", "\x22"},
    {"quot;", "\x22"},
    {"raquo", "\xc2\xbb"},
    {"raquo;", "\xc2\xbb"},
    {"rarr;", "\xe2\x86\x92"},
    {"rdquo;", "\xe2\x80\x9d"},
    {"reg", "\xc2\xae"},
    {"reg;", "\xc2\xae"},
    {"rlm;", "\xe2\x80\x8f"},
    {"rsaquo;", "\xe2\x80\xba"},
    {"rsquo;", "\xe2\x80\x99"},
    {"sbquo;", "\xe2\x80\x9a"},
    {"scaron;", "\xc5\xa1"},
    {"sect", "\xc2\xa7"},
    {"sect;", "\xc2\xa7"},
    {"shy", "\xc2\xad"},
    {"shy;", "\xc2\xad"},
    {"star;", "\xe2\x98\x86"},
    {"sup1", "\xc2\xb9"},
    {"sup1;", "\xc2\xb9"},
    {"sup2", "\xc2\xb2"},
    {"sup2;", "\xc2\xb2"},
    {"sup3", "\xc2\xb3"},
    {"sup3;", "\xc2\xb3"},
    {"szlig", "\xc3\x9f"},
    {"szlig;", "\xc3\x9f"},
    {"thinsp;", "\xe2\x80\x89"},
    {"thorn", "\xc3\xbe"},
    {"thorn;", "\xc3\xbe"},
    {"tilde;", "\xcb\x9c"},
    {"times", "\xc3\x97"},
    {"times;", "\xc3\x97"},
    {"trade;", "\xe2\x84\xa2"},
    {"uacute", "\xc3\xba"},
    {"uacute;", "\xc3\xba"},
    {"uarr;", "\xe2\x86\x91"},
    {"ucirc", "\xc3\xbb"},
    {"ucirc;", "\xc3\xbb"},
    {"ugrave", "\xc3\xb9"},
    {"ugrave;", "\xc3\xb9"},
    {"uml", "\xc2\xa8"},
    {"uml;", "\xc2\xa8"},
    {"uuml", "\xc3\xbc"},
    {"uuml;", "\xc3\xbc"},
    {"yacute", "\xc3\xbd"},
    {"yacute;", "\xc3\xbd"},
    {"yen", "\xc2\xa5"},
    {"yen;", "\xc2\xa5"},
    {"yuml", "\xc3\xbf"},
    {"yuml;", "\xc3\xbf"},
    {"zwj;", "\xe2\x80\x8d"},
    {"zwnj;", "\xe2\x80\x8c"},
};

/* Code points Python's html module drops from a numeric character reference. */
static int emu__charref_dropped(uint32_t n)
{
    return (n >= 0x1 && n <= 0x8) || n == 0xb || (n >= 0xe && n <= 0x1f) ||
           (n >= 0x7f && n <= 0x9f) || (n >= 0xfdd0 && n <= 0xfdef) || (n & 0xfffe) == 0xfffe;
}

/* html._replace_charref for a numeric reference. Appends its text. */
static void emu__numeric_charref(emu__buf *b, uint32_t n)
{
    static const uint16_t cp1252[32] = {
        0x20ac, 0x81,   0x201a, 0x192,  0x201e, 0x2026, 0x2020, 0x2021, 0x2c6,  0x2030, 0x160,
        0x2039, 0x152,  0x8d,   0x17d,  0x8f,   0x90,   0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
        0x2013, 0x2014, 0x2dc,  0x2122, 0x161,  0x203a, 0x153,  0x9d,   0x17e,  0x178};
    if (n == 0)
        emu__buf_cp(b, 0xfffd);
    else if (n == 0xd)
        emu__buf_cp(b, '\r');
    else if (n >= 0x80 && n <= 0x9f)
        emu__buf_cp(b, cp1252[n - 0x80]);
    else if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff)
        emu__buf_cp(b, 0xfffd);
    else if (!emu__charref_dropped(n))
        emu__buf_cp(b, (long)n);
}

/* The value of an entity name ("amp;" or a legacy "amp"), or NULL. */
static const char *emu__entity(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(emu__entities) / sizeof(emu__entities[0]); i++)
        if (strlen(emu__entities[i].name) == len && strncmp(emu__entities[i].name, name, len) == 0)
            return emu__entities[i].value;
    return NULL;
}

/* formatters.unescape_strict: character references that end with ';'
 * (&#123; &#x1F; &name;) become characters, as html.unescape does. */
static void emu__unescape_strict(const char *s, emu__buf *b)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        if (s[i] != '&') {
            emu__buf_add(b, s + i, 1);
            i++;
            continue;
        }
        size_t j = i + 1;
        if (s[j] == '#') {
            int hex = s[j + 1] == 'x' || s[j + 1] == 'X';
            size_t k = j + 1 + (size_t)hex, d = k;
            uint32_t n = 0;
            while (hex ? emu_hex_value(s[d]) >= 0 : (s[d] >= '0' && s[d] <= '9')) {
                uint32_t v = (uint32_t)(hex ? emu_hex_value(s[d]) : s[d] - '0');
                n = n > 0x10ffff ? n : n * (hex ? 16 : 10) + v;
                d++;
            }
            if (d > k && s[d] == ';') {
                emu__numeric_charref(b, n);
                i = d + 1;
                continue;
            }
        } else {
            size_t k = j;
            while (k < len && k - j < 33 && !strchr("\t\n\f <&#;", s[k]))
                k++;
            if (k > j && k - j <= 32 && s[k] == ';') {
                const char *v = emu__entity(s + j, k + 1 - j);
                if (v) {
                    emu__buf_puts(b, v);
                } else {
                    /* the longest legacy name that starts the reference */
                    size_t x = k + 1 - j;
                    for (x = x - 1; x >= 2; x--)
                        if ((v = emu__entity(s + j, x)))
                            break;
                    if (v && x >= 2) {
                        emu__buf_puts(b, v);
                        emu__buf_add(b, s + j + x, k + 1 - j - x);
                    } else {
                        emu__buf_add(b, s + i, k + 1 - i);
                    }
                }
                i = k + 1;
                continue;
            }
        }
        emu__buf_add(b, s + i, 1);
        i++;
    }
}

/* Replaces every occurrence of from with to; returns a malloc'd string. */
static char *emu__replace_all(const char *s, const char *from, const char *to)
{
    emu__buf b = {0};
    size_t fl = strlen(from);
    for (const char *p = s; *p;) {
        if (strncmp(p, from, fl) == 0) {
            emu__buf_puts(&b, to);
            p += fl;
        } else {
            emu__buf_add(&b, p, 1);
            p++;
        }
    }
    return emu__buf_finish(&b);
}

/* formatters.escape_html: &nbsp; and &amp; are kept, other character
 * references are decoded, then &, < and > are escaped. Caller frees. */
static char *emu__escape_html(const char *s)
{
    static const char P1[] =
        "\xf0\x9f\x91\xbe\xf0\x9f\x90\xa6\xf0\x9f\xa5\xb4"; /* alien, bird, woozy */
    static const char P2[] = "\xe2\x9e\x95\xf0\x9f\x90\xa6\xf0\x9f\xa5\xb4"; /* plus, bird, woozy */
    char *a = emu__replace_all(s, "&nbsp;", P1);
    char *c = a ? emu__replace_all(a, "&amp;", P2) : NULL;
    free(a);
    if (!c)
        return NULL;
    emu__buf u = {0};
    emu__unescape_strict(c, &u);
    free(c);
    char *d = emu__buf_finish(&u);
    if (!d)
        return NULL;
    emu__buf e = {0};
    for (const char *p = d; *p; p++) {
        if (*p == '&')
            emu__buf_puts(&e, "&amp;");
        else if (*p == '<')
            emu__buf_puts(&e, "&lt;");
        else if (*p == '>')
            emu__buf_puts(&e, "&gt;");
        else
            emu__buf_add(&e, p, 1);
    }
    free(d);
    char *f = emu__buf_finish(&e);
    char *g = f ? emu__replace_all(f, P1, "&nbsp;") : NULL;
    free(f);
    char *h = g ? emu__replace_all(g, P2, "&amp;") : NULL;
    free(g);
    return h;
}

/* notifications-utils str2bool. */
static int emu__str2bool(const char *s)
{
    static const char *const yes[] = {"yes", "y", "true", "t", "1", "include", "show"};
    if (!*s)
        return 0;
    char *low = emu_py_lower(s);
    int r = 0;
    for (size_t i = 0; low && i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcmp(low, yes[i]) == 0)
            r = 1;
    free(low);
    return r;
}

/* Field(html="passthrough", markdown_lists=True).replaced; malloc'd result. */
/* Field(text, values, html=escape ? "escape" : "passthrough",
 * markdown_lists).replaced, collecting missing names. Caller frees. */
static char *emu__render(const char *text, json_t *personalisation, emu_strlist *missing,
                         int markdown_lists, int escape)
{
    emu__values vals;
    char *escaped = NULL;
    if (!text)
        text = "";
    if (escape) {
        escaped = emu__escape_html(text);
        if (!escaped)
            return NULL;
        text = escaped;
    }
    if (emu__values_init(&vals, personalisation, escape)) {
        free(escaped);
        return NULL;
    }
    emu__buf b = {0};
    size_t pos = 0, prev = 0, start, body, len;
    while (!b.oom && emu__next_placeholder(text, &pos, &start, &body, &len)) {
        emu__buf_add(&b, text + prev, start - prev);
        prev = pos;
        size_t nl = emu__name_len(text + body, len);
        char *name = strndup(text + body, nl);
        if (!name) {
            b.oom = 1;
            break;
        }
        int oom = 0;
        json_t *val = emu__values_get(&vals, name, &oom);
        if (oom) {
            free(name);
            b.oom = 1;
            break;
        }
        if (!val || json_is_null(val)) {
            if (missing && emu_strlist_add_unique(missing, name))
                b.oom = 1;
            emu__buf_add(&b, text + start, pos - start);
        } else {
            char *raw = emu__replacement(val, markdown_lists);
            char *rep = raw;
            if (raw && escape && *raw) {
                rep = emu__escape_html(raw);
                free(raw);
            }
            if (!rep) {
                b.oom = 1;
            } else if (nl < len) { /* conditional: ((name??text)) */
                if (emu__str2bool(rep))
                    emu__buf_add(&b, text + body + nl + 2, len - nl - 2);
            } else {
                emu__buf_puts(&b, rep);
            }
            free(rep);
        }
        free(name);
    }
    emu__buf_puts(&b, text + prev);
    emu__values_free(&vals);
    free(escaped);
    return emu__buf_finish(&b);
}

char *emu_template_render(const char *text, json_t *personalisation, emu_strlist *missing)
{
    return emu__render(text, personalisation, missing, 1, 0);
}

/* Python str.strip() of UTF-8 text, in place. */
static void emu__py_strip(char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, first = len, last = 0;
    while (i < len) {
        size_t at = i;
        long cp = emu_utf8_next(u, len, &i);
        if (cp < 0 || !emu__py_isspace(cp)) {
            if (first == len)
                first = at;
            last = i;
        }
    }
    if (first == len) {
        s[0] = '\0';
        return;
    }
    memmove(s, s + first, last - first);
    s[last - first] = '\0';
}

/* content_with_placeholders_filled_in; malloc'd result for the caller. */
char *emu_template_render_body(const char *text, json_t *personalisation, emu_strlist *missing)
{
    char *out = emu_template_render(text, personalisation, missing);
    if (out)
        emu__py_strip(out);
    return out;
}

/* Template.is_message_empty over the raw content and the rendered body. */
int emu_template_is_empty(const char *content, const char *body)
{
    if (!content || !*content)
        return 1;
    size_t n = strlen(content);
    if (n < 2 || strncmp(content, "((", 2) != 0 || strcmp(content + n - 2, "))") != 0)
        return 0;
    return !body || !*body;
}

/* One code point of s at *i as (cp, byte length); cp -1 for invalid. */
static long emu__peek(const char *s, size_t len, size_t i, size_t *n)
{
    size_t j = i;
    long cp = emu_utf8_next((const unsigned char *)s, len, &j);
    *n = j - i;
    return cp;
}

/* formatters.remove_whitespace_before_punctuation: (?<![ \t])[ \t]+([,.]). */
static char *emu__remove_ws_before_punct(const char *s)
{
    emu__buf b = {0};
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        if (s[i] == ' ' || s[i] == '\t') {
            size_t j = i;
            while (j < len && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < len && (s[j] == ',' || s[j] == '.')) {
                i = j;
                continue;
            }
            emu__buf_add(&b, s + i, j - i);
            i = j;
            continue;
        }
        emu__buf_add(&b, s + i, 1);
        i++;
    }
    return emu__buf_finish(&b);
}

/* 1 for '-', U+2013 or U+2014. */
static int emu__is_dash(long cp)
{
    return cp == '-' || cp == 0x2013 || cp == 0x2014;
}

/* formatters.replace_hyphens_with_en_dashes: (?<!\s)\s+[-–—]{1,3}\s+ -> " – ". */
static char *emu__en_dashes(const char *s)
{
    emu__buf b = {0};
    size_t len = strlen(s), n;
    int prev_space = 0;
    for (size_t i = 0; i < len;) {
        long cp = emu__peek(s, len, i, &n);
        if (cp >= 0 && emu__py_isspace(cp) && !prev_space) {
            size_t j = i, m;
            long c;
            while (j < len && (c = emu__peek(s, len, j, &m)) >= 0 && emu__py_isspace(c))
                j += m;
            size_t k = j;
            int dashes = 0;
            while (k < len && dashes < 3 && (c = emu__peek(s, len, k, &m)) >= 0 &&
                   emu__is_dash(c)) {
                k += m;
                dashes++;
            }
            size_t e = k;
            while (e < len && (c = emu__peek(s, len, e, &m)) >= 0 && emu__py_isspace(c))
                e += m;
            if (dashes > 0 && e > k) {
                emu__buf_puts(&b, " \xe2\x80\x93 ");
                i = e;
                prev_space = 1;
                continue;
            }
        }
        prev_space = cp >= 0 && emu__py_isspace(cp);
        emu__buf_add(&b, s + i, n);
        i += n;
    }
    return emu__buf_finish(&b);
}

/* formatters.normalise_whitespace: no-break spaces become spaces, zero-width
 * characters go, then " ".join(value.split()). */
static char *emu__normalise_whitespace(const char *s)
{
    emu__buf b = {0};
    size_t len = strlen(s), n;
    int pending = 0;
    for (size_t i = 0; i < len; i += n) {
        long cp = emu__peek(s, len, i, &n);
        if (cp >= 0 && emu__obscure_zero_width(cp))
            continue;
        if (cp >= 0 && (emu__obscure_full_width(cp) || emu__py_isspace(cp))) {
            pending = 1;
            continue;
        }
        if (pending && b.n)
            emu__buf_puts(&b, " ");
        pending = 0;
        emu__buf_add(&b, s + i, n);
    }
    return emu__buf_finish(&b);
}

/* ---- smartypants (quotes only, Unicode output) -------------------------- */

/* Text as code points, for the regex-like passes below. */
typedef struct emu__cps {
    uint32_t *v;
    size_t n, cap;
    int oom;
} emu__cps;

/* Appends one code point; sets oom on failure. */
static void emu__cps_push(emu__cps *c, uint32_t cp)
{
    if (c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = cp;
}

/* Appends the code points of an ASCII string. */
static void emu__cps_puts(emu__cps *c, const char *ascii)
{
    for (; *ascii; ascii++)
        emu__cps_push(c, (unsigned char)*ascii);
}

/* The code point at i, or 0 past the end (0 never occurs in the text). */
static uint32_t emu__cp_at(const emu__cps *c, size_t i)
{
    return i < c->n ? c->v[i] : 0;
}

/* 1 when the ASCII string occurs at i. */
static int emu__cps_has(const emu__cps *c, size_t i, const char *ascii)
{
    for (size_t k = 0; ascii[k]; k++)
        if (emu__cp_at(c, i + k) != (unsigned char)ascii[k])
            return 0;
    return 1;
}

/* Python's \w for a code point (0 = end of text: not a word character). */
static int emu__is_word(uint32_t cp)
{
    if (cp == 0)
        return 0;
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               cp == '_';
    return emu__in_ranges(emu__word_ranges, EMU__N(emu__word_ranges), cp);
}

/* Python's \d for a code point. */
static int emu__is_digit(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    return emu__in_ranges(emu__digit_ranges, EMU__N(emu__digit_ranges), cp);
}

/* smartypants' punct_class: ASCII punctuation except '&'. */
static int emu__is_punct(uint32_t cp)
{
    return cp && cp < 0x80 && strchr("!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~", (int)cp);
}

/* close_class [^ \t\r\n[{(-] (0 = end: no character). */
static int emu__is_close(uint32_t cp)
{
    return cp && !(cp < 0x80 && strchr(" \t\r\n[{(-", (int)cp));
}

/* Python \s for a code point (0 = end of text: no). */
static int emu__space(uint32_t cp)
{
    return cp && emu__py_isspace((long)cp);
}

/* One pass of smartypants.convert_quotes, from a into a fresh *b. */
typedef void (*emu__pass_fn)(const emu__cps *a, emu__cps *b, uint32_t q);

/* ^'(?=punct\\B) and ^"(?=punct\\B): the raw string makes "\\B" a literal
 * backslash and B. */
static void emu__pass_start(const emu__cps *a, emu__cps *b, uint32_t q)
{
    size_t i = 0;
    if (emu__cp_at(a, 0) == q && emu__is_punct(emu__cp_at(a, 1)) && emu__cp_at(a, 2) == '\\' &&
        emu__cp_at(a, 3) == 'B') {
        emu__cps_puts(b, q == '\'' ? "&#8217;" : "&#8221;");
        i = 1;
    }
    for (; i < a->n; i++)
        emu__cps_push(b, a->v[i]);
}

/* "'(?=\w) and '"(?=\w) (q is the first quote). */
static void emu__pass_double_set(const emu__cps *a, emu__cps *b, uint32_t q)
{
    uint32_t other = q == '"' ? '\'' : '"';
    for (size_t i = 0; i < a->n;) {
        if (a->v[i] == q && emu__cp_at(a, i + 1) == other && emu__is_word(emu__cp_at(a, i + 2))) {
            emu__cps_puts(b, q == '"' ? "&#8220;&#8216;" : "&#8216;&#8220;");
            i += 2;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* \b'(?=\d{2}s): decade abbreviations. */
static void emu__pass_decade(const emu__cps *a, emu__cps *b, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] == '\'' && i > 0 && emu__is_word(a->v[i - 1]) &&
            emu__is_digit(emu__cp_at(a, i + 1)) && emu__is_digit(emu__cp_at(a, i + 2)) &&
            emu__cp_at(a, i + 3) == 's')
            emu__cps_puts(b, "&#8217;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* (\s|&nbsp;|--|&[mn]dash;|&&\#x201[34];)q(?=\w) -> \1 + opening entity. The
 * "&&#x201[34];" alternative is what the verbose pattern compiles to: its
 * "&#8211;|&#8212;" starts a comment after the "&". */
static void emu__pass_opening(const emu__cps *a, emu__cps *b, uint32_t q)
{
    for (size_t i = 0; i < a->n;) {
        size_t len = 0;
        size_t cands[5];
        size_t nc = 0;
        if (emu__space(a->v[i]))
            cands[nc++] = 1;
        if (emu__cps_has(a, i, "&nbsp;"))
            cands[nc++] = 6;
        if (emu__cps_has(a, i, "--"))
            cands[nc++] = 2;
        if (emu__cps_has(a, i, "&mdash;") || emu__cps_has(a, i, "&ndash;"))
            cands[nc++] = 7;
        if (emu__cps_has(a, i, "&&#x2013;") || emu__cps_has(a, i, "&&#x2014;"))
            cands[nc++] = 9;
        for (size_t k = 0; k < nc && !len; k++)
            if (emu__cp_at(a, i + cands[k]) == q && emu__is_word(emu__cp_at(a, i + cands[k] + 1)))
                len = cands[k];
        if (len) {
            for (size_t k = 0; k < len; k++)
                emu__cps_push(b, a->v[i + k]);
            emu__cps_puts(b, q == '\'' ? "&#8216;" : "&#8220;");
            i += len + 1;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* (close)'(?!\s|s\b|\d) -> \1&#8217; */
static void emu__pass_close1(const emu__cps *a, emu__cps *b, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n;) {
        uint32_t n2 = emu__cp_at(a, i + 2);
        int blocked = emu__space(n2) || (n2 == 's' && !emu__is_word(emu__cp_at(a, i + 3))) ||
                      emu__is_digit(n2);
        if (emu__is_close(a->v[i]) && emu__cp_at(a, i + 1) == '\'' && !blocked) {
            emu__cps_push(b, a->v[i]);
            emu__cps_puts(b, "&#8217;");
            i += 2;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* (close)'(\s|s\b) -> \1&#8217;\2 */
static void emu__pass_close2(const emu__cps *a, emu__cps *b, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n;) {
        uint32_t n2 = emu__cp_at(a, i + 2);
        int follows = emu__space(n2) || (n2 == 's' && !emu__is_word(emu__cp_at(a, i + 3)));
        if (emu__is_close(a->v[i]) && emu__cp_at(a, i + 1) == '\'' && follows) {
            emu__cps_push(b, a->v[i]);
            emu__cps_puts(b, "&#8217;");
            emu__cps_push(b, n2);
            i += 3;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* Every remaining q becomes the opening entity. */
static void emu__pass_rest(const emu__cps *a, emu__cps *b, uint32_t q)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] == q)
            emu__cps_puts(b, q == '\'' ? "&#8216;" : "&#8220;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* "(?=\s) -> &#8221; */
static void emu__pass_dq_close_space(const emu__cps *a, emu__cps *b, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] == '"' && emu__space(emu__cp_at(a, i + 1)))
            emu__cps_puts(b, "&#8221;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* ^"(?=punct) -> &#8221; */
static void emu__pass_dq_close_start(const emu__cps *a, emu__cps *b, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n; i++) {
        if (i == 0 && a->v[i] == '"' && emu__is_punct(emu__cp_at(a, 1)))
            emu__cps_puts(b, "&#8221;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* (close)" -> \1&#8221; */
static void emu__pass_dq_close(const emu__cps *a, emu__cps *b, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n;) {
        if (emu__is_close(a->v[i]) && emu__cp_at(a, i + 1) == '"') {
            emu__cps_push(b, a->v[i]);
            emu__cps_puts(b, "&#8221;");
            i += 2;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* Runs one pass, replacing *a. Returns 0 or -1 on OOM. */
static int emu__run_pass(emu__cps *a, emu__pass_fn fn, uint32_t q)
{
    emu__cps b = {0};
    fn(a, &b, q);
    free(a->v);
    *a = b;
    return b.oom ? -1 : 0;
}

/* smartypants.convert_quotes over one text token, in place. */
static int emu__convert_quotes(emu__cps *t)
{
    struct {
        emu__pass_fn fn;
        uint32_t q;
    } passes[] = {
        {emu__pass_start, '\''},         {emu__pass_start, '"'},
        {emu__pass_double_set, '"'},     {emu__pass_double_set, '\''},
        {emu__pass_decade, '\''},        {emu__pass_opening, '\''},
        {emu__pass_close1, '\''},        {emu__pass_close2, '\''},
        {emu__pass_rest, '\''},          {emu__pass_opening, '"'},
        {emu__pass_dq_close_space, '"'}, {emu__pass_dq_close_start, '"'},
        {emu__pass_dq_close, '"'},       {emu__pass_rest, '"'},
    };
    for (size_t k = 0; k < sizeof(passes) / sizeof(passes[0]); k++)
        if (emu__run_pass(t, passes[k].fn, passes[k].q))
            return -1;
    return 0;
}

/* smartypants.process_escapes: \\ then \" \' \. \- \` become entities. */
static int emu__process_escapes(emu__cps *t)
{
    emu__cps b = {0};
    for (size_t i = 0; i < t->n;) {
        if (t->v[i] == '\\' && emu__cp_at(t, i + 1) == '\\') {
            emu__cps_puts(&b, "&#92;");
            i += 2;
        } else {
            emu__cps_push(&b, t->v[i++]);
        }
    }
    free(t->v);
    *t = b;
    if (b.oom)
        return -1;
    emu__cps c = {0};
    for (size_t i = 0; i < t->n;) {
        const char *e = NULL;
        if (t->v[i] == '\\') {
            switch (emu__cp_at(t, i + 1)) {
            case '"':
                e = "&#34;";
                break;
            case '\'':
                e = "&#39;";
                break;
            case '.':
                e = "&#46;";
                break;
            case '-':
                e = "&#45;";
                break;
            case '`':
                e = "&#96;";
                break;
            default:
                break;
            }
        }
        if (e) {
            emu__cps_puts(&c, e);
            i += 2;
        } else {
            emu__cps_push(&c, t->v[i++]);
        }
    }
    free(t->v);
    *t = c;
    return c.oom ? -1 : 0;
}

/* smartypants.convert_entities(text, 0) for the entities convert_quotes
 * makes, appending UTF-8 to out. */
static void emu__emit_entities(const emu__cps *t, emu__buf *out)
{
    static const struct {
        const char *ent;
        long cp;
    } tbl[] = {{"&#8211;", 0x2013}, {"&#8212;", 0x2014}, {"&#8216;", 0x2018}, {"&#8217;", 0x2019},
               {"&#8220;", 0x201c}, {"&#8221;", 0x201d}, {"&#8230;", 0x2026}};
    for (size_t i = 0; i < t->n;) {
        int done = 0;
        for (size_t k = 0; k < sizeof(tbl) / sizeof(tbl[0]) && !done; k++) {
            if (emu__cps_has(t, i, tbl[k].ent)) {
                emu__buf_cp(out, tbl[k].cp);
                i += strlen(tbl[k].ent);
                done = 1;
            }
        }
        if (!done)
            emu__buf_cp(out, (long)t->v[i++]);
    }
}

/* 1 when the tag (from its '<') opens or closes a skipped element:
 * <(/)?(pre|samp|code|tt|kbd|script|style|math|a)[^>]*> case-insensitively
 * ('a' is added by notifications-utils). Sets *closing and *name. */
static int emu__skip_tag(const char *tag, size_t len, int *closing, const char **name)
{
    static const char *const names[] = {"pre",    "samp",  "code", "tt", "kbd",
                                        "script", "style", "math", "a"};
    size_t i = 1;
    *closing = 0;
    if (i < len && tag[i] == '/') {
        *closing = 1;
        i++;
    }
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t nl = strlen(names[k]);
        if (i + nl <= len && strncasecmp(tag + i, names[k], nl) == 0) {
            *name = names[k];
            return 1;
        }
    }
    return 0;
}

/* Finds the next tag at or after p: a comment <!--.*?--\s*> or <[^>]*>.
 * Returns 1 with *start and *end (one past the '>') set. */
static int emu__next_tag(const char *s, size_t p, size_t *start, size_t *end, int *is_text)
{
    const char *lt = strchr(s + p, '<');
    if (!lt)
        return 0;
    size_t i = (size_t)(lt - s);
    *is_text = 0;
    if (strncmp(lt, "<!--", 4) == 0) {
        for (size_t j = i + 4; s[j]; j++) {
            if (s[j] == '-' && s[j + 1] == '-') {
                size_t k = j + 2;
                while (s[k] && emu__py_isspace((unsigned char)s[k]))
                    k++;
                if (s[k] == '>') {
                    *start = i;
                    *end = k + 1;
                    /* '--' inside the comment text makes it text */
                    size_t a = i + 4, e = k + 1;
                    while (e > a && s[e - 1] == '>')
                        e--;
                    while (e > a && emu__py_isspace((unsigned char)s[e - 1]))
                        e--;
                    while (e > a && s[e - 1] == '-')
                        e--;
                    for (size_t m = a; m + 1 < e; m++)
                        if (s[m] == '-' && s[m + 1] == '-')
                            *is_text = 1;
                    return 1;
                }
            }
        }
    }
    const char *gt = strchr(lt, '>');
    if (!gt)
        return 0;
    *start = i;
    *end = (size_t)(gt - s) + 1;
    return 1;
}

/* Decodes s[a..e) into code points. */
static void emu__cps_from(emu__cps *c, const char *s, size_t a, size_t e)
{
    size_t i = a;
    while (i < e) {
        size_t st = i;
        long cp = emu_utf8_next((const unsigned char *)s, e, &i);
        emu__cps_push(c, cp < 0 ? (uint32_t)(unsigned char)s[st] : (uint32_t)cp);
    }
}

/* Processes one text token; prev is the last character of the previous text
 * token (0 if none). Appends to out. Returns 0 or -1. */
static int emu__smarty_text(const char *s, size_t a, size_t e, uint32_t prev, emu__buf *out)
{
    emu__cps t = {0};
    emu__cps_from(&t, s, a, e);
    int rc = t.oom ? -1 : emu__process_escapes(&t);
    if (!rc && t.n == 1 && (t.v[0] == '\'' || t.v[0] == '"')) {
        int closing = prev && !emu__space(prev);
        const char *ent =
            t.v[0] == '\'' ? (closing ? "&#8217;" : "&#8216;") : (closing ? "&#8221;" : "&#8220;");
        t.n = 0;
        emu__cps_puts(&t, ent);
        rc = t.oom ? -1 : 0;
    } else if (!rc) {
        rc = emu__convert_quotes(&t);
    }
    if (!rc)
        emu__emit_entities(&t, out);
    free(t.v);
    return rc;
}

/* smartypants.smartypants(text, Attr.q | Attr.u). Caller frees. */
static char *emu__smartypants(const char *s)
{
    emu__buf out = {0};
    size_t p = 0, len = strlen(s), start, end;
    uint32_t prev = 0;
    int in_pre = 0, is_text;
    const char *stack[32];
    size_t depth = 0;
    for (;;) {
        int found = emu__next_tag(s, p, &start, &end, &is_text);
        size_t text_end = found ? start : len;
        if (text_end > p) {
            if (in_pre) {
                emu__buf_add(&out, s + p, text_end - p);
            } else if (emu__smarty_text(s, p, text_end, prev, &out)) {
                out.oom = 1;
                break;
            }
            size_t i = text_end - 1;
            while (i > p && ((unsigned char)s[i] & 0xc0) == 0x80)
                i--;
            size_t j = i;
            long cp = emu_utf8_next((const unsigned char *)s, text_end, &j);
            prev = cp < 0 ? (unsigned char)s[i] : (uint32_t)cp;
        }
        if (!found)
            break;
        if (is_text) {
            if (!in_pre && emu__smarty_text(s, start, end, prev, &out)) {
                out.oom = 1;
                break;
            }
            if (in_pre)
                emu__buf_add(&out, s + start, end - start);
            prev = '>';
        } else {
            emu__buf_add(&out, s + start, end - start);
            int closing;
            const char *name;
            if (emu__skip_tag(s + start, end - start, &closing, &name)) {
                if (!closing) {
                    if (depth < sizeof(stack) / sizeof(stack[0]))
                        stack[depth++] = name;
                    in_pre = 1;
                } else {
                    if (depth > 0 && strcmp(stack[depth - 1], name) == 0)
                        depth--;
                    if (depth == 0)
                        in_pre = 0;
                }
            }
        }
        p = end;
    }
    return emu__buf_finish(&out);
}

/* notifications-utils remove_smart_quotes_from_email_addresses: in every
 * match of (^|\s)\S+@\S+(\s|$) (multi-line; a match takes its trailing
 * whitespace), U+2018 and U+2019 become '. */
static char *emu__unsmart_emails(const char *s)
{
    size_t len = strlen(s), n, m;
    emu__buf b = {0};
    size_t i = 0;
    while (i < len) {
        long cp = emu__peek(s, len, i, &n);
        int space = cp >= 0 && emu__py_isspace(cp);
        size_t r = len + 1;
        if (space)
            r = i + n;
        else if (i == 0 || s[i - 1] == '\n')
            r = i;
        size_t e = r;
        int ok = 0;
        if (r < len) {
            long c;
            while (e < len && !((c = emu__peek(s, len, e, &m)) >= 0 && emu__py_isspace(c)))
                e += m;
            emu__peek(s, len, r, &m);
            for (size_t k = r + m; k < e; k += m) {
                emu__peek(s, len, k, &m);
                if (s[k] == '@' && k + m < e)
                    ok = 1;
            }
        }
        if (!ok) {
            emu__buf_add(&b, s + i, n);
            i += n;
            continue;
        }
        emu__buf_add(&b, s + i, r - i);
        for (size_t k = r; k < e; k += m) {
            long c = emu__peek(s, len, k, &m);
            if (c == 0x2018 || c == 0x2019)
                emu__buf_puts(&b, "'");
            else
                emu__buf_add(&b, s + k, m);
        }
        i = e;
        if (i < len) {
            emu__peek(s, len, i, &m);
            emu__buf_add(&b, s + i, m);
            i += m;
        }
    }
    return emu__buf_finish(&b);
}

/* do_nice_typography then normalise_whitespace over a rendered subject
 * (consumed). Returns a malloc'd string or NULL. */
static char *emu__subject_typography(char *a)
{
    if (!a)
        return NULL;
    char *c1 = emu__remove_ws_before_punct(a);
    free(a);
    if (!c1)
        return NULL;
    char *c2 = emu__smartypants(c1);
    free(c1);
    if (!c2)
        return NULL;
    char *c = emu__unsmart_emails(c2);
    free(c2);
    if (!c)
        return NULL;
    char *d = emu__en_dashes(c);
    free(c);
    if (!d)
        return NULL;
    char *e = emu__normalise_whitespace(d);
    free(d);
    return e;
}

/* PlainTextEmailTemplate.subject; malloc'd result for the caller. */
char *emu_template_render_subject(const char *text, json_t *personalisation, emu_strlist *missing)
{
    return emu__subject_typography(emu__render(text, personalisation, missing, 0, 0));
}

/* HTMLEmailTemplate.subject; malloc'd result for the caller. */
char *emu_template_render_subject_html(const char *text, json_t *personalisation,
                                       emu_strlist *missing)
{
    return emu__subject_typography(emu__render(text, personalisation, missing, 0, 1));
}
