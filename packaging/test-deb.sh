#!/usr/bin/env bash
# CI's package test: builds the .deb from the debug binary the tests made
# (packaging/deb.sh dev), installs it with dpkg, and runs teleprobe from
# the installed paths: --version, `analyze` on the example capture with the
# installed policy, the manual page and completions, `systemd-analyze
# verify` on the installed unit. Removes the package afterwards. Needs
# root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

packaging/deb.sh dev
deb="$(ls -t target/debian/teleprobe_*.deb | head -n 1)"
echo "test-deb: installing $deb"
$sudo dpkg -i "$deb"
trap '$sudo dpkg --purge teleprobe >/dev/null' EXIT

set -x
/usr/bin/teleprobe --version
out="$(mktemp -d)"
/usr/bin/teleprobe analyze --quiet --policy /etc/teleprobe/policy.toml \
    -o "$out/report.json" /usr/share/doc/teleprobe/examples/sip-rtp-cleartext.pcap
python3 - "$out/report.json" <<'PY'
import json, os, stat, sys
path = sys.argv[1]
report = json.load(open(path))
verdicts = [c["verdict"] for c in report["calls"]]
assert verdicts == ["exposed"], verdicts
assert any(f["id"] == "media-cleartext" for f in report["findings"])
assert any(i["source"] == "/etc/teleprobe/policy.toml" for i in report["evidence"]["inputs"])
assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
print("test-deb: installed teleprobe analysed the example: 1 call, exposed")
PY
rm -rf "$out"
/usr/bin/teleprobe live --config /etc/teleprobe/teleprobe.toml --help >/dev/null
test -s /usr/share/man/man1/teleprobe.1.gz
zgrep -q '^\.TH teleprobe 1' /usr/share/man/man1/teleprobe.1.gz
grep -q _teleprobe /usr/share/bash-completion/completions/teleprobe
test -s /usr/share/zsh/vendor-completions/_teleprobe
test -s /usr/share/fish/vendor_completions.d/teleprobe.fish
dpkg-query -W -f='${Conffiles}\n' teleprobe | grep -q /etc/teleprobe/teleprobe.toml
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify --man=no /lib/systemd/system/teleprobe.service
fi
set +x
echo "test-deb: package installed and ran from its installed paths"
