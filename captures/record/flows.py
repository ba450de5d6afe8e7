#!/usr/bin/env python3
"""Print per-flow facts of a capture as read by tshark (the oracle used for README.md).
Client = sender of the first packet seen in the flow (SYN for TCP).
For ICMP-encapsulated packets only the outer addresses count.
Usage: flows.py FILE [extra tshark args...]"""
import subprocess, sys, collections
f = sys.argv[1]; extra = sys.argv[2:]
out = subprocess.run(["tshark", "-r", f, *extra, "-T", "fields", "-E", "separator=\t",
    "-e", "tcp.stream", "-e", "udp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
    "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "tcp.dstport", "-e", "udp.dstport", "-e", "frame.protocols"],
    capture_output=True, text=True).stdout
flows = collections.OrderedDict()
for line in out.splitlines():
    ts, us, s4, s6, d4, d6, tsp, usp, tdp, udp_, protos = (line.split("\t") + [""] * 11)[:11]
    src = (s4 or s6).split(",")[0]; dst = (d4 or d6).split(",")[0]
    sp = (tsp or usp).split(",")[0]; dp = (tdp or udp_).split(",")[0]
    a, b = (f"[{src}]:{sp}" if ":" in src else f"{src}:{sp}"), (f"[{dst}]:{dp}" if ":" in dst else f"{dst}:{dp}")
    # TCP: tshark's tcp.stream; UDP: the bidirectional 5-tuple (tshark splits SDP-announced RTP per direction)
    if ts: key = ("tcp", ts.split(",")[0])
    elif us: key = ("udp", tuple(sorted((a, b))))
    else: key = ("other", protos)
    if key not in flows:
        flows[key] = {"client": a, "server": b, "c2s": 0, "s2c": 0, "protos": collections.OrderedDict()}
    fl = flows[key]
    if a == fl["client"]: fl["c2s"] += 1
    else: fl["s2c"] += 1
    skip = {"eth", "ethertype", "ip", "ipv6", "tcp", "udp", "sll", "null", "loop", "data", "frame", "_ws.malformed", "_ws.expert"}
    for p in protos.split(":"):
        if p and p not in skip: fl["protos"][p] = 1
print("| transport | client | server | pkts c->s | pkts s->c | protocols |")
print("|---|---|---|---|---|---|")
for (t, _), fl in flows.items():
    print(f"| {t.upper()} | {fl['client']} | {fl['server']} | {fl['c2s']} | {fl['s2c']} | {', '.join(fl['protos']) or '-'} |")
