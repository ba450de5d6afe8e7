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
import asyncio, json, sys
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
    # Only the peers need aiortc; the relay runs without it.
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from webrtc_peer import Tone, count_frames
    return Tone, count_frames, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

async def caller():
    Tone, _, RTCConfiguration, RTCPeerConnection, RTCSessionDescription = peer_imports()
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
    _, count_frames, RTCConfiguration, RTCPeerConnection, RTCSessionDescription = peer_imports()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[])); count = {"frames": 0}
    count_frames(pc, count)
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
