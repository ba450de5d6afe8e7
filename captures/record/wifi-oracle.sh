#!/usr/bin/env bash
# tshark's reading of the 802.11 sample captures (the independent oracle
# tests/wireless.rs compares teleprobe's element parsing with). Rewrites
# captures/wifi-*.tshark.tsv; run after `cargo run --example wifi_capture`.
# Columns: frame, BSSID, SSID (hex), Privacy, RSN AKM types, RSN pairwise
# types, RSN group type, MFPC, MFPR, WPA-element AKM types, WPA unicast
# types, EAPOL-Key message, EAP type, EAP identity, deauthentication reason.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; cd "$HERE/.."
for f in wifi-security-classes wifi-clinic; do
  tshark -r "$f.pcap" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
    -e frame.number -e wlan.bssid -e wlan.ssid -e wlan.fixed.capabilities.privacy \
    -e wlan.rsn.akms.type -e wlan.rsn.pcs.type -e wlan.rsn.gcs.type \
    -e wlan.rsn.capabilities.mfpc -e wlan.rsn.capabilities.mfpr \
    -e wlan.wfa.ie.wpa.type -e wlan.wfa.ie.wpa.ucs.type \
    -e wlan_rsna_eapol.keydes.msgnr -e eap.type -e eap.identity -e wlan.fixed.reason_code \
    2>/dev/null > "$f.tshark.tsv"
  echo "wrote captures/$f.tshark.tsv ($(wc -l < "$f.tshark.tsv") frames)"
done
