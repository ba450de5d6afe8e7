# Sourced by the recording scripts. private_netns NAME makes a network namespace with only its own
# loopback (so nothing recorded can leave the machine, and nothing else on the host's lo gets in),
# moves into a fresh work folder $W, and on exit stops the processes listed in PIDS and removes
# the namespace.
private_netns() {
  NS=$1
  ip netns del "$NS" 2>/dev/null || true
  ip netns add "$NS"; ip -n "$NS" link set lo up
  W=$(mktemp -d); cd "$W"
  PIDS=()
  trap netns_cleanup EXIT
}
netns_cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 0.5; ip netns del "$NS" 2>/dev/null || true
}
