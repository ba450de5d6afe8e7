#!/usr/bin/env python3
"""Per-call facts of a SIP capture as read by tshark (the oracle used for README.md):
for every Call-ID the SIP messages, the SDP media endpoints announced (c= address, m= port) and the
RTP streams (tshark `-z rtp,streams`, with rtp.heuristic_rtp on) whose source or destination is one
of those endpoints.
Usage: sip_calls.py FILE [--tsv OUT.tsv] [--md] [extra tshark args...]
--md prints a markdown table (one row per call) instead of the plain listing.
--tsv writes one line per call: call-id<TAB>endpoints<TAB>rtp flows, where endpoints is the
comma-separated ip:port list in SDP order and rtp flows is the comma-separated list of directional
UDP flows src_ip:port-dst_ip:port (first-seen order) carrying RTP to or from those endpoints."""
import collections, re, subprocess, sys

args = sys.argv[1:]; f = args.pop(0); tsv = None
if "--tsv" in args:
    i = args.index("--tsv"); tsv = args[i + 1]; del args[i:i + 2]
md = "--md" in args
if md: args.remove("--md")
T = ["tshark", "-o", "rtp.heuristic_rtp:TRUE", "--disable-protocol", "wg", *args, "-r", f]

def fields(flt, *names):
    out = subprocess.run(T + ["-Y", flt, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|",
                              *sum((["-e", n] for n in names), [])], capture_output=True, text=True).stdout
    return [(l.split("\t") + [""] * len(names))[:len(names)] for l in out.splitlines()]

def ep(a, p):
    return f"[{a}]:{p}" if ":" in a else f"{a}:{p}"

calls = collections.OrderedDict()
for fr, cid, meth, code, cseq, frm, sdp_c, sdp_m in fields(
        "sip", "frame.number", "sip.Call-ID", "sip.Method", "sip.Status-Code", "sip.CSeq", "sip.From",
        "sdp.connection_info.address", "sdp.media.port"):
    cids, meths, codes, cseqs = cid.split("|"), meth.split("|"), code.split("|"), cseq.split("|")
    cs, ms = [x for x in sdp_c.split("|") if x], [x for x in sdp_m.split("|") if x]
    for k, c in enumerate(cids):
        call = calls.setdefault(c, {"msgs": [], "eps": [], "sdp": [], "from": frm.split("|")[k] if k < len(frm.split("|")) else ""})
        what = (meths[k] if k < len(meths) and meths[k] else "") or (codes[k] if k < len(codes) else "")
        call["msgs"].append(f"{fr}:{what}({cseqs[k] if k < len(cseqs) else ''})")
    if ms:
        if len(set(cids)) > 1:
            print(f"WARNING frame {fr}: SDP in a frame with several Call-IDs {cids}; given to the last", file=sys.stderr)
        c = cids[-1]
        addr = cs[-1] if cs else ""
        for port in ms:
            e = ep(addr, port)
            calls[c]["sdp"].append(f"frame {fr}: {e}")
            if e not in calls[c]["eps"]: calls[c]["eps"].append(e)

streams = []
out = subprocess.run(T + ["-q", "-z", "rtp,streams"], capture_output=True, text=True).stdout
for l in out.splitlines():
    m = re.match(r"\s*([\d.]+)\s+([\d.]+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-F]+)\s+(.+?)\s+(\d+)\s+(-?\d+) \(", l)
    if m:
        t0, t1, sa, sp, da, dp, ssrc, pt, n, lost = m.groups()
        streams.append({"t0": float(t0), "src": ep(sa, sp), "dst": ep(da, dp), "ssrc": ssrc, "pt": pt, "pkts": int(n), "lost": int(lost)})
streams.sort(key=lambda s: s["t0"])

rows = []
if md:
    print("| Call-ID | From | SIP frames | SDP media (frame: c= address:m= port) | RTP streams (src → dst, SSRC, packets) |")
    print("|---|---|---|---|---|")
for cid, c in calls.items():
    mine = [s for s in streams if s["src"] in c["eps"] or s["dst"] in c["eps"]]
    flows = []
    for s in mine:
        fl = f"{s['src']}-{s['dst']}"
        if fl not in flows: flows.append(fl)
    rows.append((cid, c["eps"], flows))
    if md:
        frm = re.sub(r";tag=.*", "", c["from"]).replace("|", "\\|")
        frames = ", ".join(m.split(":")[0] + " " + re.sub(r"\(.*", "", m.split(":")[1]) for m in c["msgs"])
        rtp = "; ".join(f"{s['src']} → {s['dst']} {s['ssrc']} {s['pkts']}" for s in mine)
        print(f"| `{cid}` | `{frm}` | {frames} | {'; '.join(s.replace('frame ', '') for s in c['sdp'])} | {rtp} |")
        continue
    print(f"call {cid}  From {c['from']}")
    print(f"  sip  {' '.join(c['msgs'])}")
    for s in c["sdp"]: print(f"  sdp  {s}")
    for s in mine:
        print(f"  rtp  {s['src']} -> {s['dst']} SSRC {s['ssrc']} {s['pt']} {s['pkts']} pkts lost {s['lost']} start {s['t0']:.3f}s")
orphans = [s for s in streams if not any(s["src"] in c["eps"] or s["dst"] in c["eps"] for c in calls.values())]
for s in orphans:
    print(f"rtp stream in no call: {s['src']} -> {s['dst']} SSRC {s['ssrc']} {s['pkts']} pkts")
print(f"{len(calls)} calls, {len(streams)} RTP streams, {len(orphans)} not in any call")
if tsv:
    with open(tsv, "w") as o:
        for cid, eps, flows in rows:
            o.write(f"{cid}\t{','.join(eps)}\t{','.join(flows)}\n")
