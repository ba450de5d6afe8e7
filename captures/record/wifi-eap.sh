#!/usr/bin/env bash
# Records real 802.1X exchanges between hostapd (its internal EAP server,
# wired driver) and wpa_supplicant over a veth pair in a private network
# namespace: EAP-TLS with TLS 1.2 (the station's certificate crosses in
# the clear), PEAP/MSCHAPv2 with an anonymous outer identity, and EAP-MD5.
# wired 802.1X carries EAPOL in Ethernet frames; eapol_to_80211.py puts
# each into an 802.11 data frame of one WPA2-Enterprise network (radiotap),
# so the payloads are hostapd's and wpa_supplicant's own bytes.
# Writes captures/wifi-eap-methods.pcap. Needs root, hostapd, wpasupplicant,
# openssl, tcpdump.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../wifi-eap-methods.pcap"
. "$HERE/netns.sh"
private_netns teleprobe-eap
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link add auth0 address 02:00:5e:00:01:01 type veth peer name supp0
nsx ip link set auth0 up; nsx ip link set supp0 up

# A clinic CA, the RADIUS server's certificate, and a clinician's client certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=Clinic Test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=radius.clinic.example" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
  -subj "/CN=Dr. Jane Jones/emailAddress=dr.jones@clinic.example" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 30 2>/dev/null

cat > eap_user <<'USERS'
"dr.jones@clinic.example" TLS
"anonymous@clinic.example" PEAP
"nurse7" MD5 "password7"
"alice" MSCHAPV2 "secret" [2]
USERS
cat > hostapd.conf <<CONF
interface=auth0
driver=wired
ieee8021x=1
eapol_version=2
eap_server=1
eap_user_file=$PWD/eap_user
ca_cert=$PWD/ca.pem
server_cert=$PWD/server.pem
private_key=$PWD/server.key
CONF
nsx tcpdump -q -U -i auth0 -w eap.pcap 'ether proto 0x888e' 2>/dev/null & PIDS+=($!)
sleep 1
nsx hostapd -B -P "$PWD/hostapd.pid" hostapd.conf >/dev/null
sleep 1
PIDS+=("$(cat hostapd.pid)")

# One station per method: its own MAC, one exchange, then the next.
run() { # mac config
  nsx ip link set supp0 down; nsx ip link set supp0 address "$1"; nsx ip link set supp0 up
  printf 'ap_scan=0\nnetwork={\n%s\n}\n' "$2" > supp.conf
  nsx timeout 15 wpa_supplicant -D wired -i supp0 -c supp.conf > supp.log 2>&1 & local p=$!
  for _ in $(seq 1 30); do grep -aq 'CTRL-EVENT-EAP-\(SUCCESS\|FAILURE\)' supp.log && break; sleep 0.5; done
  echo "$1: $(grep -ao 'CTRL-EVENT-EAP-[A-Z]*' supp.log | tail -1 || true)"
  pkill -INT -f 'wpa_supplicant -D wired' 2>/dev/null || true; wait "$p" 2>/dev/null || true
  sleep 1
}
run 02:00:5e:00:02:10 "key_mgmt=IEEE8021X
eap=TLS
identity=\"dr.jones@clinic.example\"
ca_cert=\"$PWD/ca.pem\"
client_cert=\"$PWD/client.pem\"
private_key=\"$PWD/client.key\"
phase1=\"tls_disable_tlsv1_3=1\"
eapol_flags=0"
run 02:00:5e:00:02:11 "key_mgmt=IEEE8021X
eap=PEAP
identity=\"alice\"
anonymous_identity=\"anonymous@clinic.example\"
password=\"secret\"
ca_cert=\"$PWD/ca.pem\"
phase2=\"auth=MSCHAPV2\"
eapol_flags=0"
run 02:00:5e:00:02:12 "key_mgmt=IEEE8021X
eap=MD5
identity=\"nurse7\"
password=\"password7\"
eapol_flags=0"
sleep 1
kill -INT "${PIDS[@]}" 2>/dev/null || true; sleep 1
python3 "$HERE/eapol_to_80211.py" eap.pcap "$OUT" 02:00:5e:00:01:01 ClinicSecure
echo "wrote $OUT"
