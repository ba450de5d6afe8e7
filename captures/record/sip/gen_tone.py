#!/usr/bin/env python3
"""Write 8 s of a 440 Hz tone as raw G.711 mu-law (no header) for sipp's rtp_stream (PT 0)."""
import math, sys
def lin2ulaw(s):
    sign = 0x80 if s < 0 else 0
    s = min(abs(s), 32635) + 0x84
    exp = 7
    while exp > 0 and not (s & (0x4000 >> (7 - exp))): exp -= 1
    return (~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0F))) & 0xFF
open(sys.argv[1], "wb").write(bytes(lin2ulaw(int(8000 * math.sin(2 * math.pi * 440 * n / 8000))) for n in range(8000 * 8)))
