#!/usr/bin/env python3
"""SIP over TLS on 127.0.0.1 with Python's ssl module (OpenSSL); SIPp here is built without TLS.
A TLS server (UAS) listens on 127.0.0.1:5061 with CERT/KEY; a TLS client (UAC) connects with
server_hostname="clinic.example" (SNI in the ClientHello, certificate verified against CERT) and runs
one dialog over that single connection:
  INVITE (SDP, RTP/SAVP + SDES a=crypto) -> 100 Trying -> 200 OK (SDP) -> ACK
  -> media: MEDIA_SCRIPT (srtp_media.py) 16000 <-> 18000 for SECONDS -> BYE -> 200 OK -> close_notify.
SIP/SDP text follows sip/uac-savp.xml and sip/uas-savp.xml, with sips: URIs. Keys are fake.
Set SSLKEYLOGFILE to write the TLS secrets (the client appends them) for decrypting with tshark.
Usage: sip_tls.py CERT KEY MEDIA_SCRIPT [SECONDS]"""
import os, random, socket, ssl, subprocess, sys, threading

CERT, KEY, MEDIA = sys.argv[1:4]
SECS = sys.argv[4] if len(sys.argv) > 4 else "3"
HOST, PORT, SNI = "127.0.0.1", 5061, "clinic.example"
FROM = '"Jane Patient" <sips:+15551234567@clinic.example>'
TO = '"Dr Alex Smith" <sips:+15557654321@clinic.example>'
RURI = "sips:+15557654321@clinic.example"
ready = threading.Event()


def msg(first, headers, body=""):
    b = body.replace("\n", "\r\n").encode()
    h = [first] + headers + [f"Content-Length: {len(b)}"]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + b


def reader(tls):
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = tls.recv(65536)
            if not d:
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        hdr = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            hdr[k.strip().lower()] = v.strip()
        n = int(hdr.get("content-length", "0"))
        while len(buf) < n:
            d = tls.recv(65536)
            if not d:
                return
            buf += d
        body, buf = buf[:n], buf[n:]
        yield lines[0], hdr, body.decode()


OFFER = """v=0
o=jane 53655799 2353687637 IN IP4 127.0.0.1
s=Telehealth visit
c=IN IP4 127.0.0.1
t=0 0
m=audio 16000 RTP/SAVP 0
a=rtpmap:0 PCMU/8000
a=ptime:20
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:bA6km8sw3Y9mlY2kGBwq4P1F4xe5vfqfeDE7Fwt5
a=sendrecv
"""
ANSWER = """v=0
o=drsmith 53655765 2353687637 IN IP4 127.0.0.1
s=Telehealth visit
c=IN IP4 127.0.0.1
t=0 0
m=audio 18000 RTP/SAVP 0
a=rtpmap:0 PCMU/8000
a=ptime:20
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/qMdMhJPi3XBZM7AHjhZmqJuJ1RTHylYv8eg/VDi
a=sendrecv
"""


def uas():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, PORT)); ls.listen(1); ready.set()
    raw, _ = ls.accept(); ls.close()
    tls = ctx.wrap_socket(raw, server_side=True)
    _, lport = tls.getsockname()
    totag = "%08x" % random.getrandbits(32)
    contact = f"Contact: <sips:+15557654321@127.0.0.1:{lport}>"
    for first, h, body in reader(tls):
        if first.startswith("SIP/"):
            continue
        method = first.split()[0]
        common = [f"Via: {h['via']}", f"From: {h['from']}", f"To: {h['to']}" + ("" if ";tag=" in h["to"] else f";tag={totag}"),
                  f"Call-ID: {h['call-id']}", f"CSeq: {h['cseq']}"]
        if method == "INVITE":
            tls.sendall(msg("SIP/2.0 100 Trying", common[:2] + [f"To: {h['to']}"] + common[3:]))
            tls.sendall(msg("SIP/2.0 200 OK", common + [contact, "Server: teleprobe-uas (Python ssl)",
                                                        "Content-Type: application/sdp"], ANSWER))
        elif method == "BYE":
            tls.sendall(msg("SIP/2.0 200 OK", common + [contact, "Server: teleprobe-uas (Python ssl)"]))
    try:
        tls.unwrap()   # answer the client's close_notify
    except (ssl.SSLError, OSError):
        pass
    tls.close()


def uac():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(CERT)          # check_hostname=True, CERT_REQUIRED: verifies CN/SAN clinic.example
    if os.environ.get("SSLKEYLOGFILE"):      # optional: NSS key log, to let tshark decrypt the SIP for checking
        ctx.keylog_filename = os.environ["SSLKEYLOGFILE"]
    ready.wait(5)
    raw = socket.create_connection((HOST, PORT))
    tls = ctx.wrap_socket(raw, server_hostname=SNI)
    lhost, lport = tls.getsockname()
    callid = "%x@127.0.0.1" % random.getrandbits(48)
    ftag = "%08x" % random.getrandbits(32)
    via = lambda: f"Via: SIP/2.0/TLS {lhost}:{lport};branch=z9hG4bK{random.getrandbits(40):010x}"
    base = lambda to, cseq: [via(), "Max-Forwards: 70", f"From: {FROM};tag={ftag}", f"To: {to}",
                             f"Call-ID: {callid}", f"CSeq: {cseq}",
                             f"Contact: <sips:+15551234567@{lhost}:{lport}>", "User-Agent: teleprobe-uac (Python ssl)"]
    rd = reader(tls)
    tls.sendall(msg(f"INVITE {RURI} SIP/2.0", base(TO, "1 INVITE") +
                    ["Subject: Telehealth visit", "Content-Type: application/sdp"], OFFER))
    to = None
    for first, h, _ in rd:
        if first.startswith("SIP/2.0 200"):
            to = h["to"]; break
    tls.sendall(msg(f"ACK {RURI} SIP/2.0", base(to, "1 ACK")))
    subprocess.run([sys.executable, MEDIA, "16000", "0x1A2B3C4D", "0", "18000", "0x5E6F7A8B", "0", SECS], check=True)
    tls.sendall(msg(f"BYE {RURI} SIP/2.0", base(to, "2 BYE")))
    for first, h, _ in rd:
        if first.startswith("SIP/2.0 200") and "BYE" in h["cseq"]:
            break
    tls.unwrap(); raw.close()


t = threading.Thread(target=uas); t.start()
uac(); t.join(10)
