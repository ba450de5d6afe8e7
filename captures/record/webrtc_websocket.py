#!/usr/bin/env python3
"""WebRTC call with WebSocket signalling: a small `websockets` relay on ws://127.0.0.1:8765 (cleartext)
forwards every text frame from one connected client to the other(s); two aiortc peers connect to it
as separate processes: the callee waits, the caller sends {"type": "offer", "sdp": ...}, the callee
replies {"type": "answer", "sdp": ...} (JSON text frames, no permessage-deflate; client frames
are masked, RFC 6455), then a
440 Hz tone track (Opus) goes caller -> callee over DTLS-SRTP for a few seconds and both hang up
({"type": "bye"}) and close their WebSockets.
ICE host candidates are restricted to 127.0.0.1 (aioice skips loopback by default), no STUN server.
Usage: webrtc_websocket.py server | callee | caller   (inside a netns that only has lo; see webrtc-websocket.sh)"""
import asyncio, array, fractions, json, math, sys
import websockets

URI = "ws://127.0.0.1:8765/room/telehealth-visit"
SECONDS = 3.0

async def server():
    peers = set(); done = asyncio.Event(); seen = {"n": 0}
    async def relay(ws):
        peers.add(ws); seen["n"] += 1
        try:
            async for msg in ws:
                for p in list(peers):
                    if p is not ws: await p.send(msg)
        finally:
            peers.discard(ws)
            if not peers and seen["n"] >= 2: done.set()
    async with websockets.serve(relay, "127.0.0.1", 8765, server_header="teleprobe-signal/1.0", compression=None):
        print("signalling server listening", flush=True)
        try: await asyncio.wait_for(done.wait(), 40)
        except asyncio.TimeoutError: pass

def peer_imports():
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
    import av
    from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    class Tone(MediaStreamTrack):
        kind = "audio"
        def __init__(self):
            super().__init__(); self.pts = 0; self.start = None
        async def recv(self):
            loop = asyncio.get_event_loop()
            if self.start is None: self.start = loop.time()
            await asyncio.sleep(max(0, self.start + self.pts / 48000 - loop.time()))
            n = 960
            pcm = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * (i + self.pts) / 48000)) for i in range(n)))
            frame = av.AudioFrame(format="s16", layout="mono", samples=n)
            frame.planes[0].update(pcm.tobytes())
            frame.sample_rate = 48000; frame.pts = self.pts; frame.time_base = fractions.Fraction(1, 48000)
            self.pts += n
            return frame
    return Tone, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

async def caller():
    Tone, RTCConfiguration, RTCPeerConnection, RTCSessionDescription = peer_imports()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone())
    async with websockets.connect(URI, user_agent_header="teleprobe-patient-app/1.0", compression=None) as ws:
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
        answer = json.loads(await ws.recv())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        await asyncio.sleep(SECONDS)
        print("caller: ice", pc.iceConnectionState, "connection", pc.connectionState)
        await ws.send(json.dumps({"type": "bye"}))
        await pc.close()

async def callee():
    Tone, RTCConfiguration, RTCPeerConnection, RTCSessionDescription = peer_imports()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[])); count = {"frames": 0}
    @pc.on("track")
    def on_track(track):
        async def drain():
            while True:
                try: await track.recv()
                except Exception: return
                count["frames"] += 1
        asyncio.ensure_future(drain())
    async with websockets.connect(URI, user_agent_header="teleprobe-clinician-app/1.0", compression=None) as ws:
        print("callee connected", flush=True)
        async for msg in ws:
            m = json.loads(msg)
            if m["type"] == "offer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=m["sdp"], type="offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                await ws.send(json.dumps({"type": "answer", "sdp": pc.localDescription.sdp}))
            elif m["type"] == "bye":
                break
        await asyncio.sleep(0.3)
        print("callee: frames received:", count["frames"])
        await pc.close()

asyncio.run({"server": server, "callee": callee, "caller": caller}[sys.argv[1]]())
