#!/usr/bin/env python3
"""Two aiortc peers in one process on 127.0.0.1: offer/answer exchanged in-process, one audio
track (440 Hz tone, Opus) from the offerer to the answerer for a few seconds.
ICE host candidates are restricted to 127.0.0.1 (aioice skips loopback by default), and no
STUN server is configured (aiortc would otherwise default to a public one).
--turn: force both peers through the TURN server turn:127.0.0.1:3478 (iceTransportPolicy=relay).
Run it inside a network namespace that only has lo (see webrtc-aiortc.sh)."""
import asyncio, fractions, math, sys
import array
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
import av
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection)
from aiortc.rtcconfiguration import RTCIceTransportPolicy

class Tone(MediaStreamTrack):
    kind = "audio"
    def __init__(self):
        super().__init__(); self.pts = 0; self.start = None
    async def recv(self):
        loop = asyncio.get_event_loop()
        if self.start is None: self.start = loop.time()
        target = self.start + self.pts / 48000
        await asyncio.sleep(max(0, target - loop.time()))
        n = 960
        pcm = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * (i + self.pts) / 48000)) for i in range(n)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000; frame.pts = self.pts; frame.time_base = fractions.Fraction(1, 48000)
        self.pts += n
        return frame

async def main(turn, seconds):
    if turn:
        servers = [RTCIceServer("turn:127.0.0.1:3478?transport=udp", username="jane", credential="s3cret-Pass")]
        cfg = lambda: RTCConfiguration(iceServers=servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)
    else:
        cfg = lambda: RTCConfiguration(iceServers=[])
    caller, callee = RTCPeerConnection(cfg()), RTCPeerConnection(cfg())
    caller.addTrack(Tone())
    got = asyncio.Event(); count = {"frames": 0}
    @callee.on("track")
    def on_track(track):
        async def drain():
            while True:
                try: await track.recv()
                except Exception: return
                count["frames"] += 1
        asyncio.ensure_future(drain())
    await caller.setLocalDescription(await caller.createOffer())
    await callee.setRemoteDescription(caller.localDescription)
    await callee.setLocalDescription(await callee.createAnswer())
    await caller.setRemoteDescription(callee.localDescription)
    await asyncio.sleep(seconds)
    print("frames received:", count["frames"], "ice:", caller.iceConnectionState, callee.iceConnectionState)
    await caller.close(); await callee.close()

asyncio.run(main("--turn" in sys.argv, 3.0))
