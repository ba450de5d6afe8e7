#!/usr/bin/env python3
"""Puts the EAPOL frames of a wired 802.1X capture into 802.11 data frames
of one WPA2-Enterprise network, as a monitor-mode capture (radiotap, link
type 127) would show them: a beacon first (RSN, AKM 802.1X, PMF capable),
then each EAPOL frame from the authenticator (AUTH_MAC, the BSSID) as a
FromDS frame and each from a supplicant as a ToDS frame, with LLC/SNAP.
The EAPOL bytes are copied unchanged.

Usage: eapol_to_80211.py IN.pcap OUT.pcap AUTH_MAC SSID
"""
import struct
import sys


def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        yield sec, frac, data[at + 16:at + 16 + incl]
        at += 16 + incl


RADIOTAP = struct.pack("<BBHI", 0, 0, 8, 0)


def data_frame(bssid, station, to_ap, payload):
    if to_ap:
        fc, a1, a2, a3 = b"\x08\x01", bssid, station, bssid
    else:
        fc, a1, a2, a3 = b"\x08\x02", station, bssid, bssid
    llc = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"
    return RADIOTAP + fc + b"\x00\x00" + a1 + a2 + a3 + b"\x00\x00" + llc + payload


def beacon(bssid, ssid):
    rsn = struct.pack("<H", 1) + b"\x00\x0f\xac\x04" + struct.pack("<H", 1) + b"\x00\x0f\xac\x04"
    rsn += struct.pack("<H", 1) + b"\x00\x0f\xac\x01" + struct.pack("<H", 0x0080)
    body = b"\x00" * 8 + struct.pack("<HH", 100, 0x0011)
    body += bytes([0, len(ssid)]) + ssid + bytes([48, len(rsn)]) + rsn
    header = b"\x80\x00\x00\x00" + b"\xff" * 6 + bssid + bssid + b"\x00\x00"
    return RADIOTAP + header + body


def main():
    source, target, auth, ssid = sys.argv[1], sys.argv[2], mac(sys.argv[3]), sys.argv[4].encode()
    frames = []
    for sec, usec, frame in read_pcap(source):
        dst, src, ethertype = frame[:6], frame[6:12], struct.unpack(">H", frame[12:14])[0]
        if ethertype != 0x888E:
            continue
        if not frames:
            frames.append((sec, usec, beacon(auth, ssid)))
        from_ap = src == auth
        station = dst if from_ap else src
        frames.append((sec, usec, data_frame(auth, station, not from_ap, frame[14:])))
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127)
    for sec, usec, frame in frames:
        out += struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
    open(target, "wb").write(out)


if __name__ == "__main__":
    main()
