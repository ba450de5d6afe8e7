#!/usr/bin/env python3
"""Two aiortc peers in one process on 127.0.0.1: offer/answer exchanged in-process, one audio
track (440 Hz tone, Opus) from the offerer to the answerer for a few seconds.
ICE host candidates are restricted to 127.0.0.1 (aioice skips loopback by default), and no
STUN server is configured (aiortc would otherwise default to a public one).
--turn: force both peers through the TURN server turn:127.0.0.1:3478 (iceTransportPolicy=relay).
Run it inside a network namespace that only has lo (see webrtc-aiortc.sh)."""
import asyncio, sys
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from webrtc_peer import Tone, count_frames

async def main(turn, seconds):
    if turn:
        servers = [RTCIceServer("turn:127.0.0.1:3478?transport=udp", username="jane", credential="s3cret-Pass")]
        cfg = lambda: RTCConfiguration(iceServers=servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)
    else:
        cfg = lambda: RTCConfiguration(iceServers=[])
    caller, callee = RTCPeerConnection(cfg()), RTCPeerConnection(cfg())
    caller.addTrack(Tone())
    got = asyncio.Event(); count = {"frames": 0}
    count_frames(callee, count)
    await caller.setLocalDescription(await caller.createOffer())
    await callee.setRemoteDescription(caller.localDescription)
    await callee.setLocalDescription(await callee.createAnswer())
    await caller.setRemoteDescription(callee.localDescription)
    await asyncio.sleep(seconds)
    print("frames received:", count["frames"], "ice:", caller.iceConnectionState, callee.iceConnectionState)
    await caller.close(); await callee.close()

asyncio.run(main("--turn" in sys.argv, 3.0))
